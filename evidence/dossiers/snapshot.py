"""A case as plain data for one audience: everything a dossier shows, protection applied.

The snapshot is built from the evidence/1 records (``load_records``), so the
hashes in the dossier manifest are the very hashes ``verify`` recomputes. It
is loaded with a fixed number of SQL statements whatever the case size, and
it holds only plain, picklable values so that render workers in other
processes can lay out parts of it.

Protection is applied here, once, through evidence.protection: names are
replaced by pseudonyms, free text is scrubbed, statements the audience may
not see are left out. Templates only format what this module hands them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from evidence.audit.log import data_head
from evidence.audit.models import AuditAnchor
from evidence.cases.models import Case
from evidence.cases.services import case_closure
from evidence.catalogs import catalog
from evidence.core.records import Record, canonical_json, record_hash
from evidence.dates import InvalidDate, humanize, parse
from evidence.dossiers.models import CaseStatementExclusion, DossierSecret
from evidence.exhibits.models import CustodyEvent, Exhibit, ExhibitLink
from evidence.protection import COUNSEL, INTERNAL, PROTECTED_LEVELS, Protection
from evidence.records.loading import load_records
from evidence.statements.models import Statement
from evidence.store import describe_size
from evidence.vocabularies import CREDIBILITY, RELIABILITY, translatable

BANNERS = {
    "internal": translatable("INTERNAL — FOR THE DOCUMENTATION TEAM ONLY"),
    "counsel": translatable("CONFIDENTIAL — COUNSEL ONLY"),
    "public": translatable("PUBLIC VERSION — WITNESS IDENTITIES PROTECTED"),
}
MAX_CHAIN_DEPTH = 12


class CaseNotFound(LookupError):
    pass


@dataclass(frozen=True)
class ManifestEntry:
    """One record the dossier includes. ``key`` is None where the key could identify a
    protected person; ``id`` then finds the record. ``hash`` is the SHA-256 of the
    record's canonical JSON, or, when ``keyed``, its HMAC-SHA-256 under the dossier's
    secret (records that could identify a protected witness, outside internal dossiers).
    """

    entity: str
    id: int
    key: str | None
    hash: str
    label: str = ""  # the record in words, as the dossier names it (not in manifest.json)
    keyed: bool = False


def keyed_hash(secret: str, record: Record) -> str:
    """HMAC-SHA-256 of a record's canonical JSON under a dossier's secret (hex)."""
    return hmac.new(bytes.fromhex(secret), canonical_json(record), hashlib.sha256).hexdigest()


def manifest_secret(session: Session, dossier_id: str) -> str:
    """The dossier's secret for keyed manifest entries, made on first use.

    A dossier generated again from the same state has the same id, so it gets the same
    secret and the same bytes.
    """
    stored = session.get(DossierSecret, dossier_id)
    if stored is None:
        stored = DossierSecret(dossier_id=dossier_id, secret=secrets.token_hex(32))
        session.add(stored)
        session.flush()
    return stored.secret


@dataclass
class Cite:
    number: int  # the source's number in the source annex
    locator: str | None
    quote: str | None
    credibility: int | None
    # The footnote: one number per cited passage in the whole dossier, given in reading
    # order by _number_notes; only the first citation of a passage prints the note.
    note: int = 0
    first: bool = False

    @property
    def passage(self) -> tuple:
        return (self.number, self.locator, self.quote, self.credibility)

    @property
    def credibility_words(self) -> str | None:
        if self.credibility is None:
            return None
        return f"{self.credibility} — {CREDIBILITY[self.credibility]}"


@dataclass
class ChainPerson:
    label: str
    title: str | None
    period: str
    dates_known: bool
    commander: bool


@dataclass
class ChainNode:
    """One unit in a chain of command, drawn ``depth`` levels above the unit involved."""

    depth: int
    name: str
    kind: str
    link: str | None  # when it was the superior of the unit one level below
    people: list[ChainPerson]


@dataclass
class Actor:
    label: str
    role: str
    confidence: str
    cites: list[Cite]
    context: list[str]  # posts held (persons) during the incident's date range
    chain: list[ChainNode] = field(default_factory=list)  # units: up to the top unit


@dataclass
class Excerpt:
    witness: str
    protection: str
    taken: str | None
    text: str
    cites: list[Cite]


@dataclass
class IncidentView:
    number: int
    anchor: str
    key: str
    title: str
    date: str
    date_words: str
    earliest: str | None  # ISO bounds of the (possibly uncertain) date, for the timeline
    latest: str | None
    place: str | None
    violations: list[str]
    status: str
    paragraphs: list[str]
    cites: list[Cite]
    units: list[Actor]
    persons: list[Actor]
    excerpts: list[Excerpt]
    source_numbers: list[int]
    witnesses: list[str]
    exhibit_numbers: list[int]  # E1, E2… in the exhibit annex
    # Sources plus witnesses heard directly (a statement published in a source
    # is not independent of it): one or none means the incident rests on one source.
    independent_origins: int
    retraction: str | None = None

    @property
    def single_source(self) -> bool:
        return self.independent_origins <= 1


@dataclass
class SourceView:
    number: int
    title: str
    kind: str
    publisher: str | None
    author: str | None
    published: str | None
    url: str | None
    accessed: str | None
    reliability: str | None
    archive_hashes: list[str]
    retraction: str | None = None


@dataclass
class ExhibitView:
    id: int
    number: int
    key: str
    filename: str | None  # for the internal audience only: a file name may name anyone
    media_type: str
    size: int
    size_words: str | None  # "2.36 MB" beside the byte count; None below 1 KB
    acquired: str | None
    acquired_from: str | None
    sha256: str
    incident_numbers: list[int]
    custody: str = ""


@dataclass
class WitnessRow:
    """A line of the witness schedule: a witness as this audience may name them."""

    label: str
    protection: str
    statements: int
    incident_numbers: list[int]


@dataclass
class SealedIdentity:
    """Counsel only, printed only in the sealed annex: who is behind a pseudonym."""

    pseudonym: str
    name: str | None  # None: the statement names no witness record
    protection: str
    statements: int
    incident_numbers: list[int]
    person_id: int | None
    hash: str | None  # of the person's record, as verify recomputes it


@dataclass
class Member:
    label: str
    title: str | None
    period: str
    cites: list[Cite]


@dataclass
class UnitView:
    name: str
    kind: str
    aliases: list[str]
    parents: list[str]
    members: list[Member]


@dataclass
class Snapshot:
    dossier_id: str
    audience: str
    banner: str
    generated_at: str
    generated_by: str
    audit_seq: int
    audit_hash: str
    case_key: str
    case_title: str
    case_paragraphs: list[str]
    incidents: list[IncidentView]
    sources: list[SourceView]
    exhibits: list[ExhibitView]
    units: list[UnitView]
    witnesses: list[str]  # matrix columns, in order of first appearance
    manifest: list[ManifestEntry] = field(default_factory=list)
    anchor: AnchorView | None = None
    witness_schedule: list[WitnessRow] = field(default_factory=list)
    graded_sources: dict[str, int] = field(default_factory=dict)  # reliability grade -> sources
    protected_witnesses: int = 0
    # Never printed in the dossier itself: only evidence/dossiers/sealed.py reads it.
    sealed: list[SealedIdentity] = field(default_factory=list)
    language: str = "en"  # of every word the dossier prints (evidence.vocabularies.LANGUAGES)

    @property
    def generated_words(self) -> str:
        """ "3 February 2026 at 04:05 UTC" """
        return catalog(self.language).gettext("%(date)s at %(time)s UTC") % {
            "date": humanize(self.generated_at[:10], self.language),
            "time": self.generated_at[11:16],
        }


@dataclass(frozen=True)
class AnchorView:
    """The newest RFC 3161 anchor at or before the dossier's audit head: the token travels
    with the dossier, so it can be checked against the chain without trusting our copy."""

    seq: int
    tsa_url: str
    stamped_at: str
    token: bytes


def _bounds(edtf: str | None) -> tuple[dt.date | None, dt.date | None]:
    if not edtf:
        return None, None
    try:
        bounds = parse(edtf)
    except InvalidDate:
        return None, None
    return bounds.earliest, bounds.latest


def _period_overlaps(
    start: str | None, end: str | None, lo: dt.date | None, hi: dt.date | None
) -> bool:
    """Whether a period may overlap [lo, hi]; open or unknown ends may, so they count."""
    valid_from, _ = _bounds(start)
    _, valid_until = _bounds(end)
    starts_in_time = valid_from is None or hi is None or valid_from <= hi
    return starts_in_time and (valid_until is None or lo is None or valid_until >= lo)


COMMANDER_TITLE = re.compile(
    r"command|chief|chair|head|director|minister|leader|начальник|командир|кіраўнік|министр",
    re.IGNORECASE,
)


def _period_words(start: str | None, end: str | None, language: str) -> str:
    words = catalog(language)
    if not start and not end:
        return words.gettext("dates unknown")
    since = humanize(start, language) if start else words.gettext("start unknown")
    until = humanize(end, language) if end else words.gettext("end unknown")
    return f"{since} – {until}"


def _paragraphs(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split("\n\n") if part.strip()]


def _retraction(record: Record, language: str) -> str | None:
    retracted = record.get("retracted")
    if not retracted:
        return None
    return catalog(language).gettext("Retracted on %(date)s: %(reason)s") % {
        "date": retracted["at"][:10],
        "reason": retracted["reason"],
    }


class _Builder:
    """Loads the records once, then turns them into the views the template shows."""

    def __init__(self, session: Session, case: Case, audience: str, language: str) -> None:
        self.session = session
        self.language = language
        self.words = catalog(language)
        self.case = case
        self.protection = Protection.load(session, audience)
        self.scrub = self.protection.scrub
        self.included: dict[str, dict[int, Record]] = {}
        self.source_numbers: dict[str, int] = {}
        # Units and persons the dossier shows: only these go into the manifest and annexes.
        self.shown: dict[str, set[str]] = {"unit": set(), "person": set()}
        self.exhibit_numbers: dict[int, int] = {}

    # -- loading ----------------------------------------------------------------------

    def load(self) -> None:
        session, case = self.session, self.case
        excluded = set(
            session.scalars(
                select(Statement.key)
                .join(CaseStatementExclusion, CaseStatementExclusion.statement_id == Statement.id)
                .where(CaseStatementExclusion.case_id == case.id)
            )
        )
        closure = case_closure(
            session,
            case.id,
            keep_statement=lambda record: (
                record["key"] not in excluded
                and "retracted" not in record
                and self.protection.statement_visible(
                    SimpleNamespace(protection=record["protection"])
                )
            ),
            chain_members=True,
        )
        self.closure = closure
        self.incident_order = closure.incident_order
        self.included = closure.records
        self.statements = closure.records["statement"]
        incidents = closure.records["incident"]
        persons = closure.records["person"]
        self.members_of: dict[str, list[tuple[str, Record]]] = defaultdict(list)
        for person in persons.values():
            for membership in person["memberships"]:
                self.members_of[membership["unit"]].append((person["key"], membership))
        self.annex_unit_ids = sorted(
            {
                closure.id_of("unit", inv["unit"])
                for record in incidents.values()
                for inv in record["involvements"]
                if inv["unit"]
            }
        )
        source_ids = sorted(closure.records["source"])
        archive_rows = session.execute(
            select(ExhibitLink.exhibit_id, ExhibitLink.source_id).where(
                ExhibitLink.source_id.in_(source_ids or [-1])
            )
        ).all()
        self.exhibits_of = self._exhibits_of_incidents(incidents)
        annex_ids = {exhibit_id for ids in self.exhibits_of.values() for exhibit_id in ids}
        exhibits = self._include("exhibit", annex_ids | {row.exhibit_id for row in archive_rows})
        self.archives: dict[int, list[str]] = defaultdict(list)
        for row in sorted(archive_rows):
            self.archives[row.source_id].append(exhibits[row.exhibit_id]["sha256"])
        self.audit_seq, self.audit_hash = data_head(session)

    def _exhibits_of_incidents(self, incidents: dict[int, Record]) -> dict[str, list[int]]:
        """Incident key -> ids of the live exhibits linked to it or to one of its statements
        in this dossier (one query). An exhibit hidden from the audience is left out
        altogether, as on the web (its file could identify a protected witness); where a
        redacted copy exists, the copy is included instead."""
        link = aliased(ExhibitLink)
        stmt = (
            select(link.exhibit_id, link.incident_id, link.statement_id)
            .join(Exhibit, Exhibit.id == link.exhibit_id)
            .where(Exhibit.retracted_at.is_(None), self.protection.visible_condition(Exhibit))
            .where(
                link.incident_id.in_(list(incidents) or [-1])
                | link.statement_id.in_(list(self.statements) or [-1])
            )
            .order_by(link.exhibit_id)
        )
        exhibits_of: dict[str, list[int]] = defaultdict(list)
        for row in self.session.execute(stmt):
            if row.incident_id is not None:
                keys = [incidents[row.incident_id]["key"]]
            else:
                keys = [x["incident"] for x in self.statements[row.statement_id]["incidents"]]
            for key in keys:
                if row.exhibit_id not in exhibits_of[key]:
                    exhibits_of[key].append(row.exhibit_id)
        return exhibits_of

    def _include(self, entity: str, ids: Iterable[int]) -> dict[int, Record]:
        records = load_records(self.session, entity, list(ids))
        self.included[entity] = records
        return records

    def record(self, entity: str, key: str) -> Record:
        """The record, counted as shown in the dossier."""
        if entity in self.shown:
            self.shown[entity].add(key)
        return self.included[entity][self.closure.id_of(entity, key)]

    # -- views --------------------------------------------------------------------------

    def person(self, key: str) -> SimpleNamespace:
        record = self.record("person", key)
        return SimpleNamespace(id=self.closure.id_of("person", key), name=record["name"])

    def person_label(self, key: str) -> str:
        return self.scrub(self.protection.person_label(self.person(key)))

    def cites(self, citations: list[Record]) -> list[Cite]:
        return [
            Cite(
                number=self.source_number(c["source"]),
                locator=self.scrub(c["locator"]),
                quote=self.scrub(c["quote"]),
                credibility=c["credibility"],
            )
            for c in citations
        ]

    def source_number(self, key: str) -> int:
        """Sources are numbered in the order the dossier first cites them."""
        return self.source_numbers.setdefault(key, len(self.source_numbers) + 1)

    def exhibit_number(self, exhibit_id: int) -> int:
        """Exhibits are numbered in the order the chapters first list them."""
        return self.exhibit_numbers.setdefault(exhibit_id, len(self.exhibit_numbers) + 1)

    def chain(self, unit_key: str, lo: dt.date | None, hi: dt.date | None) -> list[ChainNode]:
        """The unit and every superior it may have had during [lo, hi], up to the top: a
        unit that changed superior in the range has one branch per superior."""
        nodes: list[ChainNode] = []

        def climb(key: str, depth: int, link: str | None, path: frozenset[str]) -> None:
            record = self.record("unit", key)
            people = self.chain_people(key, lo, hi)
            nodes.append(ChainNode(depth, self.scrub(record["name"]), record["kind"], link, people))
            if depth >= MAX_CHAIN_DEPTH:
                return
            parents = sorted(record["parents"], key=lambda p: (p["start"] or "", p["unit"]))
            for parent in parents:
                if parent["unit"] in path:
                    continue
                if _period_overlaps(parent["start"], parent["end"], lo, hi):
                    period = _period_words(parent["start"], parent["end"], self.language)
                    climb(parent["unit"], depth + 1, period, path | {parent["unit"]})

        climb(unit_key, 0, None, frozenset({unit_key}))
        return nodes

    def chain_people(
        self, unit_key: str, lo: dt.date | None, hi: dt.date | None
    ) -> list[ChainPerson]:
        """Who held a post in the unit during [lo, hi]: commanders first; a post whose
        dates are not known may have been held then, so it is listed and marked."""
        people = [
            ChainPerson(
                label=self.person_label(person_key),
                title=self.scrub(m["title"]),
                period=_period_words(m["start"], m["end"], self.language),
                dates_known=bool(m["start"] and m["end"]),
                commander=bool(m["title"] and COMMANDER_TITLE.search(m["title"])),
            )
            for person_key, m in self.members_of.get(unit_key, [])
            if _period_overlaps(m["start"], m["end"], lo, hi)
        ]
        return sorted(people, key=lambda p: (not p.commander, p.period, p.label))

    def posts(self, person_key: str, lo: dt.date | None, hi: dt.date | None) -> list[str]:
        member = self.words.gettext("member")
        return [
            self.scrub(
                f"{m['title'] or member},"
                f" {self.record('unit', m['unit'])['name']}"
                f" ({_period_words(m['start'], m['end'], self.language)})"
            )
            for m in self.record("person", person_key)["memberships"]
            if _period_overlaps(m["start"], m["end"], lo, hi)
        ]

    def incident(self, number: int, record: Record, statements: list[Record]) -> IncidentView:
        earliest, latest = _bounds(record["date"])
        cites = self.cites(record["sources"])
        units, persons = [], []
        for inv in record["involvements"]:
            inv_cites = self.cites(inv["sources"])
            if inv["unit"]:
                label = self.scrub(self.record("unit", inv["unit"])["name"])
                chain = self.chain(inv["unit"], earliest, latest)
                units.append(Actor(label, inv["role"], inv["confidence"], inv_cites, [], chain))
            else:
                label = self.person_label(inv["person"])
                context = self.posts(inv["person"], earliest, latest)
                persons.append(Actor(label, inv["role"], inv["confidence"], inv_cites, context))
        excerpts = []
        for statement in statements:
            link = next(x for x in statement["incidents"] if x["incident"] == record["key"])
            excerpts.append(
                Excerpt(
                    witness=self.witness_label(statement),
                    protection=statement["protection"],
                    taken=humanize(statement["taken"], self.language)
                    if statement["taken"]
                    else None,
                    text=self.scrub(link["excerpt"] or statement["text"]),
                    cites=self.cites([_statement_citation(statement)])
                    if statement["source"]
                    else [],
                )
            )
        all_cites = cites + [c for group in units + persons for c in group.cites]
        all_cites += [c for excerpt in excerpts for c in excerpt.cites]
        witnesses = list(dict.fromkeys(excerpt.witness for excerpt in excerpts))
        return IncidentView(
            number=number,
            anchor=f"incident-{number}",
            key=self.scrub(record["key"]),
            title=self.scrub(record["title"]),
            date=record["date"],
            date_words=humanize(record["date"], self.language),
            earliest=earliest.isoformat() if earliest else None,
            latest=latest.isoformat() if latest else None,
            place=self.scrub(self.record("place", record["place"])["name"])
            if record["place"]
            else None,
            violations=[self.violation_label(v) for v in record["violations"]],
            status=record["status"],
            paragraphs=[self.scrub(p) for p in _paragraphs(record["summary"])],
            cites=cites,
            units=units,
            persons=persons,
            excerpts=excerpts,
            source_numbers=sorted({c.number for c in all_cites}),
            witnesses=witnesses,
            exhibit_numbers=sorted(
                self.exhibit_number(x) for x in self.exhibits_of.get(record["key"], [])
            ),
            independent_origins=len({c.number for c in all_cites})
            + len({excerpt.witness for excerpt in excerpts if not excerpt.cites}),
            retraction=self.scrub(_retraction(record, self.language)),
        )

    def violation_label(self, key: str) -> str:
        return self.included["violation_type"][self.closure.id_of("violation_type", key)]["label"]

    def source(self, key: str, number: int) -> SourceView:
        record = self.record("source", key)
        reliability = record["reliability"]
        return SourceView(
            number=number,
            title=self.scrub(record["title"]),
            kind=record["kind"],
            publisher=self.scrub(record["publisher"]),
            author=self.scrub(record["author"]),
            published=humanize(record["published"], self.language) if record["published"] else None,
            url=self.scrub(record["url"]),
            accessed=record["accessed"],
            reliability=f"{reliability} — {self.words.gettext(RELIABILITY[reliability])}"
            if reliability
            else None,
            archive_hashes=self.archives.get(self.closure.id_of("source", key), []),
            retraction=self.scrub(_retraction(record, self.language)),
        )

    def exhibit(self, exhibit_id: int, number: int, incidents: list[IncidentView]) -> ExhibitView:
        record = self.included["exhibit"][exhibit_id]
        return ExhibitView(
            id=exhibit_id,
            number=number,
            key=self.scrub(record["key"]),
            filename=self.scrub(record["filename"]) if self.protection.shows_file_names else None,
            media_type=record["media_type"],
            size=record["size"],
            size_words=describe_size(record["size"]) if record["size"] >= 1024 else None,
            acquired=humanize(record["acquired"], self.language) if record["acquired"] else None,
            acquired_from=self.scrub(record["acquired_from"]),
            sha256=record["sha256"],
            incident_numbers=[i.number for i in incidents if number in i.exhibit_numbers],
        )

    def unit(self, unit_id: int) -> UnitView:
        record = self.included["unit"][unit_id]
        members = [
            Member(
                label=self.person_label(person["key"]),
                title=self.scrub(m["title"]),
                period=_period_words(m["start"], m["end"], self.language),
                cites=self.cites(m["sources"]),
            )
            for person in self.included["person"].values()
            for m in person["memberships"]
            if m["unit"] == record["key"]
        ]
        members.sort(key=lambda m: (m.period, m.label))
        return UnitView(
            name=self.scrub(record["name"]),
            kind=record["kind"],
            aliases=[self.scrub(a) for a in record["aliases"]],
            parents=[
                f"{self.scrub(self.record('unit', link['unit'])['name'])}"
                f" ({_period_words(link['start'], link['end'], self.language)})"
                for link in record["parents"]
            ],
            members=members,
        )

    def witness_schedule(self, incidents: list[IncidentView]) -> list[WitnessRow]:
        number_of = {incident.key: incident.number for incident in incidents}
        rows: dict[str, WitnessRow] = {}
        for _, statement in sorted(self.statements.items()):
            label = self.witness_label(statement)
            row = rows.setdefault(label, WitnessRow(label, statement["protection"], 0, []))
            row.statements += 1
            for link in statement["incidents"]:
                number = number_of.get(self.scrub(link["incident"]))
                if number and number not in row.incident_numbers:
                    row.incident_numbers.append(number)
        for row in rows.values():
            row.incident_numbers.sort()
        return list(rows.values())

    def sealed_identities(self, schedule: list[WitnessRow]) -> list[SealedIdentity]:
        """For counsel: the real name behind each pseudonym the dossier uses."""
        if self.protection.audience != COUNSEL:
            return []
        rows = {row.label: row for row in schedule}
        found: dict[str, SealedIdentity] = {}
        for _, statement in sorted(self.statements.items()):
            if statement["protection"] == "public":
                continue
            label = self.witness_label(statement)
            person_id = (
                self.closure.id_of("person", statement["witness"]) if statement["witness"] else None
            )
            person = self.included["person"][person_id] if person_id else None
            if label in rows and label not in found:
                row = rows[label]
                found[label] = SealedIdentity(
                    label,
                    person["name"] if person else None,
                    row.protection,
                    row.statements,
                    row.incident_numbers,
                    person_id,
                    record_hash(person) if person else None,
                )
        return list(found.values())

    def manifest(self, secret: str | None) -> list[ManifestEntry]:
        """Every record the dossier shows; with a secret, those that could identify a
        protected witness are keyed (see ManifestEntry)."""
        entries = []
        for entity, records in sorted(self.included.items()):
            for record_id, record in sorted(records.items()):
                if entity in self.shown and record["key"] not in self.shown[entity]:
                    continue
                keyed = secret is not None and self.identifies_protected(entity, record_id, record)
                entries.append(
                    ManifestEntry(
                        entity,
                        record_id,
                        self.manifest_key(entity, record_id, record),
                        keyed_hash(secret, record) if keyed else record_hash(record),
                        label=self.record_label(entity, record_id, record),
                        keyed=keyed,
                    )
                )
        return entries

    def identifies_protected(self, entity: str, record_id: int, record: Record) -> bool:
        """Whether a guess could be checked against the record's plain hash: a protected
        person, a statement not public or by a protected witness, or any record whose
        text names a protected person (its public text shows the pseudonym in its place,
        so putting a guessed name back and hashing would confirm the guess)."""
        if entity == "person" and record_id in self.protection.pseudonyms:
            return True
        if entity == "statement" and record["protection"] in PROTECTED_LEVELS:
            return True
        text = canonical_json(record).decode()
        return self.scrub(text) != text

    def record_label(self, entity: str, record_id: int, record: Record) -> str:
        """How Annex D names a record for readers who do not know its key."""
        if entity == "incident":
            return (
                f"Chapter {self.incident_order.index(record_id) + 1}: {self.scrub(record['title'])}"
            )
        if entity == "statement":
            return f"Statement of {self.witness_label(record)}"
        if entity == "person":
            return self.person_label(record["key"])
        if entity == "source":
            return f"S{self.source_numbers[record['key']]}: {self.scrub(record['title'])}"
        if entity == "exhibit":
            number = self.exhibit_numbers.get(record_id)
            return f"Exhibit E{number}" if number else "Archived copy of a source"
        if entity == "violation_type":
            return record["label"]
        return self.scrub(record.get("title") or record.get("name") or "")

    def witness_label(self, statement: Record) -> str:
        witness = SimpleNamespace(
            protection=statement["protection"],
            pseudonym=statement["pseudonym"],
            witness=self.person(statement["witness"]) if statement["witness"] else None,
        )
        return self.scrub(self.protection.witness_label(witness))

    def manifest_key(self, entity: str, record_id: int, record: Record) -> str | None:
        """A key is left out where it could name a protected person."""
        if entity == "person" and record_id in self.protection.pseudonyms:
            return None
        return record["key"] if self.scrub(record["key"]) == record["key"] else None


def _statement_citation(statement: Record) -> Record:
    return {"source": statement["source"], "locator": None, "quote": None, "credibility": None}


def dossier_id(case_key: str, audience: str, generated_at: str, audit_hash: str) -> str:
    """Derived from what the dossier is made of, so the same inputs give the same id."""
    digest = hashlib.sha256(f"{case_key}|{audience}|{generated_at}|{audit_hash}".encode())
    return f"D-{digest.hexdigest()[:12].upper()}"


def build_snapshot(
    session: Session,
    case_key: str,
    audience: str,
    generated_at: str,
    generated_by: str,
    language: str = "en",
) -> Snapshot:
    """The case as the audience may see it; raises CaseNotFound, ValueError (audience)."""
    case = session.scalar(select(Case).where(Case.key == case_key))
    if case is None:
        raise CaseNotFound(f'case: no case with key "{case_key}"')
    builder = _Builder(session, case, audience, language)
    builder.load()
    incidents_by_id = builder.included["incident"]
    statements_of: dict[str, list[Record]] = defaultdict(list)
    for _, statement in sorted(builder.statements.items()):
        for link in statement["incidents"]:
            statements_of[link["incident"]].append(statement)
    incidents = [
        builder.incident(
            number, incidents_by_id[incident_id], statements_of[incidents_by_id[incident_id]["key"]]
        )
        for number, incident_id in enumerate(builder.incident_order, start=1)
    ]
    sources = [builder.source(key, number) for key, number in builder.source_numbers.items()]
    exhibits = [
        builder.exhibit(exhibit_id, number, incidents)
        for exhibit_id, number in builder.exhibit_numbers.items()
    ]
    custody = custody_summaries(session, [x.id for x in exhibits], audience, language)
    for exhibit in exhibits:
        exhibit.custody = custody.get(exhibit.id, "")
    witnesses = list(dict.fromkeys(w for incident in incidents for w in incident.witnesses))
    # W1, W2… as in the corroboration matrix: in order of first appearance.
    witness_schedule = sorted(
        builder.witness_schedule(incidents),
        key=lambda row: witnesses.index(row.label) if row.label in witnesses else len(witnesses),
    )
    case_record = builder.included["case"][case.id]
    units = [builder.unit(unit_id) for unit_id in builder.annex_unit_ids]
    _number_notes(_cites_in_reading_order(incidents, units))
    identifier = dossier_id(case.key, audience, generated_at, builder.audit_hash)
    secret = None if audience == INTERNAL else manifest_secret(session, identifier)
    snapshot = Snapshot(
        dossier_id=identifier,
        audience=audience,
        banner=builder.words.gettext(BANNERS[audience]),
        generated_at=generated_at,
        generated_by=generated_by,
        audit_seq=builder.audit_seq,
        audit_hash=builder.audit_hash,
        case_key=builder.scrub(case.key),
        case_title=builder.scrub(case_record["title"]),
        case_paragraphs=[builder.scrub(p) for p in _paragraphs(case_record["summary"])],
        incidents=incidents,
        sources=sources,
        exhibits=exhibits,
        units=units,
        witnesses=witnesses,
        manifest=builder.manifest(secret),
        anchor=_anchor_at(session, builder.audit_seq),
        witness_schedule=witness_schedule,
        graded_sources=dict(
            sorted(Counter((src.reliability or "not graded")[:1] for src in sources).items())
        ),
        protected_witnesses=sum(1 for row in witness_schedule if row.protection != "public"),
        sealed=builder.sealed_identities(witness_schedule),
        language=language,
    )
    # Every text of the snapshot once more, whatever field it came from: the fields above
    # are scrubbed one by one, this makes sure a field added later is too.
    scrubbed = builder.protection.scrub_tree(snapshot)
    # The manifest's ids and hashes stay as computed (verify-dossier recomputes them from
    # the database); a key the scrubber would change names a protected person: withheld.
    # Its label is prose for the reader, so it is the scrubbed one.
    manifest = [
        dataclasses.replace(
            entry, key=entry.key if entry.key == shown.key else None, label=shown.label
        )
        for entry, shown in zip(snapshot.manifest, scrubbed.manifest, strict=True)
    ]
    # The sealed annex (counsel only) names the real identities behind the pseudonyms: that
    # is its purpose, so it keeps them.
    return dataclasses.replace(
        scrubbed, manifest=manifest, anchor=snapshot.anchor, sealed=snapshot.sealed
    )


# Team members' names are shown only to the team and to counsel: documenters are at risk too.
CUSTODIAN_AUDIENCES = (INTERNAL, COUNSEL)


def custody_summaries(
    session: Session, exhibit_ids: list[int], audience: str, language: str = "en"
) -> dict[int, str]:
    """One line per exhibit: its custody events, in order (one query)."""
    events: dict[int, list[CustodyEvent]] = defaultdict(list)
    stmt = (
        select(CustodyEvent)
        .where(CustodyEvent.exhibit_id.in_(exhibit_ids or [-1]))
        .order_by(CustodyEvent.exhibit_id, CustodyEvent.position)
    )
    for event in session.scalars(stmt):
        events[event.exhibit_id].append(event)
    words = catalog(language)
    summaries = {}
    for exhibit_id, found in events.items():
        steps = [
            f"{words.gettext(e.action)} {e.at[:10]}"
            + (
                words.gettext(" by %(name)s") % {"name": e.by}
                if audience in CUSTODIAN_AUDIENCES
                else ""
            )
            for e in found
        ]
        count = words.ngettext("%(num)d event: ", "%(num)d events: ", len(found))
        summaries[exhibit_id] = count % {"num": len(found)} + "; ".join(steps)
    return summaries


def _cites_in_reading_order(incidents: list[IncidentView], units: list[UnitView]) -> Iterable[Cite]:
    """Citations in the order dossier.html prints them."""
    for incident in incidents:
        yield from incident.cites
        for actor in incident.units + incident.persons:
            yield from actor.cites
        for excerpt in incident.excerpts:
            yield from excerpt.cites
    for unit in units:
        for member in unit.members:
            yield from member.cites


def _number_notes(cites: Iterable[Cite]) -> None:
    """One footnote number per cited passage, in reading order; a passage cited again
    refers back to its note instead of printing it again."""
    notes: dict[tuple, int] = {}
    for cite in cites:
        cite.first = cite.passage not in notes
        cite.note = notes.setdefault(cite.passage, len(notes) + 1)


def _anchor_at(session: Session, seq: int) -> AnchorView | None:
    found = session.scalars(
        select(AuditAnchor)
        .where(AuditAnchor.chain == "changes", AuditAnchor.seq <= seq)
        .order_by(AuditAnchor.seq.desc(), AuditAnchor.id.desc())
        .limit(1)
    ).first()
    if found is None:
        return None
    return AnchorView(found.seq, found.tsa_url, found.stamped_at, found.token)
