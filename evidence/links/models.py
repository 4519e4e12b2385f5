"""Link checks and web captures of sources: append-only history, never edited.

These rows are observations about the outside world, not evidence records, so
they are not part of evidence/1 and not in the audit log; they are only ever
appended, which makes them their own history.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evidence.core.timestamps import utcnow
from evidence.db import Base
from evidence.jobs.models import BackgroundJob
from evidence.sources.models import Source
from evidence.vocabularies import translatable

# What a check found, and how the pages name it. A failure to get any answer says why, so
# "the site is gone" (DNS failure, HTTP 4xx) reads apart from "something in between"
# (timeout, TLS error) and from "we would not go there" (refused by policy).
VERDICT_LABELS = {
    "ok": translatable("ok"),
    "moved": translatable("moved (redirect)"),
    "changed": translatable("content changed"),
    "http-4xx": translatable("HTTP 4xx"),
    "http-5xx": translatable("HTTP 5xx"),
    "dns-failure": translatable("DNS failure"),
    "conn-refused": translatable("connection refused"),
    "tls-error": translatable("TLS error"),
    "timeout": translatable("timeout"),
    "policy": translatable("refused by policy"),
    "too-large": translatable("too large"),
    "error": translatable("other error"),
}
VERDICTS = tuple(VERDICT_LABELS)
# Checks stored before failures were told apart say "dead"; they still count as problems.
LEGACY_VERDICT_LABELS = {"dead": translatable("dead (older check)")}
PROBLEM_VERDICTS = (*(verdict for verdict in VERDICTS if verdict != "ok"), "dead")
# What the links page shows for a source without a check: no web address, or none yet.
SOURCE_STATUS_LABELS = {
    **VERDICT_LABELS,
    "unchecked": translatable("not checked yet"),
    "no-url": translatable("no URL"),
    **LEGACY_VERDICT_LABELS,
}


class LinkCheckRun(BackgroundJob, Base):
    """One "check links now" started from the dashboard; its state lives here, not in memory."""

    __tablename__ = "link_check_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_by: Mapped[str] = mapped_column(String(120), nullable=False)
    started_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )
    total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    problems: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    @property
    def queued_at(self) -> dt.datetime:
        return self.started_at

    @property
    def percent(self) -> int:
        """Sources answered out of those to check."""
        if self.state == "done":
            return 100
        return min(99, 100 * self.done // self.total) if self.total else 0


class LinkCheck(Base):
    """One fetch of a source's URL and what it told us."""

    __tablename__ = "link_checks"
    __table_args__ = (Index("ix_link_checks_source_time", "source_id", "checked_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), nullable=False)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("link_check_runs.id"), index=True)
    checked_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )
    url: Mapped[str] = mapped_column(Text, nullable=False)
    status_code: Mapped[int | None] = mapped_column(Integer)
    final_url: Mapped[str | None] = mapped_column(Text)
    # Every hop before the final answer: [{"url": ..., "status": 301}, ...]
    redirects: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    content_length: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    verdict: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    # Why the verdict: "HTTP 404", "moved to localhost", "body differs from capture of ..."
    reason: Mapped[str | None] = mapped_column(Text)

    source: Mapped[Source] = relationship()


class Capture(Base):
    """A WARC file of a source's page, held in the content-addressed store."""

    __tablename__ = "captures"
    __table_args__ = (Index("ix_captures_source_time", "source_id", "captured_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), nullable=False)
    captured_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )
    captured_by: Mapped[str] = mapped_column(String(120), nullable=False)
    url: Mapped[str] = mapped_column(Text, nullable=False)
    final_url: Mapped[str] = mapped_column(Text, nullable=False)
    status_code: Mapped[int] = mapped_column(Integer, nullable=False)
    content_type: Mapped[str | None] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)  # the WARC file
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)  # of the WARC file
    body_sha256: Mapped[str] = mapped_column(String(64), nullable=False)  # the page itself

    source: Mapped[Source] = relationship()


class CaptureJob(BackgroundJob, Base):
    """A capture asked for from the web: fetched by a worker, not inside the request."""

    __tablename__ = "capture_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), nullable=False, index=True)
    requested_by: Mapped[str] = mapped_column(String(120), nullable=False)
    requested_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("captures.id"))

    source: Mapped[Source] = relationship()
    capture: Mapped[Capture | None] = relationship()
