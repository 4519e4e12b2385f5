"""A documenter uploads an exhibit whose file name names a protected witness; a viewer
opening the exhibit sees neither the file name nor the name, and the documenter's
"Preview as public" shows the same page."""

from __future__ import annotations

import random
import string

from playwright.sync_api import Page, expect

from evidence.actors.services import create_person
from evidence.incidents.services import create_incident
from evidence.statements.services import create_statement
from tests.browser.conftest import describe


def test_a_viewer_sees_no_file_name_and_no_name_on_an_exhibit(
    page: Page, browser, live_server, sign_in, axe
) -> None:
    # Letters only: a name is letters, and the scrubber reads digits as another word.
    tag = "".join(random.choices(string.ascii_lowercase, k=6))
    surname = f"Kuzmich{tag}"
    with live_server.app.app_context():
        session = live_server.app.extensions["evidence.sessions"]()
        session.info["actor"] = "browser-tests"
        witness = create_person(session, key=f"witness-{tag}", name=f"Pavel {surname}")
        create_statement(
            session,
            text="I was there.",
            protection="pseudonymous",
            pseudonym=f"Witness {tag}",
            witness=witness,
        )
        create_incident(
            session,
            key=f"yard-{tag}",
            title=f"Yard {tag}",
            date="2020-08-10",
            summary=f"Pavel {surname} was beaten in the yard.",
        )
        session.commit()
        session.close()

    sign_in(page, "documenter")
    page.goto("/exhibits/new")
    page.get_by_label("File", exact=True).set_input_files(
        {"name": f"Pavel_{surname}_yard.txt", "mimeType": "text/plain", "buffer": b"yard\n"}
    )
    page.get_by_label("Incident").fill(f"yard-{tag}")
    page.get_by_role("button", name="Upload").click()
    expect(page.locator(".flash-success")).to_be_visible()
    exhibit_url = page.url
    expect(page.get_by_text(f"Pavel_{surname}_yard.txt").first).to_be_visible()
    violations = axe(page)
    assert violations == [], describe(violations)

    expect(page.get_by_role("note")).to_contain_text(f"Pavel_{surname}")
    page.get_by_role("link", name="Preview as public").first.click()
    expect(page.get_by_text("this page as a viewer (the public audience) sees it")).to_be_visible()
    previewed = page.locator("main").inner_text()
    assert surname not in previewed

    viewer = browser.new_context(base_url=live_server.url).new_page()
    sign_in(viewer, "viewer")
    viewer.goto(exhibit_url)
    shown = viewer.locator("main").inner_text()
    assert surname not in shown and "_yard.txt" not in shown
    assert surname not in viewer.title()
    expect(viewer.get_by_text("Exhibit ", exact=False).first).to_be_visible()
    assert "Preview as public" not in shown
    viewer.goto(f"/incidents/yard-{tag}")
    assert surname not in viewer.locator("main").inner_text()
    expect(viewer.get_by_text(f"Witness {tag} was beaten")).to_be_visible()
    viewer.context.close()
