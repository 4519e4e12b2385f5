import datetime as dt

import pytest
from sqlalchemy import event, func, select

from evidence.audit.models import AuditEntry
from evidence.core.validation import ValidationError
from evidence.incidents.models import Incident, Involvement
from evidence.incidents.services import (
    IncidentFilters,
    citation_counts,
    list_incidents,
    load_incident,
    update_incident,
)
from evidence.lookup.services import autocomplete
from evidence.records.editing import Conflict, retract
from evidence.search.services import SearchFilters
from tests.factories import (
    citation,
    involvement,
    make_incident,
    make_person,
    make_place,
    make_source,
    make_statement,
    make_unit,
    make_violation_type,
)


def titles(page):
    return sorted(incident.title for incident in page.items)


def test_create_derives_date_bounds_and_links_everything(session):
    source = make_source(session)
    unit = make_unit(session, name="Almaz")
    beating = make_violation_type(session, label="Beating")
    incident = make_incident(
        session,
        title="Beatings in Zhodino",
        date="2000/2001",
        place=make_place(session, name="Zhodino prison", kind="prison").key,
        violations=[beating.key, beating.id],
        citations=[citation(source, locator="p. 3", credibility="2")],
        involvements=[involvement(unit=unit.key, citations=[citation(source.key)])],
    )
    assert incident.key == "beatings-in-zhodino"
    assert (incident.earliest, incident.latest) == (dt.date(2000, 1, 1), dt.date(2001, 12, 31))
    assert [link.violation_type for link in incident.violation_links] == [beating]
    assert incident.citations[0].credibility == 2
    assert incident.involvements[0].unit is unit
    assert incident.involvements[0].citations[0].source is source


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"date": "2020-13-45"}, "date", ['"2020-13-45"', "EDTF"]),
        ({"date": ""}, "date", ["required"]),
        ({"status": "rumour"}, "status", ["alleged, corroborated, verified, disputed"]),
        ({"violations": ["nope"]}, "violations-0", ['no violation type with key "nope"']),
        (
            {"citations": [{"source": "missing", "credibility": 3}]},
            "citations-0-source",
            ['no source with key "missing"'],
        ),
        (
            {"involvements": [involvement(citations=[citation("s")])]},
            "involvements-0-unit",
            ["unit or a person"],
        ),
        (
            {"involvements": [involvement(unit="u", person="p")]},
            "involvements-0-person",
            ["not both"],
        ),
        (
            {"involvements": [involvement(unit="u", role="bystander")]},
            "involvements-0-role",
            ["perpetrator, commander, present, victim, witness"],
        ),
        (
            {"involvements": [involvement(unit="u", confidence="sure")]},
            "involvements-0-confidence",
            ["low, medium, high"],
        ),
    ],
)
def test_invalid_input_names_the_field_and_changes_nothing(session, fields, field, words):
    make_unit(session, key="u")
    make_person(session, key="p")
    make_source(session, key="s")
    incident = make_incident(session, title="Original", date="2020-08-10")
    session.commit()
    version = incident.version
    with pytest.raises(ValidationError) as caught:
        update_incident(session, incident, version, **fields)
    assert field in caught.value.errors, caught.value.errors
    for word in words:
        assert word in caught.value.errors[field]
    session.expire_all()
    stored = session.get(Incident, incident.id)
    assert (stored.title, stored.date, stored.version) == ("Original", "2020-08-10", version)
    assert stored.involvements == [] and stored.citations == []


def test_credibility_must_be_one_to_six(session):
    source = make_source(session)
    with pytest.raises(ValidationError) as caught:
        make_incident(session, citations=[citation(source, credibility=7)])
    assert "1, 2, 3, 4, 5, 6" in caught.value.errors["citations-0-credibility"]
    assert session.scalar(select(func.count()).select_from(Incident)) == 0


def test_every_change_is_audited_and_child_edits_bump_the_version(session):
    source = make_source(session)
    incident = make_incident(session)
    session.commit()
    version = incident.version
    update_incident(session, incident, version, citations=[citation(source)])
    session.commit()
    assert incident.version == version + 1
    retract(session, incident, "entered twice", by="tester")
    session.commit()
    actions = session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.entity == "incident", AuditEntry.record_id == incident.id)
        .order_by(AuditEntry.seq)
    ).all()
    assert actions == ["insert", "update", "retract"]


def test_conflict_keeps_the_other_edit(session):
    incident = make_incident(session, title="First")
    session.commit()
    seen = incident.version
    update_incident(session, incident, seen, title="Second")
    session.commit()
    with pytest.raises(Conflict) as caught:
        update_incident(session, incident, seen, title="Third", status="verified")
    assert caught.value.current["title"] == "Second"
    assert caught.value.attempted == {"title": "Third", "status": "verified"}
    assert incident.title == "Second"


