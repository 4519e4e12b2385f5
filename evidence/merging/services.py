"""Merging a duplicate record into the one kept, and spotting likely duplicates.

A merge moves every link and citation that points at the other record to the
kept one, collapses links that would then say the same thing twice, adds the
other's name and aliases to the kept record's aliases, and retracts the other
with "merged into <key>" (records are never deleted). Both records' audit
histories carry a "merge" entry naming the other.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.actors.models import Membership, Person, Unit, UnitParent
from evidence.actors.services import unit_ancestor_ids
from evidence.audit.log import note_record
from evidence.core.messages import Message, message
from evidence.core.validation import ValidationError
from evidence.core.versioning import KeyedRecord
from evidence.exhibits.models import ExhibitLink
from evidence.incidents.models import Incident, Involvement
from evidence.places.models import Place
from evidence.places.services import ancestor_ids
from evidence.records.editing import retract
from evidence.search.normalise import normalise
from evidence.sources.models import Citation, Source
from evidence.statements.models import Statement

MODELS: dict[str, type[KeyedRecord]] = {
    "person": Person,
    "unit": Unit,
    "place": Place,
    "source": Source,
}
KINDS = tuple(MODELS)

# Every foreign key to the merged tables, and what a merge does with it. A test compares
# this with the metadata, so a new link to these tables cannot be forgotten here.
MOVED_FOREIGN_KEYS: dict[str, frozenset[str]] = {
    "person": frozenset(
        {"memberships.person_id", "involvements.person_id", "statements.witness_id"}
    ),
    "unit": frozenset(
        {
            "memberships.unit_id",
            "involvements.unit_id",
            "unit_parents.unit_id",
            "unit_parents.parent_id",
        }
    ),
    "place": frozenset({"incidents.place_id", "places.parent_id"}),
    "source": frozenset({"citations.source_id", "statements.source_id", "exhibit_links.source_id"}),
}
# Link checks and web captures observe the other source's own URL: moved, they would
# make the kept source's link status and "content changed" verdicts describe another
# address. They stay with the retracted source, whose page still shows them.
KEPT_WITH_OTHER: frozenset[str] = frozenset(
    {"link_checks.source_id", "captures.source_id", "capture_jobs.source_id"}
)

# How close two folded names must be (rapidfuzz token_sort_ratio, 0-100, so word order does
# not count) to be shown as a possible duplicate: catches a letter or two of spelling
# (Aleksandr / Alexander) while Minsk and Pinsk, or "Zhodino" and "Zhodino prison", stay
# apart: a warning on every save would teach people to ignore it.
CLOSE_MATCH = 85
DUPLICATES_SHOWN = 5


# What a merge counts in MergeSummary.moved, marked for the catalogs: pages show each
# one translated.
MOVED_LABELS = (
    message("involvements"),
    message("duplicate involvements collapsed"),
    message("memberships"),
    message("duplicate memberships collapsed"),
    message("statements (witness)"),
    message("duplicate unit parent links dropped"),
    message("unit parent links"),
    message("incidents"),
    message("places inside"),
    message("parent place"),
    message("duplicate citations collapsed"),
    message("citations"),
    message("statements (source)"),
    message("duplicate exhibit links collapsed"),
    message("exhibit links"),
)


@dataclass
class MergeSummary:
    kind: str
    keep_key: str
    other_key: str
    moved: Counter[str] = field(default_factory=Counter)
    aliases_added: list[str] = field(default_factory=list)

    def lines(self) -> list[Message]:
        """What moved, one line each, for the command line and the notice."""
        lines = [
            message("%(what)s: %(count)s", what=Message(label), count=count)
            for label, count in sorted(self.moved.items())
            if count
        ]
        if self.aliases_added:
            lines.append(
                message("aliases added: %(aliases)s", aliases=", ".join(self.aliases_added))
            )
        return lines or [message("nothing pointed at the other record")]


def _label(record: KeyedRecord) -> str:
    return getattr(record, "name", None) or getattr(record, "title", "")


def _load(session: Session, model: type[KeyedRecord], key: str | None, field_name: str) -> Any:
    record = session.scalar(select(model).where(model.key == (key or "").strip()))
    if record is None:
        noun = model.__tablename__[:-1]
        raise ValidationError(
            {field_name: message("no %(noun)s has the key %(key)r", noun=Message(noun), key=key)}
        )
    return record


def merge_records(session: Session, kind: str, keep: str, other: str, by: str) -> MergeSummary:
    """Merge the record keyed ``other`` into the one keyed ``keep`` (both of ``kind``).

    Raises ValidationError (naming the field) and changes nothing when the merge is
    refused: unknown kind or key, a record into itself, into a retracted record, an
    already retracted other, or a unit or place into one of its own ancestors or
    descendants (which would make a cycle).
    """
    if kind not in MODELS:
        raise ValidationError(
            {
                "kind": message(
                    "cannot merge %(kind)r: choose one of %(choices)s",
                    kind=kind,
                    choices=", ".join(KINDS),
                )
            }
        )
    model = MODELS[kind]
    kept = _load(session, model, keep, "keep")
    merged = _load(session, model, other, "other")
    _refuse_impossible(session, kind, kept, merged)
    summary = MergeSummary(kind, kept.key, merged.key)
    with session.no_autoflush:
        MOVERS[kind](session, kept, merged, summary.moved)
    session.flush()
    if hasattr(kept, "aliases"):
        summary.aliases_added = _add_aliases(kept, merged)
    # Noted before retracting: the retraction's savepoint is where the hook writes both
    # records' entries, and the notes make those entries say "merge".
    note_record(session, kind, kept.id, f"merged {merged.key} into this {kind}")
    note_record(session, kind, merged.id, f"merged into {kept.key}")
    retract(session, merged, f"merged into {kept.key}", by=by)
    return summary


def _cycle(kind: str, inner: str, outer: str) -> Message:
    return message(
        "%(noun)s %(inner)s lies inside %(outer)s: merging would make a cycle",
        noun=Message(kind),
        inner=inner,
        outer=outer,
    )


def _refuse_impossible(session: Session, kind: str, kept: Any, merged: Any) -> None:
    if kept.id == merged.id:
        raise ValidationError(
            {"other": message("cannot merge a %(noun)s into itself", noun=Message(kind))}
        )
    if kept.is_retracted:
        raise ValidationError(
            {
                "keep": message(
                    "%(noun)s %(key)s is retracted: restore it first or keep another record",
                    noun=Message(kind),
                    key=kept.key,
                )
            }
        )
    if merged.is_retracted:
        raise ValidationError(
            {
                "other": message(
                    "%(noun)s %(key)s is already retracted", noun=Message(kind), key=merged.key
                )
            }
        )
    if kind not in ("unit", "place"):
        return
    if merged.id in _ancestors(session, kind, kept.id):
        raise ValidationError({"keep": _cycle(kind, kept.key, merged.key)})
    if kept.id in _ancestors(session, kind, merged.id):
        raise ValidationError({"other": _cycle(kind, merged.key, kept.key)})


def _ancestors(session: Session, kind: str, record_id: int) -> Collection[int]:
    if kind == "unit":
        return unit_ancestor_ids(session, [record_id])
    return ancestor_ids(session, record_id)


def _add_aliases(kept: Any, merged: Any) -> list[str]:
    known = {name.casefold() for name in [kept.name, *kept.aliases]}
    added = []
    for name in [merged.name, *merged.aliases]:
        if name.casefold() not in known:
            known.add(name.casefold())
            added.append(name)
    if added:
        kept.aliases = [*kept.aliases, *added]
    return added


def _same_citation(a: Citation, b: Citation) -> bool:
    return (a.source_id, a.locator, a.quote) == (b.source_id, b.locator, b.quote)


def _fold_citations(session: Session, into: Any, duplicate: Any) -> None:
    """Give ``into`` the citations of ``duplicate`` it does not already have."""
    for citation in list(duplicate.citations):
        duplicate.citations.remove(citation)
        if any(_same_citation(citation, mine) for mine in into.citations):
            session.delete(citation)
        else:
            citation.position = len(into.citations)
            into.citations.append(citation)


def _move_involvements(
    session: Session, column: str, kept: Any, merged: Any, moved: Counter[str]
) -> None:
    """Point ``merged``'s involvements at ``kept``; one involvement per incident and role."""
    attribute = column.removesuffix("_id")
    mine = session.scalars(select(Involvement).where(getattr(Involvement, column) == kept.id))
    have = {(inv.incident_id, inv.role): inv for inv in mine}
    theirs = session.scalars(select(Involvement).where(getattr(Involvement, column) == merged.id))
    for involvement in list(theirs):
        same = have.get((involvement.incident_id, involvement.role))
        if same is None:
            setattr(involvement, attribute, kept)
            have[(involvement.incident_id, involvement.role)] = involvement
            moved["involvements"] += 1
        else:
            _fold_citations(session, same, involvement)
            involvement.incident.involvements.remove(involvement)
            moved["duplicate involvements collapsed"] += 1


