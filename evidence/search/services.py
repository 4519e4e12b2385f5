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
    Date,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session, selectinload

from evidence import limits
from evidence.actors.services import MAX_DEPTH
from evidence.catalogs import catalog
from evidence.dates import humanize
from evidence.models import (
    Case,
    Incident,
    IncidentViolation,
    Involvement,
    Person,
    Place,
    Source,
    Statement,
    StatementIncident,
    Unit,
    UnitParent,
)
from evidence.places.services import subtree_ids
from evidence.protection import Protection
from evidence.search.engine import engine_for, is_indexed, near_spellings
from evidence.search.indexing import SEARCHED
from evidence.search.models import SearchDocument
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
    unit: int | None = None  # a unit id; its sub-units as at the incident's date match too
    violation_type: int | None = None
    status: str | None = None
    protection: str | None = None  # statements only

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

    def group(self, entity: str) -> Group | None:
        return next((g for g in self.groups if g.entity == entity), None)


@dataclass(frozen=True)
class _Query:
    """The query as the engine sees it: per word, its key and near spellings."""

    words: list[list[str]]
    phrase: str  # " key1 key2 ": documents holding it exactly rank first

    def matches(self, word: str) -> bool:
        key = fold_word(word)
        return any(
            key == alt or (len(alt) >= 4 and key.startswith(alt)) for w in self.words for alt in w
        )


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


def _overlapping(earliest: Any, latest: Any, since: Any, until: Any) -> ColumnElement[bool]:
    """Two spans that may overlap; an unknown end is open."""
    return and_(
        or_(since.is_(None), latest.is_(None), since <= latest),
        or_(until.is_(None), earliest.is_(None), until >= earliest),
    )


def _units_under(unit_id: int) -> Any:
    """A recursive CTE (id, since, until): the unit and every unit below it, with the span
    in which the whole chain of parent links up to ``unit_id`` held (None: open)."""
    tree = select(
        literal(unit_id).label("id"),
        cast(null(), Date).label("since"),
        cast(null(), Date).label("until"),
        literal(0).label("depth"),
    ).cte("units_under", recursive=True)
    since = case(
        (tree.c.since.is_(None), UnitParent.valid_from),
        (UnitParent.valid_from.is_(None), tree.c.since),
        (UnitParent.valid_from > tree.c.since, UnitParent.valid_from),
        else_=tree.c.since,
    )
    until = case(
        (tree.c.until.is_(None), UnitParent.valid_until),
        (UnitParent.valid_until.is_(None), tree.c.until),
        (UnitParent.valid_until < tree.c.until, UnitParent.valid_until),
        else_=tree.c.until,
    )
    step = (
        select(UnitParent.unit_id, since, until, tree.c.depth + 1)
        .join(tree, UnitParent.parent_id == tree.c.id)
        .where(tree.c.depth < MAX_DEPTH, or_(since.is_(None), until.is_(None), since <= until))
    )
    return tree.union(step)


def incident_conditions(filters: SearchFilters) -> list[ColumnElement[bool]]:
    """Conditions on ``Incident`` for the incident filters."""
    conditions: list[ColumnElement[bool]] = []
    if filters.date_from:
        conditions.append(or_(Incident.latest.is_(None), Incident.latest >= filters.date_from))
    if filters.date_to:
        conditions.append(or_(Incident.earliest.is_(None), Incident.earliest <= filters.date_to))
    if filters.place is not None:
        conditions.append(Incident.place_id.in_(subtree_ids(filters.place)))
    if filters.unit is not None:
        tree = _units_under(filters.unit)
        conditions.append(
            exists()
            .where(Involvement.incident_id == Incident.id, Involvement.unit_id == tree.c.id)
            .where(_overlapping(Incident.earliest, Incident.latest, tree.c.since, tree.c.until))
        )
    if filters.violation_type is not None:
        conditions.append(
            exists().where(
                IncidentViolation.incident_id == Incident.id,
                IncidentViolation.violation_type_id == filters.violation_type,
            )
        )
    if filters.status:
        conditions.append(Incident.status == filters.status)
    return conditions


def _type_conditions(
    entity: str, filters: SearchFilters, protection: Protection, incidents: Any
) -> list[ColumnElement[bool]]:
    """Conditions on the documents of one record type (``incidents``: the filtered ones)."""
    record_id = SearchDocument.record_id
    conditions: list[ColumnElement[bool]] = []
    if entity == "incident" and filters.on_incidents:
        conditions.append(record_id.in_(incidents))
    # Uncorrelated subqueries only: the databases hash them once per search.
    hidden = protection.hidden_ids(MODELS[entity])
    if hidden is not None:
        conditions.append(record_id.not_in(hidden))
    if entity == "statement":
        if filters.protection:
            chosen = select(Statement.id).where(Statement.protection == filters.protection)
            conditions.append(record_id.in_(chosen))
        if filters.on_incidents:
            about = select(StatementIncident.statement_id).where(
                StatementIncident.incident_id.in_(incidents)
            )
            conditions.append(record_id.in_(about))
    return conditions


