"""Claim, heartbeat, finish, retry and recover background jobs (no Flask, no queue library).

Every step is its own short write transaction, so a job's progress is
visible to every process at once and a job never holds the SQLite write lock
while it renders or fetches.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from evidence.core.timestamps import iso_utc, utcnow
from evidence.db import is_transient
from evidence.jobs.models import UNFINISHED, BackgroundJob

log = logging.getLogger(__name__)

BACKOFF_SECONDS = 5  # the first retry waits this long, each next one twice as long


class JobFailed(Exception):
    """The job cannot succeed as asked; its message is shown to the requester as is."""


class RetryLater(Exception):
    """The job hit a transient failure and should run again after ``delay`` seconds."""

    def __init__(self, message: str, delay: float) -> None:
        super().__init__(message)
        self.delay = delay


@dataclass
class JobContext:
    """What a job needs to run: sessions, the data directory, limits and settings."""

    readers: sessionmaker[Session]
    writers: sessionmaker[Session]
    data_dir: str
    stale_after: dt.timedelta = dt.timedelta(minutes=2)
    max_attempts: int = 3
    # A thread that keeps the heartbeat fresh while the job runs (off when tasks run
    # inside the request, where the session's connection must not be shared).
    heartbeat: bool = True
    settings: dict[str, Any] = field(default_factory=dict)


# A kind of job: its model, and the work that returns the columns to set when it is done.
Work = Callable[[JobContext, int], dict[str, Any]]


@dataclass(frozen=True)
class JobKind:
    name: str
    model: type[BackgroundJob]
    work: Work


KINDS: dict[str, JobKind] = {}


def register_kind(name: str, model: type[BackgroundJob], work: Work) -> None:
    KINDS[name] = JobKind(name, model, work)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@contextmanager
def write(context: JobContext) -> Iterator[Session]:
    """One short write transaction, committed at the end of the block."""
    with context.writers() as session:
        yield session
        session.commit()


def update_job(context: JobContext, kind: JobKind, job_id: int, **values: Any) -> int:
    """Set columns of the job and refresh its heartbeat; the number of rows changed."""
    model = kind.model
    with write(context) as session:
        result = session.execute(
            update(model)
            .where(model.id == job_id)  # type: ignore[attr-defined]
            .values(heartbeat_at=utcnow(), **values)
        )
        return result.rowcount


def claim(context: JobContext, kind: JobKind, job_id: int) -> int | None:
    """Take a queued job for this worker; its attempt number, or None if another has it."""
    model = kind.model
    with write(context) as session:
        taken = session.execute(
            update(model)
            .where(model.id == job_id, model.state == "queued")  # type: ignore[attr-defined]
            .values(
                state="running",
                worker=worker_name(),
                heartbeat_at=utcnow(),
                claimed_at=utcnow(),
                attempts=model.attempts + 1,
            )
        )
        if taken.rowcount != 1:
            return None
        return session.scalar(select(model.attempts).where(model.id == job_id))  # type: ignore[attr-defined]


@contextmanager
def heartbeat(context: JobContext, kind: JobKind, job_id: int) -> Iterator[None]:
    """While the block runs, tell everyone every few seconds that this worker is alive."""
    if not context.heartbeat:
        yield
        return
    stop = threading.Event()
    interval = max(context.stale_after.total_seconds() / 4, 0.2)

    def beat() -> None:
        while not stop.wait(interval):
            try:
                update_job(context, kind, job_id)
            except Exception as error:  # a missed beat is retried at the next interval
                log.warning("heartbeat of %s job %s failed: %s", kind.name, job_id, error)

    thread = threading.Thread(target=beat, name=f"heartbeat-{kind.name}-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def run(context: JobContext, kind_name: str, job_id: int) -> None:
    """Run one job to its end: done, failed, or (transient failure) RetryLater.

    A job already claimed by another worker, or finished, is left alone, so a
    task that was queued twice (e.g. by recovery) does its work once.
    """
    kind = KINDS[kind_name]
    attempt = claim(context, kind, job_id)
    if attempt is None:
        return
    if attempt > context.max_attempts:
        update_job(
            context,
            kind,
            job_id,
            state="failed",
            finished_at=utcnow(),
            error=f"gave up after {context.max_attempts} attempts; its workers kept stopping",
        )
        return
    try:
        with heartbeat(context, kind, job_id):
            result = kind.work(context, job_id)
    except Exception as error:  # every failure ends in a state the requester can see
        if is_transient(error) and attempt < context.max_attempts:
            delay = BACKOFF_SECONDS * 2 ** (attempt - 1)
            message = f"attempt {attempt} failed ({type(error).__name__}); retrying in {delay} s"
            update_job(context, kind, job_id, state="queued", worker=None, error=message)
            raise RetryLater(message, delay) from error
        reason = str(error) if isinstance(error, JobFailed) else f"{type(error).__name__}: {error}"
        log.warning("%s job %s failed: %s", kind.name, job_id, reason)
        update_job(context, kind, job_id, state="failed", finished_at=utcnow(), error=reason[:2000])
        return
    update_job(context, kind, job_id, state="done", finished_at=utcnow(), error=None, **result)


def recover_stale(
    context: JobContext, waiting: frozenset[tuple[str, int]] = frozenset()
) -> list[tuple[str, int]]:
    """Unfinished jobs nobody has reported on for ``stale_after``: queued again.

    A running one lost its worker (killed, machine restarted): a worker takes
    a task off the queue before running it, so the task is gone with it. A
    queued one that is not ``waiting`` on the queue (or scheduled for a retry)
    never reached it. Jobs still waiting their turn are left alone. Returns
    (kind, id) pairs for the caller to put on the queue.
    """
    now = utcnow()
    cutoff = now - context.stale_after
    recovered: list[tuple[str, int]] = []
    with write(context) as session:
        for kind in KINDS.values():
            model = kind.model
            silent = session.execute(
                select(model.id, model.state).where(  # type: ignore[attr-defined]
                    model.state.in_(UNFINISHED),
                    or_(model.heartbeat_at.is_(None), model.heartbeat_at < cutoff),
                )
            ).all()
            stale = [
                job_id
                for job_id, state in silent
                if state == "running" or (kind.name, job_id) not in waiting
            ]
            if not stale:
                continue
            session.execute(
                update(model)
                .where(model.id.in_(stale))  # type: ignore[attr-defined]
                .values(
                    state="queued",
                    worker=None,
                    heartbeat_at=now,
                    error=f"queued again at {iso_utc(now)}: no worker had reported on it",
                )
            )
            recovered.extend((kind.name, job_id) for job_id in stale)
    return recovered
