"""Models and migrations stay in step; every revision can be undone and redone."""

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from evidence.db import Base, make_engine
from evidence.migrate import downgrade, upgrade
from evidence.search.models import include_in_migrations
from tests.conftest import PG_URL, private_pg_schema, require_pg


def test_models_and_migrations_do_not_drift(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_in_migrations}
        )
        assert compare_metadata(context, Base.metadata) == []


def round_trip(url: str) -> None:
    engine = make_engine(url)
    upgrade(url)
    assert "incidents" in inspect(engine).get_table_names()
    downgrade(url, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(url)
    upgrade(url)  # idempotent, as `evidence init` relies on
    assert "audit_entries" in inspect(engine).get_table_names()
    engine.dispose()


def test_upgrade_downgrade_upgrade_on_sqlite(tmp_path: Path):
    round_trip(f"sqlite:///{tmp_path / 'migrations.sqlite'}")


@pytest.mark.pg
def test_upgrade_downgrade_upgrade_on_postgresql():
    require_pg()
    with private_pg_schema(PG_URL, "evidence_migration_check") as url:
        round_trip(url)
