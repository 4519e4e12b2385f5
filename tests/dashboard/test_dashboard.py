"""The dashboard: counts, recent changes and unsourced facts, with protection applied."""

from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import Session

from evidence.audit.services import history
from evidence.dashboard.services import recent_changes, record_counts, unsourced_facts
from evidence.models import Incident, Involvement, Membership, Person, Statement, Unit
from evidence.protection import Protection
from evidence.records.editing import retract
from tests.factories import (
    citation,
    involvement,
    make_case,
    make_incident,
    make_source,
    make_statement,
    make_unit,
)
from tests.webclient import make_users, sign_in, without_csrf


def _archive(session: Session) -> dict[str, object]:
    """A protected witness who is also a victim and a unit member, none of it sourced."""
    unit = Unit(key="omon", name="OMON", aliases=[], kind="police")
    witness = Person(key="ivan-petrov", name="Ivan Petrov", aliases=["Иван Петров"])
    incident = Incident(
        key="beating-of-ivan-petrov",
        title="Beating of Ivan Petrov",
        date="2020-08",
        status="alleged",
        summary="Ivan Petrov was beaten by OMON.",
    )
    session.add_all([unit, witness, incident])
    session.flush()
    incident.involvements.append(
        Involvement(person=witness, role="victim", confidence="high", position=0)
    )
    witness.memberships.append(Membership(unit=unit, title="driver", position=0))
    session.add(
        Statement(
            key="s-1", witness=witness, protection="pseudonymous", pseudonym="W-1", text="I was."
        )
    )
    session.add(Statement(key="s-2", protection="confidential", pseudonym="W-2", text="Secret."))
    session.commit()
    return {"incident": incident, "witness": witness}


def test_counts_hide_confidential_statements_from_the_public(session: Session) -> None:
    _archive(session)
    internal = {
        c.section: c.count for c in record_counts(session, Protection.load(session, "internal"))
    }
    public = {
        c.section: c.count for c in record_counts(session, Protection.load(session, "public"))
    }
    assert internal["statements"] == 2 and public["statements"] == 1
    assert internal["incidents"] == public["incidents"] == 1


def test_unsourced_facts_are_listed_under_the_pseudonym(session: Session) -> None:
    _archive(session)
    public = {
        group.title: group for group in unsourced_facts(session, Protection.load(session, "public"))
    }
    shown = " ".join(label for group in public.values() for label, _entity, _key in group.items)
    assert public["Incidents without a source"].total == 1
    assert public["Involvements without a source"].total == 1
    assert public["Memberships without a source"].total == 1
    assert "W-1" in shown and "Ivan" not in shown and "Petrov" not in shown
    internal = unsourced_facts(session, Protection.load(session, "internal"))
    assert "Ivan Petrov" in " ".join(label for g in internal for label, _entity, _key in g.items)


def test_recent_changes_show_the_public_no_names(session: Session) -> None:
    _archive(session)
    public = recent_changes(session, Protection.load(session, "public"))
    text = " ".join(f"{c.entity} {c.label} {c.fields}" for c in public)
    assert "petrov" not in text.lower() and "W-1" in text
    assert all(c.fields == [] for c in public)
    assert "s-2" not in text  # the confidential statement's changes are left out
    internal = recent_changes(session, Protection.load(session, "internal"))
    assert any(c.label == "ivan-petrov" and "name" in c.fields for c in internal)


def test_recent_changes_show_titles_scrubbed_for_the_audience(app: Flask, session: Session) -> None:
    _archive(session)
    make_users(session)
    make_case(session, key="yard-case", title="Yard case")
    session.commit()
    viewer = without_csrf(app).test_client()
    sign_in(viewer, "viewer")
    page = viewer.get("/").get_data(as_text=True)
    changes = page[page.index('id="changes-title"') :]
    assert '<span class="change-title">Yard case</span>' in changes
    assert '<a href="/cases/yard-case">yard-case</a>' in changes
    assert '<span class="change-title">OMON</span>' in changes
    assert "Beating of W-1" in changes and "Petrov" not in changes
    assert "Secret" not in changes

    with app.test_request_context():
        internal = recent_changes(session, Protection.load(session, "internal"))
    titles = {change.label: change.title for change in internal}
    assert titles["beating-of-ivan-petrov"] == "Beating of Ivan Petrov"
    assert titles["ivan-petrov"] == "Ivan Petrov" and titles["s-1"] == "W-1"


