"""The lifecycle columns every background job's row carries."""

from __future__ import annotations

import datetime as dt
from typing import Any

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
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))  # started
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)

    @property
    def queued_at(self) -> dt.datetime:
        """When it was asked for (each kind names the column its own way)."""
        return self.requested_at  # type: ignore[attr-defined]

    @property
    def percent(self) -> int:
        """How far along it is, 0-100; kinds that count their steps say more."""
        return 100 if self.state == "done" else 0

    def progress_status(self, now: dt.datetime, stale_after: dt.timedelta) -> dict[str, Any]:
        """What a progress display shows: state, percentage, when it was queued, started
        (claimed by a worker) and finished, and the seconds it has run (so far)."""
        started, finished = _aware(self.claimed_at), _aware(self.finished_at)
        elapsed = None
        if started is not None:
            elapsed = int(((finished or now) - started).total_seconds())
        return {
            "state": self.state,
            "percent": self.percent,
            "stuck": self.stale(now, stale_after),
            "queued_at": _iso(_aware(self.queued_at)),
            "started_at": _iso(started),
            "finished_at": _iso(finished),
            "elapsed_seconds": elapsed,
        }

    def stale(self, now: dt.datetime, stale_after: dt.timedelta) -> bool:
        """Unfinished and silent for longer than ``stale_after``: no worker is on it."""
        if self.state not in UNFINISHED:
            return False
        beat = _aware(self.heartbeat_at)
        if beat is None:
            return True
        return now - beat > stale_after


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is not None and moment.tzinfo is None:  # SQLite returns naive UTC
        return moment.replace(tzinfo=dt.UTC)
    return moment


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None
