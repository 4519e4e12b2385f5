"""An auditor on a phone (390 px) reads one audit entry: a one-word edit shows as that word
struck out and its replacement marked, and the long hashes wrap instead of widening the page."""

from __future__ import annotations

from playwright.sync_api import Browser, expect
from sqlalchemy import select

from evidence.audit.models import AuditEntry
from evidence.sources.services import create_source, update_source
from tests.browser.conftest import PASSWORD, LiveServer


def test_one_word_edit_on_a_phone(browser: Browser, live_server: LiveServer) -> None:
    session = live_server.app.extensions["evidence.sessions"]()
    session.info["actor"] = "phone-auditor"
    source = create_source(
        session, title="Phone source", kind="document", key="phone-source",
        notes="Detainees were beaten by OMON officers in the yard.",
    )  # fmt: skip
    session.commit()
    update_source(
        session, source, source.version, notes="Detainees were beaten by SOBR officers in the yard."
    )
    session.commit()
    seq = session.scalar(
        select(AuditEntry.seq).where(
            AuditEntry.record_key == "phone-source", AuditEntry.action == "update"
        )
    )
    session.close()

    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto("/sign-in")
    page.get_by_label("Account name").fill("auditor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    page.goto(f"/audit/{seq}")
    change = page.locator(".word-diff")
    expect(change.locator("del")).to_have_text("OMON")
    expect(change.locator("ins")).to_have_text("SOBR")
    expect(page.get_by_role("button", name="Copy").first).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the entry page is {width} px wide on a 390 px phone"
    context.close()
