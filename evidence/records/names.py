"""Names typed where a record is referred to: "Minsk" in an incident's place field.

A reference names a record by its key; while ``accepting_names`` is in force (the web's
record forms), a reference that is no key is also read as a name: it names a record when
it folds to the same search key (normalise.py: case, script, transliteration) as the
record's name or title or one of its aliases, so "минск", "Minsk" and "МІНСК" all name
the place "Мінск" with the alias "Minsk". Retracted records are never named.

- One record: the reference is that record.
- Several: nothing is resolved; they are noted (``TypedNames.outcomes``) as choices.
- None: nothing is resolved; the nearest records are noted as "did you mean". They come
  from a bounded, indexed candidate set (at most PER_SPELLING records whose folded names
  contain the longest typed word or one of its near spellings in the search vocabulary),
  ranked by similarity here. bench/typed_names_bench.py times it at 100k records.

Everything is seen as the ``Protection`` given sees it: hidden records are left out in
the queries, names are compared as the audience may read them, and a text that may name a
protected person names nothing and is near nothing, as a nonsense word would. The same
queries run for it, so it does not answer faster either.

Bulk paths (the evidence/1 import) keep requiring keys: they never accept names.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import ColumnElement, func, literal, select, true, union_all
from sqlalchemy.orm import Session

from evidence.core.versioning import FoldedNames, KeyedRecord
from evidence.protection import Protection
from evidence.records.loading import ENTITY_OF_MODEL
from evidence.search.engine import near_spellings
from evidence.search.folded_names import names_containing
from evidence.search.normalise import keys, normalise

SESSION_KEY = "evidence.typed_names"
CHOICES_SHOWN = 10  # records sharing one name, offered to choose from
NEAREST_SHOWN = 5
PER_SPELLING = 40  # records ranked for "did you mean" per typed word or near spelling of it
WORDS_TRIED = 1  # typed words looked up for "did you mean": the longest
SHORTEST_WORD = 3  # shorter words are not looked up: the trigram indexes cannot serve them
# rapidfuzz WRatio (0-100) a record's name must reach to be offered as "did you mean":
# one or two wrong letters (Minks, Sovetskii), or the typed words inside a longer name.
NEAR_ENOUGH = 75


@dataclass(frozen=True)
class Candidate:
    """A record offered to the editor: its key, and its name as the audience may read it."""

    key: str
    label: str


@dataclass(frozen=True)
class NameOutcome:
    """A typed name that did not name exactly one record: the records it names (several),
    or, when it names none, the nearest ones."""

    typed: str
    entity: str
    choices: tuple[Candidate, ...] = ()
    nearest: tuple[Candidate, ...] = ()


@dataclass
class TypedNames:
    """References accept names while this is in force, as ``protection``'s audience sees
    them; ``outcomes`` holds, by field, each typed name that named several records or none."""

    protection: Protection
    outcomes: dict[str, NameOutcome] = field(default_factory=dict)

    def visible(self, model: type[KeyedRecord]) -> ColumnElement[bool]:
        return self.protection.visible_condition(model)

    def named(self, session: Session, model: type[Any], text: str) -> list[Any]:
        """The records (not retracted, visible) that ``text`` names."""
        wanted = normalise(text)
        protected = bool(self.protection.ignored_query_words(text))
        if not wanted:
            return []
        stmt = (
            select(model)
            .where(
                # The key alone, not the text as typed too: one pattern, which PostgreSQL
                # looks up in the trigram index (two it prices above reading the table).
                names_containing(session, model, wanted),
                _has_folded_line(model, wanted),
                model.retracted_at.is_(None),
                self.visible(model),
            )
            .order_by(model.id)
            .limit(CHOICES_SHOWN + 1)
        )
        with session.no_autoflush:
            found = list(session.scalars(stmt))
        if protected:
            return []
        return [
            record
            for record in found
            if self._shown_key(record) and wanted in map(normalise, self._names(record))
        ]

    def nearest(self, session: Session, model: type[Any], text: str) -> list[Candidate]:
        """Up to NEAREST_SHOWN records whose names are nearest to ``text``, nearest first."""
        protected = bool(self.protection.ignored_query_words(text))
        wanted = normalise(text)
        # The longest words are the rarest in the index: surnames and place names, not "of".
        words = sorted(set(keys(text)), key=lambda word: (-len(word), word))[:WORDS_TRIED]
        spellings = {
            spelling
            for word in words
            for spelling in [word, *near_spellings(session, word)]
            if len(spelling) >= SHORTEST_WORD
        }
        if not spellings:
            return []
        # Each spelling brings at most PER_SPELLING records, so a common word costs no more
        # than a rare one; the record meant holds the rare one (a surname, a place name).
        # PostgreSQL reads the trigram index only when the rows are ordered: with a bare
        # LIMIT it prices reading the table until enough rows matched below it.
        ordered = (
            [] if session.get_bind().dialect.name == "sqlite" else [func.length(model.folded_names)]
        )
        each = [
            select(model.id.label("id"))
            .where(
                names_containing(session, model, spelling),
                model.retracted_at.is_(None),
                self.visible(model),
            )
            .order_by(*ordered)
            .limit(PER_SPELLING)
            .subquery()
            for spelling in sorted(spellings)
        ]
        ids = union_all(*(select(limited.c.id) for limited in each)).subquery()
        stmt = select(model).where(model.id.in_(select(ids.c.id)))
        with session.no_autoflush:
            found = list(session.scalars(stmt))
        if protected:
            return []
        ranked = []
        for record in found:
            key = self._shown_key(record)
            names = self._names(record)
            score = max(fuzz.WRatio(wanted, normalise(name)) for name in names)
            if key and score >= NEAR_ENOUGH:
                ranked.append((-score, len(names[0]), key, Candidate(key, names[0])))
        ranked.sort(key=lambda item: item[:3])
        return [candidate for *_order, candidate in ranked[:NEAREST_SHOWN]]

    def candidate(self, record: Any) -> Candidate:
        return Candidate(record.key, self._names(record)[0])

    def _names(self, record: Any) -> list[str]:
        """The record's name or title, then its aliases, as the audience may read them."""
        label = getattr(record, "name", None) or getattr(record, "title", None) or ""
        aliases = getattr(record, "aliases", None) or []
        return [self.protection.scrub(name) or "" for name in [label, *aliases]]

    def _shown_key(self, record: Any) -> str | None:
        # A key that would be scrubbed names a protected person: such a record is not offered.
        return record.key if self.protection.scrub(record.key) == record.key else None

    def resolve(self, session: Session, model: type[Any], field_name: str, text: str) -> Any:
        """The one record ``text`` names, or None with the outcome noted under ``field_name``."""
        found = self.named(session, model, text)
        if len(found) == 1:
            self.outcomes.pop(field_name, None)
            return found[0]
        entity = ENTITY_OF_MODEL[model].name
        if found:
            choices = tuple(self.candidate(record) for record in found[:CHOICES_SHOWN])
            self.outcomes[field_name] = NameOutcome(text, entity, choices=choices)
        else:
            nearest = tuple(self.nearest(session, model, text))
            self.outcomes[field_name] = NameOutcome(text, entity, nearest=nearest)
        return None


