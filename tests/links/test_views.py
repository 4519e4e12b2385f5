"""The link dashboard, "check links now", a source's link history and capture downloads."""

from __future__ import annotations

from sqlalchemy import select

from evidence.links.models import LinkCheck, LinkCheckRun
from tests.factories import make_source
from tests.links.site import OK_BODY, closed_port
from tests.webclient import make_users, sign_in, without_csrf


def _auditor(app, session):
    make_users(session)
    app.config.update(LINK_CHECK_TIMEOUT=0.5)
    client = without_csrf(app).test_client()
    sign_in(client, "auditor")
    return client


def test_check_now_flags_problems_on_the_dashboard(app, session, site):
    client = _auditor(app, session)
    assert "No source has a web address" in client.post(
        "/links/check", follow_redirects=True
    ).get_data(as_text=True)
    make_source(session, key="web-none", title="Paper only")
    make_source(session, key="web-ok", title="Good page", url=site.url("/ok"))
    make_source(session, key="web-dead", title="Gone page", url=site.url("/broken"))
    make_source(session, key="web-moved", title="Moved page", url=site.url("/away"))
    make_source(session, key="web-slow", title="Slow page", url=site.url("/slow"))
    session.commit()
    before = client.get("/links/").get_data(as_text=True)
    assert "No sources" not in before and "Good page" in before and "not checked yet" in before
    assert _row(before, "Paper only") and "no URL" in _row(before, "Paper only")
    page = client.post("/links/check", follow_redirects=True).get_data(as_text=True)
    assert "4 sources, 3 flagged" in page
    assert "no URL" in _row(page, "Paper only")
    assert "HTTP 5xx" in _row(page, "Gone page") and "HTTP 500" in _row(page, "Gone page")
    assert "timeout" in _row(page, "Slow page")
    assert "redirected to localhost" in page and "Slow page" in page
    assert "Good page" not in page  # only problems unless asked
    assert "Good page" in client.get("/links/?verdict=ok").get_data(as_text=True)
    only_5xx = client.get("/links/?verdict=http-5xx").get_data(as_text=True)
    assert "Gone page" in only_5xx and "Moved page" not in only_5xx
    assert "Good page" not in client.get("/links/?verdict=no-url").get_data(as_text=True)
    assert "Slow page" not in client.get("/links/?q=gone").get_data(as_text=True)
    run = session.scalar(select(LinkCheckRun).order_by(LinkCheckRun.id.desc()))
    assert (run.state, run.total, run.done, run.problems) == ("done", 4, 4, 3)
    status = client.get(f"/links/runs/{run.id}").get_json()
    assert (status["state"], status["percent"], status["done"], status["total"]) == (
        "done",
        100,
        4,
        4,
    )
    assert status["queued_at"] <= status["started_at"] <= status["finished_at"]
    assert status["elapsed_seconds"] >= 0
    assert f"finished {status['finished_at'][:10]}" in page  # the run's times, on the page
    assert client.get("/links/runs/999999").status_code == 404


def test_a_run_without_network_marks_nothing(app, session, site, monkeypatch):
    client = _auditor(app, session)
    make_source(session, key="web-offline", title="Offline check", url=site.url("/missing"))
    session.commit()
    monkeypatch.setenv("EVIDENCE_NETWORK_PROBE", f"127.0.0.1:{closed_port()}")
    page = client.post("/links/check", follow_redirects=True).get_data(as_text=True)
    assert "Last check failed: no network from this server" in page
    assert "not checked yet" in _row(page, "Offline check")
    assert session.scalar(select(LinkCheck)) is None
    run = session.scalar(select(LinkCheckRun).order_by(LinkCheckRun.id.desc()))
    assert (run.state, run.done, run.problems) == ("failed", 0, 0)


def _row(page: str, text: str) -> str:
    """The table row of the page that holds ``text`` ("" if none)."""
    return next((row for row in page.split("<tr>") if text in row), "")


def test_capture_from_the_source_links_page_and_safe_downloads(app, session, site):
    client = _auditor(app, session)
    make_source(session, key="web-capture", title="Captured page", url=site.url("/ok"))
    make_source(session, key="web-capture-404", title="Missing page", url=site.url("/missing"))
    session.commit()
    page = client.post("/links/sources/web-capture/capture", follow_redirects=True).get_data(
        as_text=True
    )
    # Captured by the queue's worker (run at once under test); the copy is listed.
    assert "will be captured by a worker" in page
    assert f"{site.url('/ok')} (HTTP 200)" in page and "WARC file" in page
    failed = client.post("/links/sources/web-capture-404/capture", follow_redirects=True)
    assert "Not captured" in failed.get_data(as_text=True) and "HTTP 404" in failed.get_data(
        as_text=True
    )

    from evidence.links.models import Capture

    kept = session.scalar(select(Capture))
    for url in (f"/links/captures/{kept.id}.warc.gz", f"/links/captures/{kept.id}/page"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert "sandbox" in response.headers["Content-Security-Policy"].split("; ")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert not response.mimetype.startswith("text/")
    assert client.get(f"/links/captures/{kept.id}/page").data == OK_BODY


def test_viewers_cannot_run_checks(app, session):
    make_users(session)
    client = without_csrf(app).test_client()
    sign_in(client, "viewer")
    assert client.get("/links/").status_code == 403
    assert client.post("/links/check").status_code == 403
    assert client.get("/reports/sourcing").status_code == 403


def test_sourcing_report_page(app, session):
    client = _auditor(app, session)
    make_source(session, key="bad-source", title="Bad source", reliability="E")
    session.commit()
    page = client.get("/reports/sourcing").get_data(as_text=True)
    assert "Sources graded E or F" in page and "Bad source" in page and "E — unreliable" in page


def test_capture_of_an_internal_address_is_refused_by_policy(app, session, site, monkeypatch):
    client = _auditor(app, session)
    make_source(session, key="web-internal", title="Internal page", url=site.url("/ok"))
    session.commit()
    monkeypatch.delenv("EVIDENCE_FETCH_ALLOW_NETWORKS")
    page = client.post("/links/sources/web-internal/capture", follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "Not captured" in text and "refused by policy" in text

    from evidence.links.models import Capture

    assert session.scalar(select(Capture)) is None
