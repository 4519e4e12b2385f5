"""Columns shared by every editable record: key, version and retraction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


class Versioned:
    """Optimistic concurrency: a stale edit raises StaleDataError, never overwrites."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805
        return {"version_id_col": cls.version}


class FoldedNames:
    """The record's names or title folded for "contains" in any case and script, kept by a
    session hook and indexed per database (evidence/search/folded_names.py); never shown."""

    # A server default only: bulk inserts (evidence.db.insert_rows) need not name it.
    folded_names: Mapped[str] = mapped_column(Text, nullable=False, server_default="")


class KeyedRecord(Versioned):
    """A top-level record of the evidence/1 format, addressed by its stable key."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    retracted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    retracted_by: Mapped[str | None] = mapped_column(String(120))
    retraction_reason: Mapped[str | None] = mapped_column(Text)

    @property
    def is_retracted(self) -> bool:
        return self.retracted_at is not None
