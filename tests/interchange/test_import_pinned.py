"""The import's audit entries and search documents, pinned byte for byte.

A faster import must still write exactly the entries it wrote before (the
chain's hashes depend on every byte), so a small import and a re-import with
changes are run under a fixed clock and their stored audit rows compared with
the rows the import wrote before it was made fast (`pinned_import_audit.json`;
regenerate it only for an intended change of the audit format).
"""

import copy
import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from evidence.audit import log
from evidence.audit.verify import verify
from evidence.interchange.services import import_document
from evidence.search.indexing import reindex
from evidence.search.models import SearchDocument
from tests.generate import document

PINNED = Path(__file__).with_name("pinned_import_audit.json")
COLUMNS = (
    "seq, at, actor, action, entity, record_id, record_key, changes, state,"
    " record_hash, prev_hash, entry_hash, detail"
)


def first_and_changed_documents() -> tuple[dict, dict]:
    first = document(incidents=3, distinct_dates=3)
    first["incidents"][1]["retracted"] = {
        "at": "2021-01-02T03:04:05Z",
        "by": "editor",
        "reason": "Duplicate of incident-0",
    }
    first["cases"][0]["excluded_statements"] = [first["statements"][0]["key"]]
    changed = copy.deepcopy(first)
    changed["incidents"][0]["title"] = "Renamed «Алмаз»"
    changed["incidents"][0]["involvements"][1]["sources"].pop()
    changed["incidents"][2]["retracted"] = {"at": "2021-02-03T04:05:06Z", "by": "e", "reason": "r"}
    changed["places"][0]["aliases"].append("Жодзіна")
    new_incident = copy.deepcopy(first["incidents"][0])
    new_incident["key"] = "incident-new"
    changed["incidents"].append(new_incident)
    return first, changed


def stored_audit_rows(session) -> list[list]:
    rows = session.connection().exec_driver_sql(f"SELECT {COLUMNS} FROM audit_entries ORDER BY seq")
    return [list(row) for row in rows]


@pytest.fixture
def frozen_clock(monkeypatch):
    moments = iter(dt.datetime(2026, 12, 1, 12, minute, tzinfo=dt.UTC) for minute in range(60))
    monkeypatch.setattr(log, "utcnow", lambda: next(moments))


# SQLite only: on PostgreSQL record ids (and so entry hashes) depend on sequences that
# rolled-back tests never rewind.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_import_writes_the_audit_entries_it_always_wrote(session, database_url, frozen_clock):
    for imported in first_and_changed_documents():
        import_document(session, imported)
        session.commit()
    assert stored_audit_rows(session) == json.loads(PINNED.read_text())
    assert verify(session).ok


def test_import_leaves_the_search_index_as_a_full_reindex_would(session, frozen_clock):
    def index() -> list[tuple]:
        stmt = select(
            SearchDocument.entity,
            SearchDocument.record_id,
            SearchDocument.terms,
            SearchDocument.retracted,
        ).order_by(SearchDocument.entity, SearchDocument.record_id)
        return list(session.execute(stmt).tuples())

    for imported in first_and_changed_documents():
        import_document(session, imported)
        session.commit()
    after_import = index()
    reindex(session)
    assert after_import == index()
    assert {entity for entity, *_ in after_import} == {
        "incident",
        "statement",
        "person",
        "unit",
        "place",
        "source",
        "case",
    }
