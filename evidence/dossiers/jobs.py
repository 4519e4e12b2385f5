"""The dossier worker process: ``python -m evidence.dossiers.jobs JOB_ID``.

Started by the web process for each queued job, in its own session group so
it outlives a restart of the web server; it needs only the database and the
data directory, not the web application.
"""

from __future__ import annotations

import os
import subprocess
import sys

from evidence.config import Config
from evidence.db import make_engine, make_session_factory


def start_worker(config_values: dict[str, object], job_id: int) -> None:
    """Start a detached worker for the job with the web process's database and data dir."""
    env = dict(os.environ)
    env["EVIDENCE_DATABASE_URL"] = str(config_values["DATABASE_URL"])
    env["EVIDENCE_DATA_DIR"] = str(config_values["DATA_DIR"])
    subprocess.Popen(
        [sys.executable, "-m", "evidence.dossiers.jobs", str(job_id)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def main(argv: list[str]) -> int:
    import evidence.audit.log  # noqa: F401  (installs the audit session hook)
    from evidence.dossiers.services import run_job

    if len(argv) != 1 or not argv[0].isdigit():
        print("usage: python -m evidence.dossiers.jobs JOB_ID", file=sys.stderr)
        return 2
    config = Config()
    engine = make_engine(config.DATABASE_URL)
    try:
        job = run_job(make_session_factory(engine), int(argv[0]), config.DATA_DIR)
    finally:
        engine.dispose()
    return 0 if job is not None and job.state == "done" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
