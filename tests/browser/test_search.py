"""The header search box finds a person and the incidents naming him in another spelling."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from evidence.actors.services import create_person
from evidence.incidents.services import create_incident
from tests.browser.conftest import describe


def test_header_search_groups_results_across_spellings(page: Page, sign_in, axe, live_server):
    tag = uuid.uuid4().hex[:6]
    with live_server.app.app_context():
        session = live_server.app.extensions["evidence.sessions"]()
        person = create_person(session, name=f"Александр Тарайковский {tag}")
        create_incident(
            session,
            title=f"Shooting {tag}",
            date="2020-08-10",
            summary=f"Taraikovskiy {tag} was shot near the metro.",
            involvements=[
                {"person": person, "role": "victim", "confidence": "high", "citations": []}
            ],
        )
        session.commit()
        session.close()

    sign_in(page, "documenter")
    search_box = page.get_by_role("searchbox", name="Search records")
    search_box.fill(f"Taraykovsky {tag}")
    search_box.press("Enter")

    persons = page.get_by_role("region", name="Persons")
    incidents = page.get_by_role("region", name="Incidents")
    expect(persons).to_contain_text(f"Александр Тарайковский {tag}")
    expect(incidents.get_by_role("link", name=f"Shooting {tag}")).to_be_visible()
    expect(incidents.locator("mark").first).to_have_text("Taraikovskiy")
    violations = axe(page)
    assert violations == [], describe(violations)
