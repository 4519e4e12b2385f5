"""Long work followed live in Chromium: the page updates itself from the job's JSON status
while a worker reports, without a reload (static/js/progress.js and dossiers.js).

The worker's reports are written to the job rows exactly as evidence/jobs/work.py writes
them (progress or sources done, with a fresh heartbeat): the browser's side is what is
under test here; tests/jobs and tests/live run the workers themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from playwright.sync_api import Page, expect
from sqlalchemy import update
from sqlalchemy.orm import Session

from evidence.cases.services import create_case
from evidence.core.timestamps import utcnow
from evidence.dossiers.models import DossierJob
from evidence.links.models import LinkCheckRun

MARK = "window.__notReloaded = true"
STILL_THE_SAME_PAGE = "window.__notReloaded === true"


@contextmanager
def writer(live_server: Any) -> Iterator[Session]:
    session = live_server.app.extensions["evidence.writers"]()
    session.info["actor"] = "browser-progress"
    try:
        yield session
        session.commit()
    finally:
        session.close()


def report(live_server: Any, model: type, job_id: int, **values: Any) -> None:
    """What a worker writes when it reports: the new figures and a heartbeat."""
    with writer(live_server) as session:
        session.execute(
            update(model).where(model.id == job_id).values(heartbeat_at=utcnow(), **values)
        )


def test_dossier_percentage_rises_without_reload(page: Page, sign_in, live_server) -> None:
    with writer(live_server) as session:
        case = create_case(session, title="Progress case (browser)")
        session.flush()
        job = DossierJob(
            case_id=case.id,
            audience="counsel",
            requested_by="lawyer",
            state="running",
            progress=5,
            heartbeat_at=utcnow(),
            claimed_at=utcnow(),
        )
        session.add(job)
        session.flush()
        case_key, job_id = case.key, job.id
    sign_in(page, "lawyer")
    page.goto(f"/cases/{case_key}")
    page.evaluate(MARK)
    percent = page.locator(".dossier-jobs .job-percent")
    expect(percent).to_have_text(" 5%")
    for figure in (35, 70):
        report(live_server, DossierJob, job_id, progress=figure)
        expect(percent).to_have_text(f" {figure}%")
    expect(page.locator(".dossier-jobs .job-times")).to_contain_text("running for")
    report(live_server, DossierJob, job_id, progress=100, state="failed", error="stopped by test")
    expect(page.locator(".dossier-jobs")).to_contain_text("stopped by test")
    assert page.evaluate(STILL_THE_SAME_PAGE)


def test_links_page_follows_a_check_run(page: Page, sign_in, live_server) -> None:
    with writer(live_server) as session:
        run = LinkCheckRun(
            started_by="auditor",
            state="running",
            total=4,
            done=1,
            heartbeat_at=utcnow(),
            claimed_at=utcnow(),
        )
        session.add(run)
        session.flush()
        run_id = run.id
    try:
        sign_in(page, "auditor")
        page.goto("/links/")
        page.evaluate(MARK)
        status = page.locator("#run-status")
        expect(status.locator("[data-progress-text]")).to_have_text("25% (running)")
        report(live_server, LinkCheckRun, run_id, done=3)
        expect(status.locator("[data-progress-text]")).to_have_text("75% (running)")
        expect(status.locator("[data-progress-steps]")).to_have_text("3 of 4")
        expect(status.locator("[data-progress-times]")).to_contain_text("running for")
    finally:
        report(live_server, LinkCheckRun, run_id, done=4, state="done", finished_at=utcnow())
    expect(page.locator("#run-status")).to_contain_text("Last check finished")
    expect(page.locator("#run-status [data-progress-times]")).to_contain_text("took")
    assert page.evaluate(STILL_THE_SAME_PAGE)
