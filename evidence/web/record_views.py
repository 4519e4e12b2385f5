"""The steps every record section (places, units, persons, sources, cases, violation types)
repeats: find a record by key, list with a quick filter, the create/edit form flow with
its conflict page, and retract/restore.

A section's views.py stays a list of routes that call these with its own form,
services and templates; the business rules live in the services.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute
from werkzeug.wrappers import Response

from evidence import limits
from evidence.db import get_session
from evidence.merging.forms import MergeForm
from evidence.merging.services import likely_duplicates, merge_records
from evidence.protection import ViewerInput, current_protection
from evidence.records import KeyedRecord
from evidence.services_common import (
    MISSING_VERSION,
    Conflict,
    RestoreForm,
    RetractForm,
    ValidationError,
    form_data,
    like_pattern,
    names_match,
    parse_aliases,
    show_errors,
)
from evidence.vocabularies import CREDIBILITY, RELIABILITY, translatable
from evidence.web.language import human_date

Page = str | Response | tuple[str, int]


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
        aliases = getattr(model, "aliases", None)
        matches = (
            names_match(get_session(), label, aliases, filters.text)
            if aliases is not None
            else label.ilike(like_pattern(filters.text), "\\")
        )
        stmt = stmt.where(or_(matches, model.key.ilike(like_pattern(filters.text), "\\")))
    if not filters.include_retracted:
        stmt = stmt.where(model.retracted_at.is_(None))
    return stmt.order_by(func.lower(label), model.id)


# --- forms ------------------------------------------------------------------------------


def record_form(form_class: type[FlaskForm], record: KeyedRecord | None) -> Any:
    """The form of a new record, or of a stored one (its current data on GET, plus one
    empty row in each list so a row can be added without JavaScript)."""
    if record is None or request.method != "GET":
        return form_class()
    form = form_class(data=form_data(get_session(), record))
    _add_spare_rows(form)
    return form


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
    **context: Any,
) -> Page:
    """Validate, then create or update through the services; one commit at the end.

    Errors keep what was typed and name the field (HTTP 400); a concurrent change
    shows the conflict page (HTTP 409) and writes nothing. A new record of kind
    ``duplicates_of`` that looks like existing ones is not saved at first: the form
    comes back listing them, with a "save anyway" box.
    """
    status = 200
    if form.validate_on_submit() and (record is None or form.version_given()):
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
        try:
            if record is None:
                saved = create(session, **form.service_fields())
            else:
                saved = update(session, record, form.expected_version, **form.service_fields())
        except ValidationError as error:
            session.rollback()
            show_errors(form, error)
        except Conflict as conflict:
            session.rollback()
            return conflict_page(conflict, noun)
        else:
            session.commit()
            flash(_("%(noun)s saved.", noun=_(noun).capitalize()), "success")
            return redirect(url_for(f"{request.blueprint}.show", key=saved.key))
        status = 400
    elif form.is_submitted():
        status = 400
    return render_template(template, form=form, record=record, **context), status


@dataclass(frozen=True)
class ConflictRow:
    field: str
    yours: Any
    saved: Any

    @property
    def differs(self) -> bool:
        return self.yours != self.saved


def _comparable(name: str, value: Any) -> Any:
    """A submitted value in the shape of the stored one (aliases as a list, nested
    ``citations`` under their evidence/1 name ``sources``), so equal values compare equal."""
    if name == "aliases" and isinstance(value, str):
        return parse_aliases(value)
    if isinstance(value, dict):
        return {("sources" if k == "citations" else k): _comparable(k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_comparable(name, item) for item in value]
    return value if value != "" else None


def conflict_page(conflict: Conflict, noun: str) -> tuple[str, int]:
    """Both versions side by side: what the editor submitted and what is stored now."""
    protection = current_protection()
    current = conflict.current or {}
    rows = [
        ConflictRow(name, _comparable(name, value), current.get(name))
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
    """What a section's new/edit/retract/restore routes need to know about its records."""

    model: type[KeyedRecord]
    form: type[FlaskForm]
    create: Callable[..., KeyedRecord]
    update: Callable[..., KeyedRecord]
    retract: Callable[..., Any]
    restore: Callable[..., Any]
    template: str
    noun: str
    edit_action: str = "edit"
    retract_action: str = "retract"
    # Persons, units, places and sources: warn of likely duplicates, offer merging.
    merge_kind: str | None = None


