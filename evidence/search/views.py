"""The search page: GET /search?q=... — results grouped by record type, with filters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from evidence.models import Place, Unit, ViolationType
from evidence.permissions import requires
from evidence.protection import ViewerInput
from evidence.search.models import SEARCHED
from evidence.search.services import SearchFilters, bound_query, search
from evidence.vocabularies import INCIDENT_STATUSES, PROTECTION_LEVELS, translatable
from evidence.web.language import page_language
from evidence.web.pagination import page_number
from evidence.web.request_context import current_protection, get_session

bp = Blueprint("search", __name__)

GROUP_SIZE = 5  # hits per record type on the overview
PAGE_SIZE = 20  # hits per page when one record type is chosen
TYPE_LABELS = {
    "incident": translatable("Incidents"),
    "statement": translatable("Statements"),
    "person": translatable("Persons"),
    "unit": translatable("Units"),
    "place": translatable("Places"),
    "source": translatable("Sources"),
    "case": translatable("Cases"),
}
SECTIONS = {entity: f"{entity}s" for entity in SEARCHED}


@dataclass
class ChosenFilters:
    """The filter arguments as typed, what they mean, and a message per unusable one."""

    values: dict[str, str]
    filters: SearchFilters
    errors: dict[str, str] = field(default_factory=dict)


def _read_filters() -> ChosenFilters:
    names = ("date_from", "date_to", "place", "unit", "violation", "status", "protection")
    values = {name: request.args.get(name, "").strip() for name in names}
    chosen: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, label in (("date_from", "From"), ("date_to", "To")):
        if values[name]:
            try:
                chosen[name] = dt.date.fromisoformat(values[name])
            except ValueError:
                errors[name] = f'{label}: "{values[name]}" is not a date like 2020-08-10'
    references = (
        ("place", Place, "Place", "place"),
        ("unit", Unit, "Unit", "unit"),
        ("violation", ViolationType, "Violation", "violation_type"),
    )
    for name, model, label, attribute in references:
        if values[name]:
            found = get_session().scalar(select(model.id).where(model.key == values[name]))
            if found is None:
                errors[name] = f'{label}: nothing has the key "{values[name]}"'
            chosen[attribute] = found
    for name, label, allowed in (
        ("status", "Status", INCIDENT_STATUSES),
        ("protection", "Protection", PROTECTION_LEVELS),
    ):
        if values[name] in allowed:
            chosen[name] = values[name]
        elif values[name]:
            errors[name] = f"{label}: must be one of {', '.join(allowed)}"
    return ChosenFilters(values=values, filters=SearchFilters(**chosen), errors=errors)


@bp.get("/search")
@requires("read")
def index() -> str:
    query, query_notice = bound_query(request.args.get("q", "").strip())
    chosen_type = request.args.get("type", "")
    chosen_type = chosen_type if chosen_type in SEARCHED else ""
    chosen = _read_filters()
    results = None
    if query and not chosen.errors:
        results = search(
            get_session(),
            query,
            protection=current_protection(),
            types=[chosen_type] if chosen_type else None,
            filters=chosen.filters,
            page=page_number() if chosen_type else 1,
            per_page=PAGE_SIZE if chosen_type else GROUP_SIZE,
            language=page_language(),
        )
    violations = get_session().execute(
        select(ViolationType.key, ViolationType.label)
        .where(ViolationType.retracted_at.is_(None))
        .order_by(ViolationType.label)
    )
    return render_template(
        "search/index.html",
        query=ViewerInput(query),
        query_notice=query_notice,
        chosen_type=chosen_type,
        chosen=chosen,
        results=results,
        type_labels={entity: _(label) for entity, label in TYPE_LABELS.items()},
        sections=SECTIONS,
        violation_options=list(violations),
        status_options=[(s, _(s)) for s in INCIDENT_STATUSES],
        protection_options=[(p, _(p)) for p in PROTECTION_LEVELS],
    )