def accepts_names(model: type[Any]) -> bool:
    """Whether records of ``model`` can be named (they have folded, indexed names)."""
    return issubclass(model, FoldedNames)


@contextmanager
def accepting_names(session: Session, protection: Protection) -> Iterator[TypedNames]:
    """References resolved in ``session`` meanwhile accept typed names, as ``protection``'s
    audience sees the records."""
    previous = session.info.get(SESSION_KEY)
    names = TypedNames(protection)
    session.info[SESSION_KEY] = names
    try:
        yield names
    finally:
        if previous is None:
            session.info.pop(SESSION_KEY, None)
        else:
            session.info[SESSION_KEY] = previous


def typed_names(session: Session) -> TypedNames | None:
    """The TypedNames in force in ``session``, if any."""
    return session.info.get(SESSION_KEY)


def visible_keys(session: Session, model: type[KeyedRecord]) -> ColumnElement[bool]:
    """Condition on a key lookup: the record is visible to the audience names are read for
    (every record when no names are accepted)."""
    names = typed_names(session)
    return true() if names is None else names.visible(model)


def _has_folded_line(model: type[Any], wanted: str) -> ColumnElement[bool]:
    """One of the lines of the record's ``folded_names`` is exactly ``wanted``."""
    escaped = wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    lines = literal("\n") + model.folded_names + literal("\n")
    return lines.like(f"%\n{escaped}\n%", escape="\\")
