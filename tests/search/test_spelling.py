"""Every spelling of a name finds the same records, on both engines; others are not found."""

from __future__ import annotations

import pytest

from tests.search.conftest import run

TARAIKOVSKY = {"person:taraikovsky", "incident:shooting", "incident:funeral"}
LUKASHENKO = {"person:lukashenko", "incident:zhodino-beatings", "source:report"}
NOT_TARAIKOVSKY = {"person:tarasenko", "incident:tarasovo-raid"}

SPELLINGS = [
    ("Taraikovsky", TARAIKOVSKY, NOT_TARAIKOVSKY),
    ("Taraykovsky", TARAIKOVSKY, NOT_TARAIKOVSKY),
    ("Taraikovskiy", TARAIKOVSKY, NOT_TARAIKOVSKY),
    ("Тарайковский", TARAIKOVSKY, NOT_TARAIKOVSKY),
    ("Тарайкоўскі", TARAIKOVSKY, NOT_TARAIKOVSKY),
    ("Taraikovksy", TARAIKOVSKY, NOT_TARAIKOVSKY),  # a typo
    ("taraikovsky", TARAIKOVSKY, NOT_TARAIKOVSKY),
    ("Lukashenko", LUKASHENKO, {"person:taraikovsky"}),
    ("Lukashenka", LUKASHENKO, {"person:taraikovsky"}),
    ("Лукашэнка", LUKASHENKO, {"person:taraikovsky"}),
    ("Лукашенко", LUKASHENKO, {"person:taraikovsky"}),
    ("Tarasenko", {"person:tarasenko", "incident:tarasovo-raid"}, {"person:taraikovsky"}),
    ("Zhodino", {"place:zhodino", "incident:zhodino-beatings"}, {"place:minsk"}),
    ("Жодзіна", set(), {"place:minsk"}),  # Belarusian form: not a spelling of Жодино
    ("Алмаз", {"unit:almaz", "incident:zhodino-beatings", "statement:officer-statement"}, set()),
    ("Минск", {"place:minsk", "incident:funeral"}, {"place:zhodino"}),
]


@pytest.mark.parametrize(("query", "must_find", "must_not_find"), SPELLINGS)
def test_spelling_variants_find_the_same_records(session, world, query, must_find, must_not_find):
    found = run(session, query)
    assert must_find <= found, f"{query!r} missed {must_find - found}"
    assert not (found & must_not_find), f"{query!r} wrongly found {found & must_not_find}"


def test_exact_phrase_ranks_first(session, world):
    from evidence.protection import Protection
    from evidence.search.services import search

    results = search(
        session, "Aliaksandr Taraikouski", protection=Protection.load(session, "internal")
    )
    assert results.group("person").hits[0].key == "taraikovsky"
