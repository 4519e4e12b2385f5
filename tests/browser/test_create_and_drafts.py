"""Typed input is never lost: records created from inside the incident form through a
dialog (in Belarusian, in one page visit), drafts that survive a closed tab, and a
warning before leaving a changed form that does not come after saving.

Tests share the live server's data: each uses an account and names of its own.
"""

from __future__ import annotations

import re
import secrets
import string

from playwright.sync_api import Browser, Dialog, Page, expect
from sqlalchemy import select

from evidence.accounts.services import create_user
from evidence.actors.models import Person
from evidence.drafts.models import Draft
from evidence.incidents.services import load_incident
from evidence.models import Incident, Source
from tests.browser.conftest import PASSWORD, LiveServer, describe


def token() -> str:
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))


def documenter_account(live_server: LiveServer, name: str) -> None:
    with live_server.app.app_context():
        session = live_server.app.extensions["evidence.sessions"]()
        create_user(session, name=name, role="documenter", password=PASSWORD)
        session.commit()
        session.close()


def signed_in_page(browser: Browser, live_server: LiveServer, *, language: str = "en") -> Page:
    name = f"drafts.{token()}"
    documenter_account(live_server, name)
    context = browser.new_context(
        base_url=live_server.url, extra_http_headers={"Accept-Language": language}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/sign-in")
    page.locator("#name").fill(name)
    page.locator("#password").fill(PASSWORD)
    page.locator("form.sign-in button[type=submit], main form button[type=submit]").first.click()
    page.wait_for_url("**/")
    return page


def in_database(live_server: LiveServer, query):
    with live_server.app.app_context():
        session = live_server.app.extensions["evidence.sessions"]()
        try:
            return query(session)
        finally:
            session.close()


def create_in_dialog(page: Page, new_button, fields: dict[str, str], selects=None) -> None:
    new_button.click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_be_visible()
    for selector, value in fields.items():
        dialog.locator(selector).fill(value)
    for selector, value in (selects or {}).items():
        dialog.locator(selector).select_option(value)
    dialog.locator("button[type=submit]").click()
    expect(page.locator("dialog[open]")).to_have_count(0)


def test_a_documenter_enters_the_sovetsky_incident_in_belarusian_in_one_page_visit(
    browser: Browser, live_server: LiveServer, axe
) -> None:
    tag = token()
    page = signed_in_page(browser, live_server, language="be")
    page.goto("/incidents/new")
    expect(page.locator("html")).to_have_attribute("lang", "be")
    loads: list[str] = []
    page.on(
        "framenavigated",
        lambda frame: loads.append(frame.url) if frame == page.main_frame else None,
    )
    title = f"Затрыманыя стаялі ля сцяны ў Савецкім РУУС {tag}"
    page.locator("#title").fill(title)
    page.locator("#date").fill("каля жніўня 2020")

    place = page.locator("#place")
    create_in_dialog(
        page,
        place.locator("xpath=ancestor::div[contains(@class,'field')]").get_by_role(
            "button", name="Новае месца…"
        ),
        {"#new-name": f"Савецкі РУУС {tag}", "#new-aliases": f"Sovetsky RUVD {tag}"},
        {"#new-kind": "police-station"},
    )
    expect(place).not_to_have_value("")
    page.locator("#summary").fill("Затрыманыя стаялі ля сцяны з паднятымі рукамі 5–6 гадзін.")

    source_field = page.locator("#citations-0-source")
    dialog_source = f"Радыё Свабода: інтэрв'ю з Ігарам Макарам {tag}"
    source_field.locator("xpath=ancestor::div[contains(@class,'field')]").get_by_role(
        "button", name="Новая крыніца…"
    ).click()
    dialog = page.locator("dialog[open]")
    expect(dialog.get_by_role("heading", name="Новая крыніца")).to_be_visible()
    expect(page.get_by_role("dialog", name="Новая крыніца")).to_be_visible()  # labelled
    expect(dialog.locator("#new-title")).to_be_focused()  # typing can start at once
    violations = axe(page)
    assert violations == [], describe(violations)
    dialog.locator("#new-title").fill("")  # a missing title is refused inside the dialog
    dialog.locator("button[type=submit]").click()
    expect(dialog.locator(".field-error")).to_contain_text("Назва")
    dialog.locator("#new-title").fill(dialog_source)
    dialog.locator("#new-kind").select_option("interview")
    dialog.locator("#new-reliability").select_option("B")
    dialog.locator("button[type=submit]").click()
    expect(page.locator("dialog[open]")).to_have_count(0)
    expect(source_field).not_to_have_value("")
    page.locator("#citations-0-locator").fill("пытанне пра Савецкі РУУС")

    new_unit = (
        page.locator("#involvements-0-unit")
        .locator("xpath=ancestor::div[contains(@class,'field')]")
        .get_by_role("button", name="Новае падраздзяленне…")
    )
    new_unit.focus()  # the keyboard alone: Enter opens, Escape closes and returns focus
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="Новае падраздзяленне")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("dialog[open]")).to_have_count(0)
    expect(new_unit).to_be_focused()
    create_in_dialog(
        page,
        new_unit,
        {"#new-name": f"Савецкі РУУС, міліцыя {tag}"},
        {"#new-kind": "police"},
    )
    page.locator("#involvements-0-role").select_option("perpetrator")
    page.locator("#involvements-0-confidence").select_option("low")

    page.locator("[data-add-row=involvements]").click()
    witness_field = page.locator("#involvements-1-person")
    witness_field.locator("xpath=ancestor::div[contains(@class,'field')]").get_by_role(
        "button", name="Новая асоба…"
    ).click()
    dialog = page.locator("dialog[open]")
    dialog.locator("#new-name").fill(f"Сведка Пратэктаў {tag}")
    dialog.locator("#new-protected_witness").check()
    dialog.locator("button[type=submit]").click()
    expect(page.locator("dialog[open]")).to_have_count(0)
    expect(witness_field).to_have_value(re.compile(r"^witness-"))
    page.locator("#involvements-1-role").select_option("witness")

    page.locator("form.record-form button[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("main")).to_contain_text("каля жніўня 2020")
    assert len(loads) == 1, loads  # the form was left once: when it was saved

    def saved(session):
        incident = session.scalar(select(Incident).where(Incident.title == title))
        detail = load_incident(session, incident.id).incident
        return {
            "date": incident.date,
            "place": detail.place.name,
            "source": session.scalar(select(Source.title).where(Source.title == dialog_source)),
            "involved": sorted(
                (i.role, i.unit.name if i.unit else None, i.person.name if i.person else None)
                for i in detail.involvements
            ),
            "witness_key": session.scalar(
                select(Person.key).where(Person.name == f"Сведка Пратэктаў {tag}")
            ),
            "cited": [c.source.title for c in detail.citations],
        }

    stored = in_database(live_server, saved)
    assert stored["date"] == "2020-08~"
    assert stored["place"] == f"Савецкі РУУС {tag}"
    assert stored["cited"] == [dialog_source]
    assert stored["involved"] == [
        ("perpetrator", f"Савецкі РУУС, міліцыя {tag}", None),
        ("witness", None, f"Сведка Пратэктаў {tag}"),
    ]
    assert stored["witness_key"].startswith("witness-")  # protected: no name in the key
    page.context.close()


def test_a_draft_survives_a_closed_tab(browser: Browser, live_server: LiveServer) -> None:
    tag = token()
    page = signed_in_page(browser, live_server)
    context = page.context
    page.goto("/incidents/new")
    page.locator("#title").fill(f"Unsaved incident {tag}")
    page.locator("#date").fill("about August 2020")
    page.locator("#summary").fill(f"Typed before the tab closed {tag}.")
    expect(page.locator("[data-draft-status]")).to_contain_text("Draft saved")
    page.close()

    page = context.new_page()
    page.goto("/drafts/")
    row = page.get_by_role("row").filter(has_text=f"Unsaved incident {tag}")
    row.get_by_role("link", name="Restore").click()
    expect(page.locator("#title")).to_have_value(f"Unsaved incident {tag}")
    expect(page.locator("#date")).to_have_value("about August 2020")
    expect(page.locator("#summary")).to_have_value(f"Typed before the tab closed {tag}.")

    page.locator("form.record-form button[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Unsaved incident {tag}")
    remaining = in_database(
        live_server,
        lambda session: session.scalars(select(Draft.fields)).all(),
    )
    assert not any(f"Unsaved incident {tag}" in str(fields) for fields in remaining)
    page.goto("/drafts/")
    expect(page.locator("main")).not_to_contain_text(f"Unsaved incident {tag}")
    context.close()


def test_leaving_a_changed_form_asks_first_and_saving_it_does_not(
    browser: Browser, live_server: LiveServer
) -> None:
    tag = token()
    page = signed_in_page(browser, live_server)
    context = page.context
    asked: list[str] = []

    def stay(dialog: Dialog) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    untouched = context.new_page()
    untouched.on("dialog", stay)
    untouched.goto("/incidents/new")
    untouched.locator("#title").click()
    with untouched.expect_event("close"):
        untouched.close(run_before_unload=True)
    assert asked == []  # nothing typed, nothing to lose

    page.on("dialog", stay)
    page.goto("/incidents/new")
    page.locator("#title").click()
    page.keyboard.type(f"Leaving {tag}")
    page.close(run_before_unload=True)
    expect(page.locator("#title")).to_have_value(f"Leaving {tag}")  # still open
    assert asked == ["beforeunload"]

    page.locator("#date").fill("2020")
    page.locator("form.record-form button[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Leaving {tag}")
    assert asked == ["beforeunload"]  # saving did not ask
    with page.expect_event("close"):
        page.close(run_before_unload=True)
    assert asked == ["beforeunload"]
    context.close()


def test_a_create_it_button_added_to_the_page_opens_the_dialog_with_the_typed_name(
    browser: Browser, live_server: LiveServer
) -> None:
    tag = token()
    page = signed_in_page(browser, live_server)
    page.goto("/incidents/new")
    # The shape of the "did you mean … / create it" buttons of typed-name matching,
    # added after the page loaded: the dialog answers any of them.
    page.evaluate(
        """([name]) => {
          const button = document.createElement("button");
          button.type = "button";
          button.textContent = "Create it";
          button.dataset.create = "place";
          button.dataset.createName = name;
          button.dataset.createFor = "place";
          document.querySelector("#summary").after(button);
        }""",
        [f"Minsk {tag}"],
    )
    page.get_by_role("button", name="Create it").click()
    dialog = page.locator("dialog[open]")
    expect(dialog.locator("#new-name")).to_have_value(f"Minsk {tag}")
    dialog.locator("#new-kind").select_option("settlement")
    dialog.locator("button[type=submit]").click()
    expect(page.locator("dialog[open]")).to_have_count(0)
    expect(page.locator("#place")).to_have_value(f"minsk-{tag}")
    expect(page.locator("main")).to_contain_text(f"Chosen: Minsk {tag}")
    page.context.close()