@dataclass(frozen=True)
class _Page:
    total: int  # with ``capped``: at least this many (only the first RANKED_AT_MOST were seen)
    capped: bool
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

    A cheap, capped count of the engine's matches chooses how: up to
    RANKED_AT_MOST matches are all ranked (``_ranked_page_ids``); beyond, ranking
    every match is what made common words take seconds, so only the newest
    RANKED_AT_MOST documents of each type are taken, in the order the index
    stores them, and shown exact phrase first (``_broad_page_ids``).
    """
    engine = engine_for(session)
    capped_matches = engine.matching_ids(prepared.words).limit(RANKED_AT_MOST + 1).subquery()
    many = session.scalar(select(func.count()).select_from(capped_matches)) > RANKED_AT_MOST
    # Built once: the unit filter's recursive CTE may appear only once in the statement.
    incidents = select(Incident.id).where(*incident_conditions(filters))
    per_type = {
        entity: and_(
            SearchDocument.entity == entity,
            SearchDocument.retracted.is_(False),
            *_type_conditions(entity, filters, protection, incidents),
        )
        for entity in entities
    }
    exact = case((SearchDocument.terms.contains(prepared.phrase), 0), else_=1)
    choose = _broad_page_ids if many else _ranked_page_ids
    return choose(session, prepared, per_type, exact, (page - 1) * per_page, per_page)


def _ranked_page_ids(
    session: Session,
    prepared: _Query,
    per_type: dict[str, ColumnElement[bool]],
    exact: ColumnElement[int],
    first: int,
    per_page: int,
) -> dict[str, _Page]:
    """One query: the engine's matches are computed once (a materialised CTE, so
    SQLite does not rerun the full-text match per document), then numbered per
    record type: exact phrase first, then the engine's rank.
    """
    matched = (
        engine_for(session).matching(prepared.words).cte("matched").prefix_with("MATERIALIZED")
    )
    numbered = (
        select(
            SearchDocument.entity,
            SearchDocument.record_id,
            func.row_number()
            .over(
                partition_by=SearchDocument.entity,
                order_by=(exact, matched.c.rank, SearchDocument.record_id),
            )
            .label("number"),
            func.count().over(partition_by=SearchDocument.entity).label("total"),
        )
        .join(matched, matched.c.id == SearchDocument.id)
        .where(or_(*per_type.values()))
        .subquery()
    )
    rows = session.execute(
        select(numbered.c.entity, numbered.c.record_id, numbered.c.total)
        .where(numbered.c.number > first, numbered.c.number <= first + per_page)
        .order_by(numbered.c.entity, numbered.c.number)
    )
    found: dict[str, _Page] = {}
    for entity, record_id, total in rows:
        found.setdefault(entity, _Page(total, False, [])).ids.append(record_id)
    return found


def _broad_page_ids(
    session: Session,
    prepared: _Query,
    per_type: dict[str, ColumnElement[bool]],
    exact: ColumnElement[int],
    first: int,
    per_page: int,
) -> dict[str, _Page]:
    """One query: per record type, the newest RANKED_AT_MOST + 1 matching documents
    (walking the (entity, record_id) index backwards, so common words stop early),
    then exact phrase first, newest next. More than RANKED_AT_MOST is reported capped.
    """
    holding = engine_for(session).holding(prepared.words)
    newest = [
        select(SearchDocument.entity, SearchDocument.record_id, exact.label("exact"))
        .where(condition, holding)
        .order_by(SearchDocument.entity, SearchDocument.record_id.desc())
        .limit(RANKED_AT_MOST + 1)
        .subquery()
        for condition in per_type.values()
    ]
    arms = [select(arm.c.entity, arm.c.record_id, arm.c.exact) for arm in newest]
    rows: dict[str, list[tuple[int, int]]] = {}
    for entity, record_id, is_exact in session.execute(union_all(*arms)):
        rows.setdefault(entity, []).append((is_exact, -record_id))
    found = {}
    for entity, candidates in rows.items():
        capped = len(candidates) > RANKED_AT_MOST
        shown = sorted(candidates[:RANKED_AT_MOST])[first : first + per_page]
        found[entity] = _Page(len(candidates[:RANKED_AT_MOST]), capped, [-r for _, r in shown])
    return found


def highlight(text: str | None, matches: Callable[[str], bool]) -> Markup | None:
    """A window of ``text`` around its first matching word, matching words in <mark>.

    None when no word matches.
    """
    if not text:
        return None
    pieces = _WORDS.split(text)
    hits = [i for i in range(1, len(pieces), 2) if matches(pieces[i])]
    if not hits:
        return None
    start = max(0, hits[0] - SNIPPET_WORDS)  # a word and its separator per two pieces
    end = min(len(pieces), hits[0] + 2 * SNIPPET_WORDS)
    out = [Markup("… ") if start > 0 else Markup("")]
    for i in range(start, end):
        piece = escape(pieces[i])
        out.append(
            Markup("<mark>{}</mark>").format(piece) if i % 2 and matches(pieces[i]) else piece
        )
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
    phrase matches come first, then the engine's relevance.
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
        found_page = found.get(entity, _Page(0, False, []))
        total, ids = found_page.total, found_page.ids
        hits = _hits(session, entity, ids, prepared, protection, language) if ids else []
        if entity == "person" and not filters.on_incidents and page == 1:
            extra = _pseudonym_hits(query, protection)
            hits, total = extra + hits, total + len(extra)
        if total:
            results.groups.append(Group(entity, total, hits, page, per_page, found_page.capped))
    return results
