"""Running Alembic migrations from the application and the tests."""

from __future__ import annotations

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory

from evidence.config import MIGRATIONS_DIR


def alembic_config(url: str) -> AlembicConfig:
    """The migrations the package carries (alembic.ini at the top serves `alembic revision`)."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def head_revision() -> str:
    """The newest schema revision this version of the code migrates to."""
    head = ScriptDirectory.from_config(alembic_config("")).get_current_head()
    assert head is not None  # the migrations folder always holds revisions
    return head
