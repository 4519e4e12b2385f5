"""The one filter that applies witness protection for an audience (FORMAT.md).

Every output — web pages, lists, autocomplete, search, exports, dossiers —
asks this module what it may show. Nothing else decides.

Rules, from the evidence/1 format:
- A statement is ``public``, ``pseudonymous`` or ``confidential``.
- Audiences are ``internal`` (the team), ``counsel`` (lawyers and courts) and
  ``public``.
- Outside ``internal``, the witness of a pseudonymous or confidential
  statement appears only under the statement's pseudonym; a confidential
  statement is left out entirely outside ``internal`` and ``counsel``.
- Protection follows the person: once someone gave a protected statement,
  they appear under the pseudonym everywhere for that audience (as victim,
  witness, member, in any list or text) and none of their names or aliases
  is shown. A retracted statement still protects its witness: retracting a
  statement does not make the person safe.

Typical use in a view or service::

    protection = current_protection()          # per request, cached
    protection.person_label(person)            # name or pseudonym
    protection.scrub(incident.summary)         # free text with names replaced
    protection.statement_visible(statement)    # may this audience see it at all?

Code without a request (CLI, dossiers) builds ``Protection.load(session, audience)``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.actors.models import Person
from evidence.statements.models import Statement
from evidence.vocabularies import AUDIENCES

INTERNAL, COUNSEL, PUBLIC = AUDIENCES
PROTECTED_LEVELS = ("pseudonymous", "confidential")

# Which audience each role sees on the web. Viewers are readers outside the
# team, so they get the public view; everyone else is part of the team.
# ``counsel`` is never a web audience: it is chosen when exporting a dossier.
AUDIENCE_OF_ROLE = {
    "admin": INTERNAL,
    "documenter": INTERNAL,
    "lawyer": INTERNAL,
    "auditor": INTERNAL,
    "viewer": PUBLIC,
}


def audience_for(user: Any) -> str:
    """The audience a (possibly anonymous) web user belongs to; unknown means public."""
    if user is None or not getattr(user, "is_authenticated", False):
        return PUBLIC
    return AUDIENCE_OF_ROLE.get(getattr(user, "role", None), PUBLIC)


def protection_applies(protection: str, audience: str) -> bool:
    """Whether a statement of this protection level hides its witness from the audience."""
    return audience != INTERNAL and protection in PROTECTED_LEVELS


def statement_visible(statement: Statement, audience: str) -> bool:
    """A confidential statement exists only for the internal and counsel audiences."""
    return statement.protection != "confidential" or audience in (INTERNAL, COUNSEL)


def _protected_rows(session: Session, audience: str) -> list[Any]:
    """(person id, pseudonym, name, aliases) of every protected witness, oldest statement first."""
    if audience == INTERNAL:
        return []
    stmt = (
        select(Person.id, Statement.pseudonym, Person.name, Person.aliases)
        .join(Statement, Statement.witness_id == Person.id)
        .where(Statement.protection.in_(PROTECTED_LEVELS))
        .order_by(Person.id, Statement.id)
    )
    return list(session.execute(stmt))


def _pseudonyms(rows: Iterable[Any]) -> dict[int, str]:
    # A person with several protected statements keeps the pseudonym of the
    # first one, so they appear under one name everywhere.
    pseudonyms: dict[int, str] = {}
    for row in rows:
        pseudonyms.setdefault(row.id, row.pseudonym or "protected witness")
    return pseudonyms


def protected_person_ids(session: Session, audience: str) -> dict[int, str]:
    """Person id -> pseudonym for everyone protected from ``audience`` (one query)."""
    return _pseudonyms(_protected_rows(session, audience))


def person_label(person: Any, audience: str, protected: dict[int, str]) -> str:
    """The name to show for a person: the pseudonym when protected from this audience."""
    if audience != INTERNAL and person.id in protected:
        return protected[person.id]
    return person.name


def _name_pattern(name: str) -> str:
    # Parts of a name may be separated by any run of spaces, hyphens or
    # underscores, so "Ivan Petrov" is also found in the key "ivan-petrov";
    # each part swallows the rest of its word so inflected forms (Ивана
    # Петрова) go too: hiding a little too much is safer than leaking a name.
    # A name is only found whole: a surname used alone is found when it is
    # recorded as an alias.
    parts = [re.escape(part) + r"[^\W_]*" for part in re.split(r"[\s_-]+", name.strip()) if part]
    return r"(?<![^\W_])" + r"[\s_-]+".join(parts)


def _variants(names: Iterable[str]) -> list[str]:
    """Names that contain a letter or digit, longest first (so full names win)."""
    return sorted((n for n in names if re.search(r"[^\W_]", n)), key=len, reverse=True)


def build_scrubber(names: dict[str, str]) -> re.Pattern[str] | None:
    """One case-insensitive pattern with a group per name; None when nothing is protected."""
    variants = _variants(names)
    if not variants:
        return None
    return re.compile("|".join(f"({_name_pattern(n)})" for n in variants), re.IGNORECASE)


@dataclass
class Protection:
    """What one audience may see, loaded once (one query) and reused for a whole page."""

    audience: str
    pseudonyms: dict[int, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # name or alias -> pseudonym
    _pattern: re.Pattern[str] | None = None
    _pseudonym_of_group: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, session: Session, audience: str) -> Protection:
        if audience not in AUDIENCES:
            raise ValueError(f"audience: must be one of {', '.join(AUDIENCES)}")
        rows = _protected_rows(session, audience)
        pseudonyms = _pseudonyms(rows)
        names: dict[str, str] = {}
        for row in rows:
            for name in [row.name, *(row.aliases or [])]:
                names.setdefault(name, pseudonyms[row.id])
        protection = cls(audience=audience, pseudonyms=pseudonyms, names=names)
        protection._pattern = build_scrubber(names)
        # Group i of the pattern is the i-th longest name; remember its pseudonym.
        protection._pseudonym_of_group = [names[n] for n in _variants(names)]
        return protection

    @property
    def is_internal(self) -> bool:
        return self.audience == INTERNAL

    def is_protected(self, person: Any) -> bool:
        return person is not None and not self.is_internal and person.id in self.pseudonyms

    def person_label(self, person: Any) -> str:
        """Name or pseudonym; '' for no person."""
        if person is None:
            return ""
        return person_label(person, self.audience, self.pseudonyms)

    def person_aliases(self, person: Any) -> list[str]:
        """A protected person's aliases are never shown; others' are."""
        return [] if self.is_protected(person) else list(person.aliases or [])

    def person_notes(self, person: Any) -> str | None:
        """Notes about a protected person may identify them, so they are withheld."""
        return None if self.is_protected(person) else self.scrub(person.notes)

    def statement_visible(self, statement: Statement) -> bool:
        return statement_visible(statement, self.audience)

    def witness_label(self, statement: Statement) -> str:
        """How a statement's witness is named for this audience."""
        if protection_applies(statement.protection, self.audience):
            return statement.pseudonym or "protected witness"
        if statement.witness is not None:
            return self.person_label(statement.witness)
        return statement.pseudonym or "unnamed witness"

    def scrub(self, text: str | None) -> str | None:
        """Free text with every name and alias of a protected person replaced by the pseudonym."""
        if not text or self._pattern is None:
            return text
        return self._pattern.sub(self._replacement, text)

    def _replacement(self, match: re.Match[str]) -> str:
        return self._pseudonym_of_group[match.lastindex - 1]

    def filter_statements(self, statements: Iterable[Statement]) -> list[Statement]:
        return [s for s in statements if self.statement_visible(s)]


