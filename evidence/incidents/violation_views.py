"""Violation types (the choices of an incident's "Violations"): list, page, form, retract."""

from __future__ import annotations

from flask import render_template

from evidence.audit.services import history
from evidence.incidents.forms import ViolationTypeForm
from evidence.incidents.models import ViolationType
from evidence.incidents.services import (
    create_violation_type,
    update_violation_type,
    violation_types,
)
from evidence.permissions import requires
from evidence.vocabularies import translatable
from evidence.web.record_views import (
    RecordRoutes,
    add_write_routes,
    find_or_404,
    record_blueprint,
)
from evidence.web.request_context import get_session

bp = record_blueprint("violation_types", __name__, "/violation-types")
add_write_routes(
    bp,
    RecordRoutes(
        ViolationType,
        ViolationTypeForm,
        create_violation_type,
        update_violation_type,
        template="violation_types/form.html",
        noun=translatable("violation type"),
    ),
)


@bp.get("/")
@requires("read")
def index() -> str:
    records = violation_types(get_session(), include_retracted=True)
    return render_template("violation_types/index.html", violation_types=records)


@bp.get("/<key>")
@requires("read")
def show(key: str) -> str:
    violation_type = find_or_404(ViolationType, key)
    return render_template(
        "violation_types/show.html",
        violation_type=violation_type,
        history_entries=history(get_session(), "violation_type", violation_type.id),
    )
