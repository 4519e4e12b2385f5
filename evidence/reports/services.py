"""The sourcing report: where the database's claims rest on too little.

Four lists, each over live (not retracted) records:
- incidents with no citation at all;
- involvements and memberships citing fewer than two distinct sources
  (none, or a single one: one source is one point of failure);
- sources graded E (unreliable) or F (cannot be judged);
- statements not linked to any incident.
Person names pass through the protection filter of the audience asked for.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session, selectinload

from evidence.actors.models import Membership, Person
from evidence.incidents.models import Incident, Involvement
from evidence.protection import Protection
from evidence.sources.models import Citation, Source
from evidence.statements.models import Statement, StatementIncident
from evidence.vocabularies import RELIABILITY, translatable

WEAK_GRADES = ("E", "F")


@dataclass(frozen=True)
class Row:
    """One flagged item: the record to open (entity, key) and what to say about it."""

    entity: str
    key: str
    label: str
    detail: str
    linkable: bool = True  # False when the key would reveal a protected person


@dataclass(frozen=True)
class SourcingReport:
    unsourced_incidents: list[Row]
    thin_involvements: list[Row]
    thin_memberships: list[Row]
    weak_sources: list[Row]
    unlinked_statements: list[Row]

    SECTIONS = (
        ("unsourced_incidents", translatable("Incidents with no citation")),
        ("thin_involvements", translatable("Involvements resting on one source or none")),
        ("thin_memberships", translatable("Memberships resting on one source or none")),
        ("weak_sources", translatable("Sources graded E or F")),
        ("unlinked_statements", translatable("Statements not linked to any incident")),
    )

    def sections(self) -> list[tuple[str, str, list[Row]]]:
        return [(name, title, getattr(self, name)) for name, title in self.SECTIONS]

    def as_dict(self) -> dict[str, Any]:
        return {name: [asdict(row) for row in rows] for name, _title, rows in self.sections()}


def unsourced_incidents() -> Select[tuple[Incident]]:
    """Live incidents that cite no source themselves (what their involvements cite does not
    count: the incident's own claim is what stands unsupported)."""
    return select(Incident).where(
        Incident.retracted_at.is_(None), ~exists().where(Citation.incident_id == Incident.id)
    )


def _source_count(owner_column: Any) -> Any:
    """Distinct sources cited by each owner (involvement or membership id)."""
    return (
        select(
            owner_column.label("owner"), func.count(func.distinct(Citation.source_id)).label("n")
        )
        .where(owner_column.is_not(None))
        .group_by(owner_column)
        .subquery()
    )


def _plural(count: int) -> str:
    return "no source" if count == 0 else "1 source"


def sourcing_report(session: Session, protection: Protection) -> SourcingReport:
    """The report for an audience (a constant number of queries)."""
    unsourced = session.scalars(
        unsourced_incidents().order_by(Incident.earliest.nulls_last(), Incident.key)
    )
    incidents = [Row("incident", i.key, protection.scrub(i.title), i.date or "") for i in unsourced]

    counted = _source_count(Citation.involvement_id)
    n = func.coalesce(counted.c.n, 0)
    involvement_rows = session.execute(
        select(Involvement, n)
        .join(Incident, Incident.id == Involvement.incident_id)
        .outerjoin(counted, counted.c.owner == Involvement.id)
        .where(Incident.retracted_at.is_(None), n < 2)
        .options(selectinload(Involvement.unit), selectinload(Involvement.person))
        .order_by(Incident.key, Involvement.position)
    )
    involvements = []
    for involvement, count in involvement_rows:
        who = (
            involvement.unit.name
            if involvement.unit
            else protection.person_label(involvement.person)
        )
        involvements.append(
            Row(
                "incident",
                involvement.incident.key,
                protection.scrub(involvement.incident.title),
                f"{who} ({involvement.role}): {_plural(count)}",
            )
        )

    counted = _source_count(Citation.membership_id)
    n = func.coalesce(counted.c.n, 0)
    membership_rows = session.execute(
        select(Membership, n)
        .join(Person, Person.id == Membership.person_id)
        .outerjoin(counted, counted.c.owner == Membership.id)
        .where(Person.retracted_at.is_(None), n < 2)
        .options(selectinload(Membership.unit), selectinload(Membership.person))
        .order_by(Person.key, Membership.position)
    )
    memberships = []
    for membership, count in membership_rows:
        person = membership.person
        post = f"{membership.title}, " if membership.title else ""
        memberships.append(
            Row(
                "person",
                person.key,
                protection.person_label(person),
                f"{post}{membership.unit.name}: {_plural(count)}",
                linkable=not protection.is_protected(person),
            )
        )

    weak = session.scalars(
        select(Source)
        .where(Source.retracted_at.is_(None), Source.reliability.in_(WEAK_GRADES))
        .order_by(Source.reliability, Source.key)
    )
    sources = [
        Row(
            "source",
            s.key,
            protection.scrub(s.title),
            f"{s.reliability} — {RELIABILITY[s.reliability]}",
        )
        for s in weak
    ]

    lonely = session.scalars(
        select(Statement)
        .where(
            Statement.retracted_at.is_(None),
            ~select(StatementIncident.statement_id)
            .where(StatementIncident.statement_id == Statement.id)
            .exists(),
        )
        .options(selectinload(Statement.witness))
        .order_by(Statement.key)
    )
    statements = [
        Row(
            "statement",
            s.key,
            f"Statement of {protection.witness_label(s)}",
            f"taken {s.taken}" if s.taken else "date not recorded",
        )
        for s in protection.filter_statements(list(lonely))
    ]
    return SourcingReport(incidents, involvements, memberships, sources, statements)


def report_as_text(report: SourcingReport) -> str:
    lines = []
    for _name, title, rows in report.sections():
        lines.append(f"{title}: {len(rows)}")
        lines.extend(f"  {row.key}  {row.label} — {row.detail}" for row in rows)
    return "\n".join(lines)
