"""The search index: one document per searchable record, and the vocabulary of its keys.

A document holds only the record's normalised words (see normalise.py); what
a result shows is read from the record itself, through the protection filter.
Each database engine adds its own full-text object next to these tables, in
the migration (SQLite: the FTS5 table ``search_fts``; PostgreSQL: the stored
``tsvector`` column ``search_documents.search_fts`` and GIN indexes named
``search_fts_*``). SQLAlchemy models cannot declare them, so everything named
``search_fts...`` is left out of the comparison of models and migrations.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evidence.db import Base

ENGINE_OBJECT_PREFIX = "search_fts"
# The record types searched. Their order numbers the ranges of document ids on SQLite
# (engine.py, and the migration that renumbered them): append, never reorder.
SEARCHED = ("incident", "statement", "person", "unit", "place", "source", "case")


class SearchDocument(Base):
    __tablename__ = "search_documents"
    __table_args__ = (UniqueConstraint("entity", "record_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(16), nullable=False)
    record_id: Mapped[int] = mapped_column(Integer, nullable=False)
    # The keys of every indexed word, space-separated with a space at both ends so
    # that " key1 key2 " finds an exact phrase with a plain substring test.
    terms: Mapped[str] = mapped_column(Text, nullable=False)
    retracted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class SearchTerm(Base):
    """Every key ever indexed: where a misspelt query word looks for its nearest keys."""

    __tablename__ = "search_terms"

    term: Mapped[str] = mapped_column(String(120), primary_key=True)


def include_in_migrations(_obj: Any, name: str | None, _type: str, *_args: Any) -> bool:
    """Alembic ``include_object`` hook: compare everything but the full-text objects."""
    return not (name or "").startswith(ENGINE_OBJECT_PREFIX)
