"""Import and export of evidence/1 documents.

Import is validated in full before anything is written, then written with
bulk statements (no row-by-row ORM identity map), section by section in
dependency order, as an upsert by key: a record equal to what the database
holds is left alone, so a second import of the same file writes nothing. The
records written are reported to the audit hook, which logs them at commit.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from evidence import dates
from evidence.audit.log import touch, touch_created
from evidence.cases.services import case_closure
from evidence.core.messages import Joined, Message, counted, message, plural_forms
from evidence.core.records import BATCH, Record, chunks
from evidence.db import insert_rows, reserve_ids
from evidence.interchange.validate import Document, meaning_problems, schema_problems
from evidence.models import (
    Case,
    CaseIncident,
    CaseStatementExclusion,
    Citation,
    CustodyEvent,
    ExhibitLink,
    IncidentViolation,
    Involvement,
    Membership,
    Person,
    Place,
    StatementIncident,
    UnitParent,
)
from evidence.places.services import ancestor_ids
from evidence.protection import INTERNAL, Protection, document_for_audience
from evidence.records.loading import SECTIONS, load_records
from evidence.search.folded_names import names_of

FORMAT = "evidence/1"
Progress = Callable[[int], None]


class ImportRejected(Exception):
    """The document was refused; nothing was written. Each problem names its JSON path."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s): " + "; ".join(problems[:3]))
        self.problems = problems


class ExportError(ValueError):
    """An export that cannot be made (e.g. an unknown case key)."""


@dataclass
class ImportSummary:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: int = 0

    @property
    def written(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values())

    def describe(self) -> Message:
        def listing(counts: dict[str, int]) -> Message | Joined:
            counts_given = [counted(COUNTED[section], n) for section, n in counts.items() if n]
            return Joined(counts_given) if counts_given else message("nothing")

        return message(
            "Created %(created)s; updated %(updated)s; %(unchanged)s.",
            created=listing(self.created),
            updated=listing(self.updated),
            unchanged=counted(UNCHANGED, self.unchanged),
        )


# How many records of each section an import wrote.
COUNTED = {
    "violation_types": plural_forms("%(num)d violation type", "%(num)d violation types"),
    "places": plural_forms("%(num)d place", "%(num)d places"),
    "sources": plural_forms("%(num)d source", "%(num)d sources"),
    "units": plural_forms("%(num)d unit", "%(num)d units"),
    "persons": plural_forms("%(num)d person", "%(num)d persons"),
    "incidents": plural_forms("%(num)d incident", "%(num)d incidents"),
    "statements": plural_forms("%(num)d statement", "%(num)d statements"),
    "cases": plural_forms("%(num)d case", "%(num)d cases"),
    "exhibits": plural_forms("%(num)d exhibit", "%(num)d exhibits"),
}
UNCHANGED = plural_forms("%(num)d record unchanged", "%(num)d records unchanged")


