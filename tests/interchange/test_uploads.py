"""The steps of a browser import as services: mapping problems by field, saved mappings."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from evidence.core.validation import ValidationError
from evidence.db import make_writer_factory
from evidence.interchange.models import SheetMapping, SheetUpload
from evidence.interchange.uploads import create_upload, set_mapping

SHEET = b"Title,When,Where\nAt the gates,2020-08-10,Minsk\n"
MAPPING = {"title": "Title", "date": "When", "place": "Where"}


def test_a_mapping_problem_is_filed_under_its_own_field_whatever_the_columns_are_called(
    session,
):
    """A column named like another field ("key") must not pull the problem over there."""
    upload = create_upload(session, filename="s.csv", data=SHEET, kind="incidents", by="doc")
    with pytest.raises(ValidationError) as refused:
        set_mapping(session, upload, {**MAPPING, "place": "key"}, save_as="", by="doc")
    assert list(refused.value.errors) == ["place"]
    assert 'names the column "key"' in refused.value.errors["place"]

    with pytest.raises(ValidationError) as refused:
        set_mapping(session, upload, {"title": "Title"}, save_as="", by="doc")
    assert refused.value.errors == {"date": 'incidents need the field "date"; map it to a column'}


@pytest.fixture
def committed(engine: Engine):
    """Sessions of their own that really commit (two documenters at once), and the rows
    they made removed at the end."""
    writers = make_writer_factory(engine)
    yield writers
    with writers() as cleanup:
        cleanup.execute(SheetMapping.__table__.delete())
        cleanup.execute(SheetUpload.__table__.delete())
        cleanup.commit()


def _upload(writers, by: str) -> int:
    with writers() as session:
        upload = create_upload(session, filename="s.csv", data=SHEET, kind="incidents", by=by)
        session.commit()
        return upload.id


def _save_mapping(writers, upload_id: int, by: str):
    """Map the upload and save the mapping as "Monthly" in a session of its own; the
    mapping saved, or the ValidationError raised."""
    with writers() as session:
        upload = session.get(SheetUpload, upload_id)
        try:
            set_mapping(session, upload, MAPPING, save_as="Monthly", by=by)
            session.commit()
        except ValidationError as error:
            session.rollback()
            return error
        return session.scalar(select(SheetMapping).where(SheetMapping.name == "Monthly"))


def _at_the_same_moment(writers, first_by: str, second_by: str):
    """The first documenter's insert is flushed, not yet committed, when the second one
    checks the name and inserts; the first commits while the second waits on it."""
    first = _upload(writers, first_by)
    second = _upload(writers, second_by)
    with writers() as session:
        upload = session.get(SheetUpload, first)
        set_mapping(session, upload, MAPPING, save_as="Monthly", by=first_by)
        session.flush()
        outcome: list[object] = []
        # On SQLite the second writer waits at BEGIN IMMEDIATE; on PostgreSQL it reads
        # no row of that name and then waits on the unique index.
        worker = threading.Thread(
            target=lambda: outcome.append(_save_mapping(writers, second, second_by))
        )
        worker.start()
        _until_waiting(engine_of(writers), worker)
        session.commit()
    worker.join(timeout=30)
    return outcome[0]


def engine_of(writers) -> Engine:
    return writers.kw["bind"]


def _until_waiting(engine: Engine, worker: threading.Thread) -> None:
    """Until the second writer waits on the first's uncommitted insert."""
    if engine.dialect.name == "sqlite":
        worker.join(timeout=0.5)  # it waits at BEGIN IMMEDIATE until the first commits
        return
    for _attempt in range(200):
        worker.join(timeout=0.05)
        with engine.connect() as probe:
            if probe.scalar(WAITING_INSERT):
                return
    raise AssertionError("the second writer never waited on the first")


WAITING_INSERT = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
    " AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO sheet_mappings%'"
)


def test_another_documenter_saving_the_same_name_at_once_gets_a_form_error(committed):
    outcome = _at_the_same_moment(committed, "first-documenter", "second-documenter")
    assert isinstance(outcome, ValidationError), outcome
    assert list(outcome.errors) == ["save_as"] and "Monthly" in outcome.errors["save_as"]
    with committed() as session:
        [kept] = session.scalars(select(SheetMapping)).all()
        assert kept.saved_by == "first-documenter"


def test_the_same_documenter_saving_the_same_name_twice_at_once_updates_it(committed):
    outcome = _at_the_same_moment(committed, "documenter", "documenter")
    assert isinstance(outcome, SheetMapping), outcome
    with committed() as session:
        [kept] = session.scalars(select(SheetMapping)).all()
        assert (kept.saved_by, kept.mapping) == ("documenter", MAPPING)


def test_a_name_another_documenter_saved_earlier_is_not_overwritten(committed):
    first = _upload(committed, "first-documenter")
    second = _upload(committed, "second-documenter")
    assert isinstance(_save_mapping(committed, first, "first-documenter"), SheetMapping)
    refused = _save_mapping(committed, second, "second-documenter")
    assert isinstance(refused, ValidationError) and list(refused.errors) == ["save_as"]


def test_a_stored_summary_keeps_counts_and_reads_older_sentences_as_they_are() -> None:
    from evidence.interchange.models import SheetUpload
    from evidence.interchange.uploads import stored_summary

    counted = SheetUpload(summary='{"created": {"incidents": 2}, "unchanged": 0, "updated": {}}')
    assert (
        str(stored_summary(counted)) == "Created 2 incidents; updated nothing; 0 records unchanged."
    )
    older = SheetUpload(summary="Created 2 incidents; updated nothing; 0 records unchanged.")
    assert stored_summary(older) == older.summary
    assert stored_summary(SheetUpload()) is None
