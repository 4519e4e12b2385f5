"""Bounded input: lengths, control characters, versions, page numbers and search queries.

The adversary is a documenter (or a script with a documenter's cookie) who
sends five megabytes, NUL bytes, a malformed version or an absurd page number.
Every form must answer with a message naming the field and write nothing.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from evidence import limits
from evidence.web.forms import MISSING_VERSION
from tests.records_web import counting_statements
from tests.web.forms import FormCase, audit_count, form_cases, text_fields
from tests.web.world import make_world
from tests.webclient import sign_in, without_csrf

CASE_NAMES = [case.name for case in form_cases(None)]  # type: ignore[arg-type]
FORMLESS_POSTS = {
    # buttons without text fields, and the account forms (bounded in evidence.accounts)
    "accounts.sign_in", "accounts.sign_out", "accounts.new", "accounts.disable",
    "accounts.enable", "accounts.password", "accounts.role", "audit.verify_chain",
    "dossiers.export", "dossiers.choose_statement", "exhibits.verify", "links.check_now",
    "links.capture_source", "cases.remove_incident", "accounts.change_my_password",
    "accounts.second_factor", "accounts.two_factor", "accounts.renew_recovery_codes",
    "accounts.end_my_session", "accounts.end_my_other_sessions", "accounts.end_sessions_of",
    # a choice among the three languages, refused otherwise
    "accounts.change_my_language", "accounts.switch_language",
    # a file and nothing else (its limit is EVIDENCE_MAX_UPLOAD_MB, tested with exhibits.new)
    "exhibits.redacted_copy", "sheets.new",
    # choices among the candidates shown, and buttons
    "sheets.review", "sheets.discard_upload",
    # one bounded field (MergeForm is a BoundedForm: "keep" has a limit in evidence.limits)
    "places.merge", "units.merge", "persons.merge", "sources.merge",
    # a button; and a form's draft as JSON, bounded in evidence.drafts (tests/drafts)
    "drafts.delete", "drafts.autosave",
}  # fmt: skip
CATALOGUED = {
    "places.new", "places.edit", "units.new", "units.edit", "persons.new", "persons.edit",
    "sources.new", "sources.edit", "cases.new", "cases.edit", "cases.add_incident",
    "cases.move_incident", "violation_types.new", "violation_types.edit", "incidents.new",
    "incidents.edit", "incidents.retract", "statements.new", "statements.edit",
    "statements.retract", "exhibits.new", "exhibits.custody",
    # retract and restore of the record sections share the forms tested through places
    *(f"{s}.{a}" for s in ("places", "units", "persons", "sources", "cases", "violation_types")
      for a in ("retract", "restore")),
    "incidents.restore", "statements.restore", "sheets.columns",
}  # fmt: skip


def _client(app: Flask, role: str) -> FlaskClient:
    client = without_csrf(app).test_client()
    sign_in(client, role)
    return client


def _case(session: Session, name: str) -> FormCase:
    return next(case for case in form_cases(session) if case.name == name)


def _post(client: FlaskClient, case: FormCase, world: dict[str, Any], **changes: Any) -> Any:
    data = {**case.data(world), **changes}
    data = {name: value for name, value in data.items() if value is not None}
    return client.post(
        case.url(world),
        data=data,
        content_type="multipart/form-data" if case.upload else None,
        follow_redirects=True,
    )


def _page(response: TestResponse) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True)).replace("&#34;", '"')


def test_every_form_is_catalogued(app: Flask) -> None:
    posts = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in (rule.methods or ())}
    assert posts - FORMLESS_POSTS <= CATALOGUED, "a form route the input tests do not know"


@pytest.mark.parametrize("name", CASE_NAMES)
def test_over_long_text_and_control_characters_are_refused_by_name(
    app: Flask, session: Session, name: str
) -> None:
    world = make_world(app, session)
    case = _case(session, name)
    client = _client(app, case.role)
    fields = list(text_fields(app, case.form))
    assert fields, f"{name} has no bounded text field"
    for field in fields:
        for value, message in (
            ("x" * (field.limit + 1), f"at most {field.limit:,} characters"),
            ("before\x00after", "contains a control character"),
            ("escape\x1b[31m", "contains a control character"),
            *(
                []
                if field.multiline
                else [("a\tb", "contains a control character, tab or line break (U+0009)")]
            ),
        ):
            before = audit_count(session)
            page = _page(_post(client, case, world, **{field.name: value}))
            where = f"{name}: {field.name} = {value[:20]!r}"
            assert f"{field.label}: {message}".lower() in page.lower(), where
            assert audit_count(session) == before, f"{where} wrote something"


def test_the_limit_is_stated_in_the_form(app: Flask, session: Session) -> None:
    make_world(app, session)
    page = _page(_client(app, "documenter").get("/incidents/new"))
    assert f'maxlength="{limits.NAME}"' in page and "At most 500 characters." in page
    assert f'maxlength="{limits.LONG_TEXT}"' in page and "At most 20,000 characters." in page


def test_text_at_the_limit_and_line_breaks_in_long_text_are_kept(
    app: Flask, session: Session
) -> None:
    world = make_world(app, session)
    case = _case(session, "new incident")
    summary = "Line one,\twith a tab.\r\nLine two. " + "я" * (limits.LONG_TEXT - 40)
    summary = summary[: limits.LONG_TEXT]
    response = _post(_client(app, "documenter"), case, world, title="T" * limits.NAME,
                     summary=summary)  # fmt: skip
    assert "Incident “" in _page(response) and "saved" in _page(response)


@pytest.mark.parametrize(
    "name", [n for n in CASE_NAMES if n.startswith(("edit", "retract", "add", "move"))]
)
def test_an_edit_without_a_valid_version_is_refused(
    app: Flask, session: Session, name: str
) -> None:
    world = make_world(app, session)
    case = _case(session, name)
    client = _client(app, case.role)
    for version in (None, "", "abc", "1e3", "-1", "9" * 30, "1 OR 1=1"):
        before = audit_count(session)
        response = _post(client, case, world, version=version)
        assert response.status_code in (200, 400), version
        assert MISSING_VERSION.split(",")[0] in _page(response), version
        assert audit_count(session) == before, f"version {version!r} wrote something"


def test_any_page_number_gives_a_page(app: Flask, session: Session) -> None:
    make_world(app, session)
    client = _client(app, "admin")
    lists = ("/incidents/", "/places/", "/statements/", "/audit/", "/exhibits/", "/links/")
    for value in ("99999999999999999999", "1000001", "²", "-3", "1.5", "x"):
        for url in (*lists, "/search?q=incident&type=incident&"):
            separator = "" if url.endswith("&") else "?"
            response = client.get(f"{url}{separator}page={value}")
            assert response.status_code == 200, f"{url} page={value}"


def test_a_page_past_the_end_shows_the_last_page(app: Flask, session: Session) -> None:
    world = make_world(app, session)
    page = _page(_client(app, "viewer").get("/incidents/?page=99999999999999999999"))
    assert f'href="/incidents/{world["keys"]["incidents"]}"' in page


def test_a_long_search_is_cut_to_its_first_words_and_says_so(app: Flask, session: Session) -> None:
    make_world(app, session)
    client = _client(app, "viewer")
    response = client.get("/search", query_string={"q": " ".join(["a"] * 5000)})
    assert response.status_code == 200
    assert "only the first 32 words were searched" in _page(response)
    assert "only the first" not in _page(client.get("/search?q=incident"))


def test_search_work_stops_growing_at_the_word_limit(app: Flask, session: Session) -> None:
    """The engine's look-ups grow with the words searched, up to 32 and no further."""
    make_world(app, session)
    client = _client(app, "viewer")

    def statements(words: int) -> int:
        query = " ".join(f"zz{i:04d}" for i in range(words))
        with counting_statements(app) as sent:
            assert client.get("/search", query_string={"q": query}).status_code == 200
        return len(sent)

    assert statements(limits.SEARCH_TERMS) == statements(2000) > statements(2)


def test_a_request_larger_than_any_form_is_refused_before_it_is_read(
    app: Flask, session: Session
) -> None:
    make_world(app, session)
    client = _client(app, "documenter")
    before = audit_count(session)
    response = client.post("/places/new", data={"name": "x" * (limits.FORM_BYTES + 1)})
    assert response.status_code == 413 and "Too large" in response.get_data(as_text=True)
    assert audit_count(session) == before
