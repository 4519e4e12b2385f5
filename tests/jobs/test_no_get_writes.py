"""Pages only read: no GET of any route writes, even with jobs whose worker died."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask

from evidence.core.timestamps import utcnow
from evidence.dossiers.services import queue_job
from evidence.interchange.uploads import create_upload
from evidence.links.services import queue_capture, start_run
from evidence.permissions import required_action, role_allows
from evidence.vocabularies import ROLES
from tests.factories import make_case, make_incident, make_source
from tests.records_web import counting_statements
from tests.test_permissions import _sample
from tests.web.world import SHEET
from tests.webclient import make_users, sign_in, without_csrf

WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.mark.parametrize("role", ROLES)
def test_no_get_writes_even_when_jobs_are_stuck(app: Flask, session, role: str) -> None:
    make_users(session)
    case = make_case(session, title="Stuck case", incidents=[make_incident(session)])
    source = make_source(session, key="web-src", url="http://127.0.0.1:9/page")
    long_ago = utcnow() - dt.timedelta(days=1)
    job = queue_job(session, case, "internal", role)
    run = start_run(session, role)
    capture = queue_capture(session, source, role)
    for stuck in (job, run, capture):
        stuck.state, stuck.heartbeat_at = "running", long_ago
    sheet = create_upload(session, filename="s.csv", data=SHEET, kind="incidents", by=role)
    sheet.mapping = {"title": "Title", "date": "When"}
    session.commit()
    known = {
        "case_key": case.key,
        "job_id": job.id,
        "key": source.key,
        "capture_id": 999999,
        "upload_id": sheet.id,
    }
    client = without_csrf(app).test_client()
    sign_in(client, role)

    checked = []
    for rule in app.url_map.iter_rules():
        action = required_action(app.view_functions[rule.endpoint])
        if "GET" not in (rule.methods or ()) or action is None or not role_allows(role, action):
            continue  # a refused request is logged to the audit on purpose
        values = {name: known.get(name, _sample(rule._converters[name])) for name in rule.arguments}
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **values)
        with counting_statements(app) as statements:
            response = client.get(url)
        writes = [s for s in statements if s.lstrip().upper().startswith(WRITES)]
        assert response.status_code != 500, url
        assert writes == [], f"GET {url} wrote: {writes}"
        checked.append(url)
    assert checked
