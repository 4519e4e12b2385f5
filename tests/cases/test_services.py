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


def test_the_case_closure_reaches_what_the_case_refers_to_and_nothing_else(session):
    from evidence.cases.services import case_closure
    from tests.factories import (
        citation,
        involvement,
        make_person,
        make_place,
        make_source,
        make_statement,
        make_unit,
        make_violation_type,
    )

    cited, post_source, statement_source = (make_source(session) for _ in range(3))
    ministry = make_unit(session, name="Ministry", kind="ministry")
    almaz = make_unit(session, name="Almaz", parents=[{"unit": ministry}])
    regiment = make_unit(session, name="Regiment", parents=[{"unit": make_unit(session)}])
    commander = make_person(
        session, memberships=[{"unit": ministry, "title": "minister", "start": "2000"}]
    )
    officer = make_person(
        session,
        memberships=[{"unit": regiment, "citations": [citation(post_source)]}],
    )
    witness = make_person(session)
    incident = make_incident(
        session,
        place=make_place(session, parent=make_place(session)),
        violations=[make_violation_type(session)],
        citations=[citation(cited)],
        involvements=[involvement(unit=almaz), involvement(person=officer)],
    )
    links = [{"incident": incident, "excerpt": None}]
    kept = make_statement(session, witness=witness, source=statement_source, incidents=links)
    left_out = make_statement(session, witness=make_person(session), incidents=links)
    make_incident(session, involvements=[involvement(unit=make_unit(session))])  # unrelated
    case = make_case(session, incidents=[incident])

    def keys(closure, entity):
        return {record["key"] for record in closure.records[entity].values()}

    closure = case_closure(session, case.id, keep_statement=lambda r: r["key"] != left_out.key)
    assert closure.incident_order == [incident.id]
    assert keys(closure, "statement") == {kept.key}
    assert keys(closure, "person") == {officer.key, witness.key}
    above_regiment = {link.parent.key for link in regiment.parent_links}
    assert keys(closure, "unit") == {almaz.key, ministry.key, regiment.key} | above_regiment
    assert keys(closure, "source") == {cited.key, post_source.key, statement_source.key}
    assert keys(closure, "place") == {incident.place.key}
    assert len(closure.records["violation_type"]) == 1
    assert closure.id_of("person", witness.key) == witness.id

    with_chain = case_closure(session, case.id, chain_members=True)
    assert commander.key in keys(with_chain, "person")
    assert len(with_chain.records["statement"]) == 2
