import datetime as dt

import pytest
from sqlalchemy import select

from evidence.actors.models import Membership, UnitParent
from evidence.actors.services import (
    load_person,
    load_unit,
    unit_ancestor_ids,
    units_at,
    units_under,
    update_person,
    update_unit,
)
from evidence.audit.models import AuditEntry
from evidence.core.validation import ValidationError
from evidence.records.editing import Conflict
from tests.factories import (
    citation,
    involvement,
    make_incident,
    make_person,
    make_source,
    make_statement,
    make_unit,
)


def test_parent_links_store_edtf_and_derived_bounds(session):
    ministry = make_unit(session, name="Ministry of Internal Affairs", kind="ministry")
    unit = make_unit(session, name="Almaz", parents=[{"unit": ministry.key, "start": "1994?"}])
    link = unit.parent_links[0]
    assert (link.parent, link.start, link.end) == (ministry, "1994?", None)
    assert (link.valid_from, link.valid_until) == (dt.date(1994, 1, 1), None)
    update_unit(session, unit, unit.version, parents=[{"unit": ministry, "end": "2000/2001"}])
    link = unit.parent_links[0]
    assert (link.valid_from, link.valid_until) == (None, dt.date(2001, 12, 31))


@pytest.mark.parametrize(
    ("parents", "field", "words"),
    [
        ([{"unit": "nope"}], "parents-0-unit", ['no unit with key "nope"']),
        ([{"unit": "top", "start": "soon"}], "parents-0-start", ['"soon"']),
        ([{"unit": "top", "start": "2005", "end": "2001"}], "parents-0-end", ["before"]),
        ([{"unit": "", "start": "2001"}], "parents-0-unit", ["required"]),
    ],
)
def test_invalid_parents_name_the_field(session, parents, field, words):
    make_unit(session, key="top")
    unit = make_unit(session)
    version = unit.version
    with pytest.raises(ValidationError) as caught:
        update_unit(session, unit, version, parents=parents)
    for word in words:
        assert word in caught.value.errors[field]
    assert unit.parent_links == [] and unit.version == version


def test_kind_lists_allowed_values(session):
    with pytest.raises(ValidationError) as caught:
        make_unit(session, kind="gang")
    assert "ministry, police, special-forces" in caught.value.errors["kind"]


def test_a_unit_cannot_be_its_own_ancestor(session):
    ministry = make_unit(session, kind="ministry")
    regiment = make_unit(session, parents=[{"unit": ministry}])
    company = make_unit(session, parents=[{"unit": regiment}])
    with pytest.raises(ValidationError) as caught:
        update_unit(session, ministry, ministry.version, parents=[{"unit": company}])
    assert "under itself" in caught.value.errors["parents-0-unit"]
    with pytest.raises(ValidationError):
        update_unit(session, ministry, ministry.version, parents=[{"unit": ministry}])
    assert session.scalars(select(UnitParent).where(UnitParent.unit_id == ministry.id)).all() == []


def test_unit_ancestor_ids_climbs_every_parent_link_of_every_unit(session):
    kgb = make_unit(session, name="KGB", kind="security-service")
    mvd = make_unit(session, name="MVD", kind="ministry")
    guard = make_unit(session, name="Guard", parents=[{"unit": mvd, "end": "2000"}])
    almaz = make_unit(session, name="Almaz", parents=[{"unit": guard}, {"unit": kgb}])
    lone = make_unit(session, name="Lone")
    assert unit_ancestor_ids(session, [almaz.id]) == {guard.id, mvd.id, kgb.id}
    assert unit_ancestor_ids(session, [guard.id, lone.id]) == {mvd.id}
    assert unit_ancestor_ids(session, []) == set()


def test_units_under_spans_the_time_every_link_on_the_way_down_held(session):
    mvd = make_unit(session, name="MVD", kind="ministry")
    guard = make_unit(
        session, name="Guard", parents=[{"unit": mvd, "start": "1995", "end": "2005"}]
    )
    almaz = make_unit(session, name="Almaz", parents=[{"unit": guard, "start": "2000"}])
    make_unit(session, name="Elsewhere")
    tree = units_under(mvd.id)
    rows = session.execute(select(tree.c.id, tree.c.since, tree.c.until)).all()
    assert sorted(rows) == sorted(
        [
            (mvd.id, None, None),
            (guard.id, dt.date(1995, 1, 1), dt.date(2005, 12, 31)),
            (almaz.id, dt.date(2000, 1, 1), dt.date(2005, 12, 31)),
        ]
    )


