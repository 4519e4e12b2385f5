"""Incident pages: the filtered list, the incident page, create/edit forms, retract/restore.

Every page passes through the protection filter: titles and narratives are
scrubbed, protected persons appear only under their pseudonym (and unlinked,
so their key never shows), hidden statements are left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from evidence import limits
from evidence.actors.models import Unit
from evidence.audit.services import history
from evidence.db import get_session
from evidence.incidents.forms import IncidentForm
from evidence.incidents.models import Incident, ViolationType
from evidence.incidents.services import (
    IncidentFilters,
    citation_counts,
    create_incident,
    list_incidents,
    load_incident,
    restore_incident,
    retract_incident,
    update_incident,
    violation_types,
)
from evidence.permissions import requires
from evidence.places.models import Place
from evidence.protection import Protection, ViewerInput, current_protection
from evidence.services_common import (
    MISSING_VERSION,
    Conflict,
    RestoreForm,
    RetractForm,
    ValidationError,
    form_data,
    show_errors,
)
from evidence.sources.models import Citation
from evidence.vocabularies import CREDIBILITY, INCIDENT_STATUSES
from evidence.web.language import human_date
from evidence.web.pagination import Page, page_number

bp = Blueprint("incidents", __name__, url_prefix="/incidents")

PER_PAGE = 50
FormPage = str | tuple[str, int] | Response


# --- the list ---------------------------------------------------------------------------


@dataclass
class ListFilters:
    """The list's query arguments as typed, the filters they mean, and problems per field."""

    values: dict[str, str]
    filters: IncidentFilters
    errors: dict[str, str] = field(default_factory=dict)


def _key_to_id(model: type, key: str) -> int | None:
    return get_session().scalar(select(model.id).where(model.key == key))


def _read_filters(protection: Protection) -> ListFilters:
    args = request.args
    names = ("q", "date_from", "date_to", "place", "unit", "violation", "status")
    values = {name: args.get(name, "").strip() for name in names}
    values["q"] = ViewerInput(values["q"][: limits.SEARCH_CHARACTERS])
    filters = IncidentFilters(
        text=values["q"] or None,
        include_retracted=args.get("retracted") == "1",
        hidden_person_ids=frozenset(protection.pseudonyms),
    )
    result = ListFilters(values=values, filters=filters)
    for name, label in (("date_from", "From"), ("date_to", "To")):
        if values[name]:
            try:
                setattr(filters, name, dt.date.fromisoformat(values[name]))
            except ValueError:
                result.errors[name] = f'{label}: "{values[name]}" is not a date like 2020-08-10'
    references = (
        ("place", Place, "Place", "place"),
        ("unit", Unit, "Unit", "unit"),
        ("violation", ViolationType, "Violation", "violation_type"),
    )
    for name, model, label, attribute in references:
        if values[name]:
            found = _key_to_id(model, values[name])
            if found is None:
                result.errors[name] = f'{label}: nothing has the key "{values[name]}"'
            setattr(filters, attribute, found)
    if values["status"]:
        if values["status"] in INCIDENT_STATUSES:
            filters.status = values["status"]
        else:
            result.errors["status"] = f"Status: must be one of {', '.join(INCIDENT_STATUSES)}"
    return result


@bp.get("/")
@requires("read")
def index() -> str:
    session = get_session()
    protection = current_protection()
    chosen = _read_filters(protection)
    number = page_number()
    if chosen.errors or protection.ignored_query_words(chosen.filters.text):
        page: Page[Incident] = Page(items=[], number=1, per_page=PER_PAGE, total=0)
    else:
        found = list_incidents(session, chosen.filters, page=number, per_page=PER_PAGE)
        page = Page(items=found.items, number=found.page, per_page=PER_PAGE, total=found.total)
    return render_template(
        "incidents/index.html",
        page=page,
        chosen=chosen,
        sources=citation_counts(session, [incident.id for incident in page.items]),
        violation_options=[(vt.key, vt.label) for vt in violation_types(session)],
        status_options=[(status, _(status)) for status in INCIDENT_STATUSES],
        humanize=human_date,
    )


