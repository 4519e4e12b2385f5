"""A form's typed input, autosaved for its owner.

A draft may hold a protected witness's name as typed, so it is none of the evidence:
the audit log, the search index, exports and dossiers never read this table, and only
its owner sees it (evidence.permissions).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from evidence import limits
from evidence.core.timestamps import utcnow
from evidence.db import Base


class Draft(Base):
    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[str] = mapped_column(String(120), nullable=False, index=True)
    # Which form: "incident" or "statement" (evidence.drafts.services.DRAFT_FORMS).
    form: Mapped[str] = mapped_column(String(16), nullable=False)
    # The record an edit form was opened for; None for a new record.
    record_key: Mapped[str | None] = mapped_column(String(limits.KEY))
    # The form's fields as [name, value] pairs, in the form's order (a name may repeat).
    fields: Mapped[list[list[str]]] = mapped_column(JSON, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, index=True
    )
