"""The dashboard: the first page after sign-in."""

from __future__ import annotations

from flask import Blueprint, render_template

from evidence.dashboard.services import recent_changes, record_counts, unsourced_facts
from evidence.permissions import requires
from evidence.web.request_context import current_protection, get_session

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@requires("read")
def index() -> str:
    session = get_session()
    protection = current_protection()
    return render_template(
        "dashboard/index.html",
        counts=record_counts(session, protection),
        changes=recent_changes(session, protection),
        unsourced=unsourced_facts(session, protection),
    )
