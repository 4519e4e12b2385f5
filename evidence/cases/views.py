"""Case pages: a lawyer's ordered selection of incidents (issue 5, section 1).

Everyone may read cases; creating, editing and changing their incidents is the
"cases" action (lawyers). The dossier engineer's export buttons and job
progress are included on the case page from ``dossiers/_case_exports.html``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, raiseload

from evidence.audit.services import history
from evidence.cases.forms import CaseForm, CaseIncidentForm, MoveIncidentForm
from evidence.cases.models import Case
from evidence.cases.services import (
    add_case_incident,
    case_incident_ids,
    create_case,
    load_case,
    move_case_incident,
    remove_case_incident,
    update_case,
)
from evidence.core.timestamps import iso_utc, utcnow
from evidence.core.validation import ValidationError
from evidence.dossiers.figures import case_figures
from evidence.dossiers.snapshot import build_snapshot
from evidence.lookup.services import autocomplete
from evidence.permissions import requires
from evidence.records.editing import Conflict
from evidence.statements.models import Statement, StatementIncident
from evidence.vocabularies import translatable
from evidence.web.language import localized, page_language
from evidence.web.pagination import paginate
from evidence.web.record_views import (
    ListFilters,
    Page,
    RecordRoutes,
    add_write_routes,
    conflict_page,
    find_or_404,
    list_query,
    record_blueprint,
    record_id_or_404,
)
from evidence.web.request_context import current_protection, get_session

bp = record_blueprint("cases", __name__, "/cases")
NOUN = translatable("case")
add_write_routes(
    bp,
    RecordRoutes(
        Case,
        CaseForm,
        create_case,
        update_case,
        template="cases/form.html",
        noun=NOUN,
        edit_action="cases",
        retract_action="cases",
    ),
)
FIND_LIMIT = 10


@bp.get("/")
@requires("read")
def index() -> str:
    filters = ListFilters.from_request()
    page = paginate(get_session(), list_query(Case, Case.title, filters))
    return render_template("cases/index.html", page=page, filters=filters)


def _statement_links(incident_ids: list[int]) -> dict[int, list[StatementIncident]]:
    """The statement excerpts about each incident, for this audience (one query)."""
    if not incident_ids:
        return {}
    links = get_session().scalars(
        select(StatementIncident)
        .join(Statement, Statement.id == StatementIncident.statement_id)
        .where(StatementIncident.incident_id.in_(incident_ids))
        .options(
            joinedload(StatementIncident.statement).options(
                joinedload(Statement.witness).raiseload("*"), raiseload("*")
            ),
            raiseload("*"),
        )
        .order_by(Statement.key, StatementIncident.position)
    )
    protection = current_protection()
    by_incident: dict[int, list[StatementIncident]] = defaultdict(list)
    for link in links:
        if protection.visible(link.statement):
            by_incident[link.incident_id].append(link)
    return by_incident


@bp.get("/<key>")
@requires("read")
def show(key: str) -> str:
    session = get_session()
    case = load_case(session, record_id_or_404(Case, key))
    incident_ids = case_incident_ids(case)
    find = request.args.get("find", "").strip()
    found = autocomplete(session, "incidents", find, FIND_LIMIT, exclude_ids=incident_ids)
    snapshot = build_snapshot(
        session,
        case.key,
        current_protection().audience,
        iso_utc(utcnow()),
        "case page",
        page_language(),
    )
    return render_template(
        "cases/show.html",
        case=case,
        figures=case_figures(snapshot),
        statement_links=_statement_links(incident_ids),
        find=find,
        found=found,
        add_form=CaseIncidentForm(formdata=None, version=case.version),
        history_entries=history(session, "case", case.id),
    )


def _change_incidents(
    key: str, form: CaseIncidentForm, change: Callable[[Case, Any], Any], done: str
) -> Page:
    """Validate the form, apply ``change`` to the case through its service, commit."""
    case = find_or_404(Case, key)
    session = get_session()
    if not (form.validate_on_submit() and form.version_given()):
        for message in form.form_errors:
            flash(message, "error")
        for field in form:
            for message in field.errors:
                flash(_("%(field)s: %(message)s", field=field.label.text, message=message), "error")
        return redirect(url_for("cases.show", key=case.key))
    try:
        change(case, form)
    except ValidationError as error:
        session.rollback()
        for message in error.errors.values():
            flash(_("Incident: %(message)s", message=localized(message)), "error")
    except Conflict as conflict:
        session.rollback()
        return conflict_page(conflict, NOUN)
    else:
        session.commit()
        flash(done, "success")
    return redirect(url_for("cases.show", key=case.key))


@bp.post("/<key>/incidents/add")
@requires("cases")
def add_incident(key: str) -> Page:
    def add(case: Case, form: CaseIncidentForm) -> None:
        add_case_incident(get_session(), case, form.incident.data, form.expected_version)

    return _change_incidents(key, CaseIncidentForm(), add, _("Incident added to the case."))


@bp.post("/<key>/incidents/remove")
@requires("cases")
def remove_incident(key: str) -> Page:
    def remove(case: Case, form: CaseIncidentForm) -> None:
        remove_case_incident(get_session(), case, form.incident.data, form.expected_version)

    return _change_incidents(key, CaseIncidentForm(), remove, _("Incident removed from the case."))


@bp.post("/<key>/incidents/move")
@requires("cases")
def move_incident(key: str) -> Page:
    def move(case: Case, form: MoveIncidentForm) -> None:
        move_case_incident(
            get_session(), case, form.incident.data, form.offset.data, form.expected_version
        )

    return _change_incidents(key, MoveIncidentForm(), move, _("Incident moved."))
