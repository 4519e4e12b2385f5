"""For a viewer, protected witnesses stay hidden: not findable by name, shown only by pseudonym."""

from __future__ import annotations

import pytest

from evidence.protection import Protection
from evidence.search.services import search
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
