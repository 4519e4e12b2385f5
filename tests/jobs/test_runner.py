"""Claim, retry with back-off, failure, recovery of jobs whose worker died."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from flask import Flask
from sqlalchemy.exc import OperationalError

from evidence.core.timestamps import utcnow
from evidence.dossiers.models import DossierJob
from evidence.dossiers.services import queue_job
from evidence.jobs.queue import job_context, task_queue
from evidence.jobs.runner import KINDS, JobKind, RetryLater, recover_stale, run
from tests.factories import make_case, make_incident


@pytest.fixture
def job(session) -> DossierJob:
    case = make_case(session, title="Queued case", incidents=[make_incident(session)])
    job = queue_job(session, case, "internal", "lawyer")
    session.commit()
    return job


def _reloaded(session, job: DossierJob) -> DossierJob:
    session.expire_all()
    return session.get(DossierJob, job.id)


def _with_work(monkeypatch, work) -> None:  # noqa: ANN001
    monkeypatch.setitem(KINDS, "dossier", JobKind("dossier", DossierJob, work))


def test_a_queued_dossier_is_rendered_by_the_queue(app: Flask, session, job):
    task_queue(app).enqueue("dossier", job.id)
    done = _reloaded(session, job)
    assert (done.state, done.progress, done.attempts, done.error) == ("done", 100, 1, None)
    assert done.pages >= 1 and len(done.sha256) == 64 and done.worker


def test_a_transient_failure_is_retried_later_with_growing_delays(app, session, job, monkeypatch):
    def busy(_context, _job_id):  # noqa: ANN001, ANN202
        raise OperationalError("BEGIN", {}, sqlite3.OperationalError("database is locked"))

    _with_work(monkeypatch, busy)
    context = job_context(app)
    delays = []
    for _ in range(context.max_attempts - 1):
        with pytest.raises(RetryLater) as retry:
            run(context, "dossier", job.id)
        delays.append(retry.value.delay)
        assert _reloaded(session, job).state == "queued"
    run(context, "dossier", job.id)  # the last attempt fails for good

    assert delays == sorted(delays) and delays[0] < delays[-1]
    failed = _reloaded(session, job)
    assert failed.state == "failed" and "database is locked" in failed.error
    assert failed.attempts == context.max_attempts


def test_a_job_that_cannot_succeed_fails_at_once_with_its_reason(app, session, job, monkeypatch):
    def broken(_context, _job_id):  # noqa: ANN001, ANN202
        raise ValueError("the case has no incidents")

    _with_work(monkeypatch, broken)
    run(job_context(app), "dossier", job.id)
    failed = _reloaded(session, job)
    assert failed.state == "failed" and failed.error == "ValueError: the case has no incidents"


def test_a_job_runs_once_even_when_queued_twice(app, session, job, monkeypatch):
    calls = []
    _with_work(monkeypatch, lambda _context, job_id: calls.append(job_id) or {})
    context = job_context(app)
    run(context, "dossier", job.id)
    run(context, "dossier", job.id)
    assert calls == [job.id] and _reloaded(session, job).state == "done"


def test_jobs_whose_worker_went_silent_are_queued_again(app, session, job):
    long_ago = utcnow() - dt.timedelta(hours=1)
    silent = _reloaded(session, job)
    silent.state, silent.worker, silent.heartbeat_at = "running", "dead-host:1", long_ago
    alive = queue_job(session, silent.case, "public", "lawyer")
    alive.state, alive.heartbeat_at = "running", utcnow()
    session.commit()

    assert recover_stale(job_context(app)) == [("dossier", job.id)]
    requeued = _reloaded(session, job)
    assert requeued.state == "queued" and requeued.worker is None
    assert "no worker had reported" in requeued.error
    assert _reloaded(session, alive).state == "running"
    assert recover_stale(job_context(app)) == []  # its heartbeat was renewed when requeued


def test_a_job_whose_workers_keep_dying_is_given_up(app, session, job):
    context = job_context(app)
    stuck = _reloaded(session, job)
    stuck.attempts = context.max_attempts
    session.commit()
    run(context, "dossier", job.id)
    failed = _reloaded(session, job)
    assert failed.state == "failed" and "gave up after" in failed.error


def test_a_job_still_waiting_on_the_queue_is_not_queued_twice(app, session, job):
    waiting = _reloaded(session, job)
    waiting.heartbeat_at = utcnow() - dt.timedelta(hours=1)  # a long queue, not a lost task
    session.commit()
    context = job_context(app)
    assert recover_stale(context, frozenset({("dossier", job.id)})) == []
    assert recover_stale(context) == [("dossier", job.id)]  # its task is gone: queue it again
