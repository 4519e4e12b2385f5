"""Every form of the web UI (except the account forms), with valid data to start from.

The input-limit tests and the fuzzers post variations of this data; the text
fields of each form are read from its class, so a field added later is
tested without changing this file, and test_every_form_is_catalogued fails
when a new form route is not listed here.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evidence.actors.forms import PersonForm, UnitForm
from evidence.audit.models import AuditEntry
from evidence.cases.forms import CaseForm, CaseIncidentForm, MoveIncidentForm
from evidence.exhibits.forms import CustodyForm, UploadForm
from evidence.incidents.forms import IncidentForm, ViolationTypeForm
from evidence.interchange.forms import mapping_form
from evidence.models import Case, Incident, Place, Unit
from evidence.places.forms import PlaceForm
from evidence.sources.forms import SourceForm
from evidence.statements.forms import StatementForm
from evidence.web.forms import RetractForm
from evidence.web.input import BoundedText
from tests.web.world import PNG

World = dict[str, Any]


@dataclass(frozen=True)
class FormCase:
    """One form route: who may send it, where, which form, and data it accepts."""

    name: str
    role: str
    url: Callable[[World], str]
    form: Callable[..., Any]  # the form class, called as WTForms calls it
    data: Callable[[World], dict[str, Any]]
    upload: bool = False  # multipart, with a file


def form_cases(session: Session) -> list[FormCase]:
    def version(model: type, key: str) -> str:
        return str(session.scalar(select(model.version).where(model.key == key)))

    def keys(world: World, section: str) -> str:
        return world["keys"][section]

    # fmt: off
    return [
        FormCase(
            "new place", "documenter", lambda w: "/places/new", PlaceForm,
            lambda w: {"name": "Okrestina", "kind": "prison"},
        ),
        FormCase(
            "edit place", "documenter", lambda w: f"/places/{keys(w, 'places')}/edit", PlaceForm,
            lambda w: {
                "name": "Okrestina", "kind": "prison",
                "version": version(Place, keys(w, "places")),
            },
        ),
        FormCase(
            "new unit", "documenter", lambda w: "/units/new", UnitForm,
            lambda w: {"name": "OMON", "kind": "police"},
        ),
        FormCase(
            "edit unit", "documenter", lambda w: f"/units/{keys(w, 'units')}/edit", UnitForm,
            lambda w: {
                "name": "OMON", "kind": "police", "version": version(Unit, keys(w, "units")),
            },
        ),
        FormCase(
            "new person", "documenter", lambda w: "/persons/new", PersonForm,
            lambda w: {"name": "Ivan Petrov"},
        ),
        FormCase(
            "new source", "documenter", lambda w: "/sources/new", SourceForm,
            lambda w: {"title": "Report", "kind": "document"},
        ),
        FormCase(
            "new case", "lawyer", lambda w: "/cases/new", CaseForm, lambda w: {"title": "August"},
        ),
        FormCase(
            "edit case", "lawyer", lambda w: f"/cases/{w['case_key']}/edit", CaseForm,
            lambda w: {"title": "August", "version": version(Case, w["case_key"])},
        ),
        FormCase(
            "add incident to case", "lawyer",
            lambda w: f"/cases/{w['case_key']}/incidents/add", CaseIncidentForm,
            lambda w: {"incident": keys(w, "incidents"), "version": version(Case, w["case_key"])},
        ),
        FormCase(
            "move incident in case", "lawyer",
            lambda w: f"/cases/{w['case_key']}/incidents/move", MoveIncidentForm,
            lambda w: {
                "incident": keys(w, "incidents"), "offset": "1",
                "version": version(Case, w["case_key"]),
            },
        ),
        FormCase(
            "new violation type", "documenter", lambda w: "/violation-types/new",
            ViolationTypeForm, lambda w: {"label": "Beating"},
        ),
        FormCase(
            "new incident", "documenter", lambda w: "/incidents/new", IncidentForm,
            lambda w: {"title": "Shooting", "date": "2020-08-10", "status": "alleged"},
        ),
        FormCase(
            "edit incident", "documenter",
            lambda w: f"/incidents/{keys(w, 'incidents')}/edit", IncidentForm,
            lambda w: {
                "title": "Shooting", "date": "2020-08-10", "status": "alleged",
                "version": version(Incident, keys(w, "incidents")),
            },
        ),
        FormCase(
            "retract incident", "documenter",
            lambda w: f"/incidents/{keys(w, 'incidents')}/retract", RetractForm,
            lambda w: {"reason": "duplicate", "version": version(Incident, keys(w, "incidents"))},
        ),
        FormCase(
            "retract place", "documenter",
            lambda w: f"/places/{keys(w, 'places')}/retract", RetractForm,
            lambda w: {"reason": "duplicate", "version": version(Place, keys(w, "places"))},
        ),
        FormCase(
            "new statement", "documenter", lambda w: "/statements/new", StatementForm,
            lambda w: {"text": "I saw the van.", "protection": "public"},
        ),
        FormCase(
            "upload exhibit", "documenter", lambda w: "/exhibits/new", UploadForm,
            lambda w: {"file": (io.BytesIO(PNG), "photo.png"), "incident": keys(w, "incidents")},
            upload=True,
        ),
        FormCase(
            "exhibit custody", "documenter",
            lambda w: f"/exhibits/{keys(w, 'exhibits')}/custody", CustodyForm,
            lambda w: {"action": "transferred", "note": "to counsel"},
        ),
        FormCase(
            "sheet columns", "documenter",
            lambda w: f"/imports/sheet/{w['upload_id']}/columns",
            partial(mapping_form, "incidents", ["Title", "When"], {}),
            lambda w: {"title": "Title", "date": "When", "save_as": "Monthly sheet"},
        ),
    ]
    # fmt: on


@dataclass(frozen=True)
class TextField:
    name: str  # as posted, e.g. citations-0-quote
    label: str
    limit: int
    multiline: bool


def text_fields(app: Flask, form_class: type) -> Iterator[TextField]:
    """Every bounded text field of a form, nested rows included (their first row)."""
    with app.test_request_context():
        form = form_class(meta={"csrf": False})
        yield from _bounded(form)


def _bounded(form: Any) -> Iterator[TextField]:
    for field in form:
        if hasattr(field, "entries"):
            for entry in field.entries[:1]:
                yield from _bounded(entry.form) if hasattr(entry, "form") else ()
            continue
        check = next((v for v in field.validators if isinstance(v, BoundedText)), None)
        if check is not None:
            yield TextField(field.name, field.label.text, check.limit, check.multiline)


def audit_count(session: Session) -> int:
    """Every write is one audit entry or more: an unchanged count means nothing was written."""
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0
