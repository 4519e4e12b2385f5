"""Automatic anchoring (EVIDENCE_TSA_URLS): the worker time-stamps the audit heads daily and
before every dossier, but only heads that moved since their last anchor, so two dossiers of
the same data carry the same anchor and stay byte-identical. Against the local TSA."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from evidence.audit.log import data_head, head
from evidence.audit.models import AuditAnchor
from evidence.audit.reads import log_read
from evidence.dossiers.manifest import read_manifest
from evidence.jobs.queue import job_context
from evidence.jobs.work import anchor_audit_heads
from evidence.models import Incident
from tests.audit.tsa import serve_tsa
from tests.factories import make_case, make_incident
from tests.links.site import closed_port
from tests.webclient import make_users, sign_in, without_csrf


@pytest.fixture(scope="module")
def tsa(tmp_path_factory):
    with serve_tsa(tmp_path_factory.mktemp("tsa")) as running:
        yield running


def anchors(session) -> list[tuple[str, int]]:
    session.expire_all()
    rows = session.scalars(select(AuditAnchor).order_by(AuditAnchor.id))
    return [(row.chain, row.seq) for row in rows]


def test_without_an_authority_nothing_is_anchored(app, session, demo):
    app.config["TSA_URLS"] = []
    assert anchor_audit_heads(job_context(app)) == []
    assert anchors(session) == []


def test_daily_anchors_only_heads_that_moved(app, session, demo, tsa):
    app.config["TSA_URLS"] = [tsa.url]
    changes_head = head(session)[0]
    anchor_audit_heads(job_context(app))
    assert anchors(session) == [("changes", changes_head)]  # no read yet: nothing to anchor

    anchor_audit_heads(job_context(app))
    assert anchors(session) == [("changes", changes_head)]  # nothing moved: no new token

    log_read(session, "export", "ana", audience="public")
    session.commit()
    anchor_audit_heads(job_context(app))
    assert anchors(session) == [("changes", changes_head), ("reads", 1)]

    incident = session.scalars(select(Incident)).first()
    incident.summary = "Edited again"
    session.commit()
    anchor_audit_heads(job_context(app))
    assert anchors(session)[-1] == ("changes", head(session)[0])
    assert len(anchors(session)) == 3


def test_dossiers_carry_an_anchor_of_their_data_made_once(app, session, tsa):
    app.config["TSA_URLS"] = [tsa.url]
    make_users(session)
    case = make_case(session, title="Anchored case", incidents=[make_incident(session)])
    session.commit()
    client = without_csrf(app).test_client()
    sign_in(client, "lawyer")
    manifests = []
    for _ in range(2):
        client.post(f"/cases/{case.key}/dossiers", data={"audience": "internal"})
        newest = client.get(f"/cases/{case.key}/dossiers/jobs").get_json()[0]
        manifests.append(read_manifest(client.get(newest["download_url"]).data))
    seq, entry_hash = data_head(session)
    assert anchors(session) == [("changes", seq)]  # the second dossier made no new one
    first, second = manifests
    assert first["audit_head"] == second["audit_head"] == {"seq": seq, "hash": entry_hash}
    assert first["anchor"] == second["anchor"] and first["anchor"]["seq"] == seq


def test_an_unreachable_authority_does_not_stop_the_dossier(app, session, caplog):
    app.config["TSA_URLS"] = [f"http://127.0.0.1:{closed_port()}/tsa"]
    make_users(session)
    case = make_case(session, title="Unanchored case", incidents=[make_incident(session)])
    session.commit()
    client = without_csrf(app).test_client()
    sign_in(client, "lawyer")
    client.post(f"/cases/{case.key}/dossiers", data={"audience": "internal"})
    [job] = client.get(f"/cases/{case.key}/dossiers/jobs").get_json()
    assert job["state"] == "done"
    assert session.scalar(select(func.count()).select_from(AuditAnchor)) == 0
    assert "not anchored" in caplog.text
