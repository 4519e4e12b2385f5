"""Spreadsheet import from the browser: upload, map the columns once, review, accept.

Nothing of the evidence is written before the review is accepted; then the rows
go through the same atomic, audited import as `evidence import-sheet`. An
upload is seen only by the documenter who sent it (evidence.permissions).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from evidence.core.validation import ValidationError
from evidence.db import get_session
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
)
from evidence.permissions import authorize, requires
from evidence.store import describe_size
from evidence.web.forms import show_errors
from evidence.web.language import localized

bp = Blueprint("sheets", __name__, url_prefix="/imports/sheet")
bp.add_app_template_global(choice_id)


def _max_bytes() -> int:
    return int(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024


def _upload_or_404(upload_id: int, *, pending: bool = True) -> SheetUpload:
    upload = get_session().get(SheetUpload, upload_id)
    if upload is None or (pending and upload.imported_at is not None):
        abort(404)
    authorize("edit", upload)  # only its uploader: 403 (and an audit entry) for anyone else
    return upload


@bp.route("/", methods=["GET", "POST"])
@requires("edit")
def new() -> str | Response:
    session = get_session()
    try:
        form = SheetUploadForm()
        submitted = form.validate_on_submit()
    except RequestEntityTooLarge:
        form = SheetUploadForm(formdata=None)
        form.file.errors = [
            _("larger than the limit of %(size)s", size=describe_size(_max_bytes()))
        ]
        submitted = False
    if submitted:
        data = form.file.data.read(_max_bytes() + 1)
        try:
            if len(data) > _max_bytes():
                raise ValidationError(
                    {"file": _("larger than %(size)s", size=describe_size(_max_bytes()))}
                )
            upload = create_upload(
                session,
                filename=form.file.data.filename or "sheet",
                data=data,
                kind=form.kind.data,
                by=current_user.name,
            )
        except ValidationError as error:
            session.rollback()
            show_errors(form, error)
        else:
            session.commit()
            return redirect(url_for("sheets.columns", upload_id=upload.id))
    uploads = pending_uploads(session, current_user.name)
    status = 400 if form.errors else 200
    return render_template("sheets/new.html", form=form, uploads=uploads), status


@bp.route("/<int:upload_id>/columns", methods=["GET", "POST"])
@requires("edit")
def columns(upload_id: int) -> str | Response:
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
    if form.validate_on_submit():
        try:
            set_mapping(
                session,
                upload,
                mapping_of(form, upload.kind),
                save_as=form.save_as.data or "",
                by=current_user.name,
            )
        except ValidationError as error:
            session.rollback()
            show_errors(form, error)
        else:
            session.commit()
            return redirect(url_for("sheets.review", upload_id=upload.id))
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
    return render_template("sheets/done.html", upload=upload)


@bp.post("/<int:upload_id>/discard")
@requires("edit")
def discard_upload(upload_id: int) -> Response:
    session = get_session()
    upload = _upload_or_404(upload_id)
    discard(session, upload)
    session.commit()
    flash(_("The sheet was discarded; nothing was imported."), "info")
    return redirect(url_for("sheets.new"))
