from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evidence.core.versioning import FoldedNames, KeyedRecord
from evidence.db import Base
from evidence.incidents.models import Incident


class Case(FoldedNames, KeyedRecord, Base):
    __tablename__ = "cases"

    title: Mapped[str] = mapped_column(Text, nullable=False)
    summary: Mapped[str | None] = mapped_column(Text)

    incident_links: Mapped[list[CaseIncident]] = relationship(
        order_by="CaseIncident.position", cascade="all, delete-orphan"
    )


class CaseIncident(Base):
    __tablename__ = "case_incidents"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    incident: Mapped[Incident] = relationship()
