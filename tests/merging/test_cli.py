"""`evidence merge KIND KEEP OTHER`: one transaction, a summary, refusals that write nothing."""

from __future__ import annotations

from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.actors.models import Person
from evidence.audit.models import AuditEntry
from evidence.audit.verify import verify
from tests.factories import involvement, make_incident, make_person


def test_merge_command_moves_links_and_prints_what_moved(
    session: Session, runner: FlaskCliRunner
) -> None:
    keep = make_person(session, name="Alexander Taraikovsky", key="taraikovsky")
    other = make_person(session, name="Тарайковский", key="tarajkovskij")
    incident = make_incident(session, involvements=[involvement(person=other, role="victim")])
    session.commit()

    result = runner.invoke(args=["merge", "person", "taraikovsky", "tarajkovskij", "--as", "maria"])

    assert result.exit_code == 0, result.output
    assert "Merged person tarajkovskij into taraikovsky." in result.output
    assert "involvements: 1" in result.output
    assert "aliases added: Тарайковский" in result.output
    session.expire_all()
    assert incident.involvements[0].person_id == keep.id
    assert session.get(Person, other.id).retraction_reason == "merged into taraikovsky"
    merges = session.scalars(select(AuditEntry).where(AuditEntry.action == "merge")).all()
    assert {(entry.record_key, entry.actor) for entry in merges} == {
        ("taraikovsky", "maria"),
        ("tarajkovskij", "maria"),
    }
    assert verify(session).ok


def test_merge_command_refuses_with_a_clear_message_and_writes_nothing(
    session: Session, runner: FlaskCliRunner
) -> None:
    make_person(session, name="A", key="a")
    session.commit()
    entries = session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1))

    into_itself = runner.invoke(args=["merge", "person", "a", "a"])
    unknown = runner.invoke(args=["merge", "person", "a", "nobody"])
    wrong_kind = runner.invoke(args=["merge", "incident", "a", "b"])

    assert into_itself.exit_code == 1
    assert "cannot merge a person into itself" in into_itself.output
    assert unknown.exit_code == 1 and "no person has the key 'nobody'" in unknown.output
    assert wrong_kind.exit_code == 2 and "person" in wrong_kind.output
    latest = session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1))
    assert latest == entries
