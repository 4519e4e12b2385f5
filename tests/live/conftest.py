"""Real databases for tests that need several connections at once (threads, processes).

The rollback-per-test fixtures share one connection, so they cannot show what
happens when writers really overlap. These tests get a migrated database of
their own instead: a SQLite file, or a PostgreSQL database created beside
EVIDENCE_TEST_PG_URL's and dropped afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import make_url

from evidence import create_app
from evidence.config import config_for_tests
from evidence.db import make_engine
from evidence.migrate import upgrade
from tests.conftest import PG_URL, require_pg


def _server_engine(url: str):  # noqa: ANN202  (an Engine on the server's maintenance database)
    return make_engine(
        make_url(url).set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )


@contextmanager
def fresh_pg_database() -> Iterator[str]:
    """A migrated PostgreSQL database of its own beside EVIDENCE_TEST_PG_URL's, then dropped."""
    require_pg()
    base = make_url(PG_URL)
    name = f"{base.database}_live_{os.getpid()}"
    server = _server_engine(PG_URL)
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    try:
        yield url
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def fresh_sqlite_database(directory: Path) -> str:
    url = f"sqlite:///{directory / 'live.sqlite'}"
    upgrade(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def live_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated database that commits for real, per test and backend."""
    if request.param == "sqlite":
        yield fresh_sqlite_database(tmp_path)
        return
    with fresh_pg_database() as url:
        yield url


@pytest.fixture
def live_app(live_database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(config_for_tests(live_database_url, str(tmp_path / "data")))
    app.config["WTF_CSRF_ENABLED"] = False
    yield app
    app.extensions["evidence.engine"].dispose()
