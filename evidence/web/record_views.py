"""The steps every record section (incidents, statements, places, units, persons,
sources, cases, violation types) repeats: find a record by key, list with a quick
filter, and the one form flow — load, authorise, validate, call the service, commit
once, render or redirect — for create/edit, retract/restore and merge, with one
conflict page.

A section's views.py declares its RecordRoutes and keeps its own read pages; the
business rules live in the services. Forms that are not a record's (accounts, the
spreadsheet import) take the same write step through ``submit_form``/``commit_once``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import Select, false, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import InstrumentedAttribute
from werkzeug.wrappers import Response

from evidence import limits
from evidence.core.validation import ValidationError, parse_aliases
from evidence.core.versioning import KeyedRecord
from evidence.merging.forms import MergeForm
from evidence.merging.services import likely_duplicates, merge_records
from evidence.protection import ViewerInput
from evidence.records.editing import Conflict, restore, retract
from evidence.records.names import accepting_names, typed_names
from evidence.search.folded_names import names_containing
from evidence.vocabularies import CREDIBILITY, RELIABILITY, translatable
from evidence.web.forms import (
    MISSING_VERSION,
    RestoreForm,
    RetractForm,
    field_named,
    form_data,
    show_errors,
)
from evidence.web.language import error_text, human_date, localized
from evidence.web.request_context import current_protection, get_session

Page = str | Response | tuple[str, int]
Changed = TypeVar("Changed")


def record_blueprint(name: str, import_name: str, url_prefix: str) -> Blueprint:
    """A section's blueprint, with the date filter its templates use."""
    bp = Blueprint(name, import_name, url_prefix=url_prefix)
    bp.add_app_template_filter(human_date, "human_date")
    bp.add_app_template_global(CREDIBILITY, "credibility_labels")
    bp.add_app_template_global(RELIABILITY, "reliability_labels")
    return bp


def find_or_404(model: type[KeyedRecord], key: str, **options: Any) -> Any:
    """The record, or 404 when it is missing or hidden from the user's audience (the two
    answer alike, so an address says nothing about a hidden record)."""
    record = get_session().scalar(select(model).where(model.key == key))
    if record is None or not current_protection().visible(record):
        abort(404)
    return record


def record_id_or_404(model: type[KeyedRecord], key: str) -> int:
    """The record's id, or 404 as find_or_404 decides."""
    stmt = select(model.id).where(model.key == key, current_protection().visible_condition(model))
    record_id = get_session().scalar(stmt)
    if record_id is None:
        abort(404)
    return record_id


# --- lists ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListFilters:
    """The quick filter of a list page: text over name/title and aliases; retracted or not.

    ``names_protected``: the text may name a person protected from the user's audience,
    so the filter matches nothing (Protection.ignored_query_words).
    """

    text: str
    include_retracted: bool
    names_protected: bool = False

    @classmethod
    def from_request(cls) -> ListFilters:
        text = request.args.get("q", "").strip()[: limits.SEARCH_CHARACTERS]
        return cls(
            text=ViewerInput(text),
            include_retracted=request.args.get("retracted") == "1",
            names_protected=bool(current_protection().ignored_query_words(text)),
        )


def list_query(
    model: type[KeyedRecord],
    label: InstrumentedAttribute,
    filters: ListFilters,
) -> Select[Any]:
    """Records whose label, key or alias contains the filter text, by label; records
    hidden from the user's audience are left out in the query, so counts say nothing, and
    a text that may name a protected person matches nothing."""
    stmt = select(model).where(current_protection().visible_condition(model))
    if filters.names_protected:
        stmt = stmt.where(false())
    elif filters.text:
        stmt = stmt.where(names_containing(get_session(), model, filters.text))
    if not filters.include_retracted:
        stmt = stmt.where(model.retracted_at.is_(None))
    return stmt.order_by(func.lower(label), model.id)


# --- forms ------------------------------------------------------------------------------


def record_form(
    form_class: type[FlaskForm],
    record: KeyedRecord | None,
    new_data: Callable[[], dict[str, Any]] | None = None,
    draft_form: str | None = None,
) -> Any:
    """The form of a new record (``new_data`` fills it as first shown), or of a stored
    one (its current data on GET, plus one empty row in each list so a row can be added
    without JavaScript); opened from a draft (``?draft=ID``, forms that keep drafts),
    what the draft holds."""
    if request.method != "GET":
        return form_class()
    if draft_form is not None:
        from evidence.drafts.views import restored_formdata

        restored = restored_formdata(draft_form, record.key if record else None)
        if restored is not None:
            return form_class(formdata=restored)
    if record is None:
        return form_class(data={**(new_data() if new_data else {}), **_named(form_class)})
    form = form_class(data=form_data(get_session(), record))
    _add_spare_rows(form)
    return form


