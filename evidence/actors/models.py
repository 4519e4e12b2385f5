from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evidence.core.versioning import FoldedNames, KeyedRecord
from evidence.db import Base
from evidence.sources.models import Citation


class Unit(FoldedNames, KeyedRecord, Base):
    __tablename__ = "units"

    name: Mapped[str] = mapped_column(Text, nullable=False)
    aliases: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)

    parent_links: Mapped[list[UnitParent]] = relationship(
        foreign_keys="UnitParent.unit_id",
        back_populates="unit",
        order_by="UnitParent.position",
        cascade="all, delete-orphan",
    )
    child_links: Mapped[list[UnitParent]] = relationship(
        foreign_keys="UnitParent.parent_id", back_populates="parent", viewonly=True
    )
    memberships: Mapped[list[Membership]] = relationship(back_populates="unit", viewonly=True)


class DatedLink:
    """A relation that holds for a period given as two EDTF dates."""

    start: Mapped[str | None] = mapped_column(String(64))
    end: Mapped[str | None] = mapped_column(String(64))
    # Derived from start/end for filtering "as at a date": the earliest day
    # the link may have begun and the latest day it may have lasted.
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class UnitParent(DatedLink, Base):
    __tablename__ = "unit_parents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True, nullable=False)
    parent_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True, nullable=False)

    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id], back_populates="parent_links")
    parent: Mapped[Unit] = relationship(foreign_keys=[parent_id], back_populates="child_links")


class Person(FoldedNames, KeyedRecord, Base):
    __tablename__ = "persons"

    name: Mapped[str] = mapped_column(Text, nullable=False)
    aliases: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    notes: Mapped[str | None] = mapped_column(Text)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="person", order_by="Membership.position", cascade="all, delete-orphan"
    )


class Membership(DatedLink, Base):
    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True, nullable=False)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True, nullable=False)
    title: Mapped[str | None] = mapped_column(Text)

    person: Mapped[Person] = relationship(back_populates="memberships")
    unit: Mapped[Unit] = relationship(back_populates="memberships")
    citations: Mapped[list[Citation]] = relationship(
        order_by="Citation.position", cascade="all, delete-orphan"
    )
