"""Signing in, out and being refused, in Chromium; accessibility of the account pages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD, describe


def test_wrong_password_is_refused(page: Page) -> None:
    page.goto("/sign-in")
    page.get_by_label("Account name").fill("documenter")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("account name or password is wrong")
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    expect(page.get_by_label("Account name")).to_have_value("documenter")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))


def test_sign_in_lands_on_the_dashboard_and_sign_out_ends_it(page: Page, sign_in) -> None:
    page.goto("/accounts/")
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    sign_in(page, "documenter")
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Dashboard")
    expect(page.locator(".who")).to_contain_text("documenter")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_contain_text("You are signed out.")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))


def test_form_without_its_csrf_token_is_refused(page: Page, sign_in) -> None:
    # In the page: the sign-in form with its token removed.
    page.goto("/sign-in")
    page.evaluate("document.querySelector('main input[name=csrf_token]').remove()")
    page.get_by_label("Account name").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Bad request")).to_be_visible()
    expect(page.locator("main")).to_contain_text("without its security token")
    # A signed-in admin's session cookie alone cannot create an account.
    sign_in(page, "admin")
    form = {"name": "csrf-victim", "role": "admin", "password": PASSWORD, "confirm": PASSWORD}
    response = page.request.post("/accounts/new", form=form)
    assert response.status == 400
    page.goto("/accounts/")
    expect(page.locator("main")).not_to_contain_text("csrf-victim")


def test_viewer_cannot_open_admin_pages(page: Page, sign_in) -> None:
    sign_in(page, "viewer")
    expect(page.get_by_role("navigation", name="Main")).not_to_contain_text("Accounts")
    response = page.goto("/accounts/")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()


def test_admin_creates_an_account_in_the_browser(page: Page, sign_in) -> None:
    sign_in(page, "admin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Accounts").click()
    page.get_by_role("link", name="New account").click()
    page.get_by_label("Account name").fill("b.browser")
    page.get_by_label("Role").select_option("documenter")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Repeat the password").fill("short")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#password-error")).to_contain_text("Password: Use at least 12")
    expect(page.get_by_label("Account name")).to_have_value("b.browser")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("status")).to_contain_text("Account b.browser created as documenter")


@pytest.mark.parametrize(
    ("role", "path"),
    [
        (None, "/sign-in"),
        ("admin", "/"),
        ("viewer", "/"),
        ("admin", "/accounts/"),
        ("admin", "/accounts/new"),
        ("admin", "/accounts/1"),
        ("auditor", "/audit/"),
        ("viewer", "/accounts/"),
        ("viewer", "/account/"),
        ("viewer", "/account/password"),
    ],
)
def test_no_serious_accessibility_violations(
    page: Page, sign_in, axe, role: str | None, path: str
) -> None:
    if role:
        sign_in(page, role)
    page.goto(path)
    violations = axe(page)
    assert violations == [], describe(violations)