def _membership_after(membership: Membership, attribute: str, kept: Any) -> tuple[Any, ...]:
    """What the membership says once it points at ``kept``: its duplicate test."""
    person_id = kept.id if attribute == "person" else membership.person_id
    unit_id = kept.id if attribute == "unit" else membership.unit_id
    return (person_id, unit_id, membership.title, membership.start, membership.end)


def _move_memberships(
    session: Session, attribute: str, kept: Any, merged: Any, moved: Counter[str]
) -> None:
    column = getattr(Membership, f"{attribute}_id")
    have = {
        _membership_after(membership, attribute, kept): membership
        for membership in session.scalars(select(Membership).where(column == kept.id))
    }
    for membership in list(session.scalars(select(Membership).where(column == merged.id))):
        after = _membership_after(membership, attribute, kept)
        same = have.get(after)
        if same is None:
            setattr(membership, attribute, kept)
            have[after] = membership
            moved["memberships"] += 1
        else:
            _fold_citations(session, same, membership)
            membership.person.memberships.remove(membership)
            moved["duplicate memberships collapsed"] += 1


def _move_persons(session: Session, kept: Person, merged: Person, moved: Counter[str]) -> None:
    _move_memberships(session, "person", kept, merged, moved)
    _move_involvements(session, "person_id", kept, merged, moved)
    for statement in session.scalars(select(Statement).where(Statement.witness_id == merged.id)):
        statement.witness = kept
        moved["statements (witness)"] += 1


