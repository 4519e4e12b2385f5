"""Dossier render jobs, the statements a lawyer leaves out of a case's dossiers, and the
keys of non-internal dossiers' manifests."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evidence.cases.models import Case
from evidence.core.timestamps import utcnow
from evidence.db import Base
from evidence.jobs.models import BackgroundJob


class CaseStatementExclusion(Base):
    """A statement the lawyer chose not to include in the case's dossiers.

    Statements linked to the case's incidents are included unless excluded,
    so a statement added later is not silently missing from the next dossier.
    """

    __tablename__ = "case_statement_exclusions"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id"), primary_key=True, index=True
    )


class DossierJob(BackgroundJob, Base):
    """One dossier render; its state lives here so it survives a restart of the web process."""

    __tablename__ = "dossier_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True, nullable=False)
    audience: Mapped[str] = mapped_column(String(16), nullable=False)
    language: Mapped[str] = mapped_column(
        String(8), nullable=False, default="en", server_default="en"
    )
    requested_by: Mapped[str] = mapped_column(String(120), nullable=False, index=True)
    requested_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )
    progress: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # percent
    output_path: Mapped[str | None] = mapped_column(Text)  # relative to EVIDENCE_DATA_DIR
    sha256: Mapped[str | None] = mapped_column(String(64))
    pages: Mapped[int | None] = mapped_column(Integer)

    case: Mapped[Case] = relationship()

    @property
    def percent(self) -> int:
        return self.progress


class DossierSecret(Base):
    """The key of one counsel or public dossier's keyed manifest entries (HMAC-SHA-256).

    Entries that could identify a protected witness carry an HMAC of the record instead
    of its plain SHA-256, which anyone could recompute from a guessed record (a name and
    key tried until the hash matches). The key stays here, never in the PDF, so
    ``verify-dossier`` checks those entries against this database and nobody else can.
    """

    __tablename__ = "dossier_secrets"

    dossier_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    secret: Mapped[str] = mapped_column(String(64), nullable=False)  # 32 random bytes, hex
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )
