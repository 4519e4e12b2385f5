"""One interface, two full-text engines: SQLite FTS5 and PostgreSQL tsvector + pg_trgm.

Both index ``search_documents.terms`` (normalised keys, see normalise.py).
A query reaches an engine as a list of words, each a list of alternative
keys (the word's own key and the keys of near spellings); a document matches
when it holds every word in one of its alternatives. Alternatives of four or
more letters also match as prefixes, so inflected forms are found
(Тарайкоўскага -> taraikovskaha finds taraikovska*). The engines only find
documents: neither ranks them (services.py ranks the few it keeps, the same
way on both), because FTS5's bm25 reads the whole posting list of every
query word to weigh it, 20 ms for one common word at 400k documents.

SQLite needs two more things to keep common words cheap (FTS5 reads the whole
posting list of a prefix query before it can skip through it, and has no
order but its rowid):
- the vocabulary rewrites a prefix as the whole words it stands for (``Terms``):
  ``"niht"*`` is ``"niht"`` when no other key starts with it, and any prefix is
  the OR of its few whole words;
- a document's id is its record's id inside a range of ids per record type, so
  "the newest documents of a type that match" is a backward walk of the
  full-text index over one id range, which stops after the first few.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from rapidfuzz import fuzz, process
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    Select,
    and_,
    any_,
    bindparam,
    column,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from evidence.core.records import BATCH, chunks
from evidence.db import insert_rows
from evidence.search.models import SEARCHED, SearchDocument, SearchTerm

PREFIX_FROM = 4  # shorter keys match only whole words, or "al" would match half the index
SIMILAR_ENOUGH = 80  # rapidfuzz ratio: one typo (a swap, a missing or wrong letter) in 8+
NEAREST = 5  # near spellings tried per misspelt word
SPELLED_OUT_AT_MOST = 32  # whole words a prefix is rewritten as, for counting and walking

Words = Sequence[Sequence[str]]
_PLAIN = re.compile(r"[a-z0-9]+")  # a key the FTS5 tokenizer reads as one token, as written


@dataclass(frozen=True)
class Terms:
    """A query's words, each a list of alternative keys, and what the vocabulary knows
    of their prefixes: per prefixable key, every indexed key starting with it (None:
    more than SPELLED_OUT_AT_MOST, or some not plain ASCII, so the prefix stays a prefix).
    """

    words: Words
    spelled_out: Mapping[str, tuple[str, ...] | None] = field(default_factory=dict)
    # PostgreSQL: the planner's estimate of the documents holding each word, in order.
    estimates: Sequence[float] = ()


class Engine(Protocol):
    def plan(self, session: Session) -> None:
        """Set how the database plans this transaction's queries, before a search runs them."""

    def terms(self, session: Session, words: Words) -> Terms:
        """The words with what this engine needs to know of them from the vocabulary."""

    def listed_at_most(self, terms: Terms) -> int:
        """How many matches to list in one pass at most before a search walks each record
        type's newest instead: 0 for no more than it ranks."""

    def matching(
        self, terms: Terms, columns: Sequence[Any], condition: ColumnElement[bool]
    ) -> Select[Any]:
        """SELECT ``columns`` (of ``SearchDocument``) of the documents holding every word and
        meeting ``condition``, in no order: to be limited, reading stops after a few."""

    def newest(
        self, terms: Terms, entity: str, columns: Sequence[Any], condition: ColumnElement[bool]
    ) -> Select[Any]:
        """SELECT ``columns`` of the documents of ``entity`` holding every word and meeting
        ``condition``, newest record first (to be limited: reading stops after a few)."""

    def document_id(self, entity: str, record_id: int) -> int | None:
        """The id a record's document gets (None: the database numbers documents)."""

    def among(self, column: Any, ids: Sequence[int]) -> ColumnElement[bool]:
        """``column`` is one of ``ids``, the list bound as one value: a search checks up to
        thousands, and a placeholder each is a new statement for the driver to parse."""

    def add_documents(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
        """Index documents just inserted into ``search_documents`` (rows as inserted)."""

    def add_terms(self, session: Session, terms: set[str]) -> None:
        """Record new keys in the vocabulary (existing ones are left alone)."""

    def starting_with(self, key: str) -> ColumnElement[bool]:
        """Vocabulary keys that start with ``key``, in a form the engine's index serves."""


def prefixable(key: str) -> bool:
    """Whether ``key`` also matches the longer keys starting with it."""
    return len(key) >= PREFIX_FROM


class SqliteEngine:
    fts = table("search_fts", column("rowid"), column("rank"), column("search_fts"))
    fts_rows = table("search_fts", column("rowid"), column("terms"))
    # Documents of the n-th record type have ids (n + 1) * 2**40 + record id: every record
    # type its own range, above the ids of databases numbered before (see the migration).
    ID_RANGE = 2**40

    def plan(self, session: Session) -> None:
        """Nothing to set: SQLite plans every statement with its values."""

    def listed_at_most(self, terms: Terms) -> int:
        # Walking FTS5 backwards over a record type's id range stops after its newest
        # matches, however few or many: listing more than ranked would only read further.
        return 0

    def terms(self, session: Session, words: Words) -> Terms:
        spelled_out: dict[str, tuple[str, ...] | None] = {}
        for key in {key for word in words for key in word if prefixable(key)}:
            found = session.scalars(
                select(SearchTerm.term)
                .where(self.starting_with(key))
                .limit(SPELLED_OUT_AT_MOST + 1)
            ).all()
            plain = len(found) <= SPELLED_OUT_AT_MOST and all(_PLAIN.fullmatch(t) for t in found)
            spelled_out[key] = tuple(found) if plain else None
        return Terms(words, spelled_out)

    def _alternative(self, terms: Terms, key: str) -> str:
        if not prefixable(key) or not _PLAIN.fullmatch(key):
            return f'"{key}"*' if prefixable(key) else f'"{key}"'
        whole = terms.spelled_out.get(key)
        return " OR ".join(f'"{k}"' for k in whole) if whole else f'"{key}"*'

    def _match(self, terms: Terms) -> ColumnElement[bool]:
        expression = " AND ".join(
            "(" + " OR ".join(self._alternative(terms, k) for k in word) + ")"
            for word in terms.words
        )
        return self.fts.c.search_fts.op("MATCH")(expression)

    def matching(
        self, terms: Terms, columns: Sequence[Any], condition: ColumnElement[bool]
    ) -> Select[Any]:
        # Driven by the full-text index, each match's document reached by primary key.
        return (
            select(*columns)
            .select_from(self.fts)
            .join(SearchDocument, SearchDocument.id == self.fts.c.rowid)
            .where(self._match(terms), condition)
        )

    def newest(
        self, terms: Terms, entity: str, columns: Sequence[Any], condition: ColumnElement[bool]
    ) -> Select[Any]:
        # Driven by the full-text index, backwards over the record type's id range: FTS5
        # yields matches in rowid order, so the walk stops once the limit is reached.
        first = self.document_id(entity, 0)
        return (
            select(*columns)
            .select_from(self.fts)
            .join(SearchDocument, SearchDocument.id == self.fts.c.rowid)
            .where(
                self._match(terms),
                self.fts.c.rowid.between(first, first + self.ID_RANGE - 1),
                condition,
            )
            .order_by(self.fts.c.rowid.desc())
        )

    def document_id(self, entity: str, record_id: int) -> int | None:
        return (SEARCHED.index(entity) + 1) * self.ID_RANGE + record_id

    def among(self, column: Any, ids: Sequence[int]) -> ColumnElement[bool]:
        listed = func.json_each(json.dumps(list(ids))).table_valued("value")
        return column.in_(select(listed.c.value))

    def add_documents(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
        # Written here rather than by a trigger, which made FTS5 flush its pending terms
        # after every row: 2.4 times the CPU time (migration a8c4e2f6b1d3).
        insert_rows(
            session.connection(),
            self.fts_rows,
            [{"rowid": row["id"], "terms": row["terms"]} for row in rows],
        )

    def add_terms(self, session: Session, terms: set[str]) -> None:
        # The vocabulary must list every plain token of the full-text index for prefixes to
        # be spelled out: so keys of any length (SQLite does not enforce it), and the plain
        # runs of keys the tokenizer cuts in pieces (1⁄2: 1 and 2).
        pieces = {piece for term in terms for piece in _PLAIN.findall(term)}
        _insert_terms(session, sqlite_insert(SearchTerm).on_conflict_do_nothing(), terms | pieces)

    def starting_with(self, key: str) -> ColumnElement[bool]:
        # SQLite compares bytes, so this is a range scan of the primary key.
        return and_(SearchTerm.term >= key, SearchTerm.term < key[:-1] + chr(ord(key[-1]) + 1))


class PostgresEngine:
    vector = literal_column("search_documents.search_fts")

    def plan(self, session: Session) -> None:
        # psycopg prepares a statement run five times on a connection, and PostgreSQL then
        # plans it once for any values: a common word got the plan of a rare one (the GIN
        # index, every posting read: 50 ms of server CPU instead of 13 for the whole
        # search). Parallel workers cost more to start than the few rows a search reads.
        # Both settings end with the transaction.
        session.execute(
            select(
                func.set_config("plan_cache_mode", "force_custom_plan", True),
                func.set_config("max_parallel_workers_per_gather", "0", True),
            )
        )

    LISTED_AT_MOST = 20_000
    _ESTIMATE = text(
        "EXPLAIN (FORMAT JSON) SELECT 1 FROM search_documents"
        " WHERE search_fts @@ to_tsquery('simple', :expression)"
    )

    def terms(self, session: Session, words: Words) -> Terms:
        # One EXPLAIN per word (~0.2 ms): the planner's estimate from the column's statistics.
        plans = [
            session.scalar(self._ESTIMATE, {"expression": self._expression([w])}) for w in words
        ]
        return Terms(words, estimates=[plan[0]["Plan"]["Plan Rows"] for plan in plans])

    def _expression(self, words: Words) -> str:
        return " & ".join(
            "(" + " | ".join(f"{k}:*" if prefixable(k) else k for k in word) + ")" for word in words
        )

    def listed_at_most(self, terms: Terms) -> int:
        # A misspelt name matches a few thousand documents, which the GIN index finds in
        # one scan (5,000 in 8 ms of server CPU at 100k incidents); walking each record
        # type's newest repeated that scan per type and ANDed it with the type's index
        # entries (10-50 ms). A common word matches most documents: the walks stop after a
        # few rows each, and a long list would be wasted. The planner's estimate of the
        # documents holding the rarest word (visible or not; the matches are fewer) tells
        # the two apart; it is off by up to twice for rare words, hence the margin. A wrong
        # guess costs time, never results.
        few = min(terms.estimates, default=0) <= self.LISTED_AT_MOST // 2
        return self.LISTED_AT_MOST if few else 0

    def matching(
        self, terms: Terms, columns: Sequence[Any], condition: ColumnElement[bool]
    ) -> Select[Any]:
        return select(*columns).where(self._holding(terms), condition)

    def _holding(self, terms: Terms) -> ColumnElement[bool]:
        # Tested on each row's stored tsvector or through the GIN index: the planner chooses.
        # A prefix of a word in most documents makes the GIN index read all its postings,
        # even when a name in the query leaves a few hundred matches ("ordered" and a
        # surname: 12 ms, 1 ms without it): such words are tested on the rows the rarer
        # words find (ts_match_vq is what @@ calls, but no index serves it).
        common = [n > self.LISTED_AT_MOST for n in terms.estimates]
        if not any(common) or all(common):
            return self.vector.op("@@")(self._query(terms.words))
        rare = [word for word, is_common in zip(terms.words, common, strict=True) if not is_common]
        tested = [word for word, is_common in zip(terms.words, common, strict=True) if is_common]
        return and_(
            self.vector.op("@@")(self._query(rare)),
            func.ts_match_vq(self.vector, self._query(tested), type_=Boolean),
        )

    def _query(self, words: Words) -> Any:
        return func.to_tsquery("simple", self._expression(words))

    def newest(
        self, terms: Terms, entity: str, columns: Sequence[Any], condition: ColumnElement[bool]
    ) -> Select[Any]:
        return (
            select(*columns)
            .where(SearchDocument.entity == entity, condition, self._holding(terms))
            .order_by(SearchDocument.entity, SearchDocument.record_id.desc())
        )

    def document_id(self, entity: str, record_id: int) -> int | None:
        return None

    def among(self, column: Any, ids: Sequence[int]) -> ColumnElement[bool]:
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))

    def add_documents(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
        """Nothing to do: PostgreSQL computes the stored tsvector column of each row."""

    def add_terms(self, session: Session, terms: set[str]) -> None:
        fitting = {term for term in terms if len(term) <= 120}  # the column's length
        _insert_terms(session, pg_insert(SearchTerm).on_conflict_do_nothing(), fitting)

    def starting_with(self, key: str) -> ColumnElement[bool]:
        # Served by the text_pattern_ops index, whatever the database collation (keys hold
        # no % or _, see normalise.py, so LIKE needs no escaping).
        return SearchTerm.term.startswith(key)


def _insert_terms(session: Session, stmt: Any, terms: set[str]) -> None:
    for batch in chunks([{"term": term} for term in sorted(terms)], BATCH):
        session.execute(stmt, batch)


ENGINES: dict[str, Engine] = {"sqlite": SqliteEngine(), "postgresql": PostgresEngine()}


def engine_for(session: Session) -> Engine:
    return ENGINES[session.get_bind().dialect.name]


def near_spellings(session: Session, key: str) -> list[str]:
    """Indexed keys one typo away from ``key``, nearest first (none for short keys).

    The candidates are the keys with the same first letter and a length within two,
    a bounded range scan of an index on both engines, so both offer the same spellings.
    """
    if not prefixable(key):
        return []
    candidates = select(SearchTerm.term).where(
        engine_for(session).starting_with(key[0]),
        func.length(SearchTerm.term).between(len(key) - 2, len(key) + 2),
    )
    found = process.extract(
        key,
        session.scalars(candidates).all(),
        scorer=fuzz.ratio,
        score_cutoff=SIMILAR_ENOUGH,
        limit=NEAREST,
    )
    return [term for term, _score, _index in found if term != key]


def is_indexed(session: Session, key: str) -> bool:
    """Whether some indexed key is ``key`` or (for longer keys) starts with it."""
    if prefixable(key):
        condition = engine_for(session).starting_with(key)
    else:
        condition = SearchTerm.term == key
    return session.scalar(select(SearchTerm.term).where(condition).limit(1)) is not None