def read_document(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as error:
        problem = f"{path}: not UTF-8 text ({error.reason} at byte {error.start})"
        raise ImportRejected([problem]) from None
    except json.JSONDecodeError as error:
        raise ImportRejected(
            [f"{path}: not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"]
        ) from None


def count_records(document: Any) -> int:
    if not isinstance(document, dict):
        return 0
    return sum(len(document.get(section) or []) for section in SECTIONS)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector around a bulk import and its commit.

    An import allocates hundreds of thousands of dicts that live until the
    commit; the collector rescans them again and again (a quarter of the CPU
    time of a large import). Reference counting still frees what is dropped;
    cycles wait for the collector, which runs again afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def import_document(
    session: Session, document: Any, progress: Progress | None = None
) -> ImportSummary:
    """Validate the whole document, then upsert it. Raises ImportRejected, writing nothing."""
    problems = schema_problems(document)
    if not problems:
        problems = meaning_problems(session, document)
    if problems:
        raise ImportRejected(problems)
    writer = _Writer(session)
    for section in SECTIONS:
        records = document.get(section, [])
        if records:
            writer.upsert(section, records)
        if progress:
            progress(len(records))
    return writer.summary


def _dated(link: Record) -> dict[str, Any]:
    """A dated link's start and end, with the derived days it may have begun and lasted to."""
    start = dates.parse(link["start"]).earliest if link["start"] else None
    end = dates.parse(link["end"]).latest if link["end"] else None
    return {"start": link["start"], "end": link["end"], "valid_from": start, "valid_until": end}


_NOT_RETRACTED = {"retracted_at": None, "retracted_by": None, "retraction_reason": None}


def _retraction_columns(record: Record) -> dict[str, Any]:
    retracted = record.get("retracted")
    if retracted is None:
        return {}
    return {
        "retracted_at": dt.datetime.fromisoformat(retracted["at"]),
        "retracted_by": retracted["by"],
        "retraction_reason": retracted["reason"],
    }


def _citation_rows(citations: Iterable[Record], owner: str, owner_id: int, ids: Any) -> list:
    return [
        {
            "incident_id": None,
            "involvement_id": None,
            "membership_id": None,
            owner: owner_id,
            "source_id": ids("sources", citation["source"]),
            "locator": citation["locator"],
            "quote": citation["quote"],
            "credibility": citation["credibility"],
            "position": position,
        }
        for position, citation in enumerate(citations)
    ]


def _most_of(count: int, in_table: int) -> bool:
    """Whether ``count`` rows are at least half of a table's ``in_table``: then reading the
    whole table at once is cheaper than looking them up by chunks of keys or ids."""
    return 2 * count >= in_table


class _Writer:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.connection = session.connection()
        self.key_ids: dict[str, dict[str, int]] = {}
        self.summary = ImportSummary()

    def ids(self, section: str, key: str | None) -> int | None:
        if key is None:
            return None
        if section not in self.key_ids:
            model = SECTIONS[section].model
            self.key_ids[section] = dict(self.session.execute(select(model.key, model.id)).all())
        return self.key_ids[section][key]

    def _execute_many(self, statement: Any, rows: list[dict[str, Any]]) -> None:
        for batch in chunks(rows, BATCH):
            self.connection.execute(statement, batch)

    def _insert_new(self, table: Any, rows: list[dict[str, Any]]) -> list[int]:
        """Insert rows in bulk with ids given beforehand; returns them in the order of ``rows``."""
        ids = reserve_ids(self.connection, table, len(rows))
        for row, new_id in zip(rows, ids, strict=True):
            row["id"] = new_id
        insert_rows(self.connection, table, rows)
        return ids

    def upsert(self, section: str, records: list[Record]) -> None:
        entity = SECTIONS[section]
        model = entity.model
        # Where the records are most of their table (a first import, or a file imported
        # again), the whole table is read at once: a few statements instead of a few per
        # chunk of keys or ids (which PostgreSQL may run on a plan cached while it was empty).
        in_table = self.session.scalar(select(func.count()).select_from(model)) or 0
        existing_ids = self._existing_ids(model, [r["key"] for r in records], in_table)
        ids = list(existing_ids.values())
        whole = _most_of(len(ids), in_table)
        current = load_records(self.session, entity.name, None if whole else ids) if ids else {}
        new: list[Record] = []
        changed: list[tuple[int, Record]] = []
        for record in records:
            record_id = existing_ids.get(record["key"])
            if record_id is None:
                new.append(record)
                continue
            stored = dict(current[record_id])
            if "retracted" not in record:
                stored.pop("retracted", None)
            if stored != record:
                changed.append((record_id, record))
        self.summary.unchanged += len(records) - len(new) - len(changed)
        self.summary.created[section] = len(new)
        self.summary.updated[section] = len(changed)
        if not new and not changed:
            return

        build_row = getattr(self, f"_{section}_row")
        # Every new row names the retraction columns: a bulk insert takes its
        # columns from the first row, and would drop a later row's retraction.
        new_rows = [
            {
                **build_row(r),
                **_NOT_RETRACTED,
                **_retraction_columns(r),
                "key": r["key"],
                "version": 1,
            }
            for r in new
        ]
        if "folded_names" in model.__table__.c:  # see touch_created
            for row, r in zip(new_rows, new, strict=True):
                row["folded_names"] = names_of(r)
        new_ids = self._insert_new(model.__table__, new_rows)
        if section in self.key_ids:
            self.key_ids[section].update(zip((r["key"] for r in new), new_ids, strict=True))
        if changed:
            table = model.__table__
            rows = [
                {"record_id": record_id, **build_row(r), **_retraction_columns(r)}
                for record_id, r in changed
            ]
            for columns in {tuple(sorted(row)) for row in rows}:
                same_shape = [row for row in rows if tuple(sorted(row)) == columns]
                values = {c: bindparam(c) for c in columns if c != "record_id"}
                statement = (
                    update(table)
                    .where(table.c.id == bindparam("record_id"))
                    .values(**values, version=table.c.version + 1)
                )
                self._execute_many(statement, same_shape)
            self._delete_children(section, [record_id for record_id, _ in changed])
        written = list(zip(new_ids, new, strict=True)) + changed
        self._after_rows(section, written)
        # A new record's evidence/1 form is the record as given, except that a
        # retraction time is normalised on the way in, so those are reloaded.
        created = {i: r for i, r in zip(new_ids, new, strict=True) if "retracted" not in r}
        touch_created(self.session, entity.name, created)
        reload = [i for i, r in written if i not in created]
        touch(self.session, entity.name, reload)

    def _existing_ids(self, model: Any, keys: Sequence[str], in_table: int) -> dict[str, int]:
        if _most_of(len(keys), in_table):
            wanted = set(keys)
            rows = self.session.execute(select(model.key, model.id))
            return {key: record_id for key, record_id in rows if key in wanted}
        found: dict[str, int] = {}
        for chunk in chunks(keys):
            found.update(
                self.session.execute(select(model.key, model.id).where(model.key.in_(chunk))).all()
            )
        return found

    # Columns of each section's own row (references resolved to ids).

    def _violation_types_row(self, r: Record) -> dict[str, Any]:
        return {"label": r["label"], "description": r["description"]}

    def _places_row(self, r: Record) -> dict[str, Any]:
        # The parent is set after the whole section is in, as it may be new too.
        return {
            "name": r["name"],
            "aliases": r["aliases"],
            "kind": r["kind"],
            "lat": r["lat"],
            "lon": r["lon"],
        }

    def _units_row(self, r: Record) -> dict[str, Any]:
        return {"name": r["name"], "aliases": r["aliases"], "kind": r["kind"]}

    def _persons_row(self, r: Record) -> dict[str, Any]:
        return {"name": r["name"], "aliases": r["aliases"], "notes": r["notes"]}

    def _sources_row(self, r: Record) -> dict[str, Any]:
        accessed = dt.date.fromisoformat(r["accessed"]) if r["accessed"] else None
        fields = ("kind", "title", "url", "publisher", "author", "published", "language")
        return {
            **{name: r[name] for name in fields},
            "reliability": r["reliability"],
            "notes": r["notes"],
            "accessed": accessed,
        }

    def _incidents_row(self, r: Record) -> dict[str, Any]:
        bounds = dates.parse(r["date"])
        return {
            "title": r["title"],
            "date": r["date"],
            "earliest": bounds.earliest,
            "latest": bounds.latest,
            "place_id": self.ids("places", r["place"]),
            "status": r["status"],
            "summary": r["summary"],
        }

    def _statements_row(self, r: Record) -> dict[str, Any]:
        fields = ("pseudonym", "protection", "taken", "taken_by", "language", "text", "translation")
        return {
            **{name: r[name] for name in fields},
            "witness_id": self.ids("persons", r["witness"]),
            "source_id": self.ids("sources", r["source"]),
        }

    def _cases_row(self, r: Record) -> dict[str, Any]:
        return {"title": r["title"], "summary": r["summary"]}

    def _exhibits_row(self, r: Record) -> dict[str, Any]:
        fields = ("sha256", "filename", "media_type", "size", "acquired", "acquired_from")
        return {name: r[name] for name in fields}

    # Child rows, replaced wholesale for a changed record.

    def _delete_children(self, section: str, ids: list[int]) -> None:
        for chunk in chunks(ids):
            for statement in _CHILD_DELETES.get(section, lambda _ids: [])(chunk):
                self.connection.execute(statement)

    def _after_rows(self, section: str, written: list[tuple[int, Record]]) -> None:
        ids = self.ids
        if section == "places":
            rows = [{"record_id": i, "parent_id": ids("places", r["parent"])} for i, r in written]
            table = Place.__table__
            statement = update(table).where(table.c.id == bindparam("record_id"))
            self._execute_many(statement.values(parent_id=bindparam("parent_id")), rows)
        elif section == "units":
            insert_rows(
                self.connection,
                UnitParent.__table__,
                [
                    {
                        "unit_id": unit_id,
                        "parent_id": ids("units", link["unit"]),
                        **_dated(link),
                        "position": position,
                    }
                    for unit_id, r in written
                    for position, link in enumerate(r["parents"])
                ],
            )
        elif section == "persons":
            self._insert_cited_rows(
                Membership.__table__,
                "person_id",
                "membership_id",
                [(person_id, m) for person_id, r in written for m in r["memberships"]],
                lambda m: {"unit_id": ids("units", m["unit"]), "title": m["title"], **_dated(m)},
            )
        elif section == "incidents":
            insert_rows(
                self.connection,
                IncidentViolation.__table__,
                [
                    {
                        "incident_id": incident_id,
                        "violation_type_id": ids("violation_types", key),
                        "position": position,
                    }
                    for incident_id, r in written
                    for position, key in enumerate(r["violations"])
                ],
            )
            self._insert_citations("incident_id", [(i, r["sources"]) for i, r in written])
            self._insert_cited_rows(
                Involvement.__table__,
                "incident_id",
                "involvement_id",
                [(i, inv) for i, r in written for inv in r["involvements"]],
                lambda inv: {
                    "unit_id": ids("units", inv["unit"]),
                    "person_id": ids("persons", inv["person"]),
                    "role": inv["role"],
                    "confidence": inv["confidence"],
                },
            )
        elif section == "statements":
            insert_rows(
                self.connection,
                StatementIncident.__table__,
                [
                    {
                        "statement_id": statement_id,
                        "incident_id": ids("incidents", link["incident"]),
                        "excerpt": link["excerpt"],
                        "position": position,
                    }
                    for statement_id, r in written
                    for position, link in enumerate(r["incidents"])
                ],
            )
        elif section == "cases":
            insert_rows(
                self.connection,
                CaseIncident.__table__,
                [
                    {"case_id": case_id, "incident_id": ids("incidents", key), "position": position}
                    for case_id, r in written
                    for position, key in enumerate(r["incidents"])
                ],
            )
            insert_rows(
                self.connection,
                CaseStatementExclusion.__table__,
                [
                    {"case_id": case_id, "statement_id": ids("statements", key)}
                    for case_id, r in written
                    for key in r.get("excluded_statements", [])
                ],
            )
        elif section == "exhibits":
            self._insert_exhibit_children(written)

    def _insert_cited_rows(
        self,
        table: Any,
        owner_column: str,
        citation_owner: str,
        owned: list[tuple[int, Record]],
        columns: Callable[[Record], dict[str, Any]],
    ) -> None:
        """Rows that carry citations of their own (memberships, involvements)."""
        positions = _positions(owner_id for owner_id, _ in owned)
        rows = [
            {owner_column: owner_id, **columns(item), "position": position}
            for (owner_id, item), position in zip(owned, positions, strict=True)
        ]
        new_ids = self._insert_new(table, rows)
        self._insert_citations(
            citation_owner,
            [(new_id, item["sources"]) for new_id, (_, item) in zip(new_ids, owned, strict=True)],
        )

    def _insert_citations(self, owner: str, owned: list[tuple[int, list[Record]]]) -> None:
        rows = [
            row
            for owner_id, cites in owned
            for row in _citation_rows(cites, owner, owner_id, self.ids)
        ]
        insert_rows(self.connection, Citation.__table__, rows)

    def _insert_exhibit_children(self, written: list[tuple[int, Record]]) -> None:
        links = []
        for exhibit_id, r in written:
            targets = (
                [("incident_id", "incidents", key) for key in r["incidents"]]
                + [("statement_id", "statements", key) for key in r["statements"]]
                + [("source_id", "sources", key) for key in r["sources"]]
            )
            for position, (column, section, key) in enumerate(targets):
                row = {
                    "exhibit_id": exhibit_id,
                    "incident_id": None,
                    "statement_id": None,
                    "source_id": None,
                }
                links.append({**row, column: self.ids(section, key), "position": position})
        insert_rows(self.connection, ExhibitLink.__table__, links)
        insert_rows(
            self.connection,
            CustodyEvent.__table__,
            [
                {"exhibit_id": exhibit_id, **event, "position": position}
                for exhibit_id, r in written
                for position, event in enumerate(r["custody"])
            ],
        )


def _positions(owner_ids: Iterable[int]) -> list[int]:
    """0, 1, 2... restarting for each owner, for rows listed owner by owner."""
    positions, previous, position = [], None, 0
    for owner_id in owner_ids:
        position = position + 1 if owner_id == previous else 0
        positions.append(position)
        previous = owner_id
    return positions


def _incident_child_deletes(ids: list[int]) -> list[Any]:
    involvement_ids = select(Involvement.id).where(Involvement.incident_id.in_(ids))
    return [
        delete(Citation).where(Citation.involvement_id.in_(involvement_ids)),
        delete(Citation).where(Citation.incident_id.in_(ids)),
        delete(Involvement).where(Involvement.incident_id.in_(ids)),
        delete(IncidentViolation).where(IncidentViolation.incident_id.in_(ids)),
    ]


def _person_child_deletes(ids: list[int]) -> list[Any]:
    membership_ids = select(Membership.id).where(Membership.person_id.in_(ids))
    return [
        delete(Citation).where(Citation.membership_id.in_(membership_ids)),
        delete(Membership).where(Membership.person_id.in_(ids)),
    ]


_CHILD_DELETES: dict[str, Callable[[list[int]], list[Any]]] = {
    "units": lambda ids: [delete(UnitParent).where(UnitParent.unit_id.in_(ids))],
    "persons": _person_child_deletes,
    "incidents": _incident_child_deletes,
    "statements": lambda ids: [
        delete(StatementIncident).where(StatementIncident.statement_id.in_(ids))
    ],
    "cases": lambda ids: [
        delete(CaseIncident).where(CaseIncident.case_id.in_(ids)),
        delete(CaseStatementExclusion).where(CaseStatementExclusion.case_id.in_(ids)),
    ],
    "exhibits": lambda ids: [
        delete(ExhibitLink).where(ExhibitLink.exhibit_id.in_(ids)),
        delete(CustodyEvent).where(CustodyEvent.exhibit_id.in_(ids)),
    ],
}


def export_document(
    session: Session, case_key: str | None = None, audience: str = INTERNAL
) -> Document:
    """The data set, or one case with every record it needs, as an evidence/1 document
    for an audience (witness protection applied by evidence.protection).

    Sections are sorted by key; empty sections are left out.
    """
    document = _export_document(session, case_key)
    if audience == INTERNAL:
        return document
    protection = Protection.load(session, audience)
    protected_keys = {
        key: protection.pseudonyms[person_id]
        for person_id, key in session.execute(
            select(Person.id, Person.key).where(Person.id.in_(list(protection.pseudonyms)))
        )
    }
    return document_for_audience(document, protection, protected_keys)


def _export_document(session: Session, case_key: str | None) -> Document:
    wanted = None if case_key is None else _case_closure(session, case_key)
    document: Document = {"format": FORMAT}
    for section, entity in SECTIONS.items():
        ids = None if wanted is None else sorted(wanted.get(section, set()))
        if ids == []:
            continue
        records = sorted(load_records(session, entity.name, ids).values(), key=lambda r: r["key"])
        if wanted is not None:
            records = [_trim_links(section, r, wanted["keys"]) for r in records]
        if records:
            document[section] = records
    return document


def _case_closure(session: Session, case_key: str) -> dict[str, Any]:
    """Ids and keys per section of everything a case's records refer to, transitively:
    the case closure, the places above its places (so the file imports on its own) and
    the exhibits of its incidents and statements."""
    case_id = session.scalar(select(Case.id).where(Case.key == case_key))
    if case_id is None:
        raise ExportError(f'--case: no case with key "{case_key}"')
    closure = case_closure(session, case_id)
    wanted: dict[str, Any] = {
        entity.section: set(closure.records.get(entity.name, {})) for entity in SECTIONS.values()
    }
    wanted["places"] |= set().union(*(ancestor_ids(session, i) for i in wanted["places"]))
    wanted["exhibits"] = set(
        session.scalars(
            select(ExhibitLink.exhibit_id).where(
                ExhibitLink.incident_id.in_(sorted(wanted["incidents"]) or [-1])
                | ExhibitLink.statement_id.in_(sorted(wanted["statements"]) or [-1])
            )
        )
    )
    wanted["keys"] = {section: _keys_of(session, section, wanted[section]) for section in SECTIONS}
    return wanted


def _keys_of(session: Session, section: str, ids: set[int]) -> set[str]:
    model = SECTIONS[section].model
    found: set[str] = set()
    for chunk in chunks(sorted(ids)):
        found.update(session.scalars(select(model.key).where(model.id.in_(chunk))))
    return found


def _trim_links(section: str, record: Record, keys: dict[str, set[str]]) -> Record:
    """Drop links to records outside a case export, so the export imports on its own."""
    if section == "statements":
        record["incidents"] = [i for i in record["incidents"] if i["incident"] in keys["incidents"]]
    elif section == "exhibits":
        for name in ("incidents", "statements", "sources"):
            record[name] = [k for k in record[name] if k in keys[name]]
    return record
