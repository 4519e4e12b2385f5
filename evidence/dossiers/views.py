"""Dossier export from the browser: queue a render job, poll it, download the PDF (and,
for counsel, the sealed annex naming the witnesses behind the pseudonyms).

Rendering never happens in the web process: a job is queued in the database
and on the task queue, and an `evidence worker` renders it (evidence.jobs).
Pages only read: a job whose worker stopped is shown as stuck, and the
workers, not a page view, queue it again. Jobs are checked
object by object: a lawyer sees, polls and downloads only the jobs they
requested, whatever id they type (the bayanat lesson in DESIGN.md).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from evidence.cases.models import Case
from evidence.core.validation import ValidationError
from evidence.dossiers.models import DossierJob
from evidence.dossiers.services import (
    case_statements,
    jobs_for,
    output_file,
    queue_job,
    sealed_annex_file,
    set_statement_included,
)
from evidence.jobs.queue import job_progress, task_queue
from evidence.permissions import authorize, requires
from evidence.statements.models import Statement
from evidence.vocabularies import AUDIENCES, LANGUAGE_NAMES, LANGUAGES
from evidence.web.formatting import progress_texts
from evidence.web.language import DEFAULT_LANGUAGE, error_text
from evidence.web.reads import record_read
from evidence.web.request_context import get_session

bp = Blueprint("dossiers", __name__)


def _case_or_404(case_key: str) -> Case:
    case = get_session().scalar(select(Case).where(Case.key == case_key))
    if case is None:
        abort(404)
    return case


def _job_or_404(job_id: int) -> DossierJob:
    job = get_session().get(DossierJob, job_id)
    if job is None:
        abort(404)
    authorize("dossiers", job)  # only its requester: 404 (and an audit entry) for anyone else
    return job


def job_status(job: DossierJob) -> dict[str, object]:
    status = job_progress(job)
    return {
        **status,
        **progress_texts(status),
        "id": job.id,
        "audience": job.audience,
        "language": job.language,
        # The words of the page's language, for static/js/dossiers.js to show as they are.
        "label": _(
            "#%(id)s %(audience)s, %(language)s: %(state)s",
            id=job.id,
            audience=_(job.audience),
            language=LANGUAGE_NAMES[job.language],
            state=_(job.state),
        ),
        "stuck_text": _(
            " — stuck: no worker has reported on this job; is `evidence worker` running?"
            " A worker will start it again."
        ),
        "download_text": ngettext(
            " Download PDF (%(num)d page)", " Download PDF (%(num)d pages)", job.pages or 0
        ),
        "progress": job.progress,
        "status_url": url_for("dossiers.status", job_id=job.id),
        "error": job.error if job.state == "failed" else None,
        "pages": job.pages,
        "sha256": job.sha256,
        "download_url": (
            url_for("dossiers.download", job_id=job.id) if job.state == "done" else None
        ),
        "sealed_download_url": (
            url_for("dossiers.download_sealed", job_id=job.id)
            if sealed_annex_file(current_app.config["DATA_DIR"], job)
            else None
        ),
    }


@bp.get("/cases/<case_key>/dossiers")
@requires("dossiers")
def index(case_key: str) -> str:
    case = _case_or_404(case_key)
    return render_template(
        "dossiers/index.html", case=case, statements=case_statements(get_session(), case)
    )


@bp.get("/cases/<case_key>/dossiers/jobs")
@requires("dossiers")
def case_jobs(case_key: str) -> Response:
    """The user's jobs for the case as JSON, polled by the case page while any is running."""
    case = _case_or_404(case_key)
    jobs = jobs_for(get_session(), case, current_user.name)
    return jsonify([job_status(job) for job in jobs])


@bp.post("/cases/<case_key>/dossiers")
@requires("dossiers")
def export(case_key: str) -> Response:
    case = _case_or_404(case_key)
    audience = request.form.get("audience", "")
    if audience not in AUDIENCES:
        flash(_("Audience: choose one of %(audiences)s.", audiences=", ".join(AUDIENCES)), "error")
        return redirect(url_for("dossiers.index", case_key=case.key))
    language = request.form.get("language") or DEFAULT_LANGUAGE
    if language not in LANGUAGES:
        flash(_("Language: choose one of %(languages)s.", languages=", ".join(LANGUAGES)), "error")
        return redirect(url_for("dossiers.index", case_key=case.key))
    session = get_session()
    job = queue_job(session, case, audience, current_user.name, language)
    session.commit()
    task_queue(current_app).enqueue("dossier", job.id)
    flash(
        _(
            "The %(audience)s dossier is being prepared; this page shows its progress.",
            audience=_(audience),
        ),
        "info",
    )
    return redirect(url_for("dossiers.index", case_key=case.key))


@bp.post("/cases/<case_key>/dossiers/statements")
@requires("cases")
def choose_statement(case_key: str) -> Response:
    case = _case_or_404(case_key)
    session = get_session()
    statement = session.scalar(
        select(Statement).where(Statement.key == request.form.get("statement", ""))
    )
    if statement is None:
        abort(404)
    authorize("read", statement)
    try:
        set_statement_included(session, case, statement, request.form.get("included") == "1")
    except ValidationError as error:
        session.rollback()
        flash(error_text(error), "error")
    else:
        session.commit()
    return redirect(url_for("dossiers.index", case_key=case.key))


@bp.get("/dossiers/jobs/<int:job_id>")
@requires("dossiers")
def status(job_id: int) -> Response:
    return jsonify(job_status(_job_or_404(job_id)))


@bp.get("/dossiers/jobs/<int:job_id>/download")
@requires("dossiers")
def download(job_id: int) -> Response:
    job = _job_or_404(job_id)
    if job.state != "done" or not job.output_path:
        abort(404)
    path = output_file(current_app.config["DATA_DIR"], job)
    if not path.is_file():
        abort(404)
    return _taken_out(job, path, "dossier-downloaded", job.sha256 or "", "dossier")


@bp.get("/dossiers/jobs/<int:job_id>/sealed")
@requires("dossiers")
def download_sealed(job_id: int) -> Response:
    """The counsel dossier's sealed annex: only its requester, like the dossier itself."""
    job = _job_or_404(job_id)
    path = sealed_annex_file(current_app.config["DATA_DIR"], job)
    if path is None:
        abort(404)
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    return _taken_out(job, path, "sealed-annex-downloaded", sha256, "dossier-sealed")


def _taken_out(job: DossierJob, path: Path, action: str, sha256: str, name: str) -> Response:
    """The file as a download, logged on the chain of reads first."""
    record_read(
        action,
        entity="case",
        record_key=job.case.key,
        audience=job.audience,
        sha256=sha256,
        job=job.id,
    )
    return send_file(
        path.resolve(),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"{job.case.key}-{job.audience}-{name}.pdf",
    )
