from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evidence.core.versioning import KeyedRecord
from evidence.db import Base


class Exhibit(KeyedRecord, Base):
    """A file held as evidence; its bytes live in the content-addressed store."""

    __tablename__ = "exhibits"

    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    filename: Mapped[str] = mapped_column(Text, nullable=False)
    media_type: Mapped[str] = mapped_column(String(128), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    acquired: Mapped[str | None] = mapped_column(String(64))
    acquired_from: Mapped[str | None] = mapped_column(Text)
    # Set on a redacted copy: the exhibit it was made from. Outside the team the copy is
    # shown instead of the original (evidence.protection); one copy per original.
    redacts_id: Mapped[int | None] = mapped_column(ForeignKey("exhibits.id"), unique=True)

    links: Mapped[list[ExhibitLink]] = relationship(
        order_by="ExhibitLink.position", cascade="all, delete-orphan"
    )
    custody: Mapped[list[CustodyEvent]] = relationship(
        order_by="CustodyEvent.position", cascade="all, delete-orphan"
    )


class ExhibitLink(Base):
    __tablename__ = "exhibit_links"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN incident_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN statement_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN source_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_target",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exhibit_id: Mapped[int] = mapped_column(ForeignKey("exhibits.id"), index=True, nullable=False)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    statement_id: Mapped[int | None] = mapped_column(ForeignKey("statements.id"), index=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class CustodyEvent(Base):
    """One step in an exhibit's chain of custody; events are only ever appended."""

    __tablename__ = "custody_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exhibit_id: Mapped[int] = mapped_column(ForeignKey("exhibits.id"), index=True, nullable=False)
    at: Mapped[str] = mapped_column(String(40), nullable=False)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    by: Mapped[str] = mapped_column(Text, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
