"""The lifecycle columns every background job's row carries."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from evidence.vocabularies import translatable

JOB_STATES = (
    translatable("queued"),
    translatable("running"),
    translatable("done"),
    translatable("failed"),
)
UNFINISHED = ("queued", "running")


class BackgroundJob:
    """Mixed into a domain's job model (dossier render, link-check run, capture).

    ``heartbeat_at`` is the job's last sign of life: set when it is queued,
    claimed, and every few seconds while a worker runs it. An unfinished job
    whose heartbeat is older than EVIDENCE_JOB_STALE_SECONDS has lost its
    worker (or never reached one) and is shown as stuck until a worker
    queues it again.
    """

    state: Mapped[str] = mapped_column(String(16), nullable=False, default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    worker: Mapped[str | None] = mapped_column(String(120))  # host:pid of the claiming worker
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)

    def stale(self, now: dt.datetime, stale_after: dt.timedelta) -> bool:
        """Unfinished and silent for longer than ``stale_after``: no worker is on it."""
        if self.state not in UNFINISHED:
            return False
        beat = self.heartbeat_at
        if beat is None:
            return True
        if beat.tzinfo is None:  # SQLite returns naive UTC
            beat = beat.replace(tzinfo=dt.UTC)
        return now - beat > stale_after
