"""Search: one query over every kind of record, with filters and witness protection.

``search(session, query, protection=...)`` folds the query onto search keys
(normalise.py), looks near spellings up for words nobody wrote that way
(typos), asks the database's engine for matching documents per record type,
and turns each page of hits into labels and highlighted snippets taken from
the records themselves through the protection filter.

Protection, for audiences it applies to (FORMAT.md):
- query words that are, start, or are one typo away from a word of a
  protected person's names or aliases are dropped before searching, so no
  result can be found through such a name (hiding a little too much is safer
  than linking a name to a statement);
- confidential statements are not searched at all;
- a protected person is found only by their pseudonym, and shown only by it;
- every label and snippet goes through ``Protection.scrub``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    func,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session, selectinload

from evidence import limits
from evidence.catalogs import catalog
from evidence.dates import humanize
from evidence.incidents.services import IncidentFilters, incident_conditions
from evidence.models import (
    Case,
    Incident,
    Person,
    Place,
    Source,
    Statement,
    StatementIncident,
    Unit,
)
from evidence.protection import Protection
from evidence.search.engine import (
    engine_for,
    is_indexed,
    near_spellings,
    prefixable,
)
from evidence.search.models import SEARCHED, SearchDocument
from evidence.search.normalise import fold_word, keys, words

MODELS = {
    "incident": Incident,
    "statement": Statement,
    "person": Person,
    "unit": Unit,
    "place": Place,
    "source": Source,
    "case": Case,
}
RANKED_AT_MOST = 1000  # matches ranked per search; beyond, the newest of each type are shown
BM25_K1, BM25_B = 1.2, 0.75  # FTS5's and Lucene's defaults, see _Query.relevance
SNIPPET_WORDS = 24
MARGIN_WORDS = 8  # longer than any name, see _excerpt
_WORDS = re.compile(r"([^\W_]+)")
Scrub = Callable[[str | None], str | None]


@dataclass(frozen=True)
class SearchFilters:
    """Narrowing a search. Incident filters keep incidents and the statements about them."""

    date_from: dt.date | None = None  # uncertain dates match when they may overlap the range
    date_to: dt.date | None = None
    place: int | None = None  # a place id; places inside it match too
    unit: int | None = None  # as IncidentFilters.unit: sub-units match while under it
    violation_type: int | None = None
    status: str | None = None
    protection: str | None = None  # statements only

    def incident_filters(self) -> IncidentFilters:
        """The incident filters as the incident list applies them; retracted incidents stay,
        as the search documents say which records are retracted."""
        return IncidentFilters(
            date_from=self.date_from,
            date_to=self.date_to,
            place=self.place,
            unit=self.unit,
            violation_type=self.violation_type,
            status=self.status,
            include_retracted=True,
        )

    @property
    def on_incidents(self) -> bool:
        values = (self.date_from, self.date_to, self.place, self.unit, self.violation_type)
        return any(v is not None for v in values) or bool(self.status)

    def allowed_types(self) -> tuple[str, ...]:
        if self.protection:
            return ("statement",)
        if self.on_incidents:
            return ("incident", "statement")
        return SEARCHED


@dataclass
class Hit:
    entity: str
    record_id: int | None  # None for a protected person found by pseudonym
    key: str | None  # None when showing it would reveal a protected name
    label: str
    snippet: Markup
    detail: str | None = None


@dataclass
class Group:
    entity: str
    total: int
    hits: list[Hit]
    page: int
    per_page: int
    capped: bool = False  # more than ``total`` match; only the first ``total`` can be shown
    # At least ``total`` match: the filters were checked on the newest matches only
    # (services._broad_page_ids), so more may match further back.
    at_least: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass
class SearchResults:
    query: str
    groups: list[Group] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(group.total for group in self.groups)

    @property
    def capped(self) -> bool:
        return any(group.capped for group in self.groups)

    @property
    def at_least(self) -> bool:
        return any(group.at_least for group in self.groups)

    def group(self, entity: str) -> Group | None:
        return next((g for g in self.groups if g.entity == entity), None)


@dataclass(frozen=True)
class _Query:
    """The query as the engine sees it: per word, its key and near spellings."""

    words: list[list[str]]
    phrase: str  # " key1 key2 ": documents holding it exactly rank first
    # Snippets ask about every word of every shown text, and texts repeat their words.
    _matched: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)

    def matches(self, word: str) -> bool:
        found = self._matched.get(word)
        if found is None:
            key = fold_word(word)
            found = self._matched[word] = any(
                key == alt or (prefixable(alt) and key.startswith(alt))
                for w in self.words
                for alt in w
            )
        return found

    def relevance(self, documents: Sequence[str]) -> list[float]:
        """BM25 of each document's keys (``SearchDocument.terms``) without its inverse
        document frequency: every document holds every word, and how rare a word is
        would cost a read of its whole posting list. So the score is how much of a
        document the query's words make, and both engines rank alike.
        """
        # A key counts as often as a document holds it, or words starting with it.
        needles = [
            [f" {alt}" if prefixable(alt) else f" {alt} " for alt in _distinct(word)]
            for word in self.words
        ]
        lengths = [document.count(" ") - 1 for document in documents]
        average = max(1.0, sum(lengths) / max(1, len(lengths)))
        scores = []
        for document, length in zip(documents, lengths, strict=True):
            norm = BM25_K1 * (1 - BM25_B + BM25_B * length / average)
            score = 0.0
            for word in needles:
                count = sum(document.count(needle) for needle in word)
                score += count * (BM25_K1 + 1) / (count + norm)
            scores.append(score)
        return scores


def _distinct(alternatives: Sequence[str]) -> list[str]:
    """The alternatives of a word less those another one already counts as its prefix."""
    return [
        alt
        for alt in dict.fromkeys(alternatives)
        if not any(o != alt and prefixable(o) and alt.startswith(o) for o in alternatives)
    ]


def _prepare(session: Session, query: str, protection: Protection) -> _Query:
    # A query with a word that may name a protected person matches nothing, for this
    # audience, as a nonsense word would (Protection.ignored_query_words says why).
    if protection.ignored_query_words(query):
        return _Query(words=[], phrase=" ")
    query_keys = keys(query)
    prepared = []
    for key in query_keys:
        alternatives = [key]
        if not is_indexed(session, key):
            near = near_spellings(session, key)
            alternatives += [k for k in near if not protection.ignored_query_words(k)]
        prepared.append(alternatives)
    return _Query(words=prepared, phrase=f" {' '.join(query_keys)} ")


def _visible(entity: str, protection: Protection) -> ColumnElement[bool]:
    """The documents of one record type this audience may find: not retracted, not hidden.

    Applied before anything is counted or capped, so what a viewer gets is what they
    would get if the hidden records did not exist.
    """
    conditions = [SearchDocument.entity == entity, SearchDocument.retracted.is_(False)]
    # Uncorrelated: the few hidden records are hashed once per search.
    hidden = protection.hidden_ids(MODELS[entity])
    if hidden is not None:
        conditions.append(SearchDocument.record_id.not_in(hidden))
    return and_(*conditions)


def _filter_conditions(
    entity: str, filters: SearchFilters, incidents: list[Any]
) -> list[ColumnElement[bool]]:
    """The filters on the documents of one record type (``incidents``: the incident filters).

    They are tested on each kept match (correlated subqueries reaching records by
    primary key), never listed for every record: a search keeps at most
    RANKED_AT_MOST + 1 matches per record type.
    """
    record_id = SearchDocument.record_id
    conditions: list[ColumnElement[bool]] = []
    if entity == "incident" and filters.on_incidents:
        conditions.append(exists().where(Incident.id == record_id, *incidents))
    if entity == "statement":
        if filters.protection:
            conditions.append(
                exists().where(
                    Statement.id == record_id, Statement.protection == filters.protection
                )
            )
        if filters.on_incidents:
            conditions.append(
                exists().where(
                    StatementIncident.statement_id == record_id,
                    Incident.id == StatementIncident.incident_id,
                    *incidents,
                )
            )
    return conditions


@dataclass(frozen=True)
class _Page:
    total: int
    # More than ``total`` match (only the first RANKED_AT_MOST can be shown).
    capped: bool
    # At least ``total`` match: the filters were checked on the newest matches only.
    at_least: bool
    ids: list[int]


def _page_ids(
    session: Session,
    prepared: _Query,
    entities: Sequence[str],
    filters: SearchFilters,
    protection: Protection,
    page: int,
    per_page: int,
) -> dict[str, _Page]:
    """Per record type: how many documents match, and the ids of the requested page.

    The engine lists the visible matches, unranked, up to RANKED_AT_MOST + 1 or its own
    ``listed_at_most`` + 1 (it stops reading there). Up to RANKED_AT_MOST, every match
    is checked against the filters and ranked (``_ranked_page_ids``). Beyond, ranking
    every match is what made common words take seconds, so the newest RANKED_AT_MOST + 1
    matches of each record type are taken (picked from the list when it held every match,
    else by walking the index backwards per type), checked against the filters and
    shown exact phrase first (``_broad_page_ids``): the work per search is bounded
    whatever the words and filters.
    """
    engine = engine_for(session)
    engine.plan(session)
    terms = engine.terms(session, prepared.words)
    visible = {entity: _visible(entity, protection) for entity in entities}
    exact = case((SearchDocument.terms.contains(prepared.phrase), 0), else_=1).label("exact")
    columns = (SearchDocument.entity, SearchDocument.record_id, exact)
    condition = or_(*visible.values())
    listed_at_most = engine.listed_at_most(terms)
    if listed_at_most > RANKED_AT_MOST:
        matching = engine.matching(terms, (SearchDocument.id, *columns), condition)
        matched, total = _listed(session, matching, listed_at_most)
    else:
        matching = engine.matching(terms, (SearchDocument.id,), condition)
        matched = session.execute(matching.limit(RANKED_AT_MOST + 1)).all()
        total = len(matched)
    if not matched:
        return {}
    # Built once: the unit filter's recursive CTE may appear only once in the statement.
    incidents = incident_conditions(session, filters.incident_filters())
    passing = {entity: _filter_conditions(entity, filters, incidents) for entity in entities}
    first = (page - 1) * per_page
    if total <= RANKED_AT_MOST:
        ids = [row[0] for row in matched]
        return _ranked_page_ids(session, prepared, ids, passing, first, per_page)
    if total <= listed_at_most:
        newest = [row[1:] for row in matched]
    else:
        arms = []
        for entity, shown in visible.items():
            arm = engine.newest(terms, entity, columns, shown)
            arm = arm.limit(RANKED_AT_MOST + 1).subquery()
            arms.append(select(arm.c.entity, arm.c.record_id, arm.c.exact))
        newest = session.execute(union_all(*arms)).all()
    return _broad_page_ids(session, newest, passing, first, per_page)


def _listed(session: Session, matching: Select[Any], listed_at_most: int) -> tuple[list[Any], int]:
    """Up to ``listed_at_most`` + 1 matches (rows of id, entity, record_id, exact) read in
    one pass, numbered newest first per record type by the database so that only the newest
    RANKED_AT_MOST + 1 of each come back: those rows, and how many matches were read."""
    listed = matching.limit(listed_at_most + 1).subquery()
    newness = func.row_number().over(
        partition_by=listed.c.entity, order_by=listed.c.record_id.desc()
    )
    numbered = select(listed, newness.label("newness"), func.count().over().label("read"))
    numbered = numbered.subquery()
    rows = session.execute(
        select(
            numbered.c.id, numbered.c.entity, numbered.c.record_id, numbered.c.exact,
            numbered.c.read,
        ).where(numbered.c.newness <= RANKED_AT_MOST + 1)
    ).all()  # fmt: skip
    return [row[:4] for row in rows], rows[0][4] if rows else 0


def _ranked_page_ids(
    session: Session,
    prepared: _Query,
    matched: Sequence[int],
    passing: dict[str, list[ColumnElement[bool]]],
    first: int,
    per_page: int,
) -> dict[str, _Page]:
    """The matches, read by primary key with their keys, less those the filters drop,
    numbered per record type: exact phrase first, then relevance (``_Query.relevance``).
    """
    rows = session.execute(
        select(SearchDocument.entity, SearchDocument.record_id, SearchDocument.terms).where(
            engine_for(session).among(SearchDocument.id, matched)
        )
    ).all()
    passed = _passed(session, rows, passing)
    rows = [row for row in rows if passed(row.entity, row.record_id)]
    relevance = prepared.relevance([row.terms for row in rows])
    ranked: dict[str, list[tuple[bool, float, int]]] = {}
    for (entity, record_id, terms), score in zip(rows, relevance, strict=True):
        ranked.setdefault(entity, []).append((prepared.phrase not in terms, -score, record_id))
    return {
        entity: _Page(len(found), False, False, [r for *_, r in sorted(found)[first:][:per_page]])
        for entity, found in ranked.items()
    }


def _broad_page_ids(
    session: Session,
    rows: Sequence[Any],
    passing: dict[str, list[ColumnElement[bool]]],
    first: int,
    per_page: int,
) -> dict[str, _Page]:
    """Per record type, of its newest RANKED_AT_MOST + 1 visible matches (``rows`` of
    entity, record_id, exact), those the filters keep; then exact phrase first, newest next.

    More than RANKED_AT_MOST left is reported capped; fewer, when matches further
    back were not checked against the filters, as a lower bound (``at_least``).
    """
    passed = _passed(session, rows, passing)
    checked: dict[str, int] = {}
    kept: dict[str, list[tuple[int, int]]] = {}
    for entity, record_id, is_exact in rows:
        checked[entity] = checked.get(entity, 0) + 1
        if passed(entity, record_id):
            kept.setdefault(entity, []).append((is_exact, -record_id))
    found = {}
    for entity, count in checked.items():
        candidates = kept.get(entity, [])
        newest_first = sorted(candidates, key=lambda candidate: candidate[1])[:RANKED_AT_MOST]
        capped = len(candidates) > RANKED_AT_MOST
        at_least = not capped and count > RANKED_AT_MOST
        shown = sorted(newest_first)[first : first + per_page]
        found[entity] = _Page(len(newest_first), capped, at_least, [-r for _, r in shown])
    return found


def _passed(
    session: Session, rows: Sequence[Any], passing: dict[str, list[ColumnElement[bool]]]
) -> Callable[[str, int], bool]:
    """Whether each of these documents (rows of entity, record_id) passes its record
    type's filters: one query for the filtered types, each document reached through
    the (entity, record_id) index, so the filters are checked on these few only."""
    engine = engine_for(session)
    wanted: dict[str, list[int]] = {}
    for entity, record_id, *_ in rows:
        if passing.get(entity):
            wanted.setdefault(entity, []).append(record_id)
    arms = [
        select(SearchDocument.entity, SearchDocument.record_id).where(
            SearchDocument.entity == entity,
            engine.among(SearchDocument.record_id, record_ids),
            *passing[entity],
        )
        for entity, record_ids in wanted.items()
    ]
    through = {tuple(row) for row in session.execute(union_all(*arms))} if arms else set()
    return lambda entity, record_id: entity not in wanted or (entity, record_id) in through


def highlight(text: str | None, matches: Callable[[str], bool]) -> Markup | None:
    """A window of ``text`` around its first matching word, matching words in <mark>.

    None when no word matches.
    """
    if not text:
        return None
    pieces = _WORDS.split(text)
    first = next((i for i in range(1, len(pieces), 2) if matches(pieces[i])), None)
    if first is None:
        return None
    start = max(0, first - SNIPPET_WORDS)  # a word and its separator per two pieces
    end = min(len(pieces), first + 2 * SNIPPET_WORDS)
    out = [Markup("… ") if start > 0 else Markup("")]
    unmarked: list[str] = []  # escaped a run at a time: escaping each word was most of the cost
    for i in range(start, end):
        if i % 2 and matches(pieces[i]):
            out += [escape("".join(unmarked)), Markup("<mark>{}</mark>").format(pieces[i])]
            unmarked = []
        else:
            unmarked.append(pieces[i])
    out.append(escape("".join(unmarked)))
    if end < len(pieces):
        out.append(Markup(" …"))
    return Markup("").join(out)


def _excerpt(text: str, matches: Callable[[str], bool], scrub: Scrub) -> str | None:
    """The scrubbed part of ``text`` around its first matching word; None when none matches.

    Scrubbing only this part is what keeps long texts fast; its margin is wider
    than the snippet so a name at the snippet's edge is scrubbed whole.
    """
    pieces = _WORDS.split(text)
    first = next((i for i in range(1, len(pieces), 2) if matches(pieces[i])), None)
    if first is None:
        return None
    start = max(0, first - 2 * (SNIPPET_WORDS + MARGIN_WORDS))
    end = min(len(pieces), first + 2 * (2 * SNIPPET_WORDS + MARGIN_WORDS))
    return scrub("".join(pieces[start:end])) or ""


def _snippet(texts: Iterable[str | None], matches: Callable[[str], bool], scrub: Scrub) -> Markup:
    texts = [t for t in texts if t]
    for text in texts:
        excerpt = _excerpt(text, matches, scrub)
        if excerpt is not None:
            return highlight(excerpt, matches) or escape(excerpt)
    if not texts:
        return Markup("")
    words = texts[0].split()
    shown = (scrub(" ".join(words[: SNIPPET_WORDS + MARGIN_WORDS])) or "").split()
    return escape(" ".join(shown[:SNIPPET_WORDS]) + (" …" if len(words) > SNIPPET_WORDS else ""))


def _visible_key(key: str, protection: Protection) -> str | None:
    return key if protection.is_internal or protection.scrub(key) == key else None


def _hits(
    session: Session,
    entity: str,
    ids: Sequence[int],
    prepared: _Query,
    protection: Protection,
    language: str,
) -> list[Hit]:
    model = MODELS[entity]
    stmt = select(model).where(model.id.in_(ids))
    if entity == "statement":
        stmt = stmt.options(selectinload(Statement.witness), selectinload(Statement.incident_links))
    records = {record.id: record for record in session.scalars(stmt)}
    scrub, matches = protection.scrub, prepared.matches

    def snippet(*texts: str | None) -> Markup:
        return _snippet(texts, matches, scrub)

    hits = []
    for record_id in ids:
        record = records[record_id]
        key = _visible_key(record.key, protection)
        if entity == "incident":
            hit = Hit(
                entity, record_id, key, scrub(record.title),
                snippet(record.summary, record.title), humanize(record.date, language),
            )  # fmt: skip
        elif entity == "statement":
            excerpts = [link.excerpt for link in record.incident_links]
            label = catalog(language).gettext("Statement of %(witness)s") % {
                "witness": protection.witness_label(record)
            }
            texts = [record.text, record.translation, *excerpts, record.pseudonym]
            detail = humanize(record.taken, language) if record.taken else None
            hit = Hit(entity, record_id, key, label, snippet(*texts), detail)
        elif entity == "person":
            # A protected person's aliases and notes are withheld, not scrubbed.
            hidden = protection.is_protected(record)
            aliases = "" if hidden else ", ".join(record.aliases)
            notes = None if hidden else record.notes
            label = protection.person_label(record)
            hit = Hit(entity, record_id, key, label, snippet(aliases, notes))
        elif entity in ("unit", "place"):
            aliases = ", ".join(record.aliases)
            hit = Hit(entity, record_id, key, scrub(record.name), snippet(aliases))
        elif entity == "source":
            texts = [record.publisher, record.author, record.notes]
            hit = Hit(entity, record_id, key, scrub(record.title), snippet(*texts))
        else:
            hit = Hit(entity, record_id, key, scrub(record.title), snippet(record.summary))
        hits.append(hit)
    return hits


def _pseudonym_hits(query: str, protection: Protection) -> list[Hit]:
    """Protected persons whose pseudonym the query names (every query word in it)."""
    wanted = keys(query)
    if protection.is_internal or not wanted:
        return []
    found = []
    for pseudonym in sorted(set(protection.pseudonyms.values())):
        own = keys(pseudonym)
        if all(any(k == o or o.startswith(k) for o in own) for k in wanted):
            marked = highlight(pseudonym, lambda word: fold_word(word) in wanted)
            found.append(Hit("person", None, None, pseudonym, marked or Markup("")))
    return found


def bound_query(query: str) -> tuple[str, str | None]:
    """The query cut to limits.SEARCH_CHARACTERS characters and limits.SEARCH_TERMS words
    (each word costs index look-ups), and a notice saying so when anything was cut."""
    bounded = query[: limits.SEARCH_CHARACTERS]
    found = words(bounded)
    if len(found) > limits.SEARCH_TERMS:
        bounded = " ".join(found[: limits.SEARCH_TERMS])
    if bounded == query:
        return query, None
    searched = min(len(found), limits.SEARCH_TERMS)
    return bounded, (
        f"A search takes at most {limits.SEARCH_TERMS} words and "
        f"{limits.SEARCH_CHARACTERS} characters: only the first {searched} words were searched."
    )


def search(
    session: Session,
    query: str,
    *,
    protection: Protection,
    types: Iterable[str] | None = None,
    filters: SearchFilters | None = None,
    page: int = 1,
    per_page: int = 10,
    language: str = "en",
) -> SearchResults:
    """Records matching every word of ``query`` in some spelling, grouped by record type.

    ``types`` narrows the record types (default all). ``page`` pages through
    each group (a results page usually asks for one type when paging). Exact
    phrase matches come first, then relevance; beyond RANKED_AT_MOST matches of the
    words, the newest come first instead and filters are checked on the newest only
    (``Group.at_least``).
    """
    query, _ = bound_query(query)
    filters = filters or SearchFilters()
    page, per_page = max(1, page), max(1, min(per_page, 100))
    wanted = [t for t in filters.allowed_types() if types is None or t in set(types)]
    results = SearchResults(query=query)
    if not words(query):
        return results
    prepared = _prepare(session, query, protection)
    found = (
        _page_ids(session, prepared, wanted, filters, protection, page, per_page)
        if prepared.words and wanted
        else {}
    )
    for entity in wanted:
        found_page = found.get(entity, _Page(0, False, False, []))
        total, ids = found_page.total, found_page.ids
        hits = _hits(session, entity, ids, prepared, protection, language) if ids else []
        if entity == "person" and not filters.on_incidents and page == 1:
            extra = _pseudonym_hits(query, protection)
            hits, total = extra + hits, total + len(extra)
        if total or found_page.at_least:
            group = Group(
                entity, total, hits, page, per_page, found_page.capped, found_page.at_least
            )
            results.groups.append(group)
    return results
