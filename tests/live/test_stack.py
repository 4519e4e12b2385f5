"""The team's stack for real: gunicorn with several workers, two `evidence worker`
processes, PostgreSQL and Redis. A lawyer signs in, queues a dossier, downloads it."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidence import create_app
from evidence.accounts.services import create_user
from evidence.config import Config
from tests.factories import make_case, make_incident
from tests.live.conftest import fresh_pg_database
from tests.live.web import csrf_token, free_port, signed_in, wait_until_serving
from tests.live.workers import EVIDENCE, private_redis, processes, stack_environment, wait_for
from tests.webclient import PASSWORD

pytestmark = pytest.mark.pg


def test_a_dossier_queued_through_gunicorn_is_rendered_by_the_workers(tmp_path: Path):
    with private_redis() as queue_url, fresh_pg_database() as database_url:
        app = create_app(Config(DATABASE_URL=database_url, SECRET_KEY="x", QUEUE_URL=queue_url))
        with app.extensions["evidence.writers"]() as session:
            session.info["actor"] = "tester"
            create_user(session, name="lawyer", role="lawyer", password=PASSWORD)
            case = make_case(session, title="Served case", incidents=[make_incident(session)])
            session.commit()
        app.extensions["evidence.engine"].dispose()
        port = free_port()
        env = stack_environment(
            database_url, queue_url, tmp_path, EVIDENCE_WEB_WORKERS="3", EVIDENCE_WEB_THREADS="2"
        )
        serve = [EVIDENCE, "serve", "--host", "127.0.0.1", "--port", str(port)]
        worker = [EVIDENCE, "worker"]
        with processes([serve, worker, worker], env, tmp_path / "logs") as started:
            base = f"http://127.0.0.1:{port}"
            wait_until_serving(base)
            client = signed_in(base, "lawyer", PASSWORD)
            token = csrf_token(client, f"/cases/{case.key}/dossiers")
            queued = client.post(
                f"/cases/{case.key}/dossiers", data={"csrf_token": token, "audience": "counsel"}
            )
            assert queued.status_code == 302

            def finished() -> dict | None:
                jobs = client.get(f"/cases/{case.key}/dossiers/jobs").json()
                return jobs[0] if jobs and jobs[0]["state"] in ("done", "failed") else None

            job = wait_for(finished, 120, "the dossier to be rendered")
            pdf = client.get(job["download_url"])
            assert all(process.poll() is None for process in started)
        log = (tmp_path / "logs" / "0-serve.log").read_text()

    assert job["state"] == "done" and job["progress"] == 100
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert log.count("Booting worker") == 3  # gunicorn's own processes, not Flask's server
