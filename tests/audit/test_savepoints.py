"""A savepoint rolled back inside a transaction must not cost the rest of the transaction
its audit entries: only what the savepoint itself wrote is forgotten.

A form's service trial, a save that meets a concurrent edit and a mapping name taken at the
same moment each roll back a savepoint and carry on; a change made before the savepoint is
still committed and must still be on the audit trail.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.audit.models import AuditEntry
from evidence.places.services import update_place
from tests.factories import make_place, make_unit


def _entries(session: Session) -> list[tuple[str, str | None]]:
    stmt = select(AuditEntry.action, AuditEntry.record_key).order_by(AuditEntry.seq)
    return [tuple(row) for row in session.execute(stmt)]


def test_a_rolled_back_savepoint_keeps_the_entries_noted_before_it(session: Session) -> None:
    make_place(session, name="Sovetsky district")
    session.flush()
    trial = session.begin_nested()
    make_unit(session, name="OMON")
    session.flush()
    trial.rollback()
    session.commit()

    assert _entries(session) == [("insert", "sovetsky-district")]


def test_what_a_released_savepoint_wrote_is_audited(session: Session) -> None:
    place = make_place(session, name="Sovetsky district")
    session.commit()
    with session.begin_nested():
        update_place(session, place, place.version, name="Savecki district")
    trial = session.begin_nested()
    make_unit(session, name="OMON")
    session.flush()
    trial.rollback()
    session.commit()

    assert _entries(session) == [("insert", "sovetsky-district"), ("update", "sovetsky-district")]


def test_a_whole_rollback_still_forgets_everything(session: Session) -> None:
    make_place(session, name="Sovetsky district")
    session.flush()
    session.rollback()
    make_unit(session, name="OMON")
    session.commit()

    assert _entries(session) == [("insert", "omon")]
