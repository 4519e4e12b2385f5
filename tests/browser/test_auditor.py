"""An auditor checks source links from the dashboard, then reviews the audit log and a
record's history, in Chromium; axe finds nothing serious on these pages."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from evidence.links.services import check_links
from evidence.sources.services import create_source, update_source
from tests.browser.conftest import describe
from tests.links.site import Site, allowing_local_fetches, closed_port, serve_site


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with serve_site() as running, allowing_local_fetches(running):
        yield running


@pytest.fixture
def sources(live_server, site):
    """Four sources of the local site on the live server; "changing" checked once already."""
    app = live_server.app
    app.config["LINK_CHECK_TIMEOUT"] = 0.5
    session = app.extensions["evidence.sessions"]()
    session.info["actor"] = "browser-auditor"
    made = {
        name: create_source(
            session,
            title=f"Auditor {name} page",
            kind="web",
            key=f"auditor-{name}",
            url=site.url(path),
        )
        for name, path in (
            ("fine", "/ok"),
            ("broken", "/broken"),
            ("away", "/away"),
            ("changing", "/changing"),
        )
    }
    check_links(session, [made["changing"]], timeout=0.5)
    session.commit()  # so the rename below is an audit entry of its own
    update_source(session, made["fine"], made["fine"].version, title="Auditor fine page (renamed)")
    session.commit()
    session.close()
    return made


def test_auditor_checks_links_and_reviews_history(page: Page, sign_in, axe, sources) -> None:
    sign_in(page, "auditor")
    page.goto("/links/")
    expect(page.get_by_role("heading", name="Source links")).to_be_visible()
    page.get_by_role("button", name="Check links now").click()
    expect(page.get_by_role("status").first).to_contain_text("Checking")
    for _attempt in range(40):  # the check runs in the background; the page reports it
        if "finished" in (page.locator("#run-status").text_content() or ""):
            break
        page.wait_for_timeout(250)
        page.reload()
    expect(page.locator("#run-status")).to_contain_text("finished")

    table = page.get_by_role("table")
    for title, verdict, reason in (
        ("Auditor broken page", "HTTP 5xx", "HTTP 500"),
        ("Auditor away page", "moved", "redirected to localhost"),
        ("Auditor changing page", "changed", "content differs"),
    ):
        row = table.get_by_role("row").filter(has_text=title)
        expect(row).to_contain_text(verdict)
        expect(row).to_contain_text(reason)
    expect(table).not_to_contain_text("Auditor fine page")
    assert (found := axe(page)) == [], describe(found)

    page.get_by_role("link", name="Auditor broken page").click()
    expect(page.get_by_role("heading", name="Check history")).to_be_visible()
    expect(page.get_by_role("button", name="Capture the page now")).to_be_visible()
    assert (found := axe(page)) == [], describe(found)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    page.get_by_label("Record key").fill("auditor-fine")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"record=auditor-fine"))
    assert (found := axe(page)) == [], describe(found)
    page.get_by_role("link", name=re.compile("^Entry")).first.click()  # newest: the rename
    expect(page.get_by_role("heading", name=re.compile(r"^Audit entry"))).to_be_visible()
    # Word-level: only the words added are marked, the unchanged title is kept as it was.
    expect(page.locator(".word-diff ins")).to_have_text(" (renamed)")
    expect(page.locator(".word-diff")).to_have_text("Auditor fine page (renamed)")
    expect(page.locator(".word-diff del")).to_have_count(0)
    assert (found := axe(page)) == [], describe(found)

    page.goto("/sources/auditor-fine")
    page.locator("details.history summary").click()
    expect(page.locator(".history-list")).to_contain_text("browser-auditor")
    expect(page.locator(".history-list")).to_contain_text("Auditor fine page (renamed)")
    assert (found := axe(page)) == [], describe(found)


def test_without_network_a_check_marks_nothing(
    page: Page, sign_in, axe, live_server, monkeypatch
) -> None:
    session = live_server.app.extensions["evidence.sessions"]()
    session.info["actor"] = "browser-auditor"
    create_source(
        session,
        title="Auditor offline page",
        kind="web",
        key="auditor-offline",
        url="https://example.org/offline",
    )
    session.commit()
    session.close()
    monkeypatch.setenv("EVIDENCE_NETWORK_PROBE", f"127.0.0.1:{closed_port()}")

    sign_in(page, "auditor")
    page.goto("/links/")
    row = page.get_by_role("table").get_by_role("row").filter(has_text="Auditor offline page")
    expect(row).to_contain_text("not checked yet")
    page.get_by_role("button", name="Check links now").click()
    for _attempt in range(40):  # the check runs in the background; the page reports it
        if "failed" in (page.locator("#run-status").text_content() or ""):
            break
        page.wait_for_timeout(250)
        page.reload()
    expect(page.locator("#run-status")).to_contain_text("no network from this server")
    expect(row).to_contain_text("not checked yet")
    assert (found := axe(page)) == [], describe(found)
