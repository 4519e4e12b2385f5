"""Two JSON endpoints that every record form uses (through static/js/forms.js).

- ``GET /lookup/<kind>?q=`` suggests units, persons, places, sources or incidents
  whose name, title, key or alias contains ``q``. Protection applies: outside
  the internal audience protected persons are never suggested, and a record is
  suggested only when ``q`` matches what the audience may see of it (so typing a
  protected witness's name finds nothing that names them).
- ``GET /lookup/date?value=`` reads a date phrase ("about August 2020") or EDTF date,
  and answers the EDTF it will be stored as (``edtf``), how people read it (``text``) and
  the days it may fall on (``earliest``, ``latest``; ``range_text`` says them in the
  page's language).
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request
from flask.wrappers import Response
from flask_babel import ngettext

from evidence import dates, limits
from evidence.date_phrases import to_edtf
from evidence.lookup.services import AUTOCOMPLETE_KINDS, Suggestion, autocomplete
from evidence.permissions import requires
from evidence.protection import Protection, ViewerInput
from evidence.records.editing import unreadable_date
from evidence.search.normalise import contains
from evidence.web.language import human_date, localized
from evidence.web.request_context import current_protection, get_session

bp = Blueprint("lookup", __name__, url_prefix="/lookup")

SUGGESTIONS = 10


@bp.get("/date")
@requires("read")
def date() -> Response:
    value = request.args.get("value", "").strip()
    refused = {
        "valid": False,
        "text": "",
        "edtf": None,
        "earliest": None,
        "latest": None,
        "range_text": "",
    }
    if not value:
        return jsonify(**refused, error=None)
    if len(value) > limits.DATE:
        return jsonify(
            **refused,
            error=ngettext("at most %(num)d character", "at most %(num)d characters", limits.DATE),
        )
    try:
        edtf = to_edtf(value)
        bounds = dates.parse(edtf)
    except dates.InvalidDate as error:
        return jsonify(**refused, error=localized(unreadable_date(error)))
    earliest = bounds.earliest.isoformat() if bounds.earliest else None
    latest = bounds.latest.isoformat() if bounds.latest else None
    return jsonify(
        valid=True,
        text=human_date(edtf),
        edtf=edtf,
        earliest=earliest,
        latest=latest,
        range_text=_days_between(earliest, latest),
        error=None,
    )


def _days_between(earliest: str | None, latest: str | None) -> str:
    """The days a date may fall on, read as an EDTF interval in the page's language (the
    browser's own date names lack Belarusian)."""
    if earliest is None and latest is None:
        return ""
    return human_date(f"{earliest or '..'}/{latest or '..'}")


@bp.get("/<kind>")
@requires("read")
def suggest(kind: str) -> Response:
    if kind not in AUTOCOMPLETE_KINDS:
        abort(404)
    text = request.args.get("q", "").strip()[: limits.NAME]
    protection = current_protection()
    # Hidden records are left out in the query, so they never take a suggestion's place.
    # Text that may name a protected person suggests nothing, as a nonsense word would.
    names_protected = bool(protection.ignored_query_words(text))
    found = (
        []
        if names_protected
        else autocomplete(get_session(), kind, text, SUGGESTIONS, hidden_ids=protection.hidden_ids)
    )
    results = [
        shown for shown in (_as_shown(s, text, protection) for s in found) if shown is not None
    ]
    return jsonify(kind=kind, query=ViewerInput(text), results=results)


def _as_shown(suggestion: Suggestion, text: str, protection: Protection) -> dict | None:
    """The suggestion as this audience may see it; None when only hidden names matched."""
    label = protection.scrub(suggestion.label) or ""
    key = protection.scrub(suggestion.key) or ""
    aliases = [protection.scrub(alias) or "" for alias in suggestion.aliases]
    if not contains(text, (label, *aliases)) and text.casefold() not in key.casefold():
        return None
    return {
        "key": suggestion.key if key == suggestion.key else None,
        "label": label,
        "aliases": aliases,
    }