def _touching(unit: Unit) -> Any:
    return select(UnitParent).where(
        (UnitParent.unit_id == unit.id) | (UnitParent.parent_id == unit.id)
    )


def _move_units(session: Session, kept: Unit, merged: Unit, moved: Counter[str]) -> None:
    _move_memberships(session, "unit", kept, merged, moved)
    _move_involvements(session, "unit_id", kept, merged, moved)
    seen = {
        (link.unit_id, link.parent_id, link.start, link.end)
        for link in session.scalars(_touching(kept))
    }
    for link in list(session.scalars(_touching(merged))):
        unit = kept if link.unit_id == merged.id else link.unit
        parent = kept if link.parent_id == merged.id else link.parent
        after = (unit.id, parent.id, link.start, link.end)
        if unit.id == parent.id or after in seen:
            link.unit.parent_links.remove(link)
            moved["duplicate unit parent links dropped"] += 1
            continue
        seen.add(after)
        link.unit, link.parent = unit, parent
        moved["unit parent links"] += 1


def _move_places(session: Session, kept: Place, merged: Place, moved: Counter[str]) -> None:
    for incident in session.scalars(select(Incident).where(Incident.place_id == merged.id)):
        incident.place = kept
        moved["incidents"] += 1
    for child in session.scalars(select(Place).where(Place.parent_id == merged.id)):
        child.parent = kept
        moved["places inside"] += 1
    if kept.parent_id is None and merged.parent_id is not None:
        kept.parent = merged.parent
        moved["parent place"] += 1