# --- the incident page ------------------------------------------------------------------


@dataclass
class Footnote:
    """One numbered citation: [number] in the text, the source with locator below."""

    number: int
    citation: Citation


def number_citations(groups: Iterable[Iterable[Citation]]) -> dict[int, Footnote]:
    """Citation id -> its footnote, numbered in the order the page shows them."""
    footnotes: dict[int, Footnote] = {}
    for group in groups:
        for citation in group:
            footnotes[citation.id] = Footnote(len(footnotes) + 1, citation)
    return footnotes


def _incident_id(key: str) -> int:
    incident_id = _key_to_id(Incident, key)
    if incident_id is None:
        abort(404)
    return incident_id


def _incident(key: str) -> Incident:
    incident = get_session().get(Incident, _incident_id(key))
    assert incident is not None
    return incident


@bp.get("/<key>")
@requires("read")
def show(key: str) -> str:
    session = get_session()
    detail = load_incident(session, _incident_id(key))
    if detail is None:
        abort(404)
    incident = detail.incident
    protection = current_protection()
    statement_links = [
        link for link in detail.statement_links if protection.visible(link.statement)
    ]
    footnotes = number_citations(
        [incident.citations, *(involvement.citations for involvement in incident.involvements)]
    )
    return render_template(
        "incidents/show.html",
        incident=incident,
        footnotes=footnotes,
        statement_links=statement_links,
        history_entries=history(session, "incident", incident.id),
        humanize=human_date,
        credibility=CREDIBILITY,
    )


# --- forms ------------------------------------------------------------------------------


def _form(data: Mapping[str, Any] | None = None) -> IncidentForm:
    form = IncidentForm(data=data) if data is not None else IncidentForm()
    form.set_violation_choices(violation_types(get_session()))
    return form


def _render_form(form: IncidentForm, incident: Incident | None, status: int = 200) -> FormPage:
    return render_template("incidents/form.html", form=form, incident=incident), status


@bp.route("/new", methods=["GET", "POST"])
@requires("edit")
def new() -> FormPage:
    form = _form()
    if request.method == "GET":
        return _render_form(form, None)
    return save_form(form, None, create_incident, update_incident, _render_form, _saved)


@bp.route("/<key>/edit", methods=["GET", "POST"])
@requires("edit")
def edit(key: str) -> FormPage:
    incident = _incident(key)
    if request.method == "GET":
        return _render_form(_form(form_data(get_session(), incident)), incident)
    return save_form(_form(), incident, create_incident, update_incident, _render_form, _saved)


def _saved(incident: Incident) -> str:
    return _("Incident “%(title)s” saved.", title=incident.title)


def save_form(
    form: Any,
    record: Any,
    create: Callable[..., Any],
    update: Callable[..., Any],
    render_form: Callable[[Any, Any, int], FormPage],
    saved: Callable[[Any], str],
) -> FormPage:
    """The posted form flow shared by the sections: validate, create or update, commit.

    Errors go back beside their fields with what was typed (400); a stale version
    shows the conflict page (409); success goes to the record's page.
    """
    if not (form.validate_on_submit() and (record is None or form.version_given())):
        return render_form(form, record, 400)
    session = get_session()
    try:
        if record is None:
            record = create(session, **form.service_fields())
        else:
            update(session, record, form.expected_version, **form.service_fields())
    except ValidationError as error:
        session.rollback()
        show_errors(form, error)
        return render_form(form, record, 400)
    except Conflict as conflict:
        return conflict_page(conflict, record, form.service_fields())
    session.commit()
    flash(saved(record), "success")
    return redirect(url_for(f"{request.blueprint}.show", key=record.key))


# --- conflicts --------------------------------------------------------------------------

# A row of a list whose references are all empty is a blank form row: services skip it.
REFERENCES = ("unit", "person", "source", "incident")


def plain(value: Any) -> str:
    """A submitted or stored value as comparable text: lists one item per line."""
    if value is None or value == "":
        return ""
    if isinstance(value, Mapping):
        return "; ".join(f"{name}: {text}" for name, item in value.items() if (text := plain(item)))
    if isinstance(value, list | tuple):
        items = [item for item in value if not _blank_row(item)]
        separator = "\n" if any(isinstance(item, Mapping) for item in items) else ", "
        return separator.join(text for item in items if (text := plain(item)))
    return str(value)


