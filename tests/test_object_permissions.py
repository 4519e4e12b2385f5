"""Every record route, every role, real records: one the role may see, one it may not.

tests/test_permissions.py walks every route with keys that do not exist, so it
checks the role table. Here each route that names a record is asked for records
that exist: visible ones, ones hidden from the public audience (a confidential
statement, a protected witness, an exhibit that could name one), retracted ones,
another lawyer's dossier job, and a key that does not exist. The exact status is
asserted, and a hidden record (for the viewer; another user's dossier job or
uploaded sheet for anyone) must answer exactly as a missing one.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import select

from evidence.accounts.models import User
from evidence.accounts.services import create_user
from evidence.audit.models import AuditEntry
from evidence.dossiers.services import queue_job
from evidence.exhibits.models import Exhibit
from evidence.exhibits.services import add_exhibit
from evidence.interchange.uploads import create_upload
from evidence.records.editing import retract
from evidence.store import store_for
from evidence.vocabularies import ROLES
from tests.factories import (
    involvement,
    make_case,
    make_incident,
    make_person,
    make_place,
    make_source,
    make_statement,
    make_unit,
    make_violation_type,
)
from tests.records_web import client_for
from tests.webclient import PASSWORD, make_users, page_without_tokens

OK, FORBIDDEN, MISSING = 200, 403, 404
MISSING_KEY = "no-such-record"
MISSING_ID = 999999

# What each role may do besides reading (the permission table, spelled out here so a
# change to it shows up in this file too).
MAY = {
    "admin": {"audit", "accounts"},
    "documenter": {"edit", "retract", "merge"},
    "lawyer": {"cases", "dossiers"},
    "auditor": {"audit"},
    "viewer": set(),
}


@dataclass(frozen=True)
class Route:
    """A GET route naming one record; ``action`` is what it needs besides reading."""

    path: str  # with {} where the key or id goes
    kind: str  # which records of the world it is asked for
    action: str = "read"


ROUTES = [
    Route("/incidents/{}", "incident"),
    Route("/incidents/{}/edit", "incident", "edit"),
    Route("/incidents/{}/retract", "incident", "retract"),
    Route("/statements/{}", "statement"),
    Route("/statements/{}/edit", "statement", "edit"),
    Route("/statements/{}/retract", "statement", "retract"),
    Route("/persons/{}", "person"),
    Route("/persons/{}/edit", "person", "edit"),
    Route("/persons/{}/merge", "person", "merge"),
    Route("/units/{}", "unit"),
    Route("/units/{}/edit", "unit", "edit"),
    Route("/units/{}/merge", "unit", "merge"),
    Route("/places/{}", "place"),
    Route("/places/{}/edit", "place", "edit"),
    Route("/places/{}/merge", "place", "merge"),
    Route("/sources/{}", "source"),
    Route("/sources/{}/edit", "source", "edit"),
    Route("/sources/{}/merge", "source", "merge"),
    Route("/links/sources/{}", "source", "audit"),
    Route("/violation-types/{}", "violation_type"),
    Route("/violation-types/{}/edit", "violation_type", "edit"),
    Route("/cases/{}", "case"),
    Route("/cases/{}/edit", "case", "cases"),
    Route("/cases/{}/dossiers", "case", "dossiers"),
    Route("/cases/{}/dossiers/jobs", "case", "dossiers"),
    Route("/exhibits/{}", "exhibit"),
    Route("/exhibits/{}/download", "exhibit"),
    Route("/dossiers/jobs/{}", "job", "dossiers"),
    Route("/audit/{}", "audit_entry", "audit"),
    Route("/accounts/{}", "account", "accounts"),
]


@dataclass(frozen=True)
class Target:
    """A record of the world: its key or id in URLs, and who must not find it."""

    name: str
    ref: str | int
    hidden_from: frozenset[str] = frozenset()  # roles for which it does not exist


EVERYONE = frozenset(ROLES)
VIEWER = frozenset({"viewer"})


def _world(app: Flask, session) -> dict[str, list[Target]]:
    """Per kind of record: a plain one, the ones some role may not see, a missing one."""
    make_users(session)
    create_user(session, name="other-lawyer", role="lawyer", password=PASSWORD)
    source = make_source(session)
    unit = make_unit(session)
    place = make_place(session)
    violation = make_violation_type(session)
    public_witness, protected_witness = make_person(session), make_person(session)
    incident = make_incident(
        session,
        place=place,
        violations=[violation],
        involvements=[involvement(unit=unit), involvement(person=public_witness)],
    )
    links = [{"incident": incident, "excerpt": None}]
    public = make_statement(session, witness=public_witness, source=source, incidents=links)
    pseudonymous = make_statement(
        session, witness=protected_witness, protection="pseudonymous", incidents=links
    )
    confidential = make_statement(session, protection="confidential", incidents=links)
    retracted_statement = make_statement(session, incidents=links)
    retract(session, retracted_statement, "entered twice", by="tester")
    retracted_incident = make_incident(session)
    retract(session, retracted_incident, "entered twice", by="tester")
    retracted_unit = make_unit(session)
    retract(session, retracted_unit, "entered twice", by="tester")
    store = store_for(app.config)

    def exhibit(content: str, **links) -> str:
        stream = io.BytesIO(content.encode())
        return add_exhibit(session, store, stream, filename="f.txt", by="tester", **links).key

    shown_exhibit = exhibit("photo of the yard", incidents=[incident])
    naming_exhibit = exhibit("recording of the witness", statements=[pseudonymous])
    retracted_exhibit = exhibit("wrong file", incidents=[incident])
    retract(session, _exhibit(session, retracted_exhibit), "wrong file", by="tester")
    case = make_case(session, incidents=[incident])
    own_job = queue_job(session, case, "internal", requested_by="lawyer")
    others_job = queue_job(session, case, "internal", requested_by="other-lawyer")
    session.commit()
    entry = session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1))
    account = session.scalar(select(User.id).where(User.name == "viewer"))
    return {
        "incident": [
            Target("incident", incident.key),
            Target("retracted incident", retracted_incident.key),
        ],
        "statement": [
            Target("public statement", public.key),
            Target("pseudonymous statement", pseudonymous.key),
            Target("confidential statement", confidential.key, VIEWER),
            Target("retracted statement", retracted_statement.key),
        ],
        "person": [
            Target("person", public_witness.key),
            Target("protected witness", protected_witness.key, VIEWER),
        ],
        "unit": [Target("unit", unit.key), Target("retracted unit", retracted_unit.key)],
        "place": [Target("place", place.key)],
        "source": [Target("source", source.key)],
        "violation_type": [Target("violation type", violation.key)],
        "case": [Target("case", case.key)],
        "exhibit": [
            Target("exhibit", shown_exhibit),
            Target("exhibit naming a protected witness", naming_exhibit, VIEWER),
            Target("retracted exhibit", retracted_exhibit, EVERYONE),
        ],
        "job": [
            Target("own dossier job", own_job.id),
            Target("another lawyer's dossier job", others_job.id, frozenset({"lawyer"})),
        ],
        "audit_entry": [Target("audit entry", entry)],
        "account": [Target("account", account)],
    }


def _exhibit(session, key: str) -> Exhibit:
    return session.scalar(select(Exhibit).where(Exhibit.key == key))


def _expected(role: str, route: Route, target: Target | None) -> int:
    """The status the role must get; ``target`` None is a record that does not exist."""
    if route.action != "read" and route.action not in MAY[role]:
        return FORBIDDEN  # refused before anything is looked up: says nothing of the record
    if target is None or role in target.hidden_from:
        return MISSING
    return OK


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_what_it_may_of_each_record(app: Flask, session, role: str):
    world = _world(app, session)
    client = client_for(app, role)
    wrong = []
    for route in ROUTES:
        missing = MISSING_ID if route.kind in ("job", "audit_entry", "account") else MISSING_KEY
        for target in [*world[route.kind], None]:
            url = route.path.format(missing if target is None else target.ref)
            status = client.get(url).status_code
            expected = _expected(role, route, target)
            if status != expected:
                name = "missing record" if target is None else target.name
                wrong.append(f"{role} GET {url} ({name}): {status}, expected {expected}")
    assert wrong == []


# Writes naming a record the viewer may not see: refused before the record is looked up.
POSTS = [
    Route("/statements/{}/edit", "statement", "edit"),
    Route("/statements/{}/retract", "statement", "retract"),
    Route("/statements/{}/restore", "statement", "retract"),
    Route("/persons/{}/edit", "person", "edit"),
    Route("/persons/{}/retract", "person", "retract"),
    Route("/persons/{}/merge", "person", "merge"),
    Route("/exhibits/{}/custody", "exhibit", "edit"),
    Route("/exhibits/{}/redacted-copy", "exhibit", "edit"),
    Route("/exhibits/{}/verify", "exhibit", "audit"),
]


def test_a_hidden_record_answers_the_viewer_byte_for_byte_as_a_missing_one(app: Flask, session):
    world = _world(app, session)
    client = client_for(app, "viewer")
    requests = [("GET", route) for route in ROUTES] + [("POST", route) for route in POSTS]
    for method, route in requests:
        for target in world[route.kind]:
            if "viewer" not in target.hidden_from:
                continue
            hidden = client.open(route.path.format(target.ref), method=method)
            missing = client.open(route.path.format(MISSING_KEY), method=method)
            assert hidden.status_code == _expected("viewer", route, None), route.path
            assert (hidden.status_code, page_without_tokens(hidden)) == (
                missing.status_code,
                page_without_tokens(missing),
            ), f"{route.path} tells {target.name} from a missing record"


def _denials(session) -> int:
    return len(session.scalars(select(AuditEntry).where(AuditEntry.action == "denied")).all())


def test_another_users_job_or_sheet_answers_byte_for_byte_as_a_missing_id(app: Flask, session):
    """A 403 would tell another lawyer or documenter that the id exists; the refusal is
    still written to the audit log."""
    make_users(session)
    for name, role in (("other-lawyer", "lawyer"), ("other-documenter", "documenter")):
        create_user(session, name=name, role=role, password=PASSWORD)
    case = make_case(session, incidents=[make_incident(session)])
    job = queue_job(session, case, "counsel", requested_by="other-lawyer")
    sheet = create_upload(
        session,
        filename="s.csv",
        data=b"Title,When\nA,2020\n",
        kind="incidents",
        by="other-documenter",
    )
    session.commit()
    asked = {
        "lawyer": [
            ("GET", f"/dossiers/jobs/{{}}{suffix}") for suffix in ("", "/download", "/sealed")
        ],
        "documenter": [
            ("GET", "/imports/sheet/{}/columns"),
            ("POST", "/imports/sheet/{}/columns"),
            ("GET", "/imports/sheet/{}/review"),
            ("POST", "/imports/sheet/{}/review"),
            ("GET", "/imports/sheet/{}"),
            ("POST", "/imports/sheet/{}/discard"),
        ],
    }
    refused = {"lawyer": job.id, "documenter": sheet.id}
    for role, requests in asked.items():
        client = client_for(app, role)
        for method, path in requests:
            denials = _denials(session)
            hidden = client.open(path.format(refused[role]), method=method)
            assert _denials(session) == denials + 1, f"{method} {path}: refusal not audited"
            missing = client.open(path.format(MISSING_ID), method=method)
            assert (hidden.status_code, page_without_tokens(hidden)) == (
                MISSING,
                page_without_tokens(missing),
            ), f"{method} {path} tells another user's record from a missing one"
    assert session.get(type(sheet), sheet.id) is not None
