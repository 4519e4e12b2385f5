"""Audit review for auditors: filters by record and date, and one entry shown as a diff."""

from __future__ import annotations

import html

from sqlalchemy import select

from evidence.audit.models import AuditEntry
from evidence.sources.services import update_source
from tests.factories import make_source
from tests.webclient import make_users, sign_in, without_csrf


def test_filters_and_entry_diff(app, session):
    make_users(session)
    source = make_source(session, key="reviewed-source", title="Before title")
    session.commit()
    update_source(session, source, source.version, title="After title")
    session.commit()
    make_source(session, key="other-source")
    session.commit()
    client = without_csrf(app).test_client()
    sign_in(client, "auditor")

    page = client.get("/audit/?record=reviewed-source").get_data(as_text=True)
    assert "reviewed-source" in page and "other-source" not in page
    assert "other-source" not in client.get("/audit/?since=2999-01-01").get_data(as_text=True)
    today = session.scalar(select(AuditEntry.at).order_by(AuditEntry.seq.desc()))[:10]
    assert "other-source" in client.get(f"/audit/?since={today}&until={today}").get_data(
        as_text=True
    )
    assert client.get("/audit/?since=not-a-date").status_code == 200

    changed = session.scalar(
        select(AuditEntry).where(
            AuditEntry.record_key == "reviewed-source", AuditEntry.action == "update"
        )
    )
    entry = html.unescape(client.get(f"/audit/{changed.seq}").get_data(as_text=True))
    assert "<del>Before title</del>" in entry and "<ins>After title</ins>" in entry
    assert client.get("/audit/999999").status_code == 404
