"""The sourcing report: unsourced incidents, thin facts, weak sources, unlinked statements."""

from __future__ import annotations

import json

from evidence.protection import INTERNAL, PUBLIC, Protection
from evidence.records.editing import retract
from evidence.reports.services import sourcing_report
from tests.factories import (
    citation,
    involvement,
    make_incident,
    make_person,
    make_source,
    make_statement,
    make_unit,
)


def _build(session):
    strong, other = make_source(session, reliability="A"), make_source(session, reliability="B")
    weak = make_source(session, key="rumour-site", title="Rumour site", reliability="E")
    make_source(session, key="unknown-blog", title="Unknown blog", reliability="F")
    unit = make_unit(session, name="OMON Minsk")
    witness = make_person(session, name="Ivan Hidden")
    make_incident(
        session,
        key="well-sourced",
        citations=[citation(strong), citation(other)],
        involvements=[involvement(unit=unit, citations=[citation(strong), citation(other)])],
    )
    make_incident(session, key="bare-claim", title="Bare claim")
    make_incident(
        session,
        key="one-leg",
        citations=[citation(strong)],
        involvements=[
            involvement(unit=unit, citations=[citation(weak), citation(weak)]),
            involvement(person=witness, role="victim"),
        ],
    )
    make_person(
        session,
        key="officer-k",
        name="Officer K",
        memberships=[{"unit": unit, "title": "commander", "citations": [citation(weak)]}],
    )
    make_statement(
        session,
        key="lonely-statement",
        witness=witness,
        protection="pseudonymous",
        pseudonym="Witness A",
    )
    make_statement(session, key="secret-statement", protection="confidential")
    linked = make_incident(
        session, key="has-statement", citations=[citation(strong), citation(other)]
    )
    make_statement(session, key="linked-statement", incidents=[{"incident": linked}])


def _keys(rows):
    return [row.key for row in rows]


def test_the_report_lists_what_rests_on_too_little(session):
    _build(session)
    report = sourcing_report(session, Protection.load(session, INTERNAL))
    assert _keys(report.unsourced_incidents) == ["bare-claim"]
    assert [(r.key, r.detail) for r in report.thin_involvements] == [
        ("one-leg", "OMON Minsk (perpetrator): 1 source"),
        ("one-leg", "Ivan Hidden (victim): no source"),
    ]
    assert [(r.key, r.detail) for r in report.thin_memberships] == [
        ("officer-k", "commander, OMON Minsk: 1 source")
    ]
    assert [(r.key, r.detail) for r in report.weak_sources] == [
        ("rumour-site", "E — unreliable"),
        ("unknown-blog", "F — cannot be judged"),
    ]
    assert _keys(report.unlinked_statements) == ["lonely-statement", "secret-statement"]


def test_the_public_audience_sees_pseudonyms_and_no_confidential_statement(session):
    _build(session)
    report = sourcing_report(session, Protection.load(session, PUBLIC))
    assert "Witness A (victim): no source" in [r.detail for r in report.thin_involvements]
    assert "Ivan Hidden" not in json.dumps(report.as_dict())
    assert _keys(report.unlinked_statements) == ["lonely-statement"]
    assert report.unlinked_statements[0].label == "Statement of Witness A"


def test_report_sourcing_command(runner, session):
    _build(session)
    session.commit()
    text = runner.invoke(args=["report", "sourcing"])
    assert text.exit_code == 0, text.output
    assert "Incidents with no citation: 1" in text.output and "bare-claim" in text.output
    result = runner.invoke(args=["report", "sourcing", "--json"])
    data = json.loads(result.output)
    assert [row["key"] for row in data["weak_sources"]] == ["rumour-site", "unknown-blog"]
    assert data["unsourced_incidents"][0]["label"] == "Bare claim"


def test_the_dashboard_and_the_report_flag_the_same_unsourced_incidents(app, session):
    from evidence.dashboard.services import unsourced_facts

    source = make_source(session)
    unit = make_unit(session)
    make_incident(session, key="cited", citations=[citation(source)])
    make_incident(session, key="bare", title="Bare")
    make_incident(
        session,
        key="only-involvement-cited",
        title="Only its involvement cited",
        involvements=[involvement(unit=unit, citations=[citation(source)])],
    )
    for key, citations in (("gone-cited", [citation(source)]), ("gone-bare", [])):
        gone = make_incident(session, key=key, citations=citations)
        retract(session, gone, "wrong", by="tester")
    protection = Protection.load(session, INTERNAL)

    report = [row.key for row in sourcing_report(session, protection).unsourced_incidents]
    dashboard = unsourced_facts(session, protection)[0]
    assert sorted(report) == ["bare", "only-involvement-cited"]
    assert dashboard.total == 2
    assert sorted(label for label, _entity, _key in dashboard.items) == [
        "Bare",
        "Only its involvement cited",
    ]
