"""A documenter is warned of a duplicate typed in another script, saves anyway, then merges
the duplicate into the record kept, choosing it by autocomplete."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from tests.browser.conftest import describe


def test_duplicate_warning_then_merge(page: Page, sign_in, axe) -> None:
    tag = uuid.uuid4().hex[:6]
    sign_in(page, "documenter")

    page.goto("/persons/new")
    page.get_by_label("Name", exact=True).fill(f"Alexander Taraikovsky {tag}")
    page.get_by_label("Key", exact=True).fill(f"taraikovsky-{tag}")
    page.get_by_label("Aliases").fill(f"Taraykovsky {tag}")
    page.get_by_role("button", name="Save person").click()
    expect(page.locator(".flash-success")).to_be_visible()

    page.goto("/persons/new")
    page.get_by_label("Name", exact=True).fill(f"Тарайковский {tag}")
    page.get_by_label("Key", exact=True).fill(f"duplicate-{tag}")
    page.get_by_role("button", name="Save person").click()
    warning = page.locator(".duplicate-warning")
    expect(warning).to_contain_text("Possible duplicates:")
    expect(warning.get_by_role("link", name=f"Alexander Taraikovsky {tag}")).to_be_visible()
    violations = axe(page)
    assert violations == [], describe(violations)
    expect(page.get_by_label("Name", exact=True)).to_have_value(f"Тарайковский {tag}")
    page.get_by_label("Save anyway").check()
    page.get_by_role("button", name="Save person").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Тарайковский {tag}")

    page.get_by_role("link", name="Merge").click()
    violations = axe(page)
    assert violations == [], describe(violations)
    keep = page.get_by_label("Record to keep")
    keep.press_sequentially(f"Taraikovsky {tag}")
    page.get_by_role("option", name=f"Alexander Taraikovsky {tag}").click()
    expect(keep).to_have_value(f"taraikovsky-{tag}")
    page.get_by_label("Merge: move every link").check()
    page.get_by_role("button", name="Merge person").click()

    page.wait_for_url(f"**/persons/taraikovsky-{tag}")
    expect(page.locator(".flash-success")).to_contain_text(
        f"Merged person duplicate-{tag} into this person"
    )
    expect(page.locator(".facts")).to_contain_text(f"Тарайковский {tag}")
    page.locator(".history summary").click()
    expect(page.locator(".history")).to_contain_text(f"merged duplicate-{tag} into this person")