def _citation_identity(citation: Citation) -> tuple[Any, ...]:
    owner = (citation.incident_id, citation.involvement_id, citation.membership_id)
    return (*owner, citation.locator, citation.quote)


def _move_sources(session: Session, kept: Source, merged: Source, moved: Counter[str]) -> None:
    cited = select(Citation).where(Citation.source_id == kept.id)
    have = {_citation_identity(citation) for citation in session.scalars(cited)}
    for citation in list(session.scalars(select(Citation).where(Citation.source_id == merged.id))):
        if _citation_identity(citation) in have:
            session.delete(citation)
            moved["duplicate citations collapsed"] += 1
        else:
            citation.source = kept
            have.add(_citation_identity(citation))
            moved["citations"] += 1
    for statement in session.scalars(select(Statement).where(Statement.source_id == merged.id)):
        statement.source = kept
        moved["statements (source)"] += 1
    linked_to_kept = select(ExhibitLink.exhibit_id).where(ExhibitLink.source_id == kept.id)
    linked = set(session.scalars(linked_to_kept))
    for link in list(
        session.scalars(select(ExhibitLink).where(ExhibitLink.source_id == merged.id))
    ):
        if link.exhibit_id in linked:
            session.delete(link)
            moved["duplicate exhibit links collapsed"] += 1
        else:
            link.source_id = kept.id
            linked.add(link.exhibit_id)
            moved["exhibit links"] += 1


MOVERS = {
    "person": _move_persons,
    "unit": _move_units,
    "place": _move_places,
    "source": _move_sources,
}


# --- likely duplicates ------------------------------------------------------------------


@dataclass(frozen=True)
class Duplicate:
    key: str
    label: str
    matched: str  # the name or alias that looks like the new one
    exact: bool


def likely_duplicates(
    session: Session,
    kind: str,
    name: str | None,
    aliases: Iterable[str] = (),
    *,
    exclude_ids: Sequence[int] = (),
) -> list[Duplicate]:
    """Records of ``kind`` in use whose name or an alias folds to the same search key as
    ``name`` or one of ``aliases`` (Тарайковский = Taraikovsky), or nearly the same;
    exact matches first."""
    model = MODELS[kind]
    wanted = {folded for folded in map(normalise, [name or "", *aliases]) if folded}
    if not wanted:
        return []
    label = model.name if hasattr(model, "name") else model.title
    columns = [model.id, model.key, label]
    alias_column = getattr(model, "aliases", None)
    stmt = select(*columns, alias_column) if alias_column is not None else select(*columns)
    stmt = stmt.where(model.retracted_at.is_(None))
    if exclude_ids:
        stmt = stmt.where(model.id.not_in(list(exclude_ids)))
    found: list[tuple[float, Duplicate]] = []
    for row in session.execute(stmt):
        best: tuple[float, str] | None = None
        for candidate in [row[2], *(row[3] if alias_column is not None else [])]:
            folded = normalise(candidate)
            if not folded:
                continue
            exact = folded in wanted
            score = 101 if exact else max(fuzz.token_sort_ratio(folded, each) for each in wanted)
            if best is None or score > best[0]:
                best = (score, candidate)
        if best is not None and best[0] >= CLOSE_MATCH:
            duplicate = Duplicate(row[1], row[2], best[1], exact=best[0] > 100)
            found.append((best[0], duplicate))
    found.sort(key=lambda item: (-item[0], item[1].label.casefold()))
    return [duplicate for _score, duplicate in found[:DUPLICATES_SHOWN]]
