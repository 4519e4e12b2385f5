"""The Drafts page, the autosave endpoint its forms call, and restoring a draft into its form.

A draft is its owner's alone: anyone else's draft answers 404 exactly like a draft
that does not exist (evidence.permissions decides; the answer says nothing more).
Nothing here logs what a draft holds: it may name a protected witness.
"""

from __future__ import annotations

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
from flask.wrappers import Response
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from evidence.core.validation import ValidationError
from evidence.drafts.models import Draft
from evidence.drafts.services import (
    DRAFT_FORMS,
    discard_draft,
    discard_saved_form,
    drafts_of,
    headline,
    save_draft,
)
from evidence.permissions import can, requires
from evidence.web.request_context import get_session

bp = Blueprint("drafts", __name__, url_prefix="/drafts")

# The section whose new and edit pages each draft form belongs to.
FORM_SECTIONS = {"incident": "incidents", "statement": "statements"}
assert set(FORM_SECTIONS) == set(DRAFT_FORMS)

# The request argument, and the form field, that carry a draft's id.
DRAFT_ARGUMENT = "draft"


def _draft_or_404(draft_id: int) -> Draft:
    draft = get_session().get(Draft, draft_id)
    if draft is None or not can(current_user, "edit", draft):
        abort(404)
    return draft


def _form_url(draft: Draft) -> str:
    section = FORM_SECTIONS[draft.form]
    if draft.record_key:
        return url_for(f"{section}.edit", key=draft.record_key, draft=draft.id)
    return url_for(f"{section}.new", draft=draft.id)


@bp.get("/")
@requires("edit")
def index() -> str:
    drafts = drafts_of(get_session(), current_user.name)
    return render_template(
        "drafts/index.html",
        drafts=[(draft, headline(draft), _form_url(draft)) for draft in drafts],
        days=current_app.config["DRAFT_DAYS"],
    )


@bp.post("/autosave")
@requires("edit")
def autosave() -> tuple[Response, int]:
    """Keep a form's fields: JSON {form, record, draft, fields: [[name, value], ...]}."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(errors={"body": "a JSON object"}), 400
    draft_id = body.get("draft")
    existing = None
    if draft_id not in (None, ""):
        if not isinstance(draft_id, int | str) or not str(draft_id).isdecimal():
            abort(404)
        existing = _draft_or_404(int(draft_id))
    record = body.get("record")
    session = get_session()
    try:
        draft = save_draft(
            session,
            owner=current_user.name,
            form=existing.form if existing else str(body.get("form")),
            record_key=existing.record_key if existing else (str(record) if record else None),
            fields=body.get("fields"),
            draft=existing,
        )
    except ValidationError as error:
        session.rollback()
        return jsonify(errors=error.errors), 400
    session.commit()
    return jsonify(draft=draft.id), 200


@bp.get("/<int:draft_id>")
@requires("edit")
def restore(draft_id: int) -> Response:
    return redirect(_form_url(_draft_or_404(draft_id)))


@bp.post("/<int:draft_id>/delete")
@requires("edit")
def delete(draft_id: int) -> Response:
    session = get_session()
    discard_draft(session, _draft_or_404(draft_id))
    session.commit()
    flash(_("Draft deleted."), "success")
    return redirect(url_for("drafts.index"))


def restored_formdata(form: str, record_key: str | None) -> MultiDict | None:
    """On a form page opened with ?draft=ID: the draft's fields as the form's input, or 404
    when the draft is not the user's or belongs to another form or record."""
    draft_id = request.args.get(DRAFT_ARGUMENT, "")
    if not draft_id:
        return None
    if not draft_id.isdecimal() or len(draft_id) > 18:
        abort(404)
    draft = _draft_or_404(int(draft_id))
    if draft.form != form or draft.record_key != record_key:
        abort(404)
    return MultiDict([tuple(pair) for pair in draft.fields])


def discard_draft_of_saved_form() -> None:
    """The form was saved: its draft goes in the same commit."""
    discard_saved_form(
        get_session(), owner=current_user.name, draft_id=request.form.get(DRAFT_ARGUMENT)
    )
