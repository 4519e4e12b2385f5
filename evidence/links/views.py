"""The auditor's link dashboard, "check links now", captures of a source and their downloads.

A run or a capture started here is a job on the task queue (evidence.jobs):
the request only queues it and returns; its progress and outcome are rows
(LinkCheckRun, CaptureJob) that any request, in any process, can show.
Captured pages are only sent as downloads, never rendered on our origin.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from evidence.exhibits.views import send_attachment
from evidence.jobs.queue import job_is_stuck, job_progress, task_queue
from evidence.links.models import (
    SOURCE_STATUS_LABELS,
    VERDICTS,
    Capture,
    CaptureJob,
    LinkCheckRun,
)
from evidence.links.services import (
    CaptureError,
    ProblemFilters,
    SourceLinks,
    active_run,
    latest_run,
    link_status_query,
    queue_capture,
    read_capture,
    source_links,
    start_run,
    status_counts,
)
from evidence.permissions import requires
from evidence.sources.models import Source
from evidence.store import store_for
from evidence.web.formatting import describe_times, progress_texts
from evidence.web.language import localized
from evidence.web.pagination import paginate
from evidence.web.reads import record_read
from evidence.web.request_context import current_protection, get_session

bp = Blueprint("links", __name__, url_prefix="/links")
# What the links page can be filtered by: a newest verdict, or a source's lack of one.
STATUS_FILTERS = (*VERDICTS, "unchecked", "no-url")
SITE_GONE = ("http-4xx", "http-5xx", "dns-failure", "dead")


@bp.app_template_global()
def link_status_badge(status: str) -> dict[str, str]:
    """The label and badge class a page shows for a check's verdict or a source's status:
    red when the site itself looks gone, amber when something else went wrong."""
    if status == "ok":
        tone = "badge badge-ok"
    elif status in SITE_GONE:
        tone = "badge badge-danger"
    elif status in ("unchecked", "no-url"):
        tone = "badge"
    else:
        tone = "badge badge-warning"
    label = _(SOURCE_STATUS_LABELS[status]) if status in SOURCE_STATUS_LABELS else status
    return {"label": label, "class": tone}


@bp.app_template_global()
def source_link_history(source: Any) -> SourceLinks | None:
    """A source's checks and captures, for the partial links/_source_panel.html."""
    if source is None or getattr(source, "id", None) is None:
        return None
    visible = current_protection().visible_condition(Capture)
    return source_links(get_session(), source.id, visible=visible)


def _stale_after() -> dt.timedelta:
    return dt.timedelta(seconds=current_app.config["JOB_STALE_SECONDS"])


@bp.get("/")
@requires("audit")
def index() -> str:
    verdict = request.args.get("verdict") or None
    if verdict not in (*STATUS_FILTERS, None):
        verdict = None
    filters = ProblemFilters(
        verdict=verdict,
        host=(request.args.get("host") or "").strip() or None,
        text=(request.args.get("q") or "").strip() or None,
    )
    session = get_session()
    page = paginate(session, link_status_query(filters), scalars=False)
    run = latest_run(session)
    return render_template(
        "links/index.html",
        page=page,
        filters=filters,
        statuses=STATUS_FILTERS,
        counts=status_counts(session),
        run=run,
        run_stuck=run is not None and job_is_stuck(run),
        run_times=describe_times(job_progress(run)) if run else "",
    )


@bp.get("/runs/<int:run_id>")
@requires("audit")
def run_status(run_id: int) -> Response:
    """A check run's progress as JSON, polled by the links page (static/js/progress.js)."""
    run = get_session().get(LinkCheckRun, run_id)
    if run is None:
        abort(404)
    status = job_progress(run)
    return jsonify(
        {
            **status,
            **progress_texts(status),
            "id": run.id,
            "done": run.done,
            "total": run.total,
            "problems": run.problems,
            "steps_text": _("%(done)s of %(total)s", done=run.done, total=run.total),
        }
    )


@bp.post("/check")
@requires("audit")
def check_now() -> Response:
    session = get_session()
    if active_run(session, _stale_after()) is not None:
        flash(_("A link check is already running; its progress is shown below."), "warning")
        return redirect(url_for("links.index"))
    run = start_run(session, current_user.name)
    session.commit()
    if run.state == "done":
        flash(_("No source has a web address to check."), "warning")
        return redirect(url_for("links.index"))
    task_queue(current_app).enqueue("link-check", run.id)
    flash(
        ngettext(
            "Checking %(num)d source link; this page follows the progress.",
            "Checking %(num)d source links; this page follows the progress.",
            run.total,
        ),
        "success",
    )
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
        flash(_("Not captured: %(error)s", error=localized(error.args[0])), "error")
        return redirect(url_for("links.source", key=key))
    session.commit()
    task_queue(current_app).enqueue("capture", job.id)
    flash(
        _("The page will be captured by a worker; the copy appears below when it is kept."), "info"
    )
    return redirect(url_for("links.source", key=key))


@bp.get("/captures/jobs/<int:job_id>")
@requires("audit")
def capture_status(job_id: int) -> Response:
    """A capture job's progress as JSON, polled by the source page (static/js/progress.js)."""
    job = get_session().get(CaptureJob, job_id)
    if job is None:
        abort(404)
    status = job_progress(job)
    return jsonify({**status, **progress_texts(status), "id": job.id})


def _capture_or_404(capture_id: int, form: str) -> Capture:
    """The capture, logged as taken out in ``form`` (warc, page); or 404 when it is missing,
    its file is gone, or it is hidden from the user's audience (a captured page cannot be
    scrubbed)."""
    kept = get_session().get(Capture, capture_id)
    if kept is None or not current_protection().visible(kept):
        abort(404)
    if not store_for(current_app.config).exists(kept.sha256):
        abort(404)
    record_read(
        "capture-downloaded",
        entity="source",
        record_key=kept.source.key,
        sha256=kept.sha256,
        capture=kept.id,
        form=form,
    )
    return kept


@bp.get("/captures/<int:capture_id>.warc.gz")
@requires("read")
def capture_warc(capture_id: int) -> Response:
    kept = _capture_or_404(capture_id, "warc")
    path = store_for(current_app.config).path(kept.sha256)
    name = f"{kept.source.key}-capture-{kept.id}.warc.gz"
    return send_attachment(path, name, "application/warc")


@bp.get("/captures/<int:capture_id>/page")
@requires("read")
def capture_page(capture_id: int) -> Response:
    """The captured page's own bytes, as a download (its HTML must not run on our origin),
    streamed from the store."""
    kept = _capture_or_404(capture_id, "page")
    page = read_capture(store_for(current_app.config), kept)
    name = f"{kept.source.key}-capture-{kept.id}.html"
    if page.content_type and not page.content_type.startswith("text/html"):
        name = f"{kept.source.key}-capture-{kept.id}.bin"
    return send_attachment(page.chunks, name, "application/octet-stream")
