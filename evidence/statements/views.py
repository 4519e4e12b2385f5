"""Witness statements: list and page (protection applied); create/edit and retract/restore
through the one form flow (web.record_views).

A viewer (the public audience) never sees who gave a pseudonymous or
confidential statement, and a confidential statement does not exist for them:
it is not listed and its address answers 404, as for a key nobody uses.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, raiseload, selectinload

from evidence.audit.services import history
from evidence.permissions import requires
from evidence.statements.forms import StatementForm
from evidence.statements.models import Statement, StatementIncident
from evidence.statements.services import (
    create_statement,
    load_statement,
    update_statement,
)
from evidence.vocabularies import PROTECTION_LEVELS
from evidence.web.language import human_date
from evidence.web.pagination import paginate
from evidence.web.record_views import RecordRoutes, add_write_routes
from evidence.web.request_context import current_protection, get_session

bp = Blueprint("statements", __name__, url_prefix="/statements")

PER_PAGE = 50
PREVIEW_CHARACTERS = 240


def _statement(key: str) -> Statement:
    """A statement with its witness, source and excerpts; 404 when the user may not see it
    (a hidden statement does not exist for them, so its address says nothing)."""
    session = get_session()
    statement_id = session.scalar(select(Statement.id).where(Statement.key == key))
    statement = load_statement(session, statement_id) if statement_id is not None else None
    if statement is None or not current_protection().visible(statement):
        abort(404)
    return statement


@bp.get("/")
@requires("read")
def index() -> str:
    protection = current_protection()
    include_retracted = request.args.get("retracted") == "1"
    level = request.args.get("protection", "")
    stmt = (
        select(Statement)
        .options(
            joinedload(Statement.witness).raiseload("*"),
            selectinload(Statement.incident_links)
            .joinedload(StatementIncident.incident)
            .raiseload("*"),
            raiseload("*"),
        )
        .order_by(Statement.taken.is_(None), Statement.taken.desc(), Statement.key)
    )
    # Hidden statements are left out in the query, so counts and pages say nothing.
    stmt = stmt.where(protection.visible_condition(Statement))
    if level in PROTECTION_LEVELS:
        stmt = stmt.where(Statement.protection == level)
    if not include_retracted:
        stmt = stmt.where(Statement.retracted_at.is_(None))
    return render_template(
        "statements/index.html",
        page=paginate(get_session(), stmt, per_page=PER_PAGE),
        include_retracted=include_retracted,
        level=level,
        levels=PROTECTION_LEVELS,
        humanize=human_date,
        preview_characters=PREVIEW_CHARACTERS,
    )


@bp.get("/<key>")
@requires("read")
def show(key: str) -> str:
    statement = _statement(key)
    protection = current_protection()
    return render_template(
        "statements/show.html",
        statement=statement,
        incident_links=[
            link
            for link in statement.incident_links
            if protection.is_internal or not link.incident.is_retracted
        ],
        history_entries=history(get_session(), "statement", statement.id),
        humanize=human_date,
    )


def _linked_to_the_incident_opened_from() -> dict[str, object]:
    return {"incidents": [{"incident": request.args.get("incident", ""), "excerpt": ""}]}


add_write_routes(
    bp,
    RecordRoutes(
        Statement,
        StatementForm,
        create_statement,
        update_statement,
        template="statements/form.html",
        noun="statement",
        find=_statement,
        new_data=_linked_to_the_incident_opened_from,
        saved_message=lambda statement: _("Statement %(key)s saved.", key=statement.key),
        retract_page="incidents/retract.html",
        draft_form="statement",
    ),
)
