"""Incident pages: the filtered list, the incident page; create/edit and retract/restore
through the one form flow (web.record_views).

Every page passes through the protection filter: titles and narratives are
scrubbed, protected persons appear only under their pseudonym (and unlinked,
so their key never shows), hidden statements are left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from evidence import limits
from evidence.actors.models import Unit
from evidence.audit.services import history
from evidence.core.pagination import Page
from evidence.incidents.forms import IncidentForm
from evidence.incidents.models import Incident, ViolationType
from evidence.incidents.services import (
    IncidentFilters,
    citation_counts,
    create_incident,
    list_incidents,
    load_incident,
    update_incident,
    violation_types,
)
from evidence.permissions import requires
from evidence.places.models import Place
from evidence.protection import Protection, ViewerInput
from evidence.sources.models import Citation
from evidence.vocabularies import CREDIBILITY, INCIDENT_STATUSES
from evidence.web.language import human_date
from evidence.web.pagination import page_number
from evidence.web.record_views import RecordRoutes, add_write_routes
from evidence.web.request_context import current_protection, get_session

bp = Blueprint("incidents", __name__, url_prefix="/incidents")

PER_PAGE = 50


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
        page = list_incidents(session, chosen.filters, page=number, per_page=PER_PAGE)
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


# --- forms, retract and restore -------------------------------------------------------


def _with_violation_choices(form: IncidentForm) -> None:
    form.set_violation_choices(violation_types(get_session()))


add_write_routes(
    bp,
    RecordRoutes(
        Incident,
        IncidentForm,
        create_incident,
        update_incident,
        template="incidents/form.html",
        noun="incident",
        find=_incident,
        prepare_form=_with_violation_choices,
        saved_message=lambda incident: _("Incident “%(title)s” saved.", title=incident.title),
        retract_page="incidents/retract.html",
        draft_form="incident",
    ),
)
