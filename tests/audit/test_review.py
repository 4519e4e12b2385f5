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
    assert "<del>Before</del><ins>After</ins> title" in entry
    assert client.get("/audit/999999").status_code == 404


def test_history_shows_the_words_that_changed(app, session):
    make_users(session)
    summary = "Detainees were beaten in the corridor of the remand prison " * 8
    source = make_source(session, key="long-source", notes=summary + "on arrival.")
    session.commit()
    update_source(session, source, source.version, notes=summary + "at night.")
    session.commit()
    client = without_csrf(app).test_client()
    sign_in(client, "auditor")
    page = html.unescape(client.get("/sources/long-source").get_data(as_text=True))
    assert "<del>on arrival</del><ins>at night</ins>." in page
    update = session.scalar(
        select(AuditEntry.seq).where(
            AuditEntry.record_key == "long-source", AuditEntry.action == "update"
        )
    )
    entry = html.unescape(client.get(f"/audit/{update}").get_data(as_text=True))
    # The unchanged words before the change are shortened to their context.
    assert "Detainees were beaten" not in entry
    assert '<span class="elided" title="unchanged text left out">…</span>' in entry
