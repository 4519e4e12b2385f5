"""RFC 3161 anchors: the chain time-stamped by a real local authority, and each way of
tampering with it that the database alone cannot reveal."""

from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from evidence.audit.anchors import AnchorError, anchor, load_roots, request_token
from evidence.audit.log import entry_hash
from evidence.audit.models import AuditAnchor, AuditEntry, AuditHead
from evidence.audit.verify import BODY_FIELDS, verify
from tests.audit.tsa import serve_tsa


@pytest.fixture(scope="module")
def tsa(tmp_path_factory):
    with serve_tsa(tmp_path_factory.mktemp("tsa")) as running:
        yield running


@pytest.fixture(scope="module")
def other_tsa(tmp_path_factory):
    with serve_tsa(tmp_path_factory.mktemp("other-tsa"), name="Untrusted") as running:
        yield running


@pytest.fixture
def roots(tsa):
    return load_roots(tsa.root_file)


def last_seq(session) -> int:
    return session.scalar(select(AuditHead.seq))


def test_cli_anchors_the_head_and_verify_checks_the_signature(app, runner, session, demo, tsa):
    head = last_seq(session)
    result = runner.invoke(args=["audit", "anchor", "--tsa", tsa.url])
    assert result.exit_code == 0, result.output
    assert f"Anchored audit entry #{head} at {tsa.url}" in result.output
    assert session.scalars(select(AuditAnchor)).one().seq == head

    app.config["TSA_CA_FILE"] = str(tsa.root_file)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "1 time-stamp anchors hold" in result.output


def test_several_authorities_each_anchor(app, runner, session, demo, tsa, other_tsa):
    app.config["TSA_URLS"] = [tsa.url, other_tsa.url]
    assert runner.invoke(args=["audit", "anchor"]).exit_code == 0
    assert {row.tsa_url for row in session.scalars(select(AuditAnchor))} == {
        tsa.url,
        other_tsa.url,
    }


def test_cut_tail_with_a_consistent_head_is_caught_only_by_the_anchor(session, demo, tsa, roots):
    anchor(session, tsa.url)
    head = last_seq(session)
    previous = session.scalar(select(AuditEntry.entry_hash).where(AuditEntry.seq == head - 2))
    session.execute(text(f"DELETE FROM audit_entries WHERE seq > {head - 2}"))
    session.execute(update(AuditHead).values(seq=head - 2, entry_hash=previous))
    session.expire_all()
    problems = verify(session, roots).problems
    assert any(
        f"audit entry #{head} time-stamped by {tsa.url}" in p and "removed from the end" in p
        for p in problems
    ), problems


def rewrite_chain_from(session, seq: int, **changes) -> None:
    """What an insider with database access does: alter an entry, then re-hash every later one
    and the head, so that the chain on its own verifies again."""
    session.execute(update(AuditEntry).where(AuditEntry.seq == seq).values(**changes))
    session.expire_all()
    prev = session.scalar(select(AuditEntry.entry_hash).where(AuditEntry.seq == seq - 1))
    for entry in session.scalars(select(AuditEntry).where(AuditEntry.seq >= seq).order_by("seq")):
        new_hash = entry_hash(prev, entry.seq, {name: getattr(entry, name) for name in BODY_FIELDS})
        entry.prev_hash, entry.entry_hash, prev = prev, new_hash, new_hash
    session.flush()
    session.execute(update(AuditHead).values(entry_hash=prev))
    session.expire_all()


def test_consistent_rewrite_before_the_anchor_is_tampering(session, demo, tsa, roots):
    anchored = anchor(session, tsa.url)
    rewrite_chain_from(session, 5, actor="someone-else")
    # The rewrite is consistent: without the anchor, nothing in the database shows it.
    assert not any("audit entry #" in p and "altered" in p for p in verify(session).problems)
    problems = verify(session, roots).problems
    assert any(
        f"audit entry #{anchored.seq} time-stamped" in p and "rewritten" in p for p in problems
    ), problems


def test_token_from_another_chain_is_refused(session, demo, tsa, roots):
    head = last_seq(session)
    head_hash = session.scalar(select(AuditHead.entry_hash))
    foreign = request_token(tsa.url, b"evidence audit head v1\n1\n" + b"f" * 64)
    session.add(
        AuditAnchor(seq=head, entry_hash=head_hash, tsa_url=tsa.url, stamped_at="x", token=foreign)
    )
    session.flush()
    problems = verify(session, roots).problems
    assert any("another chain" in p for p in problems), problems


def test_token_signed_by_an_untrusted_authority_is_refused(session, demo, other_tsa, roots):
    anchor(session, other_tsa.url)
    problems = verify(session, roots).problems
    assert any("signature does not verify" in p for p in problems), problems


def test_without_roots_the_digest_is_still_checked_and_a_note_says_so(session, demo, tsa):
    anchor(session, tsa.url)
    report = verify(session)
    assert report.ok and report.anchors_checked == 1
    assert any("EVIDENCE_TSA_CA_FILE" in note for note in report.notes)
    rewrite_chain_from(session, 5, actor="someone-else")
    assert any("rewritten" in p for p in verify(session).problems)


def test_unreachable_authority_stores_nothing(runner, session, demo, tmp_path: Path):
    result = runner.invoke(args=["audit", "anchor", "--tsa", "http://127.0.0.1:9/tsa"])
    assert result.exit_code != 0
    assert "Nothing anchored: http://127.0.0.1:9/tsa could not be reached" in result.output
    assert session.scalars(select(AuditAnchor)).first() is None


def test_an_empty_log_has_nothing_to_anchor(session, tsa):
    with pytest.raises(AnchorError, match="nothing to anchor"):
        anchor(session, tsa.url)


def test_an_authority_that_does_not_answer_with_a_token(session, demo, tsa):
    with pytest.raises(AnchorError, match="did not answer with a time-stamp reply"):
        anchor(session, tsa.url, post=lambda _url, _query: b"<html>not a TSA</html>")
