"""Merging duplicates: every link moves, duplicate links collapse, the other is retracted,
both histories say so, and impossible merges are refused without a write."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.actors.models import Person, Unit
from evidence.audit.services import history
from evidence.core.timestamps import utcnow
from evidence.core.validation import ValidationError
from evidence.db import Base
from evidence.exhibits.models import ExhibitLink
from evidence.incidents.models import Involvement
from evidence.merging.services import (
    KEPT_WITH_OTHER,
    MODELS,
    MOVED_FOREIGN_KEYS,
    likely_duplicates,
    merge_records,
)
from evidence.places.models import Place
from evidence.sources.models import Citation, Source
from tests.factories import (
    citation,
    involvement,
    make_incident,
    make_person,
    make_place,
    make_source,
    make_statement,
    make_unit,
)


def test_every_foreign_key_to_a_merged_table_is_handled() -> None:
    for kind, model in MODELS.items():
        table = model.__table__
        pointing = {
            f"{fk.parent.table.name}.{fk.parent.name}"
            for other in Base.metadata.tables.values()
            for fk in other.foreign_keys
            if fk.column.table is table
        }
        handled = MOVED_FOREIGN_KEYS[kind] | KEPT_WITH_OTHER
        assert pointing - handled == set(), f"merge_records does not handle links to {kind}"


def test_person_merge_moves_memberships_involvements_and_statements(session: Session) -> None:
    source = make_source(session, key="interview")
    omon = make_unit(session, name="OMON", key="omon")
    keep = make_person(session, name="Alexander Taraikovsky", key="taraikovsky")
    other = make_person(
        session,
        name="Тарайковский",
        key="tarajkovskij",
        aliases=["Taraykovsky"],
        memberships=[{"unit": omon, "title": "driver", "citations": [citation(source)]}],
    )
    shared = make_incident(
        session,
        key="shooting",
        involvements=[
            involvement(person=keep, role="victim"),
            involvement(person=other, role="victim", citations=[citation(source, locator="p. 2")]),
        ],
    )
    separate = make_incident(session, key="arrest", involvements=[involvement(person=other)])
    statement = make_statement(session, key="statement-1", witness=other)
    session.commit()

    summary = merge_records(session, "person", "taraikovsky", "tarajkovskij", by="tester")
    session.commit()

    assert [m.unit.key for m in keep.memberships] == ["omon"]
    victims = session.scalars(select(Involvement).where(Involvement.incident_id == shared.id))
    victims = list(victims)
    assert [inv.person_id for inv in victims] == [keep.id], "duplicate involvement collapsed"
    assert [c.locator for c in victims[0].citations] == ["p. 2"], "its citation kept"
    assert separate.involvements[0].person_id == keep.id
    assert statement.witness_id == keep.id
    assert keep.aliases == ["Тарайковский", "Taraykovsky"]
    assert other.retraction_reason == "merged into taraikovsky"
    assert summary.moved["duplicate involvements collapsed"] == 1
    assert summary.moved["involvements"] == 1
    kept_history = history(session, "person", keep.id)
    other_history = history(session, "person", other.id)
    assert kept_history[0].action == "merge"
    assert kept_history[0].detail == "merged tarajkovskij into this person"
    assert other_history[0].action == "merge"
    assert other_history[0].detail == "merged into taraikovsky"
    assert "retracted" in other_history[0].changes


def test_unit_merge_moves_parents_children_and_drops_duplicate_links(session: Session) -> None:
    ministry = make_unit(session, name="MVD", key="mvd")
    keep = make_unit(session, name="OMON", key="omon", parents=[{"unit": ministry}])
    other = make_unit(session, name="АМАП", key="amap", parents=[{"unit": ministry}])
    child = make_unit(session, name="Company 1", key="company-1", parents=[{"unit": other}])
    person = make_person(session, memberships=[{"unit": keep}, {"unit": other}])
    session.commit()

    summary = merge_records(session, "unit", "omon", "amap", by="tester")
    session.commit()

    assert [link.parent.key for link in keep.parent_links] == ["mvd"]
    assert [link.parent.key for link in child.parent_links] == ["omon"]
    assert [m.unit_id for m in person.memberships] == [keep.id]
    assert summary.moved["duplicate unit parent links dropped"] == 1
    assert summary.moved["duplicate memberships collapsed"] == 1
    assert keep.aliases == ["АМАП"]
    assert other.is_retracted


def test_place_merge_moves_incidents_and_children(session: Session) -> None:
    country = make_place(session, name="Belarus", key="belarus", kind="region")
    keep = make_place(session, name="Minsk", key="minsk")
    other = make_place(session, name="Мінск", key="minsk-2", parent=country)
    street = make_place(session, name="Pushkinskaya", key="pushkinskaya", parent=other)
    incident = make_incident(session, place=other)
    session.commit()

    merge_records(session, "place", "minsk", "minsk-2", by="tester")
    session.commit()

    assert incident.place_id == keep.id
    assert street.parent_id == keep.id
    assert keep.parent_id == country.id, "the kept place had no parent: it takes the other's"
    assert other.retraction_reason == "merged into minsk"


def test_source_merge_moves_citations_statements_and_exhibit_links(session: Session) -> None:
    from evidence.exhibits.models import Exhibit

    keep = make_source(session, title="Interview", key="interview")
    other = make_source(session, title="Interview (copy)", key="interview-copy")
    incident = make_incident(
        session,
        citations=[citation(keep, locator="p. 1"), citation(other, locator="p. 1")],
    )
    membership_owner = make_person(
        session, memberships=[{"unit": make_unit(session), "citations": [citation(other)]}]
    )
    statement = make_statement(session, source=other)
    exhibit = Exhibit(
        key="video", sha256="0" * 64, filename="v.mp4", media_type="video/mp4", size=1
    )
    session.add(exhibit)
    session.flush()
    session.add_all([ExhibitLink(exhibit_id=exhibit.id, source_id=s.id) for s in (keep, other)])
    session.commit()

    summary = merge_records(session, "source", "interview", "interview-copy", by="tester")
    session.commit()

    session.expire_all()
    assert [c.source_id for c in incident.citations] == [keep.id], "same locator collapsed"
    cited = membership_owner.memberships[0].citations
    assert [c.source_id for c in cited] == [keep.id]
    assert statement.source_id == keep.id
    links = session.scalars(select(ExhibitLink).where(ExhibitLink.exhibit_id == exhibit.id))
    assert [link.source_id for link in links] == [keep.id]
    assert session.scalar(select(Citation).where(Citation.source_id == other.id)) is None
    assert summary.moved["duplicate citations collapsed"] == 1
    assert summary.moved["duplicate exhibit links collapsed"] == 1
    assert session.get(Source, other.id).retraction_reason == "merged into interview"


@pytest.mark.parametrize(
    ("kind", "keep", "other", "field", "message"),
    [
        ("person", "a", "a", "other", "cannot merge a person into itself"),
        ("person", "a", "retracted", "other", "already retracted"),
        ("person", "retracted", "a", "keep", "is retracted"),
        ("person", "a", "nobody", "other", "no person has the key 'nobody'"),
        ("person", "a", "omon", "other", "no person has the key 'omon'"),
        ("incident", "a", "b", "kind", "choose one of person, unit, place, source"),
        ("unit", "company", "omon", "keep", "lies inside omon"),
        ("unit", "omon", "company", "other", "lies inside omon"),
        ("place", "street", "minsk", "keep", "lies inside minsk"),
    ],
)
def test_impossible_merges_are_refused_and_change_nothing(
    session: Session, kind: str, keep: str, other: str, field: str, message: str
) -> None:
    make_person(session, name="A", key="a")
    retracted = make_person(session, name="R", key="retracted")
    retracted.retracted_at = utcnow()
    omon = make_unit(session, name="OMON", key="omon")
    make_unit(session, name="Company", key="company", parents=[{"unit": omon}])
    minsk = make_place(session, name="Minsk", key="minsk")
    make_place(session, name="Street", key="street", parent=minsk)
    session.commit()

    with pytest.raises(ValidationError) as refused:
        merge_records(session, kind, keep, other, by="tester")
    session.rollback()

    assert message in refused.value.errors[field]
    assert session.scalar(select(Person.id).where(Person.retracted_at.is_not(None))) == retracted.id
    assert not any(u.is_retracted for u in session.scalars(select(Unit)))
    assert not any(p.is_retracted for p in session.scalars(select(Place)))


def test_likely_duplicates_match_across_scripts_and_spellings(session: Session) -> None:
    make_person(session, name="Alexander Taraikovsky", key="taraikovsky")
    make_person(session, name="Ivan Petrov", key="petrov", aliases=["Тарайкоўскі"])
    make_person(session, name="Alexander Lukashenko", key="lukashenko")
    make_person(session, name="Retracted Taraikovsky", key="gone").retracted_at = utcnow()
    session.flush()

    exact = likely_duplicates(session, "person", "Taraykovsky")
    close = likely_duplicates(session, "person", "Александр Тарайковский")
    by_alias = likely_duplicates(session, "person", "New name", aliases=["Тарайковский"])

    assert [(d.key, d.exact) for d in exact] == [("petrov", True)]
    assert exact[0].matched == "Тарайкоўскі"
    assert [(d.key, d.exact) for d in close] == [("taraikovsky", False)]
    assert [d.key for d in by_alias] == ["petrov"]
    assert likely_duplicates(session, "person", "Taraikovsky Aleksandr")[0].key == "taraikovsky"
    assert likely_duplicates(session, "person", "Completely Different") == []
    assert likely_duplicates(session, "person", "Alexander Lukashenka")[0].key == "lukashenko"


def test_likely_duplicates_of_sources_compare_whole_titles(session: Session) -> None:
    make_source(session, title="Interview with a former Almaz officer", key="interview")
    session.flush()

    assert [
        d.key
        for d in likely_duplicates(session, "source", "Interview with a former Almaz officer.")
    ] == ["interview"]
    assert likely_duplicates(session, "source", "Interview") == []