@dataclass(frozen=True)
class StatementView:
    """A statement as one audience may see it; the witness link is kept only when allowed."""

    key: str
    witness_label: str
    witness_key: str | None
    protection: str
    taken: str | None
    taken_by: str | None
    language: str | None
    text: str
    translation: str | None
    retracted: bool


def statement_view(statement: Statement, protection: Protection) -> StatementView | None:
    """The statement with protection applied, or None when the audience may not see it."""
    if not protection.statement_visible(statement):
        return None
    witness = statement.witness
    return StatementView(
        key=statement.key,
        witness_label=protection.witness_label(statement),
        # A protected witness's person page shows the pseudonym too, so the link is safe;
        # it still is left out so the person's key (often their name) is not shown.
        witness_key=None if witness is None or protection.is_protected(witness) else witness.key,
        protection=statement.protection,
        taken=statement.taken,
        taken_by=statement.taken_by,
        language=statement.language,
        text=protection.scrub(statement.text) or "",
        translation=protection.scrub(statement.translation),
        retracted=statement.is_retracted,
    )


def current_protection() -> Protection:
    """The signed-in user's Protection, loaded once per request."""
    from flask import g
    from flask_login import current_user

    from evidence.db import get_session

    if "protection" not in g:
        g.protection = Protection.load(get_session(), audience_for(current_user))
    return g.protection
