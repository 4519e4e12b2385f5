import pytest
from sqlalchemy import func, select

from evidence.audit.models import AuditEntry
from evidence.core.validation import ValidationError
from evidence.records.editing import retract
from evidence.statements.models import Statement
from evidence.statements.services import (
    load_statement,
    update_statement,
)
from tests.factories import make_incident, make_person, make_source, make_statement


def test_protected_statement_needs_a_pseudonym(session):
    witness = make_person(session, name="Yury Garavski")
    for protection in ("pseudonymous", "confidential"):
        with pytest.raises(ValidationError) as caught:
            make_statement(session, witness=witness, protection=protection, pseudonym=" ")
        assert "pseudonym is required" in caught.value.errors["pseudonym"]
    assert session.scalar(select(func.count()).select_from(Statement)) == 0
    statement = make_statement(session, witness=witness)
    with pytest.raises(ValidationError) as caught:
        update_statement(session, statement, statement.version, protection="confidential")
    assert "pseudonym" in caught.value.errors
    update_statement(
        session, statement, statement.version, protection="confidential", pseudonym="Witness A"
    )
    assert statement.protection == "confidential"


def test_generated_key_never_contains_the_witness_name(session):
    witness = make_person(session, name="Yury Garavski")
    statement = make_statement(
        session, witness=witness, protection="pseudonymous", pseudonym="Officer X", taken="2019-12"
    )
    assert statement.key == "statement-officer-x-2019-12"
    assert "garavski" not in make_statement(session, witness=witness).key


def test_statement_links_incidents_and_is_audited(session):
    incident = make_incident(session)
    source = make_source(session)
    statement = make_statement(
        session,
        protection="pseudonymous",
        pseudonym="Witness B",
        taken="2020-09~",
        source=source.key,
        incidents=[{"incident": incident.key, "excerpt": "They beat us"}],
    )
    session.commit()
    retract(session, statement, "withdrawn by the witness", by="tester")
    session.commit()
    actions = session.scalars(
        select(AuditEntry.action).where(
            AuditEntry.entity == "statement", AuditEntry.record_id == statement.id
        )
    ).all()
    assert actions == ["insert", "retract"]
    session.expunge_all()
    loaded = load_statement(session, statement.id)
    assert loaded.source.key == source.key
    assert [(link.incident.key, link.excerpt) for link in loaded.incident_links] == [
        (incident.key, "They beat us")
    ]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"protection": "secret"}, "protection"),
        ({"taken": "last year"}, "taken"),
        ({"witness": "nobody"}, "witness"),
        ({"incidents": [{"incident": "missing", "excerpt": "x"}]}, "incidents-0-incident"),
        ({"text": ""}, "text"),
    ],
)
def test_invalid_statement_fields(session, fields, field):
    statement = make_statement(session, text="Kept")
    with pytest.raises(ValidationError) as caught:
        update_statement(session, statement, statement.version, **fields)
    assert field in caught.value.errors
    assert statement.text == "Kept"