def test_concurrent_write_at_flush_becomes_conflict(session):
    incident = make_incident(session, title="First")
    session.commit()
    # Another transaction bumps the row after this session loaded it.
    session.execute(
        Incident.__table__.update()
        .where(Incident.id == incident.id)
        .values(version=incident.version + 1, title="Theirs")
    )
    with pytest.raises(Conflict) as caught:
        update_incident(session, incident, incident.version, title="Mine")
    assert caught.value.current["title"] == "Theirs"


def test_date_filter_matches_uncertain_dates_by_overlap(session):
    make_incident(session, title="Zhodino", date="2000/2001")
    make_incident(session, title="Minsk", date="2020-08-10")
    make_incident(session, title="Open", date="1998/..")

    def found(start, end):
        return titles(list_incidents(session, IncidentFilters(date_from=start, date_to=end)))

    assert found(dt.date(2001, 6, 1), dt.date(2002, 1, 1)) == ["Open", "Zhodino"]
    assert found(dt.date(2002, 1, 1), dt.date(2003, 1, 1)) == ["Open"]
    assert found(None, dt.date(1999, 1, 1)) == ["Open"]
    assert found(dt.date(2020, 8, 10), None) == ["Minsk", "Open"]


def test_filters_by_place_subtree_unit_violation_status_and_retraction(session):
    country = make_place(session, name="Belarus", kind="region")
    city = make_place(session, name="Minsk", parent=country)
    street = make_place(session, name="Pushkinskaya", kind="street", parent=city)
    elsewhere = make_place(session, name="Vilnius")
    unit = make_unit(session, name="OMON")
    killing = make_violation_type(session, label="Killing")
    make_incident(
        session,
        title="Shooting",
        place=street,
        violations=[killing],
        status="corroborated",
        involvements=[involvement(unit=unit)],
    )
    make_incident(session, title="Abroad", place=elsewhere)
    gone = make_incident(session, title="Retracted", place=city)
    retract(session, gone, "wrong", by="tester")

    assert titles(list_incidents(session, IncidentFilters(place=country.id))) == ["Shooting"]
    assert titles(list_incidents(session, IncidentFilters(place=street.id))) == ["Shooting"]
    with_retracted = IncidentFilters(place=city.id, include_retracted=True)
    assert titles(list_incidents(session, with_retracted)) == ["Retracted", "Shooting"]
    assert titles(list_incidents(session, IncidentFilters(unit=unit.id))) == ["Shooting"]
    assert titles(list_incidents(session, IncidentFilters(violation_type=killing.id))) == [
        "Shooting"
    ]
    assert titles(list_incidents(session, IncidentFilters(status="corroborated"))) == ["Shooting"]


def test_unit_filter_includes_sub_units_while_they_were_under_it(session):
    ministry = make_unit(session, name="MVD", kind="ministry")
    kgb = make_unit(session, name="KGB", kind="security-service")
    almaz = make_unit(
        session,
        name="Almaz",
        parents=[
            {"unit": ministry, "start": "2000", "end": "2015"},
            {"unit": kgb, "start": "2016"},
        ],
    )
    squad = make_unit(session, name="Squad", parents=[{"unit": almaz}])
    make_incident(
        session, title="Zhodino", date="2000/2001", involvements=[involvement(unit=almaz)]
    )
    make_incident(session, title="Raid", date="2019", involvements=[involvement(unit=squad)])
    make_incident(session, title="Span", date="2014/2017", involvements=[involvement(unit=squad)])

    def under(unit):
        return titles(list_incidents(session, IncidentFilters(unit=unit.id)))

    assert under(ministry) == ["Span", "Zhodino"]
    assert under(kgb) == ["Raid", "Span"]
    assert under(almaz) == ["Raid", "Span", "Zhodino"]
    assert under(squad) == ["Raid", "Span"]


def test_the_search_applies_the_incident_lists_filters(session):
    ministry = make_unit(session, name="MVD", kind="ministry")
    almaz = make_unit(session, name="Almaz", parents=[{"unit": ministry, "end": "2015"}])
    make_incident(session, title="Zhodino", date="2001", involvements=[involvement(unit=almaz)])
    make_incident(session, title="Raid", date="2019", involvements=[involvement(unit=almaz)])
    filters = SearchFilters(unit=ministry.id, date_from=dt.date(2000, 1, 1))
    listed = list_incidents(session, filters.incident_filters())
    assert titles(listed) == ["Zhodino"]
    assert filters.incident_filters().include_retracted  # the search marks retracted hits


def test_text_search_matches_titles_and_aliases_of_linked_records(session):
    person = make_person(session, name="Alexander Taraikovsky", aliases=["Тарайковский"])
    unit = make_unit(session, name="Almaz", aliases=["Алмаз", "SWAT"])
    place = make_place(session, name="Zhodino", aliases=["Жодино"])
    make_incident(session, title="Shooting", involvements=[involvement(person=person)])
    make_incident(session, title="Beatings", place=place, involvements=[involvement(unit=unit)])
    make_incident(session, title="Unrelated")

    def search(text, **extra):
        return titles(list_incidents(session, IncidentFilters(text=text, **extra)))

    assert search("shoot") == ["Shooting"]
    assert search("taraikovsky") == ["Shooting"]
    assert search("Тарайковский") == ["Shooting"]
    assert search("Алмаз") == ["Beatings"]
    assert search("swat") == ["Beatings"]
    assert search("Жодино") == ["Beatings"]
    assert search("100%") == []
    assert search("Taraikovsky", hidden_person_ids=frozenset({person.id})) == []