def test_units_at_follows_the_chain_of_command_at_a_date(session):
    kgb = make_unit(session, name="KGB", kind="security-service")
    mvd = make_unit(session, name="MVD", kind="ministry")
    guard = make_unit(session, name="Guard", parents=[{"unit": mvd, "end": "2000"}])
    almaz = make_unit(
        session,
        name="Almaz",
        parents=[
            {"unit": guard, "start": "1994", "end": "2002"},
            {"unit": kgb, "start": "2003?"},
        ],
    )
    lone = make_unit(session, name="Lone")
    chains = units_at(session, [almaz.id, lone.id], dt.date(1999, 5, 1))
    assert [u.name for u in chains[almaz.id]] == ["Guard", "MVD"]
    assert chains[lone.id] == []
    assert [u.name for u in units_at(session, [almaz.id], dt.date(2001, 5, 1))[almaz.id]] == [
        "Guard"
    ]
    assert [u.name for u in units_at(session, [almaz.id], dt.date(2010, 1, 1))[almaz.id]] == ["KGB"]


def test_memberships_with_citations(session):
    source = make_source(session)
    omon = make_unit(session, name="OMON")
    almaz = make_unit(session, name="Almaz")
    person = make_person(
        session,
        name="Yury Garavski",
        aliases="Юрий Гаравский\nGaravsky",
        memberships=[
            {
                "unit": omon,
                "title": "officer",
                "start": "1997",
                "end": "1999",
                "citations": [citation(source, locator="00:12:30")],
            },
            {"unit": almaz.key, "title": None, "start": "1999-06", "end": None},
        ],
    )
    assert person.aliases == ["Юрий Гаравский", "Garavsky"]
    assert person.memberships[0].citations[0].locator == "00:12:30"
    assert [(m.unit.name, m.start) for m in person.memberships] == [
        ("OMON", "1997"),
        ("Almaz", "1999-06"),
    ]


def test_membership_errors_name_nested_fields(session):
    person = make_person(session)
    with pytest.raises(ValidationError) as caught:
        update_person(
            session,
            person,
            person.version,
            memberships=[{"unit": "ghost", "citations": [citation("nosource")]}],
        )
    assert set(caught.value.errors) == {"memberships-0-unit", "memberships-0-citations-0-source"}
    assert session.scalars(select(Membership)).all() == []


def test_person_changes_are_audited_and_conflicts_detected(session):
    person = make_person(session, name="Naumov")
    session.commit()
    seen = person.version
    update_person(session, person, seen, notes="Minister 2000-2009")
    session.commit()
    with pytest.raises(Conflict):
        update_person(session, person, seen, notes="overwrite")
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "person", AuditEntry.record_id == person.id)
    ).all()
    assert [e.action for e in entries] == ["insert", "update"]
    assert entries[1].changes["notes"] == [None, "Minister 2000-2009"]


def test_unit_and_person_detail(session):
    source = make_source(session)
    ministry = make_unit(session, name="MVD", kind="ministry")
    unit = make_unit(session, name="Almaz", parents=[{"unit": ministry, "start": "1994"}])
    make_unit(session, name="Almaz group 1", parents=[{"unit": unit}])
    person = make_person(session, memberships=[{"unit": unit, "citations": [citation(source)]}])
    incident = make_incident(
        session,
        involvements=[
            involvement(unit=unit, citations=[citation(source)]),
            involvement(person=person, role="commander"),
        ],
    )
    make_statement(session, witness=person, incidents=[{"incident": incident}])
    session.commit()
    session.expunge_all()
    detail = load_unit(session, unit.id)
    assert [link.parent.name for link in detail.parent_links] == ["MVD"]
    assert [link.unit.name for link in detail.child_links] == ["Almaz group 1"]
    assert [m.person.name for m in detail.memberships] == [person.name]
    assert [i.incident.title for i in detail.involvements] == [incident.title]
    assert detail.involvements[0].citations[0].source.title == source.title
    seen = load_person(session, person.id)
    assert [m.unit.name for m in seen.memberships] == ["Almaz"]
    assert [i.role for i in seen.involvements] == ["commander"]
    assert [s.incident_links[0].incident.title for s in seen.statements] == [incident.title]


def test_unit_detail_loads_only_the_latest_involvements(session):
    unit = make_unit(session, name="Alpha")
    for year in (2003, 2001, 2004, 2002):
        make_incident(
            session, title=f"In {year}", date=str(year), involvements=[involvement(unit=unit)]
        )
    session.commit()
    detail = load_unit(session, unit.id, involvement_limit=3)
    assert detail.involvement_total == 4
    assert [i.incident.title for i in detail.involvements] == ["In 2002", "In 2003", "In 2004"]
    assert len(load_unit(session, unit.id).involvements) == 4
