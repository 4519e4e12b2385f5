"""A documenter imports a CSV and an XLSX sheet through the browser: columns chosen once and
saved by name, Cyrillic and Latin names matched to existing records, a review that writes
nothing, then one import."""

from __future__ import annotations

import io
import secrets
import string

from openpyxl import Workbook
from playwright.sync_api import Page, expect

from evidence.models import Incident
from tests.browser.conftest import LiveServer, describe


def token() -> str:
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))


def incident_titled(live_server: LiveServer, title: str) -> Incident | None:
    with live_server.app.extensions["evidence.sessions"]() as session:
        incident = session.query(Incident).filter_by(title=title).one_or_none()
        if incident is None:
            return None
        place = incident.place.name if incident.place else None
        units = sorted(i.unit.name for i in incident.involvements if i.unit)
        return incident.date, place, units


def create_records(page: Page, tag: str) -> None:
    page.goto("/places/new")
    page.get_by_label("Name", exact=True).fill(f"Minsk {tag}")
    page.get_by_label("Aliases").fill(f"Мінск {tag}")
    page.get_by_role("button", name="Save place").click()
    expect(page.locator(".flash-success")).to_be_visible()
    page.goto("/units/new")
    page.get_by_label("Name", exact=True).fill(f"OMON {tag}")
    page.get_by_label("Aliases").fill(f"ОМОН {tag}")
    page.get_by_role("button", name="Save unit").click()
    expect(page.locator(".flash-success")).to_be_visible()


def test_a_documenter_imports_csv_and_xlsx_sheets_matched_across_scripts(
    page: Page, sign_in, axe, live_server: LiveServer
) -> None:
    tag = token()
    sign_in(page, "documenter")
    create_records(page, tag)
    csv_title, xlsx_title = f"Beating {tag}", f"Затрыманне {tag}"
    csv_text = f"Title,When,Where,Unit\n{csv_title},каля жніўня 2020,мінск {tag},омон {tag}\n"

    page.get_by_role("link", name="Import", exact=True).click()
    page.get_by_label("Spreadsheet").set_input_files(
        {"name": "incidents.csv", "mimeType": "text/csv", "buffer": csv_text.encode()}
    )
    page.get_by_label("Each row is").select_option("incidents")
    page.get_by_role("button", name="Upload and choose columns").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Which column holds each field?")
    expect(page.get_by_label("title (required)")).to_have_value("Title")
    page.get_by_label("date (required)").select_option("When")
    page.get_by_label("place", exact=True).select_option("Where")
    page.get_by_label("units", exact=True).select_option("Unit")
    page.get_by_label("Save this mapping as").fill(f"Field sheet {tag}")
    violations = axe(page)
    assert violations == [], describe(violations)
    page.get_by_role("button", name="Review the import").click()

    review = page.locator(".sheet-review")
    expect(review).to_contain_text(f"Minsk {tag}")
    expect(review).to_contain_text(f"OMON {tag}")
    violations = axe(page)
    assert violations == [], describe(violations)
    assert incident_titled(live_server, csv_title) is None  # the review wrote nothing
    page.get_by_role("button", name="Accept and import 1 row").click()
    expect(page.locator(".flash-success")).to_contain_text("Created 1 incident;")
    assert incident_titled(live_server, csv_title) == ("2020-08~", f"Minsk {tag}", [f"OMON {tag}"])

    workbook = Workbook()
    workbook.active.append(["Title", "When", "Where", "Unit"])
    workbook.active.append([xlsx_title, "2020-08-11", f"Minsk {tag}", f"ОМОН {tag}"])
    data = io.BytesIO()
    workbook.save(data)
    page.get_by_role("link", name="Import", exact=True).click()
    page.get_by_label("Spreadsheet").set_input_files(
        {
            "name": "incidents.xlsx",
            "mimeType": "application/octet-stream",
            "buffer": data.getvalue(),
        }
    )
    page.get_by_label("Each row is").select_option("incidents")
    page.get_by_role("button", name="Upload and choose columns").click()
    page.get_by_label("Use a saved mapping").select_option(f"Field sheet {tag}")
    page.get_by_role("button", name="Use it").click()
    expect(page.get_by_label("units", exact=True)).to_have_value("Unit")
    page.get_by_role("button", name="Review the import").click()
    page.get_by_role("button", name="Accept and import 1 row").click()
    expect(page.locator(".flash-success")).to_contain_text("Created 1 incident;")
    assert incident_titled(live_server, xlsx_title) == (
        "2020-08-11",
        f"Minsk {tag}",
        [f"OMON {tag}"],
    )