def _blank_row(item: Any) -> bool:
    if not isinstance(item, Mapping):
        return False
    references = [name for name in REFERENCES if name in item]
    return bool(references) and not any(item[name] for name in references)


@dataclass(frozen=True)
class ConflictRow:
    name: str
    yours: str
    stored: str

    @property
    def differs(self) -> bool:
        return self.yours != self.stored


def conflict_rows(attempted: Mapping[str, Any], stored: Mapping[str, Any]) -> list[ConflictRow]:
    """Each field the editor sent, as they sent it and as it is stored now."""
    return [
        ConflictRow(name, plain(value), plain(stored.get(name)))
        for name, value in attempted.items()
    ]


def conflict_page(conflict: Conflict, record: Any, attempted: Mapping[str, Any]) -> FormPage:
    """Nothing was written: show the editor's version beside the stored one (HTTP 409)."""
    session = get_session()
    session.rollback()
    session.expire(record)
    stored = form_data(session, record)
    protection = current_protection()
    rows = [
        ConflictRow(row.name, row.yours, protection.scrub(row.stored) or "")
        for row in conflict_rows(attempted, stored)
    ]
    page = render_template(
        "incidents/conflict.html",
        record=record,
        entity=conflict.entity,
        rows=rows,
        expected_version=conflict.expected_version,
        current_version=record.version,
    )
    return page, 409


# --- retract and restore ----------------------------------------------------------------


@bp.route("/<key>/retract", methods=["GET", "POST"])
@requires("retract")
def retract(key: str) -> FormPage:
    incident = _incident(key)
    return retract_view(incident, retract_incident, _("Incident “%(title)s”", title=incident.title))


@bp.post("/<key>/restore")
@requires("retract")
def restore(key: str) -> FormPage:
    incident = _incident(key)
    return restore_view(incident, restore_incident, _("Incident “%(title)s”", title=incident.title))


def retract_view(record: Any, retract_record: Callable[..., Any], label: str) -> FormPage:
    """Ask for a reason (GET), then retract the record (POST); shared by the sections."""
    form = RetractForm() if request.method == "POST" else RetractForm(version=record.version)
    if not (form.validate_on_submit() and form.version_given()):
        return _render_retract(form, record, 400 if form.is_submitted() else 200)
    session = get_session()
    try:
        retract_record(
            session,
            record,
            form.reason.data,
            current_user.name,
            expected_version=form.expected_version,
        )
    except ValidationError as error:
        session.rollback()
        show_errors(form, error)
        return _render_retract(form, record, 400)
    except Conflict as conflict:
        return conflict_page(conflict, record, {"retracted": form.reason.data})
    session.commit()
    flash(_("%(label)s retracted. It stays in the history.", label=label), "success")
    return redirect(url_for(f"{request.blueprint}.show", key=record.key))


def _render_retract(form: RetractForm, record: Any, status: int) -> tuple[str, int]:
    return render_template("incidents/retract.html", form=form, record=record), status


def restore_view(record: Any, restore_record: Callable[..., Any], label: str) -> FormPage:
    """Undo a retraction (POST with the version seen); shared by the sections."""
    form = RestoreForm()
    if not (form.validate_on_submit() and form.version_given()):
        flash(_("Not restored.") + " " + _(MISSING_VERSION), "error")
        return redirect(url_for(f"{request.blueprint}.show", key=record.key))
    session = get_session()
    try:
        restore_record(session, record, expected_version=form.expected_version)
    except ValidationError as error:
        session.rollback()
        flash(_("Not restored: %(problem)s", problem=next(iter(error.errors.values()))), "error")
    except Conflict as conflict:
        return conflict_page(conflict, record, {"retracted": None})
    else:
        session.commit()
        flash(_("%(label)s restored.", label=label), "success")
    return redirect(url_for(f"{request.blueprint}.show", key=record.key))
