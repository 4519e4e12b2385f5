"""A documenter enters a case end to end through the real forms; a viewer never sees the
protected witness; two editors collide on one incident; axe finds no serious problem.

Tests share the live server's data, so every name carries a fresh token.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Callable

from playwright.sync_api import Browser, Page, Route, expect

from tests.browser.conftest import LiveServer, describe


def token() -> str:
    """Letters only, so a name stays one word for the protection filter."""
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))


def save(page: Page, button: str) -> None:
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()


def choose(page: Page, selector: str, typed: str, option: str) -> None:
    """Type into an autocomplete field and pick the suggestion whose label contains ``option``."""
    field = page.locator(selector)
    field.fill(typed)
    page.get_by_role("option").filter(has_text=option).first.click()


def document_an_incident(page: Page, tag: str) -> dict[str, str]:
    """Place, unit, person, source, incident with a sourced involvement, pseudonymous statement."""
    names = {
        "place": f"Okrestina {tag}",
        "unit": f"Riot police {tag}",
        "person": f"Zinaida Kovalchuk{tag}",
        "source": f"Interview tape {tag}",
        "incident": f"Beating at the gate {tag}",
        "pseudonym": f"Witness {tag.upper()}",
    }
    page.goto("/places/new")
    page.get_by_label("Name", exact=True).fill(names["place"])
    page.get_by_label("Kind", exact=True).select_option("detention-centre")
    save(page, "Save place")
    expect(page.get_by_role("heading", level=1)).to_have_text(names["place"])

    page.goto("/units/new")
    page.get_by_label("Name", exact=True).fill(names["unit"])
    page.get_by_label("Aliases", exact=True).fill(f"OMON {tag}")
    page.get_by_label("Kind", exact=True).select_option("police")
    save(page, "Save unit")
    expect(page.get_by_role("heading", level=1)).to_have_text(names["unit"])

    page.goto("/persons/new")
    page.get_by_label("Name", exact=True).fill(names["person"])
    save(page, "Save person")
    expect(page.get_by_role("heading", level=1)).to_have_text(names["person"])

    page.goto("/sources/new")
    page.get_by_label("Title", exact=True).fill(names["source"])
    page.get_by_label("Kind", exact=True).select_option("interview")
    save(page, "Save source")
    expect(page.get_by_role("heading", level=1)).to_have_text(names["source"])

    page.goto("/incidents/new")
    page.get_by_label("Title", exact=True).fill(names["incident"])
    expect(page.locator("#key")).to_have_attribute("placeholder", re.compile("beating-at-the-gate"))
    page.locator("#date").fill("каля жніўня 2020")
    expect(page.locator(".edtf-preview").first).to_contain_text("about August 2020")
    expect(page.locator(".edtf-preview").first).to_contain_text("stored as 2020-08~")
    choose(page, "#place", f"okrestina {tag}", names["place"])
    page.get_by_label("Narrative", exact=True).fill(
        f"{names['person']} was beaten at the gate on arrival."
    )
    choose(page, "#involvements-0-unit", f"omon {tag}", names["unit"])  # found by its alias
    page.locator("#involvements-0-role").select_option("perpetrator")
    page.locator("#involvements-0-confidence").select_option("high")
    choose(page, "#involvements-0-citations-0-source", tag, names["source"])
    page.locator("#involvements-0-citations-0-locator").fill("00:12:30")
    page.get_by_role("button", name="Add another unit or person").click()
    choose(page, "#involvements-1-person", "zinaida", names["person"])
    page.locator("#involvements-1-role").select_option("victim")
    save(page, "Save incident")
    expect(page.get_by_role("heading", level=1)).to_have_text(names["incident"])
    main = page.locator("main")
    expect(main).to_contain_text("about August 2020")
    expect(main).to_contain_text("2020-08~")  # the phrase was stored as EDTF
    expect(main).to_contain_text("00:12:30")
    expect(page.locator("a.ref")).to_have_count(1)
    names["incident_url"] = page.url

    page.get_by_role("link", name="Add statement").click()
    choose(page, "#witness", "zinaida", names["person"])
    page.get_by_label("Protection", exact=True).select_option("pseudonymous")
    page.get_by_label("Pseudonym", exact=True).fill(names["pseudonym"])
    page.locator("#taken").fill("2020-09-02")
    page.get_by_label("Text", exact=True).fill(f"I am {names['person']}. They beat me at the gate.")
    page.locator("#incidents-0-excerpt").fill("They beat me at the gate.")
    save(page, "Save statement")
    expect(page.locator("main")).to_contain_text("They beat me at the gate.")
    names["statement_url"] = page.url
    return names


def test_documenter_enters_an_incident_and_a_viewer_never_sees_the_witness(
    browser: Browser, live_server: LiveServer, sign_in: Callable[[Page, str], None]
) -> None:
    tag = token()
    documenter = browser.new_context(base_url=live_server.url)
    page = documenter.new_page()
    sign_in(page, "documenter")
    names = document_an_incident(page, tag)
    page.goto(names["incident_url"])
    expect(page.locator("main")).to_contain_text(names["person"])  # the team sees the name
    documenter.close()

    viewer = browser.new_context(base_url=live_server.url)
    page = viewer.new_page()
    sign_in(page, "viewer")
    hidden = [names["person"], f"Kovalchuk{tag}", f"kovalchuk{tag}"]
    pages = [
        names["incident_url"],
        names["statement_url"],
        "/statements/",
        "/incidents/",
        f"/incidents/?q={tag}",
        "/",
        "/persons/",
        f"/persons/?q={tag}",
        "/lookup/persons?q=zinaida",
        f"/lookup/incidents?q={tag}",
    ]
    for url in pages:
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        content = page.content()
        for name in hidden:
            assert name.lower() not in content.lower(), f"{name} shown on {url}"
    page.goto(names["incident_url"])
    expect(page.locator("main")).to_contain_text(f"{names['pseudonym']} was beaten at the gate")
    viewer.close()


def test_second_editor_gets_the_conflict_page(
    browser: Browser, live_server: LiveServer, sign_in: Callable[[Page, str], None]
) -> None:
    tag = token()
    first = browser.new_context(base_url=live_server.url).new_page()
    second = browser.new_context(base_url=live_server.url).new_page()
    sign_in(first, "documenter")
    sign_in(second, "documenter")
    first.goto("/incidents/new")
    first.get_by_label("Title", exact=True).fill(f"Contested {tag}")
    first.locator("#date").fill("2001")
    save(first, "Save incident")
    edit_url = first.url + "/edit"
    first.goto(edit_url)
    second.goto(edit_url)
    first.get_by_label("Title", exact=True).fill(f"First edit {tag}")
    save(first, "Save incident")
    expect(first.get_by_role("heading", level=1)).to_have_text(f"First edit {tag}")
    second.get_by_label("Title", exact=True).fill(f"Second edit {tag}")
    with second.expect_response(lambda r: r.request.method == "POST") as posted:
        second.get_by_role("button", name="Save incident").click()
    assert posted.value.status == 409
    expect(second.get_by_role("heading", level=1)).to_have_text("Changed by someone else")
    table = second.locator(".conflict-table")
    expect(table).to_contain_text(f"Second edit {tag}")
    expect(table).to_contain_text(f"First edit {tag}")
    first.goto(first.url)
    expect(first.get_by_role("heading", level=1)).to_have_text(f"First edit {tag}")
    first.context.close()
    second.context.close()


def test_incident_and_statement_pages_pass_axe(
    page: Page, sign_in: Callable[[Page, str], None], axe
) -> None:
    tag = token()
    sign_in(page, "documenter")
    page.goto("/incidents/new")
    page.get_by_label("Title", exact=True).fill(f"Accessible {tag}")
    page.locator("#date").fill("2000/2001")
    save(page, "Save incident")
    incident_url = page.url
    page.get_by_role("link", name="Add statement").click()
    page.get_by_label("Protection", exact=True).select_option("confidential")
    page.get_by_label("Pseudonym", exact=True).fill(f"Source {tag}")
    page.get_by_label("Text", exact=True).fill("Seen from the window.")
    save(page, "Save statement")
    statement_url = page.url
    for url in (
        "/incidents/",
        incident_url,
        "/incidents/new",
        incident_url + "/edit",
        "/statements/",
        statement_url,
        "/statements/new",
    ):
        page.goto(url)
        violations = axe(page)
        assert violations == [], f"{url}:\n{describe(violations)}"
    # A form with errors too: the messages and their links must be accessible.
    page.goto("/incidents/new")
    page.locator("#date").fill("2020-13")
    save(page, "Save incident")
    expect(page.locator(".error-summary")).to_contain_text("Date:")
    assert axe(page) == [], describe(axe(page))


def test_a_name_typed_before_the_script_ran_is_still_suggested(
    page: Page, sign_in: Callable[[Page, str], None]
) -> None:
    # On a slow connection the page can be typed into before its deferred script runs: the
    # field's input events went unheard, and no suggestion ever came (until the next key).
    tag = token()
    sign_in(page, "documenter")
    page.goto("/persons/new")
    page.get_by_label("Name", exact=True).fill(f"Zinaida Early{tag}")
    save(page, "Save person")
    held: list[Route] = []
    page.route("**/static/js/forms.js", lambda route: held.append(route))
    page.goto("/statements/new", wait_until="commit")
    page.locator("#witness").fill(f"early{tag}")
    for _ in range(200):  # the request reaches the handler while Playwright processes events
        if held:
            break
        page.wait_for_timeout(50)
    held[0].continue_()
    page.get_by_role("option").filter(has_text=f"Zinaida Early{tag}").first.click()
    expect(page.locator("#witness")).to_have_value(re.compile(f"early{tag}", re.IGNORECASE))
