"""What static/js writes into a page is in the page's language: a Belarusian documenter
filling in the incident form sees no English word from the scripts."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from evidence.actors.services import create_unit
from tests.browser.conftest import LiveServer
from tests.browser.test_create_and_drafts import signed_in_page, token

# What the scripts wrote in English before their words came from the page.
SCRIPT_ENGLISH = (
    "Chosen",
    "No match",
    "check the spelling",
    "create the record first",
    "Suggestions",
    "Reads as",
    "stored as",
    "open",
    "to",
    "Copied",
    "Select and copy",
    "generated",
    "queued",
    "started",
    "finished",
    "took",
    "running for",
    "AM",
    "PM",
)


def english_words_in(text: str) -> list[str]:
    return [
        phrase
        for phrase in SCRIPT_ENGLISH
        if re.search(rf"(?<![A-Za-z]){re.escape(phrase)}(?![A-Za-z])", text, re.IGNORECASE)
    ]


def script_texts(page: Page) -> str:
    """Every text and label the scripts added to the page (they mark what they add)."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll("[data-generated], [data-generated] *"))
             .map((el) => [el.textContent, el.getAttribute("aria-label") || "",
                           el.getAttribute("title") || "", el.getAttribute("placeholder") || ""]
               .join(" "))
             .join("\\n")"""
    )


def test_the_incident_form_speaks_belarusian_from_its_scripts(
    browser: Browser, live_server: LiveServer
) -> None:
    tag = token()
    with live_server.app.app_context():
        session = live_server.app.extensions["evidence.sessions"]()
        create_unit(session, name=f"Алмаз {tag}", key=f"almaz-{tag}", kind="police")
        session.commit()
        session.close()
    page = signed_in_page(browser, live_server, language="be")
    page.goto("/incidents/new")
    expect(page.locator("html")).to_have_attribute("lang", "be")

    page.locator("#date").fill("каля жніўня 2020")
    preview = page.locator(".edtf-preview")
    expect(preview).to_have_text(
        "Чытаецца як: каля жніўня 2020 (з 1 жніўня 2020 па 31 жніўня 2020)"
        " · захоўваецца як 2020-08~"
    )

    unit = page.locator("#involvements-0-unit")
    unit.fill(f"Алмаз {tag}")
    suggestions = page.get_by_role("listbox", name="Падказкі")
    expect(suggestions.get_by_role("option")).to_have_count(1)
    unit.press("ArrowDown")
    unit.press("Enter")
    expect(unit).to_have_value(f"almaz-{tag}")
    chosen = page.locator("[id^='involvements-0-unit-chosen-']")
    expect(chosen).to_have_text(f"Выбрана: Алмаз {tag}")

    written = script_texts(page)
    unit.fill(f"Няма такога {tag}")
    expect(page.locator(".suggestion-none")).to_have_text(
        "Супадзенняў няма: набраная назва застанецца, а пры захаванні можна будзе стварыць запіс"
    )
    written += "\n" + script_texts(page)
    assert english_words_in(written) == [], written
