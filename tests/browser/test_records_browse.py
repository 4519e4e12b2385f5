"""Documenters create places, units, persons and sources through the forms; a lawyer builds
a case and orders its incidents; axe-core finds no serious problem on any list, page or form.

Screenshots of each page at 1280 px and 375 px go to EVIDENCE_SCREENSHOTS when it is set.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from evidence.incidents.services import create_incident
from tests.browser.conftest import describe

SHOTS = os.environ.get("EVIDENCE_SCREENSHOTS")
WIDTHS = (1280, 375)


@pytest.fixture
def tag() -> str:
    """A suffix that keeps this run's records apart from other tests' (one shared server)."""
    return uuid.uuid4().hex[:6]


def check(page: Page, axe, name: str) -> None:
    """No serious or critical axe violation; screenshots at both widths when asked for."""
    violations = axe(page)
    assert violations == [], f"{name} ({page.url}):\n{describe(violations)}"
    if SHOTS:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=str(Path(SHOTS) / f"{name}-{width}.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})


def save(page: Page, label: str) -> None:
    page.get_by_role("button", name=label).click()
    expect(page.locator(".flash-success")).to_be_visible()


def test_documenter_enters_records_through_the_forms(page: Page, sign_in, axe, tag: str) -> None:
    sign_in(page, "documenter")

    page.goto("/places/new")
    check(page, axe, "place-form")
    page.get_by_label("Name", exact=True).fill(f"Zhodino {tag}")
    page.get_by_label("Aliases").fill(f"Жодино {tag}\nZhodzina {tag}")
    page.get_by_label("Kind").select_option("prison")
    save(page, "Save place")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Zhodino {tag}")
    check(page, axe, "place-page")

    page.goto("/units/new")
    page.get_by_label("Name", exact=True).fill(f"Ministry {tag}")
    page.get_by_label("Kind").select_option("ministry")
    save(page, "Save unit")
    ministry_key = page.url.rsplit("/", 1)[-1]
    page.goto("/units/new")
    check(page, axe, "unit-form")
    page.get_by_label("Name", exact=True).fill(f"Almaz {tag}")
    page.get_by_label("Kind").select_option("special-forces")
    page.get_by_label("Parent unit").fill(ministry_key)
    page.get_by_label("From").fill("1991")
    save(page, "Save unit")
    expect(page.get_by_role("link", name=f"Ministry {tag}")).to_be_visible()
    check(page, axe, "unit-page")
    unit_key = page.url.rsplit("/", 1)[-1]

    page.goto("/sources/new")
    check(page, axe, "source-form")
    page.get_by_label("Title", exact=True).fill(f"Interview {tag}")
    page.get_by_label("Kind").select_option("interview")
    page.get_by_label("Published").fill("2020-08~")
    page.get_by_label("Reliability").select_option("B")
    save(page, "Save source")
    source_key = page.url.rsplit("/", 1)[-1]

    page.goto("/persons/new")
    check(page, axe, "person-form")
    page.get_by_label("Name", exact=True).fill(f"Oleg {tag}")
    page.get_by_label("Unit", exact=True).fill(unit_key)
    page.get_by_label("Post", exact=True).fill("instructor")
    page.get_by_label("From").fill("2000/2001")
    page.get_by_label("Source", exact=True).fill(source_key)
    page.get_by_label("Locator").fill("p. 7")
    save(page, "Save person")
    expect(page.get_by_role("link", name=f"Almaz {tag}")).to_be_visible()
    expect(page.locator("ol.citations")).to_contain_text("p. 7")
    check(page, axe, "person-page")

    page.goto(f"/sources/{source_key}")
    expect(page.get_by_role("link", name=f"Oleg {tag}")).to_be_visible()
    check(page, axe, "source-page")

    for section in ("places", "units", "persons", "sources"):
        page.goto(f"/{section}/?q={tag}")
        expect(page.locator("tbody tr")).not_to_have_count(0)
        check(page, axe, f"{section}-list")


def test_lawyer_builds_a_case_and_orders_its_incidents(
    page: Page, sign_in, axe, live_server, tag: str
) -> None:
    with live_server.app.app_context():
        session = live_server.app.extensions["evidence.sessions"]()
        session.info["actor"] = "browser-tests"
        for title in ("Beating", "Shooting"):
            create_incident(
                session, title=f"{title} {tag}", key=f"{title.lower()}-{tag}", date="2020-08-10"
            )
        session.commit()
        session.close()
    sign_in(page, "lawyer")
    page.goto("/cases/new")
    check(page, axe, "case-form")
    page.get_by_label("Title", exact=True).fill(f"August {tag}")
    page.get_by_label("Summary").fill("Violence after the election")
    save(page, "Save case")

    page.get_by_label("Incident", exact=True).fill(f"beating-{tag}")
    page.get_by_role("button", name="Add incident").click()
    expect(page.locator(".flash-success")).to_contain_text("added")
    page.get_by_label("Find incidents by title or key").fill(f"Shooting {tag}")
    page.get_by_role("button", name="Find", exact=True).click()
    page.get_by_role("button", name=f"Add Shooting {tag}").click()
    headings = page.locator(".case-incidents h3")
    expect(headings).to_have_text([f"Beating {tag}", f"Shooting {tag}"])

    page.get_by_role("button", name=f"Move up Shooting {tag}").click()
    expect(headings).to_have_text([f"Shooting {tag}", f"Beating {tag}"])
    check(page, axe, "case-page")
    page.goto(f"/cases/?q={tag}")
    check(page, axe, "cases-list")
