"""The sourcing report page for auditors."""

from __future__ import annotations

from flask import Blueprint, render_template

from evidence.permissions import requires
from evidence.reports.services import sourcing_report
from evidence.web.request_context import current_protection, get_session

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.get("/sourcing")
@requires("audit")
def sourcing() -> str:
    report = sourcing_report(get_session(), current_protection())
    return render_template("reports/sourcing.html", report=report)
