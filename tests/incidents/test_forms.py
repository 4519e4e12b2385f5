import pytest
from werkzeug.datastructures import MultiDict

from evidence.core.validation import ValidationError
from evidence.incidents.forms import IncidentForm
from evidence.incidents.services import create_incident, update_incident
from evidence.web.forms import EDTF_EXAMPLES, RetractForm, form_data, show_errors
from tests.factories import citation, involvement, make_source, make_unit, make_violation_type


def posted(form_class, app, data):
    with app.test_request_context(method="POST", data=MultiDict(data)):
        form = form_class(meta={"csrf": False})
        form.validate()
        return form


def test_incident_form_feeds_the_service(app, session):
    source = make_source(session, key="interview")
    make_unit(session, key="almaz")
    beating = make_violation_type(session, key="beating")
    data = {
        "title": "Beatings in Zhodino",
        "key": "",
        "date": "2000/2001",
        "status": "alleged",
        "violations": "beating",
        "citations-0-source": "interview",
        "citations-0-locator": "p. 3",
        "citations-0-credibility": "2",
        "involvements-0-unit": "almaz",
        "involvements-0-role": "perpetrator",
        "involvements-0-confidence": "high",
        "involvements-0-citations-0-source": "interview",
        "involvements-1-person": "",
        "involvements-1-role": "victim",
        "involvements-1-confidence": "medium",
    }
    with app.test_request_context(method="POST", data=MultiDict(data)):
        form = IncidentForm(meta={"csrf": False})
        form.set_violation_choices([beating])
        assert form.validate(), form.errors
        incident = create_incident(session, **form.service_fields())
    assert incident.key == "beatings-in-zhodino"
    assert [inv.role for inv in incident.involvements] == ["perpetrator"]
    assert incident.involvements[0].citations[0].source is source
    assert incident.citations[0].credibility == 2
    assert EDTF_EXAMPLES in form.date.description


def test_form_shows_date_errors_and_service_errors_next_to_fields(app, session):
    form = posted(IncidentForm, app, {"title": "X", "date": "2020-13", "status": "alleged"})
    assert '"2020-13"' in form.date.errors[0]
    form = posted(
        IncidentForm,
        app,
        {"title": "X", "date": "2020", "status": "alleged", "involvements-0-unit": "ghost"},
    )
    with pytest.raises(ValidationError) as caught:
        create_incident(session, **form.service_fields())
    show_errors(form, caught.value)
    assert form.involvements.entries[0].form.unit.errors == ['no unit with key "ghost"']


def test_edit_form_starts_from_the_stored_record(app, session):
    source = make_source(session)
    unit = make_unit(session)
    incident = create_incident(
        session,
        title="Shooting",
        date="2020-08-10",
        citations=[citation(source, locator="p. 1")],
        involvements=[involvement(unit=unit, citations=[citation(source)])],
    )
    data = form_data(session, incident)
    with app.test_request_context():
        form = IncidentForm(data=data, meta={"csrf": False})
    assert form.citations.entries[0].form.locator.data == "p. 1"
    assert form.involvements.entries[0].form.unit.data == unit.key
    assert form.expected_version == incident.version
    fields = {**form.service_fields(), "title": "Shooting on Pushkinskaya"}
    update_incident(session, incident, form.expected_version, **fields)
    assert incident.title == "Shooting on Pushkinskaya"
    assert len(incident.involvements[0].citations) == 1


def test_retract_form_requires_a_reason(app):
    assert "Reason for retraction is required" in posted(RetractForm, app, {}).reason.errors[0]
