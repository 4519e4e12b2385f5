"""verify-dossier tells "changed" (through the application, in the audit log) from
"tampered" (what the audit log cannot account for), and checks the anchor it carries."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text, update

from evidence.audit.anchors import anchor, load_roots
from evidence.audit.models import AuditEntry, AuditHead
from evidence.core.records import record_hash
from evidence.dossiers.manifest import TAMPERED, read_manifest, verify
from evidence.dossiers.services import generate_dossier
from evidence.incidents.services import update_incident
from evidence.records.loading import load_records
from tests.audit.test_anchors import rewrite_chain_from
from tests.audit.tsa import serve_tsa
from tests.factories import citation, make_case, make_incident, make_source

AT = "2026-02-03T04:05:06Z"


@pytest.fixture(scope="module")
def tsa(tmp_path_factory):
    with serve_tsa(tmp_path_factory.mktemp("tsa")) as running:
        yield running


@pytest.fixture
def case(session):
    source = make_source(session, title="Interview")
    incident = make_incident(
        session, title="Yard beating", summary="Beaten in the yard.",
        citations=[citation(source, quote="they beat us")],
    )  # fmt: skip
    made = make_case(session, title="Yard case", incidents=[incident])
    session.commit()
    return made, incident


def dossier(session, case_key: str) -> bytes:
    return generate_dossier(
        session, case_key, "counsel", generated_by="tester", generated_at=AT, workers=1
    ).pdf


def whats(report) -> list[str]:
    return [problem.what for problem in report.problems]


def test_dossier_carries_the_anchor_and_verifies_against_the_authority(session, case, tsa):
    made = anchor(session, tsa.url)
    pdf = dossier(session, case[0].key)
    carried = read_manifest(pdf)["anchor"]
    assert carried["seq"] == made.seq and carried["tsa"] == tsa.url and carried["token"]
    report = verify(session, pdf, load_roots(tsa.root_file))
    assert report.ok, [str(p) for p in report.problems]


def test_a_change_through_the_application_is_changed_not_tampered(session, case):
    made, incident = case
    pdf = dossier(session, made.key)
    update_incident(session, incident, incident.version, summary="Beaten in the corridor.")
    session.commit()
    report = verify(session, pdf)
    assert whats(report) == ["changed"] and not report.tampered


def test_a_change_behind_the_applications_back_is_tampered(session, case):
    made, incident = case
    pdf = dossier(session, made.key)
    session.execute(text(f"UPDATE incidents SET summary = 'Forged' WHERE id = {incident.id}"))
    session.expire_all()
    report = verify(session, pdf)
    assert report.tampered
    assert "matches none of its audit entries" in str(report.problems[0])


def test_a_rewritten_history_of_the_record_is_tampered(session, case):
    """The record was changed and its audit entry forged to match: the version the dossier
    holds is gone from the history."""
    made, incident = case
    pdf = dossier(session, made.key)
    before = record_hash(load_records(session, "incident", [incident.id])[incident.id])
    session.execute(text(f"UPDATE incidents SET summary = 'Forged' WHERE id = {incident.id}"))
    session.expire_all()
    forged = load_records(session, "incident", [incident.id])[incident.id]
    session.execute(
        update(AuditEntry)
        .where(AuditEntry.record_hash == before)
        .values(record_hash=record_hash(forged), state=json.loads(json.dumps(forged)))
    )
    session.expire_all()
    report = verify(session, pdf)
    assert report.tampered
    assert "no longer holds the version in the dossier" in str(report.problems[0])


def test_audit_log_cut_after_the_dossier_is_tampered(session, case):
    made, _incident = case
    pdf = dossier(session, made.key)
    seq = read_manifest(pdf)["audit_head"]["seq"]
    previous = session.scalar(select(AuditEntry.entry_hash).where(AuditEntry.seq == seq - 1))
    session.execute(text(f"DELETE FROM audit_entries WHERE seq >= {seq}"))
    session.execute(update(AuditHead).values(seq=seq - 1, entry_hash=previous))
    session.expire_all()
    report = verify(session, pdf)
    assert TAMPERED in whats(report)
    assert any("no longer in the chain" in str(p) for p in report.problems)


def test_chain_rewritten_consistently_is_caught_by_the_carried_anchor(session, case, tsa):
    anchor(session, tsa.url)
    pdf = dossier(session, case[0].key)
    rewrite_chain_from(session, 2, actor="someone-else")
    report = verify(session, pdf, load_roots(tsa.root_file))
    assert any(p.what == TAMPERED and "rewritten" in str(p) for p in report.problems)


def test_cli_says_tampered(runner, session, case):
    made, incident = case
    path = f"{runner.app.config['DATA_DIR']}-dossier.pdf"
    with open(path, "wb") as stream:
        stream.write(dossier(session, made.key))
    session.execute(text(f"UPDATE incidents SET summary = 'Forged' WHERE id = {incident.id}"))
    result = runner.invoke(args=["verify-dossier", path])
    assert result.exit_code == 1
    assert "TAMPERED" in result.output
