"""Witness protection per audience: the one filter every output passes through."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from evidence.core.timestamps import utcnow
from evidence.exhibits.models import Exhibit, ExhibitLink
from evidence.links.models import Capture
from evidence.models import Person, Source, Statement
from evidence.protection import (
    Protection,
    audience_for,
    person_label,
    protected_person_ids,
    statement_visible,
)


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
    assert protection.statement_visible(also_public)
    assert "Ivan" not in (protection.scrub(also_public.text) or "")
    assert protection.person_aliases(hidden) == []
    assert protection.person_notes(hidden) is None
    witnesses["open"].aliases = ["Anya"]
    assert protection.person_aliases(witnesses["open"]) == ["Anya"]


def test_statement_per_audience(session: Session, witnesses: dict) -> None:
    public = Protection.load(session, "public")
    counsel = Protection.load(session, "counsel")
    internal = Protection.load(session, "internal")
    secret = witnesses["secret_statement"]
    assert not public.statement_visible(secret)
    assert counsel.statement_visible(secret)
    assert counsel.witness_label(secret) == "Witness B"
    assert "Olga" not in (counsel.scrub(secret.text) or "")
    assert internal.witness_label(secret) == "Olga Sidorova"


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


# --- visible / hidden_ids: one rule per record type, the same in Python and in SQL -----


def _exhibit(session: Session, key: str, statement: Statement, **fields: object) -> Exhibit:
    exhibit = Exhibit(
        key=key, sha256="a" * 64, filename=f"{key}.txt", media_type="text/plain", size=1, **fields
    )
    session.add(exhibit)
    session.flush()
    session.add(ExhibitLink(exhibit_id=exhibit.id, statement_id=statement.id))
    session.flush()
    return exhibit


def _visible_ids(session: Session, protection: Protection, model: type) -> set[int]:
    return set(session.scalars(select(model.id).where(protection.visible_condition(model))))


def test_files_of_a_protected_witness_are_hidden_outside_the_team(
    session: Session, witnesses: dict
) -> None:
    open_file = _exhibit(session, "e-open", witnesses["open_statement"])
    hidden_file = _exhibit(session, "e-hidden", witnesses["hidden_statement"])
    secret_file = _exhibit(session, "e-secret", witnesses["secret_statement"])
    # Protection follows the person: a public statement of a protected witness too.
    also_public = _statement(session, "s-also", witnesses["hidden"], "public", None)
    person_file = _exhibit(session, "e-person", also_public)
    everything = {open_file.id, hidden_file.id, secret_file.id, person_file.id}
    public = Protection.load(session, "public")
    assert _visible_ids(session, public, Exhibit) & everything == {open_file.id}
    assert [public.visible(e) for e in (open_file, hidden_file, person_file)] == [
        True,
        False,
        False,
    ]
    # The team, and counsel under the court's protective measures, see every file.
    for audience in ("internal", "counsel"):
        protection = Protection.load(session, audience)
        assert _visible_ids(session, protection, Exhibit) >= everything
        assert all(protection.visible(e) for e in (open_file, hidden_file, secret_file))


def test_a_redacted_copy_replaces_the_original_for_the_public(
    session: Session, witnesses: dict
) -> None:
    original = _exhibit(session, "e-original", witnesses["hidden_statement"])
    copy = _exhibit(session, "e-copy", witnesses["hidden_statement"], redacts_id=original.id)
    secret = _exhibit(session, "e-secret", witnesses["secret_statement"])
    secret_copy = _exhibit(session, "e-secret-copy", witnesses["secret_statement"])
    secret_copy.redacts_id = secret.id
    session.flush()
    public = Protection.load(session, "public")
    assert (public.visible(original), public.visible(copy)) == (False, True)
    # A confidential statement does not exist for the public: nor does any of its files.
    assert not public.visible(secret_copy)
    internal = Protection.load(session, "internal")
    assert internal.visible(original) and internal.visible(copy)


def test_captures_of_a_protected_statements_source_are_hidden(
    session: Session, witnesses: dict
) -> None:
    named, other = (
        Source(key="src-named", kind="document", title="Interview"),
        Source(key="src-other", kind="document", title="Report"),
    )
    session.add_all([named, other])
    session.flush()
    witnesses["hidden_statement"].source_id = named.id
    captures = [
        Capture(
            source_id=source.id,
            captured_by="auditor",
            url="https://example.org/",
            final_url="https://example.org/",
            status_code=200,
            sha256="b" * 64,
            size=1,
            body_sha256="c" * 64,
        )
        for source in (named, other)
    ]
    session.add_all(captures)
    session.flush()
    public = Protection.load(session, "public")
    assert [public.visible(c) for c in captures] == [False, True]
    assert _visible_ids(session, public, Capture) == {captures[1].id}
    assert Protection.load(session, "internal").visible(captures[0])


def test_hidden_persons_and_statements_per_audience(session: Session, witnesses: dict) -> None:
    public = Protection.load(session, "public")
    assert not public.visible(witnesses["hidden"]) and public.visible(witnesses["open"])
    assert not public.visible(witnesses["secret_statement"])
    assert public.visible(witnesses["hidden_statement"])
    assert _visible_ids(session, public, Person) == {witnesses["open"].id}
    counsel = Protection.load(session, "counsel")
    assert counsel.visible(witnesses["secret_statement"])
    assert counsel.hidden_ids(Statement) is None
    assert public.shown_name(witnesses["hidden"]) == "Witness A"
    assert public.exhibit_label(SimpleNamespace(id=12, filename="Petrov.txt")) == "Exhibit 12"
    assert Protection.load(session, "internal").exhibit_label(
        SimpleNamespace(id=12, filename="Petrov.txt")
    ) == ("Petrov.txt")


def test_custody_notes_name_the_exhibit_by_its_label_for_the_public(
    session: Session, witnesses: dict
) -> None:
    exhibit = SimpleNamespace(id=7, filename="Petrov's\\face.png")
    note = f"received as {exhibit.filename!r}, 10 bytes"
    # repr() wrote the name in double quotes, with its backslash doubled.
    shown = Protection.load(session, "public").exhibit_text(exhibit, note)
    assert shown == 'received as "Exhibit 7", 10 bytes'
    assert Protection.load(session, "internal").exhibit_text(exhibit, note) == note
