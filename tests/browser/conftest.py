"""Browser tests: the real app on a free port, driven by Debian's Chromium through Playwright.

Fixtures:
- ``live_server``: the app serving a fresh migrated SQLite file (real commits)
  in a background thread, shared by the whole test session, with one account
  per role (named after the role, password PASSWORD). Tests share its data,
  so give the records you create unique keys and titles.
- ``browser``: Chromium (``/usr/bin/chromium``; never ``playwright install``).
- ``page``: a new browser context and page per test, with ``base_url`` set, so
  ``page.goto("/")`` works. A Content-Security-Policy violation in any page of
  the test (an inline script or style, a foreign origin) fails the test when
  it ends; ``csp_violations`` is the list collected so far.
- ``sign_in(page, role)``: signs in through the form and waits for the dashboard.
- ``axe(page)``: runs axe-core in the page and returns its serious and
  critical violations (an empty list is a pass); ``describe(violations)``
  formats them for an assertion message.

Every test in this folder is marked ``browser`` (``pytest -m "not browser"`` skips them).
Needs: ``/usr/bin/chromium`` (Debian package ``chromium``) and axe-core
(``npm ci --prefix tests/browser``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

from evidence import create_app
from evidence.accounts.services import create_user
from evidence.config import config_for_tests
from evidence.migrate import upgrade
from evidence.vocabularies import ROLES

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
AXE_SCRIPT = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "correct horse battery"
SERIOUS = ("serious", "critical")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@dataclass
class LiveServer:
    url: str
    app: Flask


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("live")
    url = f"sqlite:///{folder / 'evidence.sqlite'}"
    upgrade(url)
    app = create_app(config_for_tests(url, str(folder / "data")))
    with app.app_context():
        session = app.extensions["evidence.sessions"]()
        session.info["actor"] = "browser-tests"
        for role in ROLES:
            create_user(session, name=role, role=role, password=PASSWORD)
        session.commit()
        session.close()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    server.shutdown()
    thread.join(timeout=10)
    app.extensions["evidence.engine"].dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (make test does: "
            "apt-get install -y chromium)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Runs before any script of every document; the page's own policy cannot block it.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`
    + ` at ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture
def csp_violations() -> list[str]:
    return []


@pytest.fixture
def page(browser: Browser, live_server: LiveServer, csp_violations: list[str]) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    page.on(
        "console",
        lambda message: (
            csp_violations.append(f"{page.url}: {message.text}")
            if message.text.startswith("CSP violation")
            else None
        ),
    )
    yield page
    context.close()
    assert not csp_violations, "Content-Security-Policy violations:\n" + "\n".join(csp_violations)


@pytest.fixture
def sign_in() -> Callable[[Page, str], None]:
    def sign_in_as(page: Page, role: str, password: str = PASSWORD) -> None:
        page.goto("/sign-in")
        page.get_by_label("Account name").fill(role)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/")
        assert page.get_by_role("heading", name="Dashboard").is_visible()

    return sign_in_as


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_SCRIPT.exists():
        pytest.fail(f"{AXE_SCRIPT} is missing: run `npm ci --prefix tests/browser`")
    return AXE_SCRIPT.read_text()


@pytest.fixture
def axe(axe_source: str) -> Callable[[Page], list[dict[str, Any]]]:
    def serious_violations(page: Page) -> list[dict[str, Any]]:
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            # Evaluated by the browser's DevTools protocol: an inline <script> would (rightly)
            # be refused by the page's Content-Security-Policy.
            page.evaluate(axe_source)
        violations = page.evaluate("async () => (await axe.run(document)).violations")
        return [v for v in violations if v.get("impact") in SERIOUS]

    return serious_violations


def describe(violations: list[dict[str, Any]]) -> str:
    """Readable axe findings for an assertion message."""
    return "\n".join(
        f"{v['impact']}: {v['id']} — {v['help']} at "
        + ", ".join(node["target"][0] for node in v["nodes"][:5])
        for v in violations
    )
