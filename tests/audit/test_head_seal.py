"""The audit head is sealed: cutting entries off the end and forging the head is caught.

The adversary is an insider with database access but without the application's
secret key (a database administrator, a stolen backup, an SQL injection): they
can delete rows and rewrite the head to match, but not compute its seal.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from evidence.audit.log import log_event, set_seal_key
from evidence.audit.verify import verify

SEAL_MISMATCH = "the audit head's seal does not match the log"


@pytest.fixture
def signed_in_three_times(session, demo) -> int:
    """Three sign-in events at the end of the log: entries that no record depends on."""
    for name in ("alice", "bob", "eve"):
        log_event(session, "sign-in", f"{name} signed in", actor=name)
        session.commit()
    report = verify(session)
    assert report.ok, report.problems
    return report.entries_checked


def _cut_tail(session, keep: int, *, entries: int | None = None) -> list[str]:
    """Delete every entry after ``keep`` and rewrite the head to name the new end."""
    session.execute(text("DELETE FROM audit_entries WHERE seq > :keep"), {"keep": keep})
    session.execute(
        text(
            "UPDATE audit_head SET seq = :keep, entries = :entries, entry_hash ="
            " (SELECT entry_hash FROM audit_entries WHERE seq = :keep)"
        ),
        {"keep": keep, "entries": keep if entries is None else entries},
    )
    session.expire_all()
    return verify(session).problems


def test_cutting_the_tail_and_forging_the_head_is_detected(session, signed_in_three_times):
    problems = _cut_tail(session, signed_in_three_times - 2)
    assert len(problems) == 1 and problems[0].startswith(SEAL_MISMATCH), problems


def test_a_head_without_its_seal_is_detected(session, signed_in_three_times):
    session.execute(text("UPDATE audit_head SET seal = NULL"))
    _cut_tail(session, signed_in_three_times - 1)
    problems = verify(session).problems
    assert len(problems) == 1 and problems[0].startswith("the audit head carries no seal")


def test_a_head_that_miscounts_the_entries_is_detected(session, signed_in_three_times):
    session.execute(text("UPDATE audit_head SET entries = entries + 5"))
    session.expire_all()
    assert any("counts" in problem for problem in verify(session).problems)


def test_a_log_from_before_sealing_is_sealed_at_its_next_write(session, signed_in_three_times):
    session.execute(text("UPDATE audit_head SET seal = NULL"))
    log_event(session, "sign-in", "alice signed in", actor="alice")
    session.commit()
    report = verify(session)
    assert report.ok and report.entries_checked == signed_in_three_times + 1, report.problems


def test_the_seal_needs_the_key_the_log_was_sealed_with(session, signed_in_three_times, app):
    set_seal_key("another secret key")
    try:
        problems = verify(session).problems
    finally:
        set_seal_key(app.config["SECRET_KEY"])
    assert problems and problems[0].startswith(SEAL_MISMATCH)
    assert verify(session).ok