def _named(form_class: type[FlaskForm]) -> dict[str, str]:
    """A new record's name or title given in the address (?name=, ?title=), as the "create
    it" button of a typed name that named nothing sends it."""
    return {
        name: request.args[name].strip()[: limits.NAME]
        for name in ("name", "title")
        if request.args.get(name, "").strip() and hasattr(form_class, name)
    }


def _add_spare_rows(form: Any) -> None:
    for field in form:
        if not hasattr(field, "append_entry"):
            continue
        for entry in field.entries:
            if hasattr(entry, "form"):
                _add_spare_rows(entry.form)
        if field.entries and _has_content(field.entries[-1].data):
            field.append_entry()


def _has_content(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_content(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_content(item) for item in value)
    return value not in (None, "")


SAVE_ANYWAY = "save_anyway"


def _duplicates_of_new(kind: str, fields: dict[str, Any]) -> list[Any]:
    """Likely duplicates of a record about to be created, unless the editor already chose
    to save anyway; protected witnesses stay out for audiences that may not see them."""
    if request.form.get(SAVE_ANYWAY):
        return []
    name = fields.get("name") or fields.get("title")
    aliases = parse_aliases(fields.get("aliases"))
    hidden = current_protection().pseudonyms if kind == "person" else ()
    return likely_duplicates(get_session(), kind, name, aliases, exclude_ids=list(hidden))


def save_record(
    form: Any,
    record: KeyedRecord | None,
    *,
    create: Callable[..., KeyedRecord],
    update: Callable[..., KeyedRecord],
    template: str,
    noun: str,
    duplicates_of: str | None = None,
    saved_message: Callable[[Any], str] | None = None,
    saved_answer: Callable[[Any], Page] | None = None,
    before_commit: Callable[[], None] | None = None,
    **context: Any,
) -> Page:
    """Validate, then create or update through the services; one commit at the end.

    Errors keep what was typed and name the field by its label (HTTP 400), all in one
    round: the form's own checks and the service's; a concurrent change shows the
    conflict page (HTTP 409) and writes nothing. A new record of kind
    ``duplicates_of`` that looks like existing ones is not saved at first: the form
    comes back listing them, with a "save anyway" box.

    ``before_commit`` adds to the saving transaction (a form's draft is discarded);
    ``saved_answer`` answers instead of the flash and redirect (the create dialog).
    """
    if not form.is_submitted():
        return render_template(template, form=form, record=record, **context)
    valid = form.validate_on_submit()
    if record is not None and not form.version_given():
        pass  # version_given() has put "the version is missing" on the form
    elif not valid:
        # One round of errors: what the service would refuse too, not only the form.
        problems = _service_problems(form, record, create, update)
        if problems is not None:
            show_errors(form, _not_shown_yet(form, problems), typed_names(get_session()))
    else:
        session = get_session()
        duplicates = (
            _duplicates_of_new(duplicates_of, form.service_fields())
            if record is None and duplicates_of
            else []
        )
        if duplicates:
            return render_template(
                template, form=form, record=record, duplicates=duplicates, **context
            )

        def save() -> KeyedRecord:
            if record is None:
                saved = create(session, **form.service_fields())
            else:
                saved = update(session, record, form.expected_version, **form.service_fields())
            if before_commit:
                before_commit()
            return saved

        def saved_page(saved: KeyedRecord) -> Page:
            if saved_answer:
                return saved_answer(saved)
            message = (
                saved_message(saved)
                if saved_message
                else _("%(noun)s saved.", noun=_(noun).capitalize())
            )
            flash(message, "success")
            return redirect(url_for(f"{request.blueprint}.show", key=saved.key))

        try:
            page = commit_once(form, save, saved_page)
        except Conflict as conflict:
            session.rollback()
            return conflict_page(conflict, noun)
        if page is not None:
            return page
    return render_template(template, form=form, record=record, **context), 400


def commit_once(
    form: Any,
    change: Callable[[], Changed],
    then: Callable[[Changed], Page],
    *,
    refused: Callable[[ValidationError], None] | None = None,
) -> Page | None:
    """The write step of the form flow: ``change`` (a service call on the request's
    session), one commit, then ``then`` with what it returned (a redirect, most often).

    A ValidationError rolls back and puts each message beside the field it names (by
    its label, see show_errors), or hands it to ``refused`` (a button, which has no
    field to show it beside); None then, and the caller shows the form again (HTTP
    400). Nothing is committed but the whole change.
    """
    session = get_session()
    try:
        result = change()
    except ValidationError as error:
        session.rollback()
        if refused is None:
            show_errors(form, error, typed_names(session))
        else:
            refused(error)
        return None
    session.commit()
    return then(result)


def submit_form(
    form: Any,
    change: Callable[[], Changed],
    then: Callable[[Changed], Page],
    *,
    refused: Callable[[ValidationError], None] | None = None,
) -> Page | None:
    """A form that is not a record's (an account, a sheet upload): when it was sent and
    its own checks pass, commit_once; None when the caller is to show the form (again)."""
    if not form.validate_on_submit():
        return None
    return commit_once(form, change, then, refused=refused)


def _service_problems(
    form: Any,
    record: KeyedRecord | None,
    create: Callable[..., KeyedRecord],
    update: Callable[..., KeyedRecord],
) -> ValidationError | None:
    """What the service refuses in the submitted fields, found by a trial in a savepoint
    that is rolled back: nothing is written."""
    session = get_session()
    trial = session.begin_nested()
    try:
        if record is None:
            create(session, **form.service_fields())
        else:
            update(session, record, form.expected_version, **form.service_fields())
        session.flush()
    except ValidationError as error:
        return error
    except (Conflict, DBAPIError):
        # A conflict is shown by the save itself; input the database cannot hold (a NUL
        # character on PostgreSQL) is refused by the form, which already says why.
        return None
    finally:
        trial.rollback()
    return None


def _not_shown_yet(form: Any, error: ValidationError) -> ValidationError:
    """The service's problems with the fields the form does not already complain about:
    each field shows the form's message only."""
    messages = {}
    for name, message in error.errors.items():
        field = field_named(form, name)
        if field is None or not field.errors:
            messages[name] = message
    return ValidationError(messages)


@dataclass(frozen=True)
class ConflictRow:
    field: str
    yours: Any
    saved: Any

    @property
    def differs(self) -> bool:
        return self.yours != self.saved


def _comparable(name: str, value: Any) -> Any:
    """A submitted or stored value in one shape (aliases as a list, nested ``citations``
    under their evidence/1 name ``sources``, numbers as the text typed, blank form rows
    left out), so equal values compare equal."""
    if name == "aliases" and isinstance(value, str):
        return parse_aliases(value)
    if isinstance(value, dict):
        return {_STORED_NAMES.get(k, k): _comparable(k, v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_comparable(name, item) for item in value]
        return [item for item in items if not _blank_row(item)]
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


# A row of a list whose references are all empty is a blank form row: services skip it.
_REFERENCES = ("unit", "person", "source", "incident")


def _blank_row(item: Any) -> bool:
    if not isinstance(item, dict):
        return False
    references = [name for name in _REFERENCES if name in item]
    return bool(references) and not any(item[name] for name in references)


# Form fields stored under another evidence/1 name.
_STORED_NAMES = {"citations": "sources"}


def conflict_page(conflict: Conflict, noun: str) -> tuple[str, int]:
    """Both versions side by side: what the editor submitted and what is stored now."""
    protection = current_protection()
    current = conflict.current or {}
    rows = [
        ConflictRow(
            name,
            _comparable(name, value),
            _comparable(name, current.get(_STORED_NAMES.get(name, name))),
        )
        for name, value in conflict.attempted.items()
        if name != "key" or value
    ]
    page = render_template(
        "records/conflict.html",
        conflict=conflict,
        noun=noun,
        rows=rows,
        protection=protection,
        record_key=current.get("key"),
    )
    return page, 409


# --- the write routes every section has -------------------------------------------------


@dataclass(frozen=True)
class RecordRoutes:
    """What a section's new/edit/retract/restore (and merge) routes need to know."""

    model: type[KeyedRecord]
    form: type[FlaskForm]
    create: Callable[..., KeyedRecord]
    update: Callable[..., KeyedRecord]
    template: str
    noun: str
    edit_action: str = "edit"
    retract_action: str = "retract"
    # Persons, units, places and sources: warn of likely duplicates, offer merging.
    merge_kind: str | None = None
    # The record of a key, or 404 (default: find_or_404).
    find: Callable[[str], KeyedRecord] | None = None
    # The few fields of a new record created from inside another form, in a dialog
    # (persons, units, places, sources); none: no dialog.
    dialog_fields: tuple[str, ...] = ()
    # Forms whose typed input is autosaved as drafts (evidence.drafts): "incident", ...
    draft_form: str | None = None
    # Fills the form's choices from the database (e.g. the violation types).
    prepare_form: Callable[[Any], None] | None = None
    # A new record's form as first shown (e.g. linked to the incident it was opened from).
    new_data: Callable[[], dict[str, Any]] | None = None
    saved_message: Callable[[Any], str] | None = None
    # A page asking for the reason (GET /<key>/retract); without one, the record's page
    # carries the reason box and problems come back there as messages.
    retract_page: str | None = None

    def load(self, key: str) -> KeyedRecord:
        return self.find(key) if self.find else find_or_404(self.model, key)


def add_write_routes(bp: Blueprint, routes: RecordRoutes) -> None:
    """Register ``new``, ``edit``, ``retract`` and ``restore`` (and ``merge``) on the
    section's blueprint, each declaring its action (permissions.requires)."""
    from evidence.permissions import requires

    def save(record: KeyedRecord | None) -> Page:
        form = record_form(routes.form, record, routes.new_data, routes.draft_form)
        if routes.prepare_form:
            routes.prepare_form(form)
        # A reference field may hold a typed name, read as the user's audience sees records.
        with accepting_names(get_session(), current_protection()):
            if record is None and routes.dialog_fields and request.args.get(DIALOG_ARGUMENT):
                return create_in_dialog(form, routes)
            return save_record(
                form,
                record,
                create=routes.create,
                update=routes.update,
                template=routes.template,
                noun=routes.noun,
                duplicates_of=routes.merge_kind,
                saved_message=routes.saved_message,
                before_commit=_discard_draft if routes.draft_form else None,
                draft_form=routes.draft_form,
            )

    @requires(routes.edit_action)
    def new() -> Page:
        return save(None)

    @requires(routes.edit_action)
    def edit(key: str) -> Page:
        return save(routes.load(key))

    @requires(routes.retract_action)
    def retract(key: str) -> Page:
        return retract_record(routes.load(key), routes)

    @requires(routes.retract_action)
    def restore(key: str) -> Page:
        return restore_record(routes.load(key), routes.noun)

    retract_methods = ["GET", "POST"] if routes.retract_page else ["POST"]
    bp.add_url_rule("/new", "new", new, methods=["GET", "POST"])
    bp.add_url_rule("/<key>/edit", "edit", edit, methods=["GET", "POST"])
    bp.add_url_rule("/<key>/retract", "retract", retract, methods=retract_methods)
    bp.add_url_rule("/<key>/restore", "restore", restore, methods=["POST"])
    if routes.merge_kind is not None:
        kind = routes.merge_kind

        @requires("merge")
        def merge(key: str) -> Page:
            return merge_record(routes.load(key), kind, routes.noun)

        bp.add_url_rule("/<key>/merge", "merge", merge, methods=["GET", "POST"])


def _discard_draft() -> None:
    from evidence.drafts.views import discard_draft_of_saved_form

    discard_draft_of_saved_form()


# --- creating a record from inside another form -----------------------------------------

DIALOG_ARGUMENT = "dialog"
# Ids in the dialog differ from the enclosing form's (both may have a "title" or "key").
DIALOG_ID_PREFIX = "new-"


def create_in_dialog(form: Any, routes: RecordRoutes) -> Page:
    """The new-record page as a dialog inside another form: the same permission, form,
    duplicate check, service and single commit, shown as a fragment with only
    ``routes.dialog_fields``; once saved, the record's key and label as JSON (201)."""
    for field in form:
        field.id = DIALOG_ID_PREFIX + field.id
    return save_record(
        form,
        None,
        create=routes.create,
        update=routes.update,
        template="drafts/create_dialog.html",
        noun=routes.noun,
        duplicates_of=routes.merge_kind,
        saved_answer=_created,
        dialog_fields=routes.dialog_fields,
        kind=routes.merge_kind,
    )


def _created(record: Any) -> tuple[Response, int]:
    label = record.title if hasattr(record, "title") else record.name
    return jsonify(key=record.key, label=label), 201


# --- merging ----------------------------------------------------------------------------


MERGE_CONFLICT = translatable(
    "Someone changed one of these records meanwhile: nothing was merged. Try again."
)


def merge_record(record: KeyedRecord, kind: str, noun: str) -> Page:
    """Merge this record into the one chosen to keep; errors name the field (HTTP 400)."""
    form = MergeForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("records/merge.html", form=form, record=record, noun=noun), status
    session = get_session()
    try:
        summary = merge_records(session, kind, form.keep.data, record.key, by=current_user.name)
    except ValidationError as error:
        session.rollback()
        for name, message in error.errors.items():
            if name == "keep":
                form.keep.errors = [*form.keep.errors, localized(message)]
            else:
                form.form_errors.append(localized(message))
        return render_template("records/merge.html", form=form, record=record, noun=noun), 400
    except Conflict:
        session.rollback()
        form.form_errors.append(_(MERGE_CONFLICT))
        return render_template("records/merge.html", form=form, record=record, noun=noun), 409
    session.commit()
    moved = "; ".join(localized(line) for line in summary.lines())
    flash(
        _(
            "Merged %(noun)s %(other)s into this %(noun)s (%(moved)s).",
            other=summary.other_key,
            noun=_(noun),
            moved=moved,
        ),
        "success",
    )
    return redirect(url_for(f"{request.blueprint}.show", key=summary.keep_key))


# --- retract and restore ----------------------------------------------------------------


def retract_record(record: KeyedRecord, routes: RecordRoutes) -> Page:
    """Withdraw a record with the reason given; it stays in the history.

    With a retract page, the page asks for the reason and comes back with problems
    beside the field (400); without one, problems come back as messages on the record's
    page.
    """
    noun, page = routes.noun, routes.retract_page
    if request.method == "GET":
        return render_template(page, form=RetractForm(version=record.version), record=record)
    form = RetractForm()
    session = get_session()
    if not form.validate_on_submit():
        if page:
            return render_template(page, form=form, record=record), 400
        problem = form.reason.errors[0] if form.reason.errors else _("give a reason")
        flash(
            _(
                "%(noun)s not retracted: reason for retraction: %(problem)s.",
                noun=_(noun).capitalize(),
                problem=problem,
            ),
            "error",
        )
    elif not form.version_given():
        if page:
            return render_template(page, form=form, record=record), 400
        flash(
            _("%(noun)s not retracted.", noun=_(noun).capitalize()) + " " + _(MISSING_VERSION),
            "error",
        )
    else:

        def shown_on_the_page(error: ValidationError) -> Page | None:
            if not page:
                return None
            show_errors(form, error)
            return render_template(page, form=form, record=record), 400

        answer = _change_from_a_button(
            lambda: retract(
                session,
                record,
                form.reason.data,
                by=current_user.name,
                expected_version=form.expected_version,
            ),
            noun,
            refused=NOT_RETRACTED,
            done=RETRACTED,
            refusal_page=shown_on_the_page,
        )
        if answer is not None:
            return answer
    return redirect(url_for(f"{request.blueprint}.show", key=record.key))


def restore_record(record: KeyedRecord, noun: str) -> Page:
    form = RestoreForm()
    if not form.validate_on_submit() or not form.version_given():
        flash(
            _("%(noun)s not restored.", noun=_(noun).capitalize()) + " " + _(MISSING_VERSION),
            "error",
        )
        return redirect(url_for(f"{request.blueprint}.show", key=record.key))
    answer = _change_from_a_button(
        lambda: restore(get_session(), record, expected_version=form.expected_version),
        noun,
        refused=NOT_RESTORED,
        done=RESTORED,
    )
    return answer or redirect(url_for(f"{request.blueprint}.show", key=record.key))


NOT_RETRACTED = translatable("%(noun)s not retracted: %(problem)s")
RETRACTED = translatable("%(noun)s retracted. It stays in the history.")
NOT_RESTORED = translatable("%(noun)s not restored: %(problem)s")
RESTORED = translatable("%(noun)s restored.")


def _change_from_a_button(
    change: Callable[[], object],
    noun: str,
    *,
    refused: str,
    done: str,
    refusal_page: Callable[[ValidationError], Page | None] = lambda _error: None,
) -> Page | None:
    """A change asked for by a button on a record's page (retract, restore): one commit
    and a notice saying ``done``; a refusal rolls back and is said on ``refusal_page``,
    else in a notice worded ``refused``. None when the caller is to go back to the record.
    """
    session = get_session()
    try:
        change()
    except ValidationError as error:
        session.rollback()
        shown = refusal_page(error)
        if shown is not None:
            return shown
        flash(_(refused, noun=_(noun).capitalize(), problem=error_text(error)), "error")
    except Conflict as conflict:
        session.rollback()
        return conflict_page(conflict, noun)
    else:
        session.commit()
        flash(_(done, noun=_(noun).capitalize()), "success")
    return None
