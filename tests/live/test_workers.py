"""Real `evidence worker` processes: they run queued jobs, and survive one of them killed -9.

Two stacks: the embedded default (SQLite database, Huey's SQLite storage
beside it) and a team's (PostgreSQL, Redis at EVIDENCE_TEST_REDIS_URL).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from evidence import create_app
from evidence.config import Config
from evidence.dossiers.models import DossierJob
from evidence.dossiers.services import queue_job
from evidence.jobs.queue import task_queue
from evidence.links.models import Capture, CaptureJob
from evidence.links.services import queue_capture
from tests.factories import make_case, make_incident, make_source
from tests.live.conftest import fresh_pg_database, fresh_sqlite_database
from tests.live.workers import EVIDENCE, private_redis, processes, stack_environment, wait_for

STALE_SECONDS = "2"


@contextmanager
def gated_site(gate: threading.Event) -> Iterator[str]:
    """A page that answers only once ``gate`` is set: a job fetching it is caught mid-task."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            gate.wait(60)
            body = b"<p>the page</p>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/page"
    finally:
        gate.set()
        server.shutdown()
        server.server_close()


@pytest.fixture(params=["embedded", pytest.param("team", marks=pytest.mark.pg)])
def stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(database URL, queue URL): SQLite + embedded queue, or PostgreSQL + Redis."""
    if request.param == "embedded":
        yield fresh_sqlite_database(tmp_path), ""
        return
    with private_redis() as queue_url, fresh_pg_database() as database_url:
        yield database_url, queue_url


def _app(database_url: str, queue_url: str, directory: Path) -> Flask:
    return create_app(
        Config(
            DATABASE_URL=database_url,
            DATA_DIR=str(directory / "data"),
            INSTANCE_DIR=str(directory),
            SECRET_KEY="live-test-secret",
            QUEUE_URL=queue_url,
            JOB_STALE_SECONDS=float(STALE_SECONDS),
        )
    )


def test_workers_finish_every_job_even_when_one_is_killed_mid_task(stack, tmp_path: Path):
    database_url, queue_url = stack
    app = _app(database_url, queue_url, tmp_path)
    sessions = app.extensions["evidence.writers"]
    gate = threading.Event()
    env = stack_environment(
        database_url, queue_url, tmp_path, EVIDENCE_JOB_STALE_SECONDS=STALE_SECONDS
    )
    worker = [EVIDENCE, "worker", "--threads", "1"]
    with gated_site(gate) as page_url, processes([worker, worker], env, tmp_path / "logs") as pids:
        with sessions() as session:
            session.info["actor"] = "tester"
            case = make_case(session, title="Worker case", incidents=[make_incident(session)])
            source = make_source(session, key="gated", url=page_url)
            capture_job = queue_capture(session, source, "auditor")
            session.commit()
        task_queue(app).enqueue("capture", capture_job.id)

        def capturing_worker() -> int | None:
            with sessions() as session:
                job = session.get(CaptureJob, capture_job.id)
                return int(job.worker.rsplit(":", 1)[1]) if job.state == "running" else None

        killed = wait_for(capturing_worker, 90, "a worker to start the capture")
        with sessions() as session:
            case = session.merge(case)
            dossiers = [
                queue_job(session, case, audience, "lawyer") for audience in ("public",) * 3
            ]
            session.commit()
            dossier_ids = [job.id for job in dossiers]
        for job_id in dossier_ids:
            task_queue(app).enqueue("dossier", job_id)
        os.kill(killed, signal.SIGKILL)  # mid-task: the capture is waiting for the page
        gate.set()

        def all_finished() -> bool:
            with sessions() as session:
                states = session.scalars(
                    select(DossierJob.state).where(DossierJob.id.in_(dossier_ids))
                ).all()
                capture_state = session.get(CaptureJob, capture_job.id).state
            return set(states) | {capture_state} <= {"done", "failed"}

        wait_for(all_finished, 180, "every job to finish")
        survivors = [process for process in pids if process.poll() is None]

    assert [process.pid for process in pids if process not in survivors] == [killed]
    with sessions() as session:
        finished = session.get(CaptureJob, capture_job.id)
        assert finished.state == "done" and finished.attempts == 2
        assert session.get(Capture, finished.capture_id).status_code == 200
        jobs = session.scalars(select(DossierJob).where(DossierJob.id.in_(dossier_ids))).all()
        assert [(job.state, job.progress) for job in jobs] == [("done", 100)] * 3
        assert all(Path(tmp_path / "data" / job.output_path).is_file() for job in jobs)
    app.extensions["evidence.engine"].dispose()
