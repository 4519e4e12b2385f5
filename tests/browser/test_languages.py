"""The language switch in the header, in Chromium: no script needed, the CSP holds, and the
chosen language stays with the browser through signing in."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from evidence.accounts.services import create_user
from tests.browser.conftest import PASSWORD, LiveServer, describe


def test_the_header_switch_changes_the_language_and_keeps_it(
    page: Page, live_server: LiveServer, axe
) -> None:
    # An account of its own: switching while signed in saves the choice on the account.
    with live_server.app.app_context():
        session = live_server.app.extensions["evidence.sessions"]()
        create_user(session, name="language.browser", role="viewer", password=PASSWORD)
        session.commit()
        session.close()
    page.goto("/sign-in")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("button", name="Беларуская").click()
    expect(page.locator("html")).to_have_attribute("lang", "be")
    expect(page.get_by_role("heading", name="Увайсці")).to_be_visible()
    violations = axe(page)
    assert violations == [], describe(violations)

    page.get_by_label("Імя ўліковага запісу").fill("language.browser")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Увайсці").click()
    expect(page.get_by_role("heading", name="Галоўная")).to_be_visible()
    page.get_by_role("button", name="Русский").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_role("heading", name="Главная")).to_be_visible()
    expect(
        page.get_by_role("navigation", name="Главное меню").get_by_role("link", name="Инциденты")
    ).to_be_visible()
