"""The audit log for auditors and admins, chain verification, and the history partial.

Record pages show their history with the macro in templates/audit/_history.html::

    {% from "audit/_history.html" import history_section %}
    {{ history_section(history_entries, protection) }}

where the view passed ``history_entries=history(session, "incident", incident.id)``
(evidence.audit.services.history) and ``protection`` is in every template.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, abort, render_template, request

from evidence.audit.diffs import Segment, word_diff
from evidence.audit.models import AuditEntry, AuditRead
from evidence.audit.services import KINDS, log_actions, log_query
from evidence.audit.verify import verify
from evidence.permissions import requires
from evidence.records.loading import ENTITIES
from evidence.web.pagination import paginate
from evidence.web.request_context import get_session

bp = Blueprint("audit", __name__, url_prefix="/audit")

VALUE_LIMIT = 300
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@bp.app_template_filter("audit_value")
def audit_value(value: Any) -> str:
    """A changed field's value as short readable text ("—" for nothing)."""
    if value is None or value == [] or value == {}:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= VALUE_LIMIT else text[: VALUE_LIMIT - 1] + "…"


@bp.app_template_filter("word_diff")
def word_diff_filter(values: list[Any]) -> list[Segment]:
    """A changed field's [before, after] as word-level segments for the diff macro."""
    before, after = values
    return word_diff(before, after)


@bp.get("/")
@requires("audit")
def index() -> str:
    names = ("kind", "actor", "action", "entity", "record", "since", "until")
    filters = {name: (request.args.get(name) or "").strip() or None for name in names}
    for name in ("since", "until"):
        if filters[name] and not DAY.match(filters[name]):
            filters[name] = None  # not a date: ignored rather than compared as text
    if filters["kind"] not in KINDS:
        filters["kind"] = None
    session = get_session()
    page = paginate(session, log_query(**filters), scalars=False)
    return render_template(
        "audit/index.html",
        page=page,
        filters=filters,
        kinds=KINDS,
        actions=log_actions(session),
        entities=sorted(ENTITIES),
    )


@bp.get("/<int:seq>")
@requires("audit")
def entry(seq: int) -> str:
    """One entry with its changes as a diff (before -> after)."""
    found = get_session().get(AuditEntry, seq)
    if found is None:
        abort(404)
    return render_template("audit/entry.html", entry=found)


@bp.get("/reads/<int:seq>")
@requires("audit")
def read_entry(seq: int) -> str:
    """One entry of the chain of reads: who took what out, when, and its hashes."""
    found = get_session().get(AuditRead, seq)
    if found is None:
        abort(404)
    return render_template("audit/read.html", entry=found)


@bp.post("/verify")
@requires("audit")
def verify_chain() -> str:
    report = verify(get_session())
    return render_template("audit/verify.html", report=report)
