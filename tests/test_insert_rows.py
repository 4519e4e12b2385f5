"""evidence.db.insert_rows: the bulk insert that bypasses SQLAlchemy's per-row parameter work."""

import datetime as dt
import json

import pytest
from sqlalchemy import Text, cast, func, select
from sqlalchemy.exc import IntegrityError

from evidence.audit.models import AuditEntry
from evidence.db import insert_rows, is_transient, reserve_ids
from evidence.models import Source
from evidence.search.models import SearchDocument


def audit_row(seq: int, **overrides) -> dict:
    row = {
        "seq": seq,
        "at": "2026-12-01T12:00:00.000000Z",
        "actor": "tester",
        "action": "insert",
        "entity": "incident",
        "record_id": seq,
        "record_key": f"incident-{seq}",
        "changes": {"title": [None, "Жодино «x»"]},
        "state": {"key": f"incident-{seq}", "lat": 53.9, "when": None},
        "record_hash": "a" * 64,
        "prev_hash": "0" * 64,
        "entry_hash": f"{seq:064d}",
        "detail": None,
    }
    return {**row, **overrides}


def test_rows_come_back_as_written_through_each_column_type(session):
    insert_rows(session.connection(), AuditEntry.__table__, [audit_row(1), audit_row(2)])
    stored = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert [(e.seq, e.changes, e.state) for e in stored] == [
        (n, audit_row(n)["changes"], audit_row(n)["state"]) for n in (1, 2)
    ]


def test_json_given_as_text_is_stored_as_that_text_not_encoded_again(session):
    written = '{"key":"incident-1","lat":53.9,"title":"Жодино «x»","when":null}'
    row = audit_row(1, state=written, changes="{}")
    insert_rows(session.connection(), AuditEntry.__table__, [row], {"state", "changes"})
    entry = session.scalars(select(AuditEntry)).one()
    assert entry.state == json.loads(written)
    assert entry.changes == {}
    stored = session.scalar(select(cast(AuditEntry.state, Text)))
    assert json.loads(stored) == json.loads(written)  # an object, not a string holding one


def test_a_row_without_a_column_of_the_first_is_refused(session):
    rows = [audit_row(1), {k: v for k, v in audit_row(2).items() if k != "detail"}]
    with pytest.raises(ValueError, match="audit_entries"):
        insert_rows(session.connection(), AuditEntry.__table__, rows)


def test_a_column_with_a_python_default_must_be_named(session):
    row = {"entity": "incident", "record_id": 1, "terms": " x "}
    with pytest.raises(ValueError, match="retracted"):
        insert_rows(session.connection(), SearchDocument.__table__, [row])
    insert_rows(session.connection(), SearchDocument.__table__, [{**row, "retracted": True}])
    assert session.scalar(select(SearchDocument.retracted)) is True


def test_dates_pass_through_the_column_type(session):
    source = {
        "key": "s-1",
        "kind": "news",
        "title": "T",
        "url": None,
        "publisher": None,
        "author": None,
        "published": None,
        "accessed": dt.date(2020, 11, 1),
        "language": None,
        "reliability": "A",
        "notes": None,
        "version": 1,
    }
    insert_rows(session.connection(), Source.__table__, [source])
    assert session.scalar(select(Source.accessed)) == dt.date(2020, 11, 1)


def test_reserved_ids_are_taken_by_no_later_insert(session):
    source = {"kind": "news", "title": "T", "reliability": "A"}
    session.add(Source(key="s-before", **source))
    session.flush()
    reserved = reserve_ids(session.connection(), Source.__table__, 3)
    assert len(set(reserved)) == 3
    assert min(reserved) > session.scalar(select(Source.id).where(Source.key == "s-before"))
    insert_rows(
        session.connection(),
        Source.__table__,
        [{"id": i, "key": f"s-{i}", **source, "version": 1} for i in reserved],
    )
    later = Source(key="s-after", **source)
    session.add(later)
    session.flush()
    assert later.id > max(reserved)
    assert session.scalar(select(Source.key).where(Source.id == reserved[0])) == f"s-{reserved[0]}"


def test_a_refused_row_raises_what_a_refused_insert_raises(session):
    source = {"kind": "news", "title": "T", "reliability": "A", "version": 1}
    rows = [{"key": "s-1", **source}, {"key": "s-1", **source}]
    with pytest.raises(IntegrityError) as refused:
        insert_rows(session.connection(), Source.__table__, rows)
    assert not is_transient(refused.value)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Source)) == 0
