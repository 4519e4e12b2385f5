from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evidence.core.versioning import FoldedNames, KeyedRecord
from evidence.db import Base


class Source(FoldedNames, KeyedRecord, Base):
    __tablename__ = "sources"

    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    url: Mapped[str | None] = mapped_column(Text)
    publisher: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    published: Mapped[str | None] = mapped_column(String(64))
    accessed: Mapped[dt.date | None] = mapped_column(Date)
    language: Mapped[str | None] = mapped_column(String(32))
    reliability: Mapped[str | None] = mapped_column(String(1))
    notes: Mapped[str | None] = mapped_column(Text)


class Citation(Base):
    """A fact's link to the source that supports it; owned by exactly one fact."""

    __tablename__ = "citations"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN incident_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN involvement_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN membership_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_owner",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True, nullable=False)
    locator: Mapped[str | None] = mapped_column(Text)
    quote: Mapped[str | None] = mapped_column(Text)
    credibility: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    involvement_id: Mapped[int | None] = mapped_column(ForeignKey("involvements.id"), index=True)
    membership_id: Mapped[int | None] = mapped_column(ForeignKey("memberships.id"), index=True)

    source: Mapped[Source] = relationship()
