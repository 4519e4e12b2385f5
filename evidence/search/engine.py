"""One interface, two full-text engines: SQLite FTS5 and PostgreSQL tsvector + pg_trgm.

Both index ``search_documents.terms`` (normalised keys, see normalise.py).
A query reaches an engine as a list of words, each a list of alternative
keys (the word's own key and the keys of near spellings); a document matches
when it holds every word in one of its alternatives. Alternatives of four or
more letters also match as prefixes, so inflected forms are found
(Тарайкоўскага -> taraikovskaha finds taraikovska*).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from rapidfuzz import fuzz, process
from sqlalchemy import ColumnElement, Select, column, func, literal_column, select, table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from evidence.core.records import BATCH, chunks
from evidence.search.models import SearchDocument, SearchTerm

PREFIX_FROM = 4  # shorter keys match only whole words, or "al" would match half the index
SIMILAR_ENOUGH = 80  # rapidfuzz ratio: one typo (a swap, a missing or wrong letter) in 8+
NEAREST = 5  # near spellings tried per misspelt word

Words = Sequence[Sequence[str]]


class Engine(Protocol):
    def matching(self, words: Words) -> Select[Any]:
        """SELECT (document id, rank) of the documents holding every word; lower rank is better."""

    def matching_ids(self, words: Words) -> Select[Any]:
        """SELECT (document id) of the same documents, unranked: cheap for millions of hits."""

    def holding(self, words: Words) -> ColumnElement[bool]:
        """A condition on ``SearchDocument``: it holds every word (one condition per statement,
        for reading documents in index order and stopping after a few)."""

    def candidates(self, session: Session, key: str) -> list[str]:
        """Indexed keys that may be misspellings of ``key`` (to be scored by the caller)."""

    def add_terms(self, session: Session, terms: set[str]) -> None:
        """Record new keys in the vocabulary (existing ones are left alone)."""

    def starting_with(self, key: str) -> ColumnElement[bool]:
        """Vocabulary keys that start with ``key``, in a form the engine's index serves."""


def _prefixable(key: str) -> bool:
    return len(key) >= PREFIX_FROM


class SqliteEngine:
    fts = table("search_fts", column("rowid"), column("rank"), column("search_fts"))

    def _match(self, words: Words) -> ColumnElement[bool]:
        expression = " AND ".join(
            "(" + " OR ".join(f'"{k}"*' if _prefixable(k) else f'"{k}"' for k in word) + ")"
            for word in words
        )
        return self.fts.c.search_fts.op("MATCH")(expression)

    def matching(self, words: Words) -> Select[Any]:
        return select(self.fts.c.rowid.label("id"), self.fts.c.rank.label("rank")).where(
            self._match(words)
        )

    def matching_ids(self, words: Words) -> Select[Any]:
        return select(self.fts.c.rowid.label("id")).where(self._match(words))

    def holding(self, words: Words) -> ColumnElement[bool]:
        # FTS5 cannot test one document cheaply: the matches are listed once per statement.
        # "+ 0": a test per document, not an index probe per pair (record id, match).
        matched = self.matching_ids(words).cte("matched").prefix_with("MATERIALIZED")
        return (SearchDocument.id + 0).in_(select(matched.c.id))

    def candidates(self, session: Session, key: str) -> list[str]:
        # Same first letter, length within two: a bounded range scan of the primary key.
        stmt = select(SearchTerm.term).where(
            SearchTerm.term >= key[0],
            SearchTerm.term < chr(ord(key[0]) + 1),
            func.length(SearchTerm.term).between(len(key) - 2, len(key) + 2),
        )
        return list(session.scalars(stmt))

    def add_terms(self, session: Session, terms: set[str]) -> None:
        _insert_terms(session, sqlite_insert(SearchTerm).on_conflict_do_nothing(), terms)

    def starting_with(self, key: str) -> ColumnElement[bool]:
        # Keys are ASCII and SQLite compares bytes, so this is a range scan of the primary key.
        return SearchTerm.term.between(key, key + "\x7f")


class PostgresEngine:
    vector = literal_column("search_documents.search_fts")

    def _query(self, words: Words) -> Any:
        expression = " & ".join(
            "(" + " | ".join(f"{k}:*" if _prefixable(k) else k for k in word) + ")"
            for word in words
        )
        return func.to_tsquery("simple", expression)

    def matching(self, words: Words) -> Select[Any]:
        query = self._query(words)
        return select(
            SearchDocument.id.label("id"), (-func.ts_rank(self.vector, query)).label("rank")
        ).where(self.vector.op("@@")(query))

    def matching_ids(self, words: Words) -> Select[Any]:
        return select(SearchDocument.id.label("id")).where(self.holding(words))

    def holding(self, words: Words) -> ColumnElement[bool]:
        # Tested on each row's stored tsvector or through the GIN index: the planner chooses.
        return self.vector.op("@@")(self._query(words))

    def candidates(self, session: Session, key: str) -> list[str]:
        stmt = (
            select(SearchTerm.term)
            .where(SearchTerm.term.op("%")(key))
            .order_by(func.similarity(SearchTerm.term, key).desc())
            .limit(50)
        )
        # The planner prices a sequential scan of the 100k-key vocabulary (60 ms, EXPLAIN
        # ANALYZE) below the trigram index (10 ms): rule it out for this statement only.
        was = session.scalar(select(func.current_setting("enable_seqscan"), _set_seqscan("off")))
        try:
            return list(session.scalars(stmt))
        finally:
            session.execute(select(_set_seqscan(was)))

    def add_terms(self, session: Session, terms: set[str]) -> None:
        _insert_terms(session, pg_insert(SearchTerm).on_conflict_do_nothing(), terms)

    def starting_with(self, key: str) -> ColumnElement[bool]:
        # Served by the trigram index (the database collation may not sort bytewise).
        return SearchTerm.term.startswith(key)


def _set_seqscan(value: str) -> Any:
    """PostgreSQL: set enable_seqscan until the end of the transaction."""
    return func.set_config("enable_seqscan", value, True)


def _insert_terms(session: Session, stmt: Any, terms: set[str]) -> None:
    rows = [{"term": term} for term in sorted(terms) if len(term) <= 120]
    for batch in chunks(rows, BATCH):
        session.execute(stmt, batch)


ENGINES: dict[str, Engine] = {"sqlite": SqliteEngine(), "postgresql": PostgresEngine()}


def engine_for(session: Session) -> Engine:
    return ENGINES[session.get_bind().dialect.name]


def near_spellings(session: Session, key: str) -> list[str]:
    """Indexed keys one typo away from ``key``, nearest first (none for short keys)."""
    if not _prefixable(key):
        return []
    found = process.extract(
        key,
        engine_for(session).candidates(session, key),
        scorer=fuzz.ratio,
        score_cutoff=SIMILAR_ENOUGH,
        limit=NEAREST,
    )
    return [term for term, _score, _index in found if term != key]


def is_indexed(session: Session, key: str) -> bool:
    """Whether some indexed key is ``key`` or (for longer keys) starts with it."""
    if _prefixable(key):
        condition = engine_for(session).starting_with(key)
    else:
        condition = SearchTerm.term == key
    return session.scalar(select(SearchTerm.term).where(condition).limit(1)) is not None
