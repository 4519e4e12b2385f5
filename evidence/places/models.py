from __future__ import annotations

from sqlalchemy import JSON, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evidence.core.versioning import FoldedNames, KeyedRecord
from evidence.db import Base


class Place(FoldedNames, KeyedRecord, Base):
    __tablename__ = "places"

    name: Mapped[str] = mapped_column(Text, nullable=False)
    aliases: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"), index=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)

    parent: Mapped[Place | None] = relationship(remote_side="Place.id", back_populates="children")
    children: Mapped[list[Place]] = relationship(back_populates="parent")
