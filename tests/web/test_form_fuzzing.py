"""Fuzzing every form and every query string with Hypothesis: no 500s, no partial writes.

Each example posts a form's valid data with some fields replaced by
arbitrary text (any Unicode, control characters, huge or empty values,
numbers that overflow). Whatever the server answers, it must not be a 5xx,
and a refused form (4xx) must have written nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from evidence import limits
from tests.web.forms import audit_count, form_cases
from tests.web.world import make_world
from tests.webclient import sign_in, without_csrf

CASE_NAMES = [case.name for case in form_cases(None)]  # type: ignore[arg-type]
TRICKY = [
    "", " ", "0", "-1", "1.5", "NaN", "inf", "99999999999999999999", "abc", "2000/2001",
    "2020-13-45", "\x00", "a\x00b", "\u202eevil", "' OR 1=1 --", "<script>x</script>",
    "x" * (limits.NAME + 1), "../../etc/passwd", "Тарайковский",
]  # fmt: skip
VALUES = st.one_of(st.sampled_from(TRICKY), st.text(max_size=60))
FUZZ = settings(
    max_examples=15,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _field_names(app: Flask, form_class: type) -> list[str]:
    """Every field a browser would post for the form (nested rows: the first two)."""
    with app.test_request_context():
        form = form_class(meta={"csrf": False})
        return sorted(_leaves(form))


def _leaves(form: Any) -> Iterator[str]:
    for field in form:
        if hasattr(field, "entries"):
            field.append_entry()
            for entry in field.entries[:2]:
                yield from _leaves(entry.form) if hasattr(entry, "form") else [entry.name]
        elif field.type not in ("CSRFTokenField", "FileField", "SubmitField"):
            yield field.name


@pytest.mark.parametrize("name", CASE_NAMES)
def test_fuzzed_forms_never_fail_and_never_half_write(
    app: Flask, session: Session, name: str
) -> None:
    world = make_world(app, session)
    case = next(case for case in form_cases(session) if case.name == name)
    client = without_csrf(app).test_client()
    sign_in(client, case.role)
    names = _field_names(app, case.form)

    @FUZZ
    @given(changes=st.dictionaries(st.sampled_from(names), VALUES, max_size=len(names)))
    def post(changes: dict[str, str]) -> None:
        data = {**case.data(world), **changes}
        before = audit_count(session)
        response = client.post(
            case.url(world),
            data=data,
            content_type="multipart/form-data" if case.upload else None,
        )
        assert response.status_code < 500, f"{name} {changes!r}"
        if response.status_code >= 400:
            assert audit_count(session) == before, f"{name} refused {changes!r} but wrote"

    post()


LIST_PAGES = (
    "/incidents/", "/places/", "/units/", "/persons/", "/sources/", "/statements/", "/cases/",
    "/violation-types/", "/exhibits/", "/audit/", "/links/", "/search", "/lookup/units",
    "/lookup/date",
)  # fmt: skip
ARGUMENTS = (
    "q", "page", "value", "retracted", "type", "date_from", "date_to", "place", "unit",
    "violation", "status", "protection", "actor", "action", "entity", "media",
)  # fmt: skip


def test_fuzzed_query_strings_never_fail(app: Flask, session: Session) -> None:
    make_world(app, session)
    client = without_csrf(app).test_client()
    sign_in(client, "admin")

    @FUZZ
    @given(
        url=st.sampled_from(LIST_PAGES),
        arguments=st.dictionaries(st.sampled_from(ARGUMENTS), VALUES, max_size=4),
    )
    def get(url: str, arguments: dict[str, str]) -> None:
        response = client.get(url, query_string=arguments)
        assert response.status_code < 500, f"{url} {arguments!r}"

    get()
