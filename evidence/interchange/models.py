"""Spreadsheets uploaded for import from the browser, and column mappings saved by name.

An upload is kept between the steps of the import (map the columns, review the
matches, accept) and belongs to the documenter who sent it: nobody else sees it.
Its content is dropped once it is imported or discarded, since a sheet of
statements may name protected witnesses.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evidence import limits
from evidence.core.timestamps import utcnow
from evidence.db import Base


class SheetUpload(Base):
    __tablename__ = "sheet_uploads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uploaded_by: Mapped[str] = mapped_column(String(120), nullable=False, index=True)
    uploaded_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    content: Mapped[bytes | None] = mapped_column(LargeBinary)  # None once imported
    mapping: Mapped[dict[str, str] | None] = mapped_column(JSON)
    # The record chosen for each ambiguous name, by sheets.choice_id: {id: key}.
    choices: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    create_missing: Mapped[bool] = mapped_column(nullable=False, default=False)
    imported_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # What the accepted import wrote: ImportSummary's counts as JSON (see stored_summary).
    summary: Mapped[str | None] = mapped_column(Text)


class SheetMapping(Base):
    """A column mapping saved under a name, to reuse for the next sheet of the same layout."""

    __tablename__ = "sheet_mappings"
    __table_args__ = (UniqueConstraint("kind", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    name: Mapped[str] = mapped_column(String(limits.MAPPING_NAME), nullable=False)
    mapping: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False)
    saved_by: Mapped[str] = mapped_column(String(120), nullable=False)
    saved_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )
