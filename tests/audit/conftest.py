"""The demo data set, imported and edited once through the application, with a clean chain."""

import json

import pytest

from evidence.audit.verify import verify
from evidence.interchange.cli import DEMO_FILE
from evidence.interchange.services import import_document
from evidence.models import Incident


@pytest.fixture
def demo(session):
    import_document(session, json.loads(DEMO_FILE.read_text()))
    session.commit()
    incident = session.query(Incident).filter_by(key="zhodino-prison-beatings").one()
    incident.summary = "Edited through the application"
    session.commit()
    assert verify(session).ok, verify(session).problems
