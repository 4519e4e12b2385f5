"""Exhibit pages: list, upload, the exhibit with its chain of custody, download, verify.

Files are only ever sent as downloads (``Content-Disposition: attachment``)
with ``Content-Security-Policy: sandbox`` and ``X-Content-Type-Options:
nosniff``: an uploaded HTML or SVG file must never run on our origin.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from evidence.core.validation import ValidationError
from evidence.exhibits.forms import CustodyForm, RedactedCopyForm, UploadForm
from evidence.exhibits.models import Exhibit
from evidence.exhibits.services import (
    ExhibitDetail,
    add_custody_event,
    add_exhibit,
    add_redacted_copy,
    exhibits_query,
    linked_exhibits,
    load_exhibit,
    redacted_copy_of,
    verify_exhibit,
)
from evidence.permissions import requires
from evidence.protection import PUBLIC, Protection, ViewerInput
from evidence.store import describe_size, store_for
from evidence.web.forms import show_errors
from evidence.web.pagination import paginate
from evidence.web.reads import record_read
from evidence.web.request_context import current_protection, get_session

bp = Blueprint("exhibits", __name__, url_prefix="/exhibits")

# Upload form fields named after the service's arguments.
FORM_FIELD = {"incidents": "incident", "statements": "statement", "sources": "source"}
LINK_COLUMNS = {"incident": "incident_id", "statement": "statement_id", "source": "source_id"}


def send_attachment(path_or_file: Any, download_name: str, mimetype: str) -> Response:
    """A stored file (a path, a file, or an iterator of its bytes, streamed as it yields)
    as a download; evidence.web.headers keeps the browser from rendering or running it on
    our origin (sandboxing policy, nosniff, no-store)."""
    if isinstance(path_or_file, Iterator):
        response = Response(path_or_file, mimetype=mimetype)
        response.headers.set("Content-Disposition", "attachment", filename=download_name)
        return response
    return send_file(
        path_or_file, mimetype=mimetype, as_attachment=True, download_name=download_name
    )


@bp.app_template_global()
def exhibits_linked_to(kind: str, record: Any) -> list[Exhibit]:
    """Exhibits of an incident, statement or source, for the partial exhibits/_linked.html."""
    if record is None or getattr(record, "id", None) is None:
        return []
    return linked_exhibits(
        get_session(),
        column=LINK_COLUMNS[kind],
        record_id=record.id,
        visible=current_protection().visible_condition(Exhibit),
    )


@bp.app_template_filter("filesize")
def filesize(size: int) -> str:
    return describe_size(size)


def _max_bytes() -> int:
    return int(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024


def _visible_detail(key: str) -> ExhibitDetail:
    """The exhibit, or 404 when it is missing, retracted or hidden from the user's audience
    (a hidden exhibit does not exist for them, so its address says nothing)."""
    detail = load_exhibit(get_session(), key)
    if detail is None or detail.exhibit.is_retracted:
        abort(404)
    if not current_protection().visible(detail.exhibit):
        abort(404)
    return detail


@bp.get("/")
@requires("read")
def index() -> str:
    text = (request.args.get("q") or "").strip() or None
    media = request.args.get("type") or None
    protection = current_protection()
    query = exhibits_query(
        visible=protection.visible_condition(Exhibit),
        text=text,
        media=media,
        by_filename=protection.shows_file_names,
        names_protected=bool(protection.ignored_query_words(text)),
    )
    page = paginate(get_session(), query)
    shown_text = ViewerInput(text) if text else None
    return render_template("exhibits/index.html", page=page, text=shown_text, media=media)


@bp.route("/new", methods=["GET", "POST"])
@requires("edit")
def new() -> str | Response:
    limit = describe_size(_max_bytes())
    try:
        form = UploadForm()
        if request.method == "GET":
            for name in ("incident", "statement", "source"):
                form[name].data = request.args.get(name, "")
        submitted = form.validate_on_submit()
    except RequestEntityTooLarge:
        # Flask refused the body before reading it: nothing was received or stored.
        form = UploadForm(formdata=None)
        form.file.errors = [
            _("larger than the limit of %(limit)s; nothing was stored", limit=limit)
        ]
        return render_template("exhibits/new.html", form=form, limit=limit), 413
    if submitted:
        session = get_session()
        upload = form.file.data
        try:
            exhibit = add_exhibit(
                session,
                store_for(current_app.config),
                upload.stream,
                filename=upload.filename,
                by=current_user.name,
                max_bytes=_max_bytes(),
                **form.service_fields(),
            )
        except ValidationError as error:
            session.rollback()
            renamed = {FORM_FIELD.get(name, name): text for name, text in error.errors.items()}
            show_errors(form, ValidationError(renamed))
        else:
            session.commit()
            flash(
                _(
                    "Exhibit %(key)s stored (%(media_type)s).",
                    key=exhibit.key,
                    media_type=exhibit.media_type,
                ),
                "success",
            )
            return redirect(url_for("exhibits.show", key=exhibit.key))
    status = 400 if form.errors else 200
    return render_template("exhibits/new.html", form=form, limit=limit), status


def _show_page(
    detail: ExhibitDetail,
    custody_form: CustodyForm | None = None,
    copy_form: RedactedCopyForm | None = None,
) -> str:
    from evidence.audit.services import history

    session = get_session()
    exhibit = detail.exhibit
    return render_template(
        "exhibits/show.html",
        detail=detail,
        exhibit=exhibit,
        custody_form=custody_form or CustodyForm(formdata=None),
        copy_form=copy_form or RedactedCopyForm(formdata=None),
        redacted_copy=redacted_copy_of(session, exhibit),
        original=session.get(Exhibit, exhibit.redacts_id) if exhibit.redacts_id else None,
        public_sees=Protection.load(session, PUBLIC).visible(exhibit),
        history_entries=history(session, "exhibit", exhibit.id),
    )


@bp.get("/<key>")
@requires("read")
def show(key: str) -> str:
    return _show_page(_visible_detail(key))


@bp.post("/<key>/redacted-copy")
@requires("edit")
def redacted_copy(key: str) -> tuple[str, int] | Response:
    """Upload the public derivative of an exhibit: a copy with identifying parts removed."""
    detail = _visible_detail(key)
    try:
        form = RedactedCopyForm()
        submitted = form.validate_on_submit()
    except RequestEntityTooLarge:
        form = RedactedCopyForm(formdata=None)
        form.file.errors = [
            _("larger than the limit of %(limit)s", limit=describe_size(_max_bytes()))
        ]
        return _show_page(detail, copy_form=form), 413
    if submitted:
        session = get_session()
        upload = form.file.data
        try:
            copy = add_redacted_copy(
                session,
                store_for(current_app.config),
                detail.exhibit,
                upload.stream,
                filename=upload.filename,
                by=current_user.name,
                max_bytes=_max_bytes(),
            )
        except ValidationError as error:
            session.rollback()
            show_errors(form, error)
        else:
            session.commit()
            flash(
                _(
                    "Redacted copy %(copy)s stored: viewers and public dossiers now see it"
                    " instead of %(key)s.",
                    copy=copy.key,
                    key=key,
                ),
                "success",
            )
            return redirect(url_for("exhibits.show", key=key))
    return _show_page(detail, copy_form=form), 400


@bp.get("/<key>/download")
@requires("read")
def download(key: str) -> Response:
    exhibit = _visible_detail(key).exhibit
    store = store_for(current_app.config)
    if not store.exists(exhibit.sha256):
        abort(404)
    extension = mimetypes.guess_extension(exhibit.media_type) or ".bin"
    record_read(
        "exhibit-downloaded", entity="exhibit", record_key=exhibit.key, sha256=exhibit.sha256
    )
    return send_attachment(
        store.path(exhibit.sha256), f"{exhibit.key}{extension}", exhibit.media_type
    )


@bp.post("/<key>/verify")
@requires("audit")
def verify(key: str) -> Response:
    exhibit = _visible_detail(key).exhibit
    session = get_session()
    problem = verify_exhibit(session, store_for(current_app.config), exhibit, by=current_user.name)
    session.commit()
    if problem:
        flash(
            _("The stored file is %(problem)s: its SHA-256 no longer matches.", problem=problem),
            "error",
        )
    else:
        flash(_("The stored file matches its SHA-256."), "success")
    return redirect(url_for("exhibits.show", key=key))


@bp.post("/<key>/custody")
@requires("edit")
def custody(key: str) -> str | Response:
    detail = _visible_detail(key)
    form = CustodyForm()
    session = get_session()
    if form.validate_on_submit():
        add_custody_event(
            session,
            detail.exhibit,
            action=form.action.data,
            by=current_user.name,
            note=form.note.data,
        )
        session.commit()
        flash(_("Custody event recorded."), "success")
        return redirect(url_for("exhibits.show", key=key))
    return _show_page(detail, custody_form=form), 400
