"""The link dashboard, "check links now", a source's link history and capture downloads."""

from __future__ import annotations

from sqlalchemy import select

from evidence.links.models import LinkCheckRun
from tests.factories import make_source
from tests.links.site import OK_BODY
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
    make_source(session, key="web-ok", title="Good page", url=site.url("/ok"))
    make_source(session, key="web-dead", title="Gone page", url=site.url("/broken"))
    make_source(session, key="web-moved", title="Moved page", url=site.url("/away"))
    make_source(session, key="web-slow", title="Slow page", url=site.url("/slow"))
    session.commit()
    page = client.post("/links/check", follow_redirects=True).get_data(as_text=True)
    assert "4 sources, 3 flagged" in page
    assert "Gone page" in page and "HTTP 500" in page
    assert "redirected to localhost" in page and "Slow page" in page
    assert "Good page" not in page  # only problems unless asked
    assert "Good page" in client.get("/links/?verdict=ok").get_data(as_text=True)
    only_dead = client.get("/links/?verdict=dead").get_data(as_text=True)
    assert "Gone page" in only_dead and "Moved page" not in only_dead
    assert "Slow page" not in client.get("/links/?q=gone").get_data(as_text=True)
    run = session.scalar(select(LinkCheckRun).order_by(LinkCheckRun.id.desc()))
    assert (run.state, run.total, run.done, run.problems) == ("done", 4, 4, 3)


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
        assert response.headers["Content-Security-Policy"] == "sandbox"
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
