"""Alembic environment: the models' metadata and the configured database."""

from __future__ import annotations

from alembic import context

import evidence.models  # noqa: F401  (fills the metadata)
from evidence.config import Config
from evidence.db import Base, make_engine
from evidence.search.models import include_in_migrations

config = context.config
target_metadata = Base.metadata


def database_url() -> str:
    return config.attributes.get("url") or Config().DATABASE_URL


def run_migrations_offline() -> None:
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(database_url())
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_in_migrations,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
