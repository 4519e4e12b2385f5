from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evidence.actors.models import Person
from evidence.core.versioning import KeyedRecord
from evidence.db import Base
from evidence.incidents.models import Incident
from evidence.sources.models import Source


class Statement(KeyedRecord, Base):
    __tablename__ = "statements"
    __table_args__ = (
        # The dashboard counts statements in use as all minus the retracted ones. Only
        # retracted rows are indexed: with every row in it, SQLite preferred this index
        # for "retracted_at IS NULL" over selective ones such as the place.
        Index(
            "ix_statements_retracted_at",
            "retracted_at",
            sqlite_where=text("retracted_at IS NOT NULL"),
            postgresql_where=text("retracted_at IS NOT NULL"),
        ),
        # Every page for the public audience looks up the protected witnesses.
        Index("ix_statements_protection_witness_id", "protection", "witness_id"),
    )

    witness_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    pseudonym: Mapped[str | None] = mapped_column(Text)
    protection: Mapped[str] = mapped_column(String(16), nullable=False)
    taken: Mapped[str | None] = mapped_column(String(64))
    taken_by: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text, nullable=False)
    translation: Mapped[str | None] = mapped_column(Text)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"), index=True)

    witness: Mapped[Person | None] = relationship()
    source: Mapped[Source | None] = relationship()
    incident_links: Mapped[list[StatementIncident]] = relationship(
        back_populates="statement",
        order_by="StatementIncident.position",
        cascade="all, delete-orphan",
    )


class StatementIncident(Base):
    """The part of a statement that speaks to one incident."""

    __tablename__ = "statement_incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id"), index=True, nullable=False
    )
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True, nullable=False)
    excerpt: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    statement: Mapped[Statement] = relationship(back_populates="incident_links")
    incident: Mapped[Incident] = relationship()
