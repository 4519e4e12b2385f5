"""Witness protection per audience: the one filter every output passes through."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from evidence.models import Person, Statement
from evidence.protection import (
    Protection,
    audience_for,
    person_label,
    protected_person_ids,
    statement_view,
    statement_visible,
)
from evidence.records import utcnow


def _person(session: Session, key: str, name: str, aliases: list[str] | None = None) -> Person:
    person = Person(key=key, name=name, aliases=aliases or [], notes=f"notes about {name}")
    session.add(person)
    session.flush()
    return person


def _statement(
    session: Session, key: str, witness: Person | None, protection: str, pseudonym: str | None
) -> Statement:
    text = f"{witness.name if witness else 'Someone'} saw the beating."
    statement = Statement(
        key=key, witness=witness, protection=protection, pseudonym=pseudonym, text=text
    )
    session.add(statement)
    session.flush()
    return statement


@pytest.fixture
def witnesses(session: Session) -> dict[str, object]:
    """An open witness, a pseudonymous one (with aliases) and a confidential one."""
    open_witness = _person(session, "anna-open", "Anna Open")
    hidden = _person(session, "ivan-petrov", "Ivan Petrov", ["Иван Петров", "I. Petrov"])
    secret = _person(session, "olga-sidorova", "Olga Sidorova")
    return {
        "open": open_witness,
        "hidden": hidden,
        "secret": secret,
        "open_statement": _statement(session, "s-open", open_witness, "public", None),
        "hidden_statement": _statement(session, "s-hidden", hidden, "pseudonymous", "Witness A"),
        "secret_statement": _statement(session, "s-secret", secret, "confidential", "Witness B"),
    }


class FakeUser:
    is_authenticated = True

    def __init__(self, role: str) -> None:
        self.role = role


def test_web_audiences_follow_the_role() -> None:
    assert audience_for(FakeUser("viewer")) == "public"
    for role in ("admin", "documenter", "lawyer", "auditor"):
        assert audience_for(FakeUser(role)) == "internal"
    assert audience_for(None) == "public"


def test_protected_persons_per_audience(session: Session, witnesses: dict) -> None:
    hidden, secret = witnesses["hidden"], witnesses["secret"]
    assert protected_person_ids(session, "internal") == {}
    expected = {hidden.id: "Witness A", secret.id: "Witness B"}
    assert protected_person_ids(session, "counsel") == expected
    assert protected_person_ids(session, "public") == expected


def test_protected_persons_take_one_query(session: Session, witnesses: dict) -> None:
    statements: list[str] = []
    engine = session.get_bind()
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        Protection.load(session, "public")
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len([s for s in statements if "SAVEPOINT" not in s.upper()]) == 1


def test_person_label_shows_the_pseudonym_outside_the_team(
    session: Session, witnesses: dict
) -> None:
    hidden, open_witness = witnesses["hidden"], witnesses["open"]
    public = protected_person_ids(session, "public")
    assert person_label(hidden, "public", public) == "Witness A"
    assert person_label(open_witness, "public", public) == "Anna Open"
    assert person_label(hidden, "internal", {}) == "Ivan Petrov"


def test_confidential_statements_exist_only_for_team_and_counsel(witnesses: dict) -> None:
    secret, hidden = witnesses["secret_statement"], witnesses["hidden_statement"]
    assert statement_visible(secret, "internal")
    assert statement_visible(secret, "counsel")
    assert not statement_visible(secret, "public")
    assert statement_visible(hidden, "public")


def test_scrub_replaces_every_name_and_alias(session: Session, witnesses: dict) -> None:
    protection = Protection.load(session, "public")
    text = (
        "IVAN PETROV was beaten; later his cell-mate said Иван Петров and I. Petrov "
        "were the same man. Olga  Sidorova saw it. Anna Open was there. Ивана Петрова too. "
        "Key: ivan-petrov."
    )
    scrubbed = protection.scrub(text)
    assert "Witness A was beaten" in scrubbed
    assert "Witness A and Witness A were" in scrubbed
    assert "Witness B saw it" in scrubbed
    assert "Anna Open was there" in scrubbed
    assert "Key: Witness A." in scrubbed
    for leaked in ("Ivan", "Petrov", "Иван", "Петров", "Olga", "Sidorova"):
        assert leaked.lower() not in scrubbed.lower(), leaked


def test_scrub_changes_nothing_for_the_team(session: Session, witnesses: dict) -> None:
    protection = Protection.load(session, "internal")
    assert protection.scrub("Ivan Petrov was beaten") == "Ivan Petrov was beaten"
    assert protection.scrub(None) is None


def test_protection_follows_the_person(session: Session, witnesses: dict) -> None:
    hidden = witnesses["hidden"]
    # The same person also gave a public statement: it must not reveal them.
    also_public = _statement(session, "s-also-public", hidden, "public", None)
    protection = Protection.load(session, "public")
    assert protection.witness_label(also_public) == "Witness A"
    view = statement_view(also_public, protection)
    assert view is not None
    assert view.witness_label == "Witness A" and view.witness_key is None
    assert "Ivan" not in view.text
    assert protection.person_aliases(hidden) == []
    assert protection.person_notes(hidden) is None
    witnesses["open"].aliases = ["Anya"]
    assert protection.person_aliases(witnesses["open"]) == ["Anya"]


def test_statement_view_per_audience(session: Session, witnesses: dict) -> None:
    public = Protection.load(session, "public")
    counsel = Protection.load(session, "counsel")
    internal = Protection.load(session, "internal")
    secret = witnesses["secret_statement"]
    assert statement_view(secret, public) is None
    counsel_view = statement_view(secret, counsel)
    assert counsel_view.witness_label == "Witness B" and "Olga" not in counsel_view.text
    internal_view = statement_view(secret, internal)
    assert internal_view.witness_label == "Olga Sidorova"
    assert internal_view.witness_key == "olga-sidorova"


def test_first_pseudonym_wins_and_retraction_keeps_protection(
    session: Session, witnesses: dict
) -> None:
    hidden = witnesses["hidden"]
    later = _statement(session, "s-later", hidden, "pseudonymous", "Witness Z")
    witnesses["hidden_statement"].retracted_at = utcnow()
    session.flush()
    assert later.pseudonym == "Witness Z"
    assert protected_person_ids(session, "public")[hidden.id] == "Witness A"


def test_unknown_audience_is_refused(session: Session) -> None:
    with pytest.raises(ValueError, match="audience"):
        Protection.load(session, "press")
