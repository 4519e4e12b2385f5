"""Fixtures: a migrated database per backend, an app whose sessions roll back per test."""

from __future__ import annotations

import copy
import os
import secrets
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from evidence import create_app
from evidence.accounts.passwords import use_cheap_hashing
from evidence.audit.log import set_seal_key
from evidence.config import config_for_tests
from evidence.db import make_engine
from evidence.hooks import install_hooks
from evidence.jobs.queue import register_queue
from evidence.migrate import upgrade

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_URL = os.environ.get("EVIDENCE_TEST_PG_URL", DEFAULT_PG_URL)
PG_REQUIRED = "EVIDENCE_TEST_PG_URL" in os.environ


def pg_reachable(url: str) -> str | None:
    """None when the server answers, otherwise why not."""
    engine = make_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to connect means "not reachable"
        return str(exc).splitlines()[0]
    finally:
        engine.dispose()
    return None


def require_pg() -> None:
    problem = pg_reachable(PG_URL)
    if problem is None:
        return
    message = f"PostgreSQL at {PG_URL} is unreachable: {problem}"
    if PG_REQUIRED:
        pytest.fail(message + " (EVIDENCE_TEST_PG_URL is set, so this is a failure)")
    warnings.warn(message + " -- SKIPPING every PostgreSQL test", stacklevel=2)
    pytest.skip(message)


EXTENSIONS_SCHEMA = "evidence_test_extensions"


def with_search_path(url: str, schema: str) -> str:
    """The URL of ``url``'s database with only ``schema`` and the shared extensions on the path.

    ``public`` is left off: a table missing from ``schema`` (say ``alembic_version`` before the
    first migration) must not resolve to another run's table there.
    """
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema},{EXTENSIONS_SCHEMA}"


def _share_extensions(connection: Connection) -> None:
    """pg_trgm, once per database, in a schema of its own that holds no run's tables."""
    connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('evidence test extensions'))"))
    connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {EXTENSIONS_SCHEMA}"))
    connection.execute(text(f"CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA {EXTENSIONS_SCHEMA}"))
    connection.execute(text(f"ALTER EXTENSION pg_trgm SET SCHEMA {EXTENSIONS_SCHEMA}"))


@contextmanager
def private_pg_schema(url: str, prefix: str) -> Iterator[str]:
    """A schema of this run's own, dropped at the end: runs sharing a database never collide."""
    schema = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    admin = make_engine(url)
    with admin.begin() as connection:
        _share_extensions(connection)
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield with_search_path(url, schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)]
)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database migrated to head, once per test session and backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
        upgrade(url)
        yield url
        return
    require_pg()
    with private_pg_schema(PG_URL, "evidence_test") as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """One outer transaction per test, rolled back at its end; commits become savepoints."""
    connection = engine.connect()
    transaction = connection.begin()
    yield connection
    transaction.rollback()
    connection.close()


def share_connection(app: Flask, connection: Connection) -> Flask:
    """Make every session of ``app``, readers and writers alike, a savepoint inside the
    test's one transaction (a writer of its own would wait for that transaction's lock)."""
    sessions = install_hooks(
        sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
    )
    app.extensions["evidence.sessions"] = app.extensions["evidence.writers"] = sessions
    return app


@pytest.fixture(scope="session")
def shared_app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One application per backend for the run: building one compiles every URL rule (~0.2 s)."""
    app = create_app(config_for_tests(database_url, str(tmp_path_factory.mktemp("data"))))
    yield app
    app.extensions["evidence.engine"].dispose()


@pytest.fixture
def app(shared_app: Flask, connection: Connection, tmp_path: Path) -> Iterator[Flask]:
    """The shared application as a new one would be: its settings restored after the test,
    its own data folder, task queue and database transaction.

    A test that adds routes or request hooks takes ``own_app`` instead (Flask refuses
    those once an application has served a request, and they would outlive the test).
    """
    settings = copy.deepcopy(dict(shared_app.config))
    extensions = dict(shared_app.extensions)
    shared_app.config["DATA_DIR"] = str(tmp_path / "data")
    # Process-wide settings that another test's application (say a non-testing one) changed.
    set_seal_key(shared_app.config["SECRET_KEY"])
    use_cheap_hashing(shared_app.config["TESTING"])
    register_queue(shared_app)
    yield share_connection(shared_app, connection)
    shared_app.config.clear()
    shared_app.config.update(settings)
    shared_app.extensions.clear()
    shared_app.extensions.update(extensions)


@pytest.fixture
def own_app(database_url: str, connection: Connection, tmp_path: Path) -> Flask:
    """An application of this test's own, in the same transaction as ``app`` and ``session``."""
    return share_connection(
        create_app(config_for_tests(database_url, str(tmp_path / "data"))), connection
    )


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    session = app.extensions["evidence.sessions"]()
    session.info["actor"] = "tester"
    yield session
    session.close()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


# Each of these waits a minute or more on real processes or the package index, or (the
# leak test) builds a crawl of every page per database. Started first, they overlap the
# quick tests; started last, they kept the other pytest-xdist worker idle until they ended.
SLOW_FIRST = ("tests/live/", "tests/test_install.py", "tests/test_leaks.py")


@pytest.hookimpl(trylast=True)  # after pytest has grouped the tests by database
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not item.nodeid.startswith(SLOW_FIRST))


def pytest_report_header(config: pytest.Config) -> str:
    problem = pg_reachable(PG_URL)
    if problem is None:
        return f"PostgreSQL: {PG_URL} reachable; PostgreSQL tests will run"
    banner = "!" * 78
    verdict = "they will FAIL" if PG_REQUIRED else "they will be SKIPPED"
    return f"{banner}\nPostgreSQL at {PG_URL} is NOT reachable ({problem}); {verdict}\n{banner}"
