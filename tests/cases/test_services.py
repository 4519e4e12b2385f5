import pytest
from sqlalchemy import select

from evidence.audit.models import AuditEntry
from evidence.cases.services import (
    add_case_incident,
    load_case,
    move_case_incident,
    remove_case_incident,
    update_case,
)
from evidence.core.validation import ValidationError
from evidence.records.editing import Conflict
from tests.factories import make_case, make_incident


def keys(case):
    return [link.incident.key for link in case.incident_links]


def test_add_remove_and_reorder_incidents(session):
    a, b, c = (make_incident(session, key=key) for key in ("a", "b", "c"))
    case = make_case(session, title="Zhodino beatings", incidents=[a, b.key])
    assert case.key == "zhodino-beatings"
    add_case_incident(session, case, c.id)
    add_case_incident(session, case, c)
    assert keys(case) == ["a", "b", "c"]
    move_case_incident(session, case, "c", -1)
    assert keys(case) == ["a", "c", "b"]
    move_case_incident(session, case, "a", -1)
    assert keys(case) == ["a", "c", "b"]
    remove_case_incident(session, case, "c")
    assert keys(case) == ["a", "b"]
    update_case(session, case, case.version, incidents=["b", "a"])
    session.commit()
    session.expunge_all()
    assert keys(load_case(session, case.id)) == ["b", "a"]


def test_case_errors_and_conflicts(session):
    case = make_case(session)
    session.commit()
    with pytest.raises(ValidationError) as caught:
        update_case(session, case, case.version, title=" ", incidents=["ghost"])
    assert set(caught.value.errors) == {"title", "incidents-0"}
    with pytest.raises(ValidationError):
        remove_case_incident(session, case, make_incident(session))
    seen = case.version
    update_case(session, case, seen, summary="For the UN Committee against Torture")
    with pytest.raises(Conflict):
        add_case_incident(session, case, make_incident(session), expected_version=seen)


def test_case_changes_are_audited(session):
    case = make_case(session)
    session.commit()
    add_case_incident(session, case, make_incident(session, key="x"))
    session.commit()
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "case", AuditEntry.record_id == case.id)
    ).all()
    assert [e.action for e in entries] == ["insert", "update"]
    assert entries[1].changes["incidents"] == [[], ["x"]]
