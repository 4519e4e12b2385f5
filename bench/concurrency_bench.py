"""Prints how `evidence` holds up with many hands at once (correctness is in tests/live).

1. 20 concurrent HTTP writers through `evidence serve` (gunicorn), on SQLite and
   on PostgreSQL: requests/s, p95 latency, errors, every write present, audit
   chain valid.
2. 20 parallel `evidence import` processes of distinct small files on one
   SQLite file: how many exit 0.
3. 10 dossier jobs with 2 `evidence worker` processes, one killed -9 mid-task:
   how many finish, and in how long.

Run: .venv/bin/python bench/concurrency_bench.py [--skip-pg]
(PostgreSQL: a database created beside EVIDENCE_TEST_PG_URL's and dropped.)
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from evidence import create_app  # noqa: E402
from evidence.accounts.services import create_user  # noqa: E402
from evidence.audit.verify import verify  # noqa: E402
from evidence.config import Config  # noqa: E402
from evidence.dossiers.models import DossierJob  # noqa: E402
from evidence.dossiers.services import queue_job  # noqa: E402
from evidence.jobs.queue import task_queue  # noqa: E402
from evidence.places.models import Place  # noqa: E402
from tests.factories import make_case, make_incident  # noqa: E402
from tests.live.conftest import fresh_pg_database, fresh_sqlite_database  # noqa: E402
from tests.live.web import csrf_token, free_port, signed_in, wait_until_serving  # noqa: E402
from tests.live.workers import EVIDENCE, processes, stack_environment, wait_for  # noqa: E402

WRITERS = 20
CREATES_PER_WRITER = 5
PASSWORD = "bench password 1"


def _app(database_url: str, directory: Path, **settings: object):  # noqa: ANN202
    return create_app(
        Config(
            DATABASE_URL=database_url,
            DATA_DIR=str(directory / "data"),
            INSTANCE_DIR=str(directory),
            SECRET_KEY="bench",
            **settings,
        )
    )


def http_writers(database_url: str, directory: Path, label: str) -> None:
    app = _app(database_url, directory)
    with app.extensions["evidence.writers"]() as session:
        session.info["actor"] = "bench"
        create_user(session, name="writer", role="documenter", password=PASSWORD)
        session.commit()
    port = free_port()
    env = stack_environment(database_url, "", directory)
    serve = [EVIDENCE, "serve", "--port", str(port)]
    with processes([serve], env, directory / f"logs-{label}"):
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(base)
        start = threading.Barrier(WRITERS)

        def writer(index: int) -> list[tuple[int, float]]:
            client = signed_in(base, "writer", PASSWORD)
            token = csrf_token(client, "/places/new")
            start.wait()
            timings = []
            for n in range(CREATES_PER_WRITER):
                began = time.perf_counter()
                response = client.post(
                    "/places/new",
                    data={"csrf_token": token, "name": f"Bench {index}-{n}", "kind": "settlement"},
                )
                timings.append((response.status_code, time.perf_counter() - began))
            began = time.perf_counter()
            response = client.post(
                f"/places/bench-{index}-0/edit",
                data={
                    "csrf_token": token,
                    "name": f"Bench {index}-0 edited",
                    "kind": "settlement",
                    "version": "1",
                },
            )
            timings.append((response.status_code, time.perf_counter() - began))
            return timings

        began = time.perf_counter()
        with ThreadPoolExecutor(WRITERS) as pool:
            results = [t for timings in pool.map(writer, range(WRITERS)) for t in timings]
        elapsed = time.perf_counter() - began
    latencies = sorted(seconds for _status, seconds in results)
    errors = sum(status != 302 for status, _seconds in results)
    with app.extensions["evidence.sessions"]() as session:
        stored = session.scalar(select(func.count()).where(Place.name.like("Bench %")))
        edited = session.scalar(select(func.count()).where(Place.name.like("Bench %edited")))
        report = verify(session)
    app.extensions["evidence.engine"].dispose()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    print(
        f"HTTP writers ({label}, gunicorn {env.get('EVIDENCE_WEB_WORKERS', 4)} workers):"
        f" {len(results)} writes by {WRITERS} writers, {len(results) / elapsed:.1f} requests/s,"
        f" p95 {p95 * 1000:.0f} ms, errors {errors},"
        f" stored {stored}/{WRITERS * CREATES_PER_WRITER} edited {edited}/{WRITERS},"
        f" audit chain {'valid' if report.ok else 'INVALID'} ({report.entries_checked} entries)"
    )


def parallel_imports(directory: Path) -> None:
    database_url = fresh_sqlite_database(directory)
    env = stack_environment(database_url, "", directory)
    files = []
    for index in range(WRITERS):
        document = {
            "format": "evidence/1",
            "places": [
                {
                    "key": f"import-{index}-{n}",
                    "name": f"Imported {index}-{n}",
                    "kind": "settlement",
                    "aliases": [],
                    "parent": None,
                    "lat": None,
                    "lon": None,
                }
                for n in range(20)
            ],
        }
        path = directory / f"import-{index}.json"
        path.write_text(json.dumps(document))
        files.append(path)
    began = time.perf_counter()
    running = [
        subprocess.Popen(
            [EVIDENCE, "import", str(path), "--as", f"importer-{index}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for index, path in enumerate(files)
    ]
    codes = [process.wait() for process in running]
    elapsed = time.perf_counter() - began
    app = _app(database_url, directory)
    with app.extensions["evidence.sessions"]() as session:
        stored = session.scalar(select(func.count()).where(Place.key.like("import-%")))
        report = verify(session)
    app.extensions["evidence.engine"].dispose()
    print(
        f"parallel imports (SQLite): {codes.count(0)}/{WRITERS} exited 0 in {elapsed:.1f} s,"
        f" {stored}/{WRITERS * 20} places stored,"
        f" audit chain {'valid' if report.ok else 'INVALID'}"
    )


def dossiers_with_a_killed_worker(directory: Path) -> None:
    database_url = fresh_sqlite_database(directory)
    app = _app(database_url, directory, JOB_STALE_SECONDS=3.0)
    sessions = app.extensions["evidence.writers"]
    with sessions() as session:
        session.info["actor"] = "bench"
        incidents = [make_incident(session) for _ in range(5)]
        case = make_case(session, title="Bench case", incidents=incidents)
        jobs = [queue_job(session, case, "internal", "bench") for _ in range(10)]
        session.commit()
        job_ids = [job.id for job in jobs]
    env = stack_environment(database_url, "", directory, EVIDENCE_JOB_STALE_SECONDS="3")
    worker = [EVIDENCE, "worker", "--threads", "1"]
    began = time.perf_counter()
    with processes([worker, worker], env, directory / "logs-dossiers") as started:
        for job_id in job_ids:
            task_queue(app).enqueue("dossier", job_id)

        def a_running_worker() -> int | None:
            with sessions() as session:
                worker_name = session.scalar(
                    select(DossierJob.worker).where(DossierJob.state == "running").limit(1)
                )
            return int(worker_name.rsplit(":", 1)[1]) if worker_name else None

        killed = wait_for(a_running_worker, 120, "a worker to start a dossier")
        os.kill(killed, signal.SIGKILL)

        def finished() -> list[str] | None:
            with sessions() as session:
                states = session.scalars(
                    select(DossierJob.state).where(DossierJob.id.in_(job_ids))
                ).all()
            return states if set(states) <= {"done", "failed"} else None

        states = wait_for(finished, 600, "every dossier job to finish")
        elapsed = time.perf_counter() - began
        alive = sum(process.poll() is None for process in started)
    with sessions() as session:
        attempts = session.scalars(select(DossierJob.attempts).where(DossierJob.id.in_(job_ids)))
        retried = sum(count > 1 for count in attempts)
    app.extensions["evidence.engine"].dispose()
    print(
        f"dossier jobs: {states.count('done')}/10 done, {states.count('failed')} failed,"
        f" in {elapsed:.1f} s with 2 workers ({alive} alive after one was killed -9;"
        f" {retried} job(s) finished on the surviving worker after the kill)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-pg", action="store_true", help="leave PostgreSQL out")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for label in ("sqlite", "postgresql"):
            if label == "postgresql" and args.skip_pg:
                continue
            directory = root / label
            directory.mkdir()
            database = (
                fresh_pg_database()
                if label == "postgresql"
                else nullcontext(fresh_sqlite_database(directory))
            )
            with database as database_url:
                http_writers(database_url, directory, label)
        (root / "imports").mkdir()
        parallel_imports(root / "imports")
        (root / "dossiers").mkdir()
        dossiers_with_a_killed_worker(root / "dossiers")


if __name__ == "__main__":
    main()
