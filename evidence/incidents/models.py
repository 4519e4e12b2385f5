from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evidence.actors.models import Person, Unit
from evidence.core.versioning import FoldedNames, KeyedRecord
from evidence.db import Base
from evidence.places.models import Place
from evidence.sources.models import Citation


class ViolationType(KeyedRecord, Base):
    __tablename__ = "violation_types"

    label: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)


class Incident(FoldedNames, KeyedRecord, Base):
    __tablename__ = "incidents"
    # The dashboard counts incidents in use as all minus the retracted ones. Only
    # retracted rows are indexed: with every row in it, SQLite preferred this index
    # for "retracted_at IS NULL" over selective ones such as the place.
    __table_args__ = (
        Index(
            "ix_incidents_retracted_at",
            "retracted_at",
            sqlite_where=text("retracted_at IS NOT NULL"),
            postgresql_where=text("retracted_at IS NOT NULL"),
        ),
    )

    title: Mapped[str] = mapped_column(Text, nullable=False)
    date: Mapped[str] = mapped_column(String(64), nullable=False)
    earliest: Mapped[dt.date | None] = mapped_column(Date, index=True)
    latest: Mapped[dt.date | None] = mapped_column(Date, index=True)
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"), index=True)
    status: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    summary: Mapped[str | None] = mapped_column(Text)

    place: Mapped[Place | None] = relationship()
    violation_links: Mapped[list[IncidentViolation]] = relationship(
        order_by="IncidentViolation.position", cascade="all, delete-orphan"
    )
    citations: Mapped[list[Citation]] = relationship(
        order_by="Citation.position", cascade="all, delete-orphan"
    )
    involvements: Mapped[list[Involvement]] = relationship(
        back_populates="incident", order_by="Involvement.position", cascade="all, delete-orphan"
    )


class IncidentViolation(Base):
    __tablename__ = "incident_violations"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    violation_type_id: Mapped[int] = mapped_column(
        ForeignKey("violation_types.id"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    violation_type: Mapped[ViolationType] = relationship()


class Involvement(Base):
    """A unit or a person taking part in an incident, in a role, with a confidence."""

    __tablename__ = "involvements"
    # "Incidents involving this unit/person" is an EXISTS per incident row in the filtered
    # incident list: with (unit_id, incident_id) it is one index seek instead of a scan of
    # all the unit's involvements (bench/pages_bench.py: 550 ms -> 40 ms at 100k incidents).
    __table_args__ = (
        Index("ix_involvements_unit_id_incident_id", "unit_id", "incident_id"),
        Index("ix_involvements_person_id_incident_id", "person_id", "incident_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True, nullable=False)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    confidence: Mapped[str] = mapped_column(String(16), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    incident: Mapped[Incident] = relationship(back_populates="involvements")
    unit: Mapped[Unit | None] = relationship()
    person: Mapped[Person | None] = relationship()
    citations: Mapped[list[Citation]] = relationship(
        order_by="Citation.position", cascade="all, delete-orphan"
    )