def add_write_routes(bp: Blueprint, routes: RecordRoutes) -> None:
    """Register ``new``, ``edit``, ``retract`` and ``restore`` on the section's blueprint,
    each declaring its action (permissions.requires)."""
    from evidence.permissions import requires

    def save(record: KeyedRecord | None) -> Page:
        return save_record(
            record_form(routes.form, record),
            record,
            create=routes.create,
            update=routes.update,
            template=routes.template,
            noun=routes.noun,
            duplicates_of=routes.merge_kind,
        )

    @requires(routes.edit_action)
    def new() -> Page:
        return save(None)

    @requires(routes.edit_action)
    def edit(key: str) -> Page:
        return save(find_or_404(routes.model, key))

    @requires(routes.retract_action)
    def retract(key: str) -> Page:
        return retract_record(find_or_404(routes.model, key), routes.retract, routes.noun)

    @requires(routes.retract_action)
    def restore(key: str) -> Page:
        return restore_record(find_or_404(routes.model, key), routes.restore, routes.noun)

    bp.add_url_rule("/new", "new", new, methods=["GET", "POST"])
    bp.add_url_rule("/<key>/edit", "edit", edit, methods=["GET", "POST"])
    bp.add_url_rule("/<key>/retract", "retract", retract, methods=["POST"])
    bp.add_url_rule("/<key>/restore", "restore", restore, methods=["POST"])
    if routes.merge_kind is not None:
        kind = routes.merge_kind

        @requires("merge")
        def merge(key: str) -> Page:
            return merge_record(find_or_404(routes.model, key), kind, routes.noun)

        bp.add_url_rule("/<key>/merge", "merge", merge, methods=["GET", "POST"])


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
                form.keep.errors = [*form.keep.errors, message]
            else:
                form.form_errors.append(message)
        return render_template("records/merge.html", form=form, record=record, noun=noun), 400
    except Conflict:
        session.rollback()
        form.form_errors.append(_(MERGE_CONFLICT))
        return render_template("records/merge.html", form=form, record=record, noun=noun), 409
    session.commit()
    moved = "; ".join(summary.lines())
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


def retract_record(record: KeyedRecord, retract: Callable[..., Any], noun: str) -> Page:
    """Withdraw a record with the reason given on its page; it stays in the history."""
    form = RetractForm()
    session = get_session()
    if not form.validate_on_submit():
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
        flash(
            _("%(noun)s not retracted.", noun=_(noun).capitalize()) + " " + _(MISSING_VERSION),
            "error",
        )
    else:
        try:
            retract(
                session,
                record,
                form.reason.data,
                by=current_user.name,
                expected_version=form.expected_version,
            )
        except ValidationError as error:
            session.rollback()
            flash(
                _(
                    "%(noun)s not retracted: %(problem)s",
                    noun=_(noun).capitalize(),
                    problem=error.errors.get("reason", error),
                ),
                "error",
            )
        except Conflict as conflict:
            session.rollback()
            return conflict_page(conflict, noun)
        else:
            session.commit()
            flash(
                _("%(noun)s retracted. It stays in the history.", noun=_(noun).capitalize()),
                "success",
            )
    return redirect(url_for(f"{request.blueprint}.show", key=record.key))


def restore_record(record: KeyedRecord, restore: Callable[..., Any], noun: str) -> Page:
    form = RestoreForm()
    if not form.validate_on_submit() or not form.version_given():
        flash(
            _("%(noun)s not restored.", noun=_(noun).capitalize()) + " " + _(MISSING_VERSION),
            "error",
        )
        return redirect(url_for(f"{request.blueprint}.show", key=record.key))
    session = get_session()
    try:
        restore(session, record, expected_version=form.expected_version)
    except ValidationError as error:
        session.rollback()
        flash(
            _(
                "%(noun)s not restored: %(problem)s",
                noun=_(noun).capitalize(),
                problem=error.errors.get("reason", error),
            ),
            "error",
        )
    except Conflict as conflict:
        session.rollback()
        return conflict_page(conflict, noun)
    else:
        session.commit()
        flash(_("%(noun)s restored.", noun=_(noun).capitalize()), "success")
    return redirect(url_for(f"{request.blueprint}.show", key=record.key))
