"""The task queue (Huey) of an application: where tasks wait, and how they are sent.

Huey because it is a maintained library that needs no server of its own for
the embedded default (SQLite storage in a file beside the database) and
takes Redis for teams by changing one setting; Celery or Dramatiq would need
a broker even for one person on a laptop.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from huey.exceptions import RetryTask

import evidence.jobs.work  # noqa: F401  (registers the kinds of job)
from evidence.core.timestamps import utcnow
from evidence.jobs.models import BackgroundJob
from evidence.jobs.runner import JobContext, RetryLater, recover_stale, run

log = logging.getLogger(__name__)
TASK_NAME = "evidence.run_job"


def queue_location(config: dict[str, Any]) -> str:
    """EVIDENCE_QUEUE_URL, or a SQLite file beside the database (the instance folder)."""
    if config["QUEUE_URL"]:
        return str(config["QUEUE_URL"])
    database = str(config["DATABASE_URL"])
    if database.startswith("sqlite:///"):
        path = Path(database.removeprefix("sqlite:///"))
        return f"sqlite:///{path.with_name(path.stem + '-queue.sqlite')}"
    return f"sqlite:///{Path(str(config['INSTANCE_DIR'])) / 'queue.sqlite'}"


def make_huey(config: dict[str, Any]) -> Huey:
    if config["QUEUE_IMMEDIATE"]:
        return MemoryHuey("evidence", results=False, immediate=True, utc=True)
    location = queue_location(config)
    if location.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("evidence", url=location, results=False, utc=True)
    if location.startswith("sqlite:///"):
        path = Path(location.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey("evidence", filename=str(path), results=False, utc=True)
    raise ValueError(
        f"EVIDENCE_QUEUE_URL: use redis://HOST:PORT/DB or sqlite:///PATH, not {location}"
    )


def job_context(app: Flask) -> JobContext:
    """The sessions and settings of ``app``, read when a task runs (tests swap the sessions)."""
    config = app.config
    return JobContext(
        readers=app.extensions["evidence.sessions"],
        writers=app.extensions["evidence.writers"],
        data_dir=str(config["DATA_DIR"]),
        stale_after=dt.timedelta(seconds=config["JOB_STALE_SECONDS"]),
        max_attempts=config["JOB_ATTEMPTS"],
        heartbeat=not config["QUEUE_IMMEDIATE"],
        settings={
            "concurrency": int(config.get("LINK_CHECK_CONCURRENCY", 8)),
            "per_host": int(config.get("LINK_CHECK_PER_HOST", 2)),
            "timeout": float(config.get("LINK_CHECK_TIMEOUT", 10.0)),
            "tsa_urls": list(config.get("TSA_URLS") or []),
        },
    )


class TaskQueue:
    """Sends jobs to the workers and, in a worker, runs them."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.huey = make_huey(app.config)
        self._task = self.huey.task(name=TASK_NAME)(self._run)

    def _run(self, kind: str, job_id: int) -> None:
        try:
            run(job_context(self.app), kind, job_id)
        except RetryLater as retry:
            raise RetryTask(str(retry), delay=retry.delay) from retry

    def enqueue(self, kind: str, job_id: int) -> None:
        """Hand a committed job row to the workers."""
        self._task(kind, job_id)

    def waiting(self) -> frozenset[tuple[str, int]]:
        """(kind, id) of every job with a task on the queue or scheduled for a retry."""
        tasks = [*self.huey.pending(), *self.huey.scheduled()]
        return frozenset(tuple(task.args) for task in tasks if task.name == self._task.name)

    def recover(self) -> int:
        """Queue again every job whose worker stopped reporting; how many there were."""
        recovered = recover_stale(job_context(self.app), self.waiting())
        for kind, job_id in recovered:
            log.warning("queueing %s job %s again: its worker stopped reporting", kind, job_id)
            self.enqueue(kind, job_id)
        return len(recovered)


def _stale_after() -> dt.timedelta:
    return dt.timedelta(seconds=current_app.config["JOB_STALE_SECONDS"])


def job_is_stuck(job: BackgroundJob) -> bool:
    """Unfinished, and no worker has reported on it for EVIDENCE_JOB_STALE_SECONDS."""
    return job.stale(utcnow(), _stale_after())


def job_progress(job: BackgroundJob) -> dict[str, Any]:
    """The job's progress as the status endpoints send it (BackgroundJob.progress_status)."""
    return job.progress_status(utcnow(), _stale_after())


def register_queue(app: Flask) -> None:
    app.extensions["evidence.queue"] = TaskQueue(app)


def task_queue(app: Flask) -> TaskQueue:
    """The application's task queue; a command's application (built without ``web``)
    gets it here, when a command first sends or runs a job."""
    if "evidence.queue" not in app.extensions:
        register_queue(app)
    return app.extensions["evidence.queue"]
