"""Spreadsheet import from the browser: upload, map the columns once, review, accept.

Nothing of the evidence is written before the review is accepted; then the rows
go through the same atomic, audited import as `evidence import-sheet`. An
upload is seen only by the documenter who sent it (evidence.permissions).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from evidence.core.validation import ValidationError
from evidence.interchange.forms import SheetUploadForm, mapping_form, mapping_of
from evidence.interchange.models import SheetUpload
from evidence.interchange.sheets import SINGULAR, SheetError, choice_id, suggested_mapping
from evidence.interchange.uploads import (
    accept_upload,
    ambiguities,
    choose,
    create_upload,
    discard,
    pending_uploads,
    review_upload,
    saved_mappings,
    set_mapping,
    sheet_of,
    stored_summary,
)
from evidence.permissions import authorize, requires
from evidence.store import describe_size
from evidence.web.language import localized
from evidence.web.record_views import submit_form
from evidence.web.request_context import get_session

bp = Blueprint("sheets", __name__, url_prefix="/imports/sheet")
bp.add_app_template_global(choice_id)


def _max_bytes() -> int:
    return int(current_app.config["MAX_SHEET_MB"]) * 1024 * 1024


def _upload_or_404(upload_id: int, *, pending: bool = True) -> SheetUpload:
    upload = get_session().get(SheetUpload, upload_id)
    if upload is None or (pending and upload.imported_at is not None):
        abort(404)
    authorize("edit", upload)  # only its uploader: 404 (and an audit entry) for anyone else
    return upload


@bp.route("/", methods=["GET", "POST"])
@requires("edit")
def new() -> str | Response | tuple[str, int]:
    session = get_session()
    try:
        form = SheetUploadForm()  # reads the request's body
    except RequestEntityTooLarge:
        form = SheetUploadForm(formdata=None)
        form.file.errors = [
            _("larger than the limit of %(size)s", size=describe_size(_max_bytes()))
        ]
    else:

        def keep_upload() -> SheetUpload:
            return create_upload(
                session,
                filename=form.file.data.filename or "sheet",
                data=_sheet_bytes(form.file.data),
                kind=form.kind.data,
                by=current_user.name,
            )

        uploaded = submit_form(form, keep_upload, _next_step("sheets.columns"))
        if uploaded is not None:
            return uploaded
    uploads = pending_uploads(session, current_user.name)
    status = 400 if form.errors else 200
    return render_template("sheets/new.html", form=form, uploads=uploads), status


def _sheet_bytes(file: FileStorage) -> bytes:
    """The file's bytes, or ValidationError under ``file`` when it is over the sheet limit
    (reading stops one byte past it)."""
    data = file.read(_max_bytes() + 1)
    if len(data) > _max_bytes():
        raise ValidationError({"file": _("larger than %(size)s", size=describe_size(_max_bytes()))})
    return data


def _next_step(endpoint: str) -> Callable[[SheetUpload], Response]:
    """After a step is saved: the next step of the same upload."""
    return lambda upload: redirect(url_for(endpoint, upload_id=upload.id))


@bp.route("/<int:upload_id>/columns", methods=["GET", "POST"])
@requires("edit")
def columns(upload_id: int) -> str | Response | tuple[str, int]:
    session = get_session()
    upload = _upload_or_404(upload_id)
    headers = sheet_of(upload).headers
    saved = saved_mappings(session, upload.kind)
    chosen = next((m for m in saved if m.name == request.args.get("mapping")), None)
    if chosen is not None:
        initial = chosen.mapping
    else:
        initial = upload.mapping or suggested_mapping(upload.kind, headers)
    form = mapping_form(upload.kind, headers, initial)

    def map_columns() -> SheetUpload:
        mapping = mapping_of(form, upload.kind)
        set_mapping(session, upload, mapping, save_as=form.save_as.data or "", by=current_user.name)
        return upload

    mapped = submit_form(form, map_columns, _next_step("sheets.review"))
    if mapped is not None:
        return mapped
    status = 400 if form.errors else 200
    return render_template(
        "sheets/columns.html",
        upload=upload,
        form=form,
        headers=headers,
        saved=saved,
        noun=SINGULAR[upload.kind],
    ), status


@bp.route("/<int:upload_id>/review", methods=["GET", "POST"])
@requires("edit")
def review(upload_id: int) -> str | Response:
    session = get_session()
    upload = _upload_or_404(upload_id)
    if upload.mapping is None:
        return redirect(url_for("sheets.columns", upload_id=upload.id))
    problems: list[str] = []
    if request.method == "POST":
        picks = {name.removeprefix("choice-"): value for name, value in request.form.items()}
        choose(session, upload, picks, create_missing=request.form.get("create_missing") == "1")
        session.commit()  # the choices are kept whether or not the import goes through
        if request.form.get("accept") != "1":
            return redirect(url_for("sheets.review", upload_id=upload.id))
        try:
            summary = accept_upload(session, upload)
        except SheetError as error:
            session.rollback()
            problems = [localized(problem) for problem in error.problems]
        else:
            session.commit()
            flash(f"{upload.filename}: {localized(summary.describe())}", "success")
            return redirect(url_for("sheets.done", upload_id=upload.id))
    found = review_upload(session, upload)
    session.rollback()  # the review reads; nothing it touched is kept
    return render_template(
        "sheets/review.html",
        upload=upload,
        review=found,
        ambiguities={a.id: a for a in ambiguities(found)},
        problems=problems or [localized(p.described()) for p in found.problems],
        noun=SINGULAR[upload.kind],
    )


@bp.get("/<int:upload_id>")
@requires("edit")
def done(upload_id: int) -> str:
    upload = _upload_or_404(upload_id, pending=False)
    if upload.imported_at is None:
        abort(404)
    return render_template("sheets/done.html", upload=upload, summary=stored_summary(upload))


@bp.post("/<int:upload_id>/discard")
@requires("edit")
def discard_upload(upload_id: int) -> Response:
    session = get_session()
    upload = _upload_or_404(upload_id)
    discard(session, upload)
    session.commit()
    flash(_("The sheet was discarded; nothing was imported."), "info")
    return redirect(url_for("sheets.new"))