def test_pagination_counts_every_match(session):
    for day in range(1, 8):
        make_incident(session, title=f"Day {day}", date=f"2020-08-{day:02d}")
    first = list_incidents(session, page=1, per_page=3)
    last = list_incidents(session, page=3, per_page=3)
    assert first.total == 7 and first.pages == 3
    assert [i.title for i in first.items] == ["Day 7", "Day 6", "Day 5"]
    assert [i.title for i in last.items] == ["Day 1"]


def test_citation_counts_flag_unsourced_incidents(session):
    source = make_source(session)
    unit = make_unit(session)
    sourced = make_incident(
        session,
        citations=[citation(source)],
        involvements=[involvement(unit=unit, citations=[citation(source), citation(source)])],
    )
    bare = make_incident(session)
    assert citation_counts(session, [sourced.id, bare.id]) == {sourced.id: 3, bare.id: 0}


def test_detail_loader_brings_everything_the_page_shows(session):
    source = make_source(session)
    unit = make_unit(session)
    incident = make_incident(
        session,
        place=make_place(session),
        citations=[citation(source)],
        involvements=[involvement(unit=unit, citations=[citation(source, quote="he fired")])],
    )
    make_statement(session, incidents=[{"incident": incident, "excerpt": "I saw it"}])
    session.commit()
    session.expunge_all()
    detail = load_incident(session, incident.id)
    assert detail.incident.involvements[0].citations[0].quote == "he fired"
    assert detail.statement_links[0].excerpt == "I saw it"
    assert detail.statement_links[0].statement.protection == "public"
    assert load_incident(session, 999999) is None


@pytest.fixture
def statement_counter(connection):
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    yield statements
    event.remove(connection, "before_cursor_execute", count)


def _incident_with(session, links):
    source = make_source(session)
    violations = [make_violation_type(session) for _ in range(links)]
    units = [make_unit(session) for _ in range(links)]
    incident = make_incident(
        session,
        place=make_place(session),
        violations=violations,
        citations=[citation(source) for _ in range(links)],
        involvements=[
            involvement(unit=unit, citations=[citation(source) for _ in range(links)])
            for unit in units
        ],
    )
    for _ in range(links):
        make_statement(session, incidents=[{"incident": incident, "excerpt": "seen"}])
    session.commit()
    return incident


@pytest.mark.parametrize("loader", ["detail", "list"])
def test_query_count_does_not_grow_with_linked_records(session, statement_counter, loader):
    counts = []
    for links in (2, 20):
        incident = _incident_with(session, links)
        session.expunge_all()
        statement_counter.clear()
        if loader == "detail":
            detail = load_incident(session, incident.id)
            rendered = [
                (inv.unit.name, [c.source.title for c in inv.citations])
                for inv in detail.incident.involvements
            ]
            rendered += [(s.statement.key, s.excerpt) for s in detail.statement_links]
            rendered += [v.violation_type.label for v in detail.incident.violation_links]
            rendered += [c.source.title for c in detail.incident.citations]
        else:
            page = list_incidents(session, IncidentFilters(text="incident"), per_page=100)
            rendered = [
                (i.place.name, [v.violation_type.label for v in i.violation_links])
                for i in page.items
            ]
        assert rendered
        counts.append(len(statement_counter))
    assert counts[0] == counts[1], counts


def test_involvement_of_a_person_is_listed(session):
    person = make_person(session)
    incident = make_incident(session, involvements=[involvement(person=person, role="victim")])
    stored = session.scalars(select(Involvement).where(Involvement.incident_id == incident.id))
    assert [(i.person_id, i.unit_id, i.role) for i in stored] == [(person.id, None, "victim")]


def test_autocomplete_matches_names_aliases_and_skips_retracted(session):
    kept = make_person(session, name="Dmitry Pavlichenko", aliases=["Павличенко"])
    gone = make_person(session, name="Pavlichenko duplicate")
    retract(session, gone, "duplicate", by="tester")
    assert [s.id for s in autocomplete(session, "persons", "павличенко")] in ([kept.id], [])
    assert [s.id for s in autocomplete(session, "persons", "Павличенко")] == [kept.id]
    assert [s.id for s in autocomplete(session, "persons", "pavli")] == [kept.id]
    assert autocomplete(session, "persons", "pavli", exclude_ids=[kept.id]) == []
    source = make_source(session, title="Interview with an Almaz officer")
    assert [s.key for s in autocomplete(session, "sources", "almaz")] == [source.key]
    with pytest.raises(ValidationError):
        autocomplete(session, "planets", "x")
