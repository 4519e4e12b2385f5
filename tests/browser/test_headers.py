"""The Content-Security-Policy in a real browser: injected inline code does not run."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def test_injected_inline_script_and_style_are_refused_and_reported(
    page: Page, sign_in, csp_violations: list[str]
) -> None:
    sign_in(page, "viewer")
    # What a stored cross-site-scripting payload would put into the page.
    page.evaluate(
        """() => {
        const script = document.createElement("script");
        script.textContent = "window.injected = true";
        document.body.appendChild(script);
        const heading = document.querySelector("h1");
        heading.setAttribute("style", "display: none");
        const frame = document.createElement("iframe");
        frame.src = "https://example.org/";
        document.body.appendChild(frame);
    }"""
    )
    page.wait_for_function("() => document.querySelectorAll('iframe').length === 1")
    assert page.evaluate("window.injected") is None
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expected = ("script-src", "style-src", "frame-src")
    for _ in range(50):  # the reports arrive as console messages, shortly after
        if all(directive in " ".join(csp_violations) for directive in expected):
            break
        page.wait_for_timeout(100)
    blocked = " ".join(csp_violations)
    assert all(directive in blocked for directive in expected), blocked
    csp_violations.clear()  # seen and expected: this test must not fail for them
