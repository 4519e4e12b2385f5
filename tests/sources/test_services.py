import datetime as dt

import pytest

from evidence.core.validation import ValidationError
from evidence.sources.services import load_source, update_source
from tests.factories import (
    citation,
    involvement,
    make_incident,
    make_person,
    make_source,
    make_statement,
    make_unit,
)


def test_create_and_update_source(session):
    source = make_source(
        session,
        title="Interview with a former Almaz officer",
        kind="interview",
        accessed="2021-03-01",
        published="2021-02~",
        reliability="b",
    )
    assert source.key == "interview-with-a-former-almaz-officer"
    assert (source.accessed, source.reliability) == (dt.date(2021, 3, 1), "B")
    update_source(session, source, source.version, url="https://example.org/a", reliability="")
    assert (source.url, source.reliability) == ("https://example.org/a", None)


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"reliability": "G"}, "reliability", ["A, B, C, D, E, F"]),
        ({"kind": "rumour"}, "kind", ["web, document, video"]),
        ({"accessed": "yesterday"}, "accessed", ["YYYY-MM-DD"]),
        ({"published": "2021-02-30"}, "published", ['"2021-02-30"']),
        ({"title": ""}, "title", ["required"]),
        ({"url": "javascript:alert(1)"}, "url", ["URL must start with http:// or https://"]),
        ({"url": "file:///etc/passwd"}, "url", ["URL must start with http:// or https://"]),
        ({"url": "gopher://127.0.0.1:6379/_FLUSHALL"}, "url", ["http:// or https://"]),
        ({"url": "https:///no-host"}, "url", ["URL names no host"]),
    ],
)
def test_invalid_source_fields(session, fields, field, words):
    source = make_source(session, title="Kept")
    with pytest.raises(ValidationError) as caught:
        update_source(session, source, source.version, **fields)
    for word in words:
        assert word in caught.value.errors[field]
    assert source.title == "Kept"


def test_source_detail_lists_everything_citing_it(session):
    source = make_source(session)
    unit = make_unit(session)
    person = make_person(session, memberships=[{"unit": unit, "citations": [citation(source)]}])
    incident = make_incident(
        session,
        citations=[citation(source)],
        involvements=[involvement(person=person, citations=[citation(source)])],
    )
    statement = make_statement(session, source=source)
    session.commit()
    session.expunge_all()
    detail = load_source(session, source.id)
    assert [owner.title for _, owner in detail.incidents] == [incident.title]
    assert [owner.person.name for _, owner in detail.involvements] == [person.name]
    assert [owner.unit.name for _, owner in detail.memberships] == [unit.name]
    assert [s.key for s in detail.statements] == [statement.key]