def test_history_lists_a_records_changes_newest_first(session: Session) -> None:
    records = _archive(session)
    incident = records["incident"]
    incident.status = "corroborated"
    session.commit()
    entries = history(session, "incident", incident.id)
    assert [e.action for e in entries] == ["update", "insert"]
    assert entries[0].changes["status"] == ["alleged", "corroborated"]


def test_viewer_dashboard_never_names_the_protected_witness(app: Flask, session: Session) -> None:
    _archive(session)
    make_users(session)
    client = without_csrf(app).test_client()
    sign_in(client, "viewer")
    page = client.get("/").get_data(as_text=True)
    assert "W-1" in page
    assert "Petrov" not in page and "petrov" not in page and "Иван" not in page
    sign_in_again = app.test_client()
    sign_in(sign_in_again, "documenter")
    assert "Ivan Petrov" in sign_in_again.get("/").get_data(as_text=True)


def test_counts_leave_out_retracted_and_hidden_records(session: Session) -> None:
    make_source(session)
    make_incident(session)
    retracted = make_incident(session)
    retract(session, retracted, "duplicate", "tester")
    make_statement(session, text="Seen.", protection="public")
    make_statement(session, text="Secret.", protection="confidential", pseudonym="W-9")
    gone = make_statement(session, text="Withdrawn.", protection="public")
    retract(session, gone, "withdrawn", "tester")
    make_source(session)
    session.commit()
    for audience, statements in (("internal", 2), ("public", 1)):
        counts = {
            c.section: c.count for c in record_counts(session, Protection.load(session, audience))
        }
        assert counts["incidents"] == 1 and counts["statements"] == statements
        assert counts["sources"] == 2


def test_unsourced_totals_are_exact(session: Session) -> None:
    """Cited, uncited and retracted incidents and involvements, some cited twice."""
    source, unit = make_source(session), make_unit(session)
    cited_twice = [citation(source), citation(source, locator="p. 2")]
    make_incident(session, citations=cited_twice, involvements=[involvement(unit=unit)])
    make_incident(session, involvements=[involvement(unit=unit, citations=cited_twice)])
    make_incident(session, involvements=[involvement(unit=unit), involvement(unit=unit)])
    for citations in ([], [citation(source)]):
        gone = make_incident(
            session,
            citations=citations,
            involvements=[involvement(unit=unit, citations=citations), involvement(unit=unit)],
        )
        retract(session, gone, "duplicate", "tester")
    session.commit()
    groups = unsourced_facts(session, Protection.load(session, "internal"), limit=2)
    totals = {group.title: (group.total, len(group.items)) for group in groups}
    assert totals["Incidents without a source"] == (2, 2)
    assert totals["Involvements without a source"] == (3, 2)
    assert totals["Memberships without a source"] == (0, 0)


def test_unsourced_facts_read_in_the_readers_language(app: Flask, session: Session) -> None:
    """The service words its lines as Messages; the page says them in Belarusian, with
    the role translated inside, and still under the witness's pseudonym."""
    _archive(session)
    make_users(session)
    client = without_csrf(app).test_client()
    sign_in(client, "viewer")
    client.set_cookie("evidence_language", "be")
    page = client.get("/").get_data(as_text=True)
    assert "W-1 — пацярпелы: Beating of W-1" in page
    assert "W-1 — у складзе: OMON" in page
    assert " in Beating" not in page and "member of" not in page
