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

- Files cannot be scrubbed, so an exhibit linked to a statement whose witness is
  protected, and a web capture of the source of such a statement, are hidden from the
  public. A documenter may upload a redacted copy of an exhibit: the public sees the
  copy instead of the original (which is then hidden). Counsel sees every file.
- A record an audience may not see answers 404, exactly like one that does not exist.

Typical use in a view or service::

    protection = current_protection()          # per request, cached
    protection.visible(exhibit)                # may this audience see it at all?
    stmt.where(protection.visible_condition(Exhibit))   # the same rule in a query
    protection.shown_name(person)              # name or pseudonym
    protection.scrub(incident.summary)         # free text with names replaced

Code without a request (CLI, dossiers) builds ``Protection.load(session, audience)``.
"""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from re import _casefix
from typing import Any

from jinja2 import Undefined
from markupsafe import Markup, escape
from sqlalchemy import ColumnElement, Select, or_, select, true, union
from sqlalchemy.orm import Session

from evidence.actors.models import Person
from evidence.exhibits.models import Exhibit, ExhibitLink
from evidence.links.models import Capture
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


# Stands for every pseudonym when finding which words a scrub replaces.
_MARK = "\x00"

# An HTML tag, and a quoted attribute value inside one (what Jinja and WTForms write).
_TAG = re.compile(r"(<[^>]*>)")
_ATTRIBUTE_VALUE = re.compile(r'"([^"]*)"')


def _protected_rows(session: Session, audience: str) -> list[Any]:
    """(person id, pseudonym, name, aliases) of every protected witness, one row each.

    The pseudonym is that of the person's oldest protected statement, so they appear
    under one name everywhere. The statements are found through the (protection,
    witness_id) index rather than read one by one (300k statements: 200 ms).
    """
    if audience == INTERNAL:
        return []
    protected = Statement.protection.in_(PROTECTED_LEVELS)
    first_pseudonym = (
        select(Statement.pseudonym)
        .where(Statement.witness_id == Person.id, protected)
        .order_by(Statement.id)
        .limit(1)
        .scalar_subquery()
    )
    stmt = (
        select(Person.id, first_pseudonym.label("pseudonym"), Person.name, Person.aliases)
        .where(Person.id.in_(select(Statement.witness_id).where(protected)))
        .order_by(Person.id)
    )
    return list(session.execute(stmt))


def _protected_person_ids() -> Select[Any]:
    """Persons who gave a protected statement (protection follows the person)."""
    return select(Statement.witness_id).where(
        Statement.protection.in_(PROTECTED_LEVELS), Statement.witness_id.is_not(None)
    )


def _confidential_statement_ids() -> Select[Any]:
    return select(Statement.id).where(Statement.protection == "confidential")


def _naming_statement_ids() -> Select[Any]:
    """Statements whose files may name a protected witness: protected ones, and any
    statement of a person who is protected because of another."""
    return select(Statement.id).where(
        or_(
            Statement.protection.in_(PROTECTED_LEVELS),
            Statement.witness_id.in_(_protected_person_ids()),
        )
    )


def _pseudonyms(rows: Iterable[Any]) -> dict[int, str]:
    return {row.id: row.pseudonym or "protected witness" for row in rows}


def protected_person_ids(session: Session, audience: str) -> dict[int, str]:
    """Person id -> pseudonym for everyone protected from ``audience`` (one query)."""
    return _pseudonyms(_protected_rows(session, audience))


def person_label(person: Any, audience: str, protected: dict[int, str]) -> str:
    """The name to show for a person: the pseudonym when protected from this audience."""
    if audience != INTERNAL and person.id in protected:
        return protected[person.id]
    return person.name


def _name_parts(name: str) -> list[str]:
    return [part for part in re.split(r"[\s_-]+", name.strip()) if part]


def _name_pattern(name: str) -> str:
    # Parts of a name may be separated by any run of spaces, hyphens or
    # underscores, so "Ivan Petrov" is also found in the key "ivan-petrov";
    # each part swallows the rest of its word so inflected forms (Ивана
    # Петрова) go too: hiding a little too much is safer than leaking a name.
    # A name is only found whole: a surname used alone is found when it is
    # recorded as an alias.
    parts = [re.escape(part) + r"[^\W_]*" for part in _name_parts(name)]
    return r"(?<![^\W_])" + r"[\s_-]+".join(parts)


def _variants(names: Iterable[str]) -> list[str]:
    """Names that contain a letter or digit, longest first (so full names win)."""
    return sorted((n for n in names if re.search(r"[^\W_]", n)), key=len, reverse=True)


@lru_cache(maxsize=1024)
def _compiled(variants: tuple[str, ...]) -> re.Pattern[str]:
    """One case-insensitive pattern with a group per name, in the order given."""
    return re.compile("|".join(f"({_name_pattern(n)})" for n in variants), re.IGNORECASE)


# Characters that re.IGNORECASE treats as equal although their lower cases differ
# (i and dotless ı, s and long ſ, σ and ς, в and ᲀ ...), each mapped to one of its group.
_SAME_CASE_GROUP = {
    source: chr(min(lowered, *others))
    for lowered, others in _casefix._EXTRA_CASES.items()
    for source in (chr(lowered), *map(chr, others))
}
_CASE_GROUPS = str.maketrans(_SAME_CASE_GROUP)


def _folded(text: str) -> str:
    """Text with every character replaced by one representative of what re.IGNORECASE
    treats as the same letter, one character for one. İ is the one character whose
    str.lower() is two characters; re compares it as i."""
    return text.replace("\u0130", "i").lower().translate(_CASE_GROUPS)


class Scrubber:
    """Replaces names in free text, fast enough for every line of a page.

    The one pattern of every protected name costs a few milliseconds per text with a few
    hundred names, most of it trying every name at every word. A name can only match
    where each of its parts occurs, case folded as the pattern folds it. So the text is
    folded once and searched for the parts with one plain pattern (no case rules, no
    lookbehind: the regex engine skips to the possible first letters); only the names
    whose parts all occur go into the name pattern, in the same longest-first order. It
    therefore replaces exactly what the pattern of every name replaces.
    """

    def __init__(self, names: dict[str, str]) -> None:
        self._variants = _variants(names)
        self._pseudonyms = [names[n] for n in self._variants]
        self._parts = [[_folded(p) for p in _name_parts(n)] for n in self._variants]
        parts = {part for name_parts in self._parts for part in name_parts}
        # Longest first, so a search finds the longest part starting at a place; the
        # shorter parts starting there are its prefixes.
        longest_first = sorted(parts, key=len, reverse=True)
        self._finder = re.compile("|".join(map(re.escape, longest_first))) if parts else None
        self._prefixes = {
            part: [part[:end] for end in range(1, len(part) + 1) if part[:end] in parts]
            for part in parts
        }

    def __bool__(self) -> bool:
        return self._finder is not None

    def _parts_in(self, folded: str) -> set[str]:
        found: set[str] = set()
        start = 0
        while match := self._finder.search(folded, start):
            found.update(self._prefixes[match.group()])
            start = match.start() + 1
        return found

    def scrub(self, text: str) -> str:
        if self._finder is None:
            return text
        occurring = self._parts_in(_folded(text))
        if not occurring:
            return text
        found = [i for i, parts in enumerate(self._parts) if occurring.issuperset(parts)]
        if not found:
            return text
        pattern = _compiled(tuple(self._variants[i] for i in found))
        return pattern.sub(lambda match: self._pseudonyms[found[match.lastindex - 1]], text)


@lru_cache(maxsize=16)
def _scrubber(names: tuple[tuple[str, str], ...]) -> Scrubber:
    # Kept across requests: the protected names change rarely, the pages ask often.
    return Scrubber(dict(names))


@dataclass
class Protection:
    """What one audience may see, loaded once (one query) and reused for a whole page."""

    audience: str
    pseudonyms: dict[int, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # name or alias -> pseudonym
    _scrubber: Scrubber | None = None
    # Whether a record is visible may need the database (an exhibit's links).
    session: Session | None = field(default=None, repr=False, compare=False)

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
        protection = cls(audience=audience, pseudonyms=pseudonyms, names=names, session=session)
        protection._scrubber = _scrubber(tuple(names.items())) if names else None
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

    @property
    def shows_file_names(self) -> bool:
        """File names are chosen by whoever made the file and often name the people in it."""
        return self.is_internal

    def exhibit_label(self, exhibit: Any) -> str:
        """How an exhibit is named: its file name for the team, a neutral label otherwise."""
        return exhibit.filename if self.shows_file_names else f"Exhibit {exhibit.id}"

    def exhibit_text(self, exhibit: Any, text: str | None) -> str | None:
        """Text about an exhibit (a custody note) with its file name replaced by its label
        where file names are not shown."""
        if not text or self.shows_file_names:
            return text
        label = self.exhibit_label(exhibit)
        # The upload event quotes the name with repr(), which escapes some characters.
        for written in (repr(exhibit.filename)[1:-1], exhibit.filename):
            text = text.replace(written, label)
        return text

    def shown_name(self, person: Any) -> str:
        """The name this audience sees for a person: their name, or their pseudonym."""
        return self.person_label(person)

    # --- what an audience may see at all ---------------------------------------------------

    def hidden_ids(self, model: type) -> Select[Any] | None:
        """A SELECT of the ids of ``model`` records hidden from this audience, for a list
        or search to apply; None when no record of that type is ever hidden from it."""
        if self.is_internal:
            return None
        if model is Statement:
            return _confidential_statement_ids() if self.audience == PUBLIC else None
        if model is Person:
            return _protected_person_ids()
        if self.audience != PUBLIC:
            # Counsel works under the court's protective measures: it sees every file
            # (and, in dossiers, lists them by key and hash only).
            return None
        if model is Exhibit:
            return self._hidden_exhibit_ids()
        if model is Capture:
            sources = select(Statement.source_id).where(
                Statement.id.in_(_naming_statement_ids()), Statement.source_id.is_not(None)
            )
            return select(Capture.id).where(Capture.source_id.in_(sources))
        return None

    def visible_condition(self, model: type) -> ColumnElement[bool]:
        """SQL condition: the ``model`` row is visible to this audience."""
        hidden = self.hidden_ids(model)
        return true() if hidden is None else model.id.not_in(hidden)

    def visible(self, obj: Any) -> bool:
        """May this audience see the record at all? If not, it answers 404 like a missing one."""
        if obj is None:
            return False
        if isinstance(obj, Statement):
            return self.statement_visible(obj)
        if isinstance(obj, Person):
            return not self.is_protected(obj)
        model = type(obj)
        hidden = self.hidden_ids(model)
        if hidden is None or obj.id is None:
            return True
        found = self._session().scalar(
            select(model.id).where(model.id == obj.id, model.id.in_(hidden))
        )
        return found is None

    def hidden_among(self, model: type, ids: Iterable[int]) -> set[int]:
        """Which of these ids of ``model`` records are hidden from this audience (one query)."""
        ids = list(ids)
        hidden = self.hidden_ids(model)
        if hidden is None or not ids:
            return set()
        stmt = select(model.id).where(model.id.in_(ids), model.id.in_(hidden))
        return set(self._session().scalars(stmt))

    def _hidden_exhibit_ids(self) -> Select[Any]:
        # A redacted copy is made for the public: it is hidden only with a statement the
        # public may not see at all; the original of a redacted copy is always hidden.
        linked_to = select(ExhibitLink.exhibit_id).join(
            Exhibit, Exhibit.id == ExhibitLink.exhibit_id
        )
        naming = linked_to.where(
            ExhibitLink.statement_id.in_(_naming_statement_ids()), Exhibit.redacts_id.is_(None)
        )
        originals = select(Exhibit.redacts_id).where(Exhibit.redacts_id.is_not(None))
        confidential = linked_to.where(ExhibitLink.statement_id.in_(_confidential_statement_ids()))
        return select(union(naming, originals, confidential).subquery().c[0])

    def _session(self) -> Session:
        if self.session is None:
            raise RuntimeError("this Protection was built without a session")
        return self.session

    def witness_label(self, statement: Statement) -> str:
        """How a statement's witness is named for this audience."""
        if protection_applies(statement.protection, self.audience):
            return statement.pseudonym or "protected witness"
        if statement.witness is not None:
            return self.person_label(statement.witness)
        return statement.pseudonym or "unnamed witness"

    def scrub(self, text: str | None) -> str | None:
        """Free text with every name and alias of a protected person replaced by the pseudonym."""
        if not text or not self._scrubber:
            return text
        return self._scrubber.scrub(text)

    # --- every output: pages and JSON -----------------------------------------------------

    def scrub_output(self, value: Any) -> Any:
        """A value about to be written into a page or a JSON document, scrubbed.

        Applied to every ``{{ ... }}`` of every template (the Jinja ``finalize`` hook) and
        to every string of every JSON response, so a template or endpoint added later is
        protected without asking. Plain text is scrubbed; HTML (Markup: macro output,
        highlighted snippets, form fields) is scrubbed in its text and attribute values and
        stays HTML; numbers and dates pass unchanged.
        """
        if self._scrubber is None or value is None or isinstance(value, (bool, int, float)):
            return value
        if isinstance(value, Markup) or hasattr(value, "__html__"):
            return self._scrub_markup(Markup(value))
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, Undefined):
            return value
        return self.scrub(str(value))

    def scrub_tree(self, value: Any) -> Any:
        """Every string in nested dataclasses, lists, tuples and dicts (keys too) scrubbed:
        a JSON body, or a whole dossier snapshot, so no field of it can be forgotten."""
        if self._scrubber is None:
            return value
        if isinstance(value, dict):
            return {self.scrub_tree(k): self.scrub_tree(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.scrub_tree(item) for item in value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes = {
                f.name: self.scrub_tree(getattr(value, f.name))
                for f in dataclasses.fields(value)
                if f.init
            }
            return dataclasses.replace(value, **changes)
        return self.scrub(value) if isinstance(value, str) else value

    def hidden_words(self, text: str | None) -> list[str]:
        """The words of ``text`` this audience will not see (each shown as a pseudonym), in
        order: what a documenter is told when their text names a protected person."""
        if not text or self._scrubber is None:
            return []
        marked = _scrubber(tuple((name, _MARK) for name in self.names)).scrub(text)
        if marked == text:
            return []
        # The text between replacements is kept as it was, so it anchors each hidden word.
        pattern = "(.+?)".join(re.escape(part) for part in marked.split(_MARK))
        found = re.fullmatch(pattern, text, re.DOTALL)
        return [word.strip() for word in found.groups()] if found else []

    def _scrub_markup(self, markup: Markup) -> Markup:
        source = str(markup)
        if self.scrub(html.unescape(source)) == html.unescape(source):
            return markup
        # Only the pieces that name someone are rewritten, so the rest (scripts, entities)
        # stays byte for byte.
        pieces = _TAG.split(source)
        for i, piece in enumerate(pieces):
            if i % 2:
                pieces[i] = _ATTRIBUTE_VALUE.sub(lambda m: f'"{self._scrub_html(m[1])}"', piece)
            else:
                pieces[i] = self._scrub_html(piece)
        return Markup("".join(pieces))

    def _scrub_html(self, escaped: str) -> str:
        text = html.unescape(escaped)
        scrubbed = self.scrub(text)
        return escaped if scrubbed == text else str(escape(scrubbed))

    def filter_statements(self, statements: Iterable[Statement]) -> list[Statement]:
        return [s for s in statements if self.visible(s)]


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


PREVIEW_ARGUMENT = "preview"


def previewing_public() -> bool:
    """Whether a team member asked to see this page as the public sees it (?preview=public)."""
    from flask import request
    from flask_login import current_user

    asked = request.args.get(PREVIEW_ARGUMENT) == PUBLIC
    return asked and audience_for(current_user) == INTERNAL


def public_protection() -> Protection:
    """The public audience's Protection, loaded once per request (for the team's notices)."""
    from flask import g

    from evidence.db import get_session

    if "public_protection" not in g:
        g.public_protection = Protection.load(get_session(), PUBLIC)
    return g.public_protection


def current_protection() -> Protection:
    """The Protection of the request's audience, loaded once per request: the signed-in
    user's, or the public one while a team member previews the page as the public."""
    from flask import g
    from flask_login import current_user

    from evidence.db import get_session

    if "protection" not in g:
        audience = PUBLIC if previewing_public() else audience_for(current_user)
        g.protection = Protection.load(get_session(), audience)
    return g.protection
