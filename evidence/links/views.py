"""The auditor's link dashboard, "check links now", captures of a source and their downloads.

A run or a capture started here is a job on the task queue (evidence.jobs):
the request only queues it and returns; its progress and outcome are rows
(LinkCheckRun, CaptureJob) that any request, in any process, can show.
Captured pages are only sent as downloads, never rendered on our origin.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from evidence.db import get_session
from evidence.exhibits.views import send_attachment
from evidence.jobs.queue import job_is_stuck, task_queue
from evidence.links.models import PROBLEM_VERDICTS, VERDICTS, Capture
from evidence.links.services import (
    CaptureError,
    ProblemFilters,
    SourceLinks,
    active_run,
    latest_checks_query,
    latest_run,
    queue_capture,
    read_capture,
    source_links,
    start_run,
    verdict_counts,
)
from evidence.permissions import requires
from evidence.sources.models import Source
from evidence.store import store_for
from evidence.web.pagination import paginate

bp = Blueprint("links", __name__, url_prefix="/links")


@bp.app_template_global()
def source_link_history(source: Any) -> SourceLinks | None:
    """A source's checks and captures, for the partial links/_source_panel.html."""
    if source is None or getattr(source, "id", None) is None:
        return None
    return source_links(get_session(), source.id)


def _stale_after() -> dt.timedelta:
    return dt.timedelta(seconds=current_app.config["JOB_STALE_SECONDS"])


@bp.get("/")
@requires("audit")
def index() -> str:
    verdict = request.args.get("verdict") or None
    if verdict not in (*VERDICTS, None):
        verdict = None
    filters = ProblemFilters(
        verdict=verdict,
        host=(request.args.get("host") or "").strip() or None,
        text=(request.args.get("q") or "").strip() or None,
    )
    session = get_session()
    page = paginate(session, latest_checks_query(filters))
    run = latest_run(session)
    return render_template(
        "links/index.html",
        page=page,
        filters=filters,
        verdicts=VERDICTS,
        problem_verdicts=PROBLEM_VERDICTS,
        counts=verdict_counts(session),
        run=run,
        run_stuck=run is not None and job_is_stuck(run),
    )


@bp.post("/check")
@requires("audit")
def check_now() -> Response:
    session = get_session()
    if active_run(session, _stale_after()) is not None:
        flash("A link check is already running; its progress is shown below.", "warning")
        return redirect(url_for("links.index"))
    run = start_run(session, current_user.name)
    session.commit()
    if run.state == "done":
        flash("No source has a web address to check.", "warning")
        return redirect(url_for("links.index"))
    task_queue(current_app).enqueue("link-check", run.id)
    flash(f"Checking {run.total} source links. Reload this page to follow the progress.", "success")
    return redirect(url_for("links.index"))


def _source_or_404(key: str) -> Source:
    source = get_session().scalar(select(Source).where(Source.key == key))
    if source is None:
        abort(404)
    return source


@bp.get("/sources/<key>")
@requires("audit")
def source(key: str) -> str:
    source = _source_or_404(key)
    return render_template("links/source.html", source=source)


@bp.post("/sources/<key>/capture")
@requires("audit")
def capture_source(key: str) -> Response:
    source = _source_or_404(key)
    session = get_session()
    try:
        job = queue_capture(session, source, current_user.name)
    except CaptureError as error:
        session.rollback()
        flash(f"Not captured: {error}", "error")
        return redirect(url_for("links.source", key=key))
    session.commit()
    task_queue(current_app).enqueue("capture", job.id)
    flash("The page will be captured by a worker; the copy appears below when it is kept.", "info")
    return redirect(url_for("links.source", key=key))


def _capture_or_404(capture_id: int) -> Capture:
    kept = get_session().get(Capture, capture_id)
    if kept is None or not store_for(current_app.config).exists(kept.sha256):
        abort(404)
    return kept


@bp.get("/captures/<int:capture_id>.warc.gz")
@requires("read")
def capture_warc(capture_id: int) -> Response:
    kept = _capture_or_404(capture_id)
    path = store_for(current_app.config).path(kept.sha256)
    name = f"{kept.source.key}-capture-{kept.id}.warc.gz"
    return send_attachment(path, name, "application/warc")


@bp.get("/captures/<int:capture_id>/page")
@requires("read")
def capture_page(capture_id: int) -> Response:
    """The captured page's own bytes, as a download (its HTML must not run on our origin)."""
    from io import BytesIO

    kept = _capture_or_404(capture_id)
    page = read_capture(store_for(current_app.config), kept)
    name = f"{kept.source.key}-capture-{kept.id}.html"
    if page.content_type and not page.content_type.startswith("text/html"):
        name = f"{kept.source.key}-capture-{kept.id}.bin"
    return send_attachment(BytesIO(page.body), name, "application/octet-stream")
