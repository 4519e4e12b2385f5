"""Filters combined with the query, and an index kept in step on every write."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import delete, event, func, select, text, true
from sqlalchemy.orm import Session

import evidence.search.services as services
from evidence.actors.services import update_person
from evidence.audit.models import AuditEntry
from evidence.incidents.services import update_incident
from evidence.interchange.services import import_document
from evidence.protection import Protection
from evidence.records.editing import retract
from evidence.search.engine import PostgresEngine, Terms, engine_for
from evidence.search.indexing import reindex
from evidence.search.models import SearchDocument
from evidence.search.normalise import keys
from evidence.search.services import SearchFilters, search
from tests.factories import make_incident, make_person, make_statement
from tests.generate import document
from tests.search.conftest import run

ALMAZ = "Almaz"  # involved in zhodino-beatings (2000/2001) and tarasovo-raid (2019)


def test_date_range_matches_by_overlap_with_uncertain_dates(session, world):
    in_2001 = SearchFilters(date_from=dt.date(2001, 6, 1), date_to=dt.date(2001, 12, 31))
    assert run(session, ALMAZ, filters=in_2001) == {
        "incident:zhodino-beatings",
        "statement:officer-statement",
    }
    assert run(session, ALMAZ, filters=SearchFilters(date_from=dt.date(2010, 1, 1))) == {
        "incident:tarasovo-raid"
    }


def test_unit_filter_includes_sub_units_as_at_the_incident_date(session, world):
    # Almaz was under the ministry from 2000 to 2015: the 2019 raid is not the ministry's.
    under_ministry = SearchFilters(unit=world["mvd"].id)
    found = run(session, ALMAZ, filters=under_ministry)
    assert "incident:zhodino-beatings" in found
    assert "incident:tarasovo-raid" not in found
    assert "incident:tarasovo-raid" in run(
        session, ALMAZ, filters=SearchFilters(unit=world["almaz"].id)
    )


def test_place_filter_includes_places_inside(session, world):
    found = run(session, "shot dead", filters=SearchFilters(place=world["minsk"].id))
    assert found == {"incident:shooting"}
    assert run(session, "shot dead", filters=SearchFilters(place=world["zhodino"].id)) == set()


def test_status_and_protection_level_filters(session, world):
    assert run(session, "Taraikovsky", filters=SearchFilters(status="verified")) == {
        "incident:shooting"
    }
    assert run(session, "Zhodino", filters=SearchFilters(protection="pseudonymous")) == {
        "statement:petrov-statement"
    }


def test_one_dispatcher_runs_the_hooks_and_importing_installs_none(session):
    assert len(session.dispatch.before_commit) == 1
    assert len(session.dispatch.after_flush) == 1
    assert len(Session().dispatch.before_commit) == 0  # a session not made by the app


def test_a_commit_indexes_then_audits(session, world):
    make_person(session, name="Ales Bialiatski", key="bialiatski")
    session.commit()
    assert "person:bialiatski" in run(session, "Bialiatski")
    assert (
        session.scalar(select(AuditEntry.action).where(AuditEntry.record_key == "bialiatski"))
        == "insert"
    )


def test_create_update_and_retract_through_services_reindex(session, world):
    person = make_person(session, name="Mikalai Statkevich", key="statkevich")
    session.commit()
    assert "person:statkevich" in run(session, "Статкевич")
    update_person(session, person, person.version, aliases=["Nikolai Statkevich"])
    session.commit()
    assert "person:statkevich" in run(session, "Nikolay")
    retract(session, person, "duplicate", "tester")
    session.commit()
    assert "person:statkevich" not in run(session, "Statkevich")


def test_renaming_a_person_reindexes_the_incidents_that_name_them(session, world):
    person = world["tarasenko"]
    update_person(session, person, person.version, aliases=["Павел Тарасенко-Зубр"])
    session.commit()
    assert "incident:tarasovo-raid" in run(session, "Zubr")


def test_rolled_back_writes_leave_the_index_alone(session, world):
    make_person(session, name="Never Committed", key="never")
    session.rollback()
    assert run(session, "Never Committed") == set()


def test_the_full_text_index_holds_exactly_the_documents_after_import_edits_and_reindex(
    session, world
):
    imported = document(incidents=30, with_exhibits=False)
    import_document(session, imported)
    session.commit()
    incident = imported["incidents"][7]
    assert f"incident:{incident['key']}" in run(session, incident["key"])
    person = world["taraikovsky"]
    update_person(session, person, person.version, name="Alexander Taraikouski")
    session.commit()
    assert "person:taraikovsky" in run(session, "Taraikouski")
    reindex(session)
    session.commit()
    assert f"incident:{incident['key']}" in run(session, incident["key"])
    if session.get_bind().dialect.name == "sqlite":
        # FTS5 compares its index with the documents, row by row: raises on any difference.
        check = "INSERT INTO search_fts(search_fts, rank) VALUES ('integrity-check', 1)"
        session.execute(text(check))


def test_reindex_command_rebuilds_the_index(app, runner, session, world):
    session.execute(delete(SearchDocument))
    session.commit()
    assert run(session, "Taraikovsky") == set()
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "incident" in result.output
    assert session.scalar(select(func.count()).select_from(SearchDocument)) >= 15
    assert {"person:taraikovsky", "incident:shooting"} <= run(session, "Taraikovsky")


def test_more_matches_than_are_ranked_report_a_capped_total(session, world, monkeypatch):
    # Almaz matches a unit, two incidents and a statement: more than 1 goes the broad way.
    monkeypatch.setattr(services, "RANKED_AT_MOST", 1)
    results = search(session, ALMAZ, protection=Protection.load(session, "internal"))
    incidents = results.group("incident")
    assert (incidents.total, incidents.capped, len(incidents.hits)) == (1, True, 1)
    assert (results.group("unit").total, results.group("unit").capped) == (1, False)
    assert results.capped
    assert "statement:secret-statement" not in run(session, "Zhodino", "public")
    assert run(session, ALMAZ, filters=SearchFilters(date_from=dt.date(2010, 1, 1))) == {
        "incident:tarasovo-raid"
    }


def test_beyond_the_ranked_the_newest_records_come_first_even_when_reindexed(session, monkeypatch):
    monkeypatch.setattr(services, "RANKED_AT_MOST", 2)
    made = [
        make_incident(session, title=f"Kettling on day {n}", status="verified") for n in range(4)
    ]
    session.commit()
    # The oldest is written again: its document is the newest written, not the newest record.
    update_incident(session, made[0], 1, summary="Kettling again")
    session.commit()
    for query, filters in (("kettling", None), ("kettl", SearchFilters(status="verified"))):
        results = search(
            session, query, protection=Protection.load(session, "internal"), filters=filters
        )
        group = results.group("incident")
        assert group.capped
        assert [hit.key for hit in group.hits] == [made[3].key, made[2].key]


def test_a_prefix_finds_every_longer_key_and_the_key_alone(session, world):
    make_person(session, name="Kettlewell Bystander", key="kettlewell")
    make_person(session, name="Kettle Vendor", key="kettle")
    session.commit()
    assert run(session, "Kettl") == {"person:kettlewell", "person:kettle"}
    assert run(session, "Kettlewe") == {"person:kettlewell"}


def test_filters_are_checked_on_the_newest_matches_only_and_say_so(session, monkeypatch):
    # Bounded work: beyond RANKED_AT_MOST matches, only the newest RANKED_AT_MOST + 1 are
    # checked against the filters, and a group short of them is a lower bound, not a count.
    monkeypatch.setattr(services, "RANKED_AT_MOST", 2)
    verified = make_incident(session, title="Kettling at the square", status="verified")
    for n in range(3):
        make_incident(session, title=f"Kettling on day {n}", status="alleged")
    session.commit()
    protection = Protection.load(session, "internal")
    verified_only = SearchFilters(status="verified")
    group = search(session, "kettling", protection=protection, filters=verified_only).group(
        "incident"
    )
    assert (group.total, group.capped, group.at_least, group.hits) == (0, False, True, [])
    # With as few matches as are ranked, every match is checked: the count is exact.
    monkeypatch.setattr(services, "RANKED_AT_MOST", 4)
    group = search(session, "kettling", protection=protection, filters=verified_only).group(
        "incident"
    )
    assert (group.total, group.capped, group.at_least) == (1, False, False)
    assert [hit.key for hit in group.hits] == [verified.key]


def test_ranked_by_how_much_of_a_record_the_words_make_on_both_databases(session):
    sparse = make_incident(
        session, title="Crowd dispersed", summary="After the kettling the crowd walked home."
    )
    dense = make_incident(session, title="Kettling", summary="Kettling, then more kettling.")
    session.commit()
    results = search(session, "kettling", protection=Protection.load(session, "internal"))
    assert [hit.key for hit in results.group("incident").hits] == [dense.key, sparse.key]


@pytest.mark.parametrize("audience", ["internal", "public"])
def test_listing_every_match_or_walking_each_types_newest_shows_the_same(
    session, monkeypatch, audience
):
    # Past RANKED_AT_MOST matches, a search takes each record type's newest either from one
    # list of every match (engines list up to their listed_at_most) or by walking each type
    # backwards: pages, counts and flags must not tell which, whatever the filters.
    monkeypatch.setattr(services, "RANKED_AT_MOST", 2)
    for n in range(5):
        incident = make_incident(
            session, title=f"Kettling on day {n}", status="verified" if n % 2 else "alleged"
        )
        make_statement(
            session, text=f"Kettling seen on day {n}", incidents=[{"incident": incident}]
        )
    make_person(session, name="Kettlewell Bystander")
    make_statement(session, protection="confidential", text="Kettling seen from inside.")
    session.commit()
    protection = Protection.load(session, audience)
    searches = [
        ("kettling", SearchFilters()),
        ("kettl", SearchFilters()),
        ("kettling day", SearchFilters(status="verified")),
        ("kettling", SearchFilters(protection="public")),
    ]
    engine = engine_for(session)

    def shown(listed_at_most: int) -> tuple[list[Any], int]:
        monkeypatch.setattr(engine, "listed_at_most", lambda *_: listed_at_most)
        statements = []
        record = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(session.get_bind(), "before_cursor_execute", record)
        try:
            pages = [
                [
                    (g.entity, g.total, g.capped, g.at_least, [hit.key for hit in g.hits])
                    for g in search(
                        session, query, protection=protection, filters=filters,
                        page=page, per_page=2,
                    ).groups
                ]
                for query, filters in searches
                for page in (1, 2)
            ]  # fmt: skip
        finally:
            event.remove(session.get_bind(), "before_cursor_execute", record)
        return pages, sum(" UNION ALL " in s and " LIMIT " in s for s in statements)

    listed, walks_when_listed = shown(1000)
    walked, walks = shown(0)
    assert listed == walked
    assert any(group[2] for page in listed for group in page)  # some group went past the cap
    assert (walks_when_listed, walks > 0) == (0, True)


# Only PostgreSQL chooses how each word is tested, so only its run of the database fixture.
@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.pg)], indirect=True
)
@pytest.mark.parametrize(
    "query", ["Almaz Zhodino", "beat Zhodino", "prisoners Almaz officers", "Taraykovsky funeral"]
)
def test_a_common_word_tested_on_the_rows_the_rare_words_find_matches_the_same(
    session, world, query
):
    # PostgreSQL tests a word the planner expects in most documents on each row the rarer
    # words find, instead of through the index: the documents found must be the same.
    engine = engine_for(session)
    assert isinstance(engine, PostgresEngine)
    words = [[key] for key in keys(query)]
    common = engine.LISTED_AT_MOST + 1

    def found(estimates: list[float]) -> set[int]:
        terms = Terms(words, estimates=estimates)
        return set(session.scalars(engine.matching(terms, (SearchDocument.id,), true())))

    everywhere = found([1] * len(words))
    assert everywhere
    for n in range(len(words)):
        assert found([common if i == n else 1 for i in range(len(words))]) == everywhere
        assert found([1 if i == n else common for i in range(len(words))]) == everywhere
