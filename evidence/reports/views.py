"""The sourcing report page for auditors."""

from __future__ import annotations

from flask import Blueprint, render_template

from evidence.db import get_session
from evidence.permissions import requires
from evidence.protection import current_protection
from evidence.reports.services import sourcing_report

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.get("/sourcing")
@requires("audit")
def sourcing() -> str:
    report = sourcing_report(get_session(), current_protection())
    return render_template("reports/sourcing.html", report=report)
