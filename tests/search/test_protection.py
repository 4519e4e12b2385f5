"""For a viewer, protected witnesses stay hidden: not findable by name, shown only by pseudonym."""

from __future__ import annotations

import pytest

import evidence.search.services as services
from evidence.protection import Protection
from evidence.search.services import search
from tests.factories import make_incident, make_statement
from tests.search.conftest import run

PETROV_SPELLINGS = ["Petrov", "Ivan Petrov", "Петров", "Ваня", "Petrof", "Ivan"]


@pytest.mark.parametrize("query", PETROV_SPELLINGS)
def test_viewer_finds_nothing_by_a_protected_name(session, world, query):
    assert run(session, query, "public") == set()


def test_internal_audience_finds_the_witness_by_name(session, world):
    found = run(session, "Petrov")
    assert {"person:petrov", "statement:petrov-statement", "incident:zhodino-beatings"} <= found


def test_viewer_finds_protected_person_only_by_pseudonym(session, world):
    protection = Protection.load(session, "public")
    results = search(session, "Witness P", protection=protection)
    person = results.group("person").hits[0]
    assert (person.label, person.key, person.record_id) == ("Witness P", None, None)
    # The key "petrov-statement" names the witness, so the hit is shown by its label only.
    assert "statement:Statement of Witness P" in run(session, "Witness P", "public")


def test_viewer_sees_scrubbed_snippets_and_no_confidential_statement(session, world):
    protection = Protection.load(session, "public")
    results = search(session, "Zhodino beaten", protection=protection)
    statements = results.group("statement")
    # The statement's key "petrov-statement" names the witness, so it is not shown.
    assert [(hit.key, hit.label) for hit in statements.hits] == [(None, "Statement of Witness P")]
    shown = " ".join(f"{hit.label} {hit.snippet}" for g in results.groups for hit in g.hits)
    assert "Petrov" not in shown and "Ivan" not in shown
    assert "Witness P" in shown and "<mark>Zhodino</mark>" in shown
    assert "secret-statement" not in run(session, "Confidential account", "public")


def test_counsel_finds_confidential_statements_without_the_witness_name(session, world):
    assert "statement:secret-statement" in run(session, "Confidential account", "counsel")
    assert run(session, "Petrov", "counsel") == set()


@pytest.mark.parametrize("ranked_at_most", [2, 1000])
def test_a_hidden_match_changes_nothing_a_viewer_sees(session, monkeypatch, ranked_at_most):
    # Hidden records are left out before matches are counted and capped: a confidential
    # statement holding the words must not switch the viewer's results from ranked to
    # newest first (here: the denser, older incident first, or the newer one).
    monkeypatch.setattr(services, "RANKED_AT_MOST", ranked_at_most)
    dense = make_incident(session, title="Kettling", summary="Kettling, then more kettling.")
    sparse = make_incident(session, title="Crowd dispersed", summary="After the kettling.")
    session.commit()

    def shown() -> list[tuple]:
        results = search(session, "kettling", protection=Protection.load(session, "public"))
        return [
            (g.entity, g.total, g.capped, g.at_least, [hit.key for hit in g.hits])
            for g in results.groups
        ]

    before = shown()
    assert before == [("incident", 2, False, False, [dense.key, sparse.key])]
    make_statement(session, protection="confidential", text="Kettling seen from inside.")
    session.commit()
    assert shown() == before
