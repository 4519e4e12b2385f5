"""`evidence audit verify` passes on honest data and catches each kind of tampering."""

import copy
import json

import pytest
from sqlalchemy import text

from evidence.audit.verify import verify


def tamper(session, sql: str) -> list[str]:
    session.execute(text(sql))
    session.expire_all()
    report = verify(session)
    assert not report.ok
    return report.problems


def test_verify_passes_and_counts(session, demo):
    report = verify(session)
    assert report.ok
    assert report.entries_checked == 50
    assert report.records_checked == 49


def test_cli_verify_exit_codes(runner, session, demo):
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    session.execute(text("UPDATE sources SET title = 'Forged' WHERE key = 'interview-igor-makar'"))
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code != 0
    assert 'source "interview-igor-makar" was changed behind the application' in result.output


def test_edited_entry(session, demo):
    problems = tamper(session, "UPDATE audit_entries SET actor = 'eve' WHERE seq = 7")
    assert problems[0].startswith("audit entry #7 ") and "was altered" in problems[0]


def test_edited_entry_state(session, demo):
    entry_state = session.execute(text("SELECT state FROM audit_entries WHERE seq = 3")).scalar()
    forged = copy.deepcopy(
        entry_state if isinstance(entry_state, dict) else json.loads(entry_state)
    )
    forged["name"] = "Someone else"
    session.execute(
        text("UPDATE audit_entries SET state = :state WHERE seq = 3"),
        {"state": json.dumps(forged)},
    )
    session.expire_all()
    problems = verify(session).problems
    assert any(p.startswith("audit entry #3 ") and "stored state" in p for p in problems)


def test_deleted_entry(session, demo):
    problems = tamper(session, "DELETE FROM audit_entries WHERE seq = 10")
    assert problems[0] == "audit entry #10 is missing (the next entry is #11)"


def test_deleted_last_entry(session, demo):
    problems = tamper(session, "DELETE FROM audit_entries WHERE seq = 50")
    assert "chain ends at #49" in problems[0]


def test_inserted_entry(session, demo):
    session.execute(text("UPDATE audit_entries SET seq = seq + 1000 WHERE seq > 20"))
    session.execute(text("UPDATE audit_entries SET seq = seq - 999 WHERE seq > 1000"))
    session.execute(
        text(
            "INSERT INTO audit_entries (seq, at, actor, action, changes, prev_hash, entry_hash)"
            " SELECT 21, at, 'eve', 'update', changes, prev_hash, 'f00d' FROM audit_entries"
            " WHERE seq = 20"
        )
    )
    session.expire_all()
    problems = verify(session).problems
    assert problems[0].startswith("audit entry #21 (update)")


def test_reordered_entries(session, demo):
    session.execute(text("UPDATE audit_entries SET seq = 1000 WHERE seq = 5"))
    session.execute(text("UPDATE audit_entries SET seq = 5 WHERE seq = 6"))
    session.execute(text("UPDATE audit_entries SET seq = 6 WHERE seq = 1000"))
    session.expire_all()
    problems = verify(session).problems
    assert problems[0].startswith("audit entry #5 ") and "reordered" in problems[0]


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        (
            "UPDATE citations SET quote = 'forged' WHERE id = (SELECT min(id) FROM citations)",
            "was changed behind the application's back",
        ),
        (
            "UPDATE incidents SET status = 'verified' WHERE key = 'taraikovsky-shooting'",
            'incident "taraikovsky-shooting" was changed',
        ),
        (
            "DELETE FROM case_incidents WHERE position = 0",
            'case "almaz-abuses" was changed',
        ),
        (
            "INSERT INTO violation_types (key, label, version) VALUES ('forged', 'Forged', 1)",
            'violation_type "forged" has no audit entry',
        ),
    ],
)
def test_data_changed_directly_in_the_database(session, demo, sql, named):
    problems = tamper(session, sql)
    assert any(named in problem for problem in problems), problems


def test_writes_are_attributed_to_the_actor(session, runner, tmp_path):
    path = tmp_path / "one.json"
    path.write_text(
        json.dumps(
            {
                "format": "evidence/1",
                "violation_types": [{"key": "beating", "label": "Beating", "description": None}],
            }
        )
    )
    assert runner.invoke(args=["import", str(path), "--as", "alice"]).exit_code == 0
    actor = session.execute(
        text("SELECT actor FROM audit_entries WHERE record_key = 'beating'")
    ).scalar()
    assert actor == "alice"
