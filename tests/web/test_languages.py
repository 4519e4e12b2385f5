"""The interface in English, Belarusian and Russian: which language a page is in, the switch
in the header, the account's own choice, and pages with no English left in them."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from evidence.accounts.models import User
from tests.factories import (
    citation,
    involvement,
    make_case,
    make_incident,
    make_person,
    make_place,
    make_source,
    make_statement,
    make_unit,
)
from tests.webclient import make_users, sign_in, without_csrf


def _html_lang(page: bytes) -> str:
    match = re.search(rb'<html lang="([a-z]+)">', page)
    assert match, "no <html lang>"
    return match.group(1).decode()


@pytest.fixture
def client(app: Flask, session: Session):
    make_users(session)
    return without_csrf(app).test_client()


def test_the_browser_language_is_used_when_nobody_chose(client) -> None:
    page = client.get("/sign-in", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    assert _html_lang(page.data) == "ru"
    assert "Выйти" not in page.get_data(as_text=True)  # signed out: no sign-out button
    assert "Пароль" in page.get_data(as_text=True)
    page = client.get("/sign-in", headers={"Accept-Language": "be;q=0.9, de"})
    assert _html_lang(page.data) == "be"
    page = client.get("/sign-in", headers={"Accept-Language": "de, fr"})
    assert _html_lang(page.data) == "en"


def test_the_header_switch_is_kept_by_the_browser(client) -> None:
    response = client.post("/language", data={"language": "be", "next": "/sign-in"})
    assert response.status_code == 302 and response.location == "/sign-in"
    page = client.get("/sign-in", headers={"Accept-Language": "ru"})
    assert _html_lang(page.data) == "be"
    assert "Увайсці" in page.get_data(as_text=True)


def test_the_switch_refuses_other_languages_and_other_sites(client) -> None:
    assert client.post("/language", data={"language": "de"}).status_code == 400
    response = client.post("/language", data={"language": "ru", "next": "//evil.example/"})
    assert response.location == "/"


def test_the_account_preference_comes_first(client, session: Session) -> None:
    sign_in(client, "documenter")
    response = client.post("/account/language", data={"language": "ru"})
    assert response.status_code == 302
    assert session.query(User).filter_by(name="documenter").one().language == "ru"
    page = client.get("/", headers={"Accept-Language": "be"})
    assert _html_lang(page.data) == "ru"
    # The browser's cookie from the switch yields to the account's choice...
    client.set_cookie("evidence_language", "be")
    assert _html_lang(client.get("/").data) == "ru"
    # ...and "as my browser asks" gives the choice back to the browser.
    client.post("/account/language", data={"language": ""})
    client.delete_cookie("evidence_language")
    assert _html_lang(client.get("/", headers={"Accept-Language": "be"}).data) == "be"


def test_the_switch_while_signed_in_is_the_account_preference(client, session: Session) -> None:
    sign_in(client, "lawyer")
    # The switch returns to the page without its query: typed words are not echoed there.
    search = client.get("/search?q=Kuzmich").get_data(as_text=True)
    assert '<input type="hidden" name="next" value="/search">' in search
    client.post("/language", data={"language": "be", "next": "/"})
    assert session.query(User).filter_by(name="lawyer").one().language == "be"
    page = client.get("/account/")
    assert _html_lang(page.data) == "be"
    assert '<option selected value="be">' in page.get_data(as_text=True)


# Words of the interface's English that no Belarusian or Russian page should still show.
ENGLISH_UI_WORDS = (
    "Search",
    "Sign out",
    "Dashboard",
    "Incidents",
    "Units",
    "Persons",
    "Places",
    "Sources",
    "Statements",
    "Cases",
    "Exhibits",
    "New",
    "Edit",
    "Save",
    "Filter",
    "Date",
    "Title",
    "Status",
    "Name",
    "Kind",
    "Key",
    "required",
    "Previous",
    "Next",
    "Retract",
    "Show",
    "unsourced",
    "Clear",
    "Cancel",
    "My account",
    "Password",
    "Role",
    "Language",
    "No ",
    "about",
    "between",
    "until",
    "from",
    "Witness",
    "Source",
    "Place",
    "Unit",
    "Person",
)
MAIN_PAGES = (
    "/",
    "/incidents/",
    "/incidents/new",
    "/units/",
    "/units/new",
    "/persons/",
    "/persons/new",
    "/places/",
    "/places/new",
    "/sources/",
    "/sources/new",
    "/statements/",
    "/statements/new",
    "/cases/",
    "/exhibits/",
    "/account/",
    "/search?q=омон",
)


def _visible_text(page: bytes) -> str:
    html = page.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    return " ".join(html.split())


def _english_words(text: str) -> list[str]:
    return [word for word in ENGLISH_UI_WORDS if re.search(rf"\b{re.escape(word)}\b", text)]


@pytest.mark.parametrize("language", ["be", "ru"])
def test_main_pages_have_no_english_left(client, language: str) -> None:
    sign_in(client, "documenter")
    client.post("/account/language", data={"language": language})
    for path in MAIN_PAGES:
        page = client.get(path)
        assert page.status_code == 200, path
        assert _html_lang(page.data) == language
        assert _english_words(_visible_text(page.data)) == [], path


@pytest.mark.parametrize(
    ("language", "date_words", "status"),
    [
        ("be", "каля жніўня 2020", "паведамлены"),
        ("ru", "около августа 2020", "заявленный"),
        ("en", "about August 2020", "alleged"),
    ],
)
def test_a_record_page_in_each_language(
    client, session: Session, language: str, date_words: str, status: str
) -> None:
    source = make_source(session, title="Радыё Свабода, 2020")
    unit = make_unit(session, name="ОМОН")
    place = make_place(session, name="Мінск")
    incident = make_incident(
        session,
        title="Збіццё ў Савецкім РУУС",
        date="2020-08~",
        place=place.key,
        citations=[citation(source.key)],
        involvements=[involvement(unit=unit.key)],
    )
    session.commit()
    sign_in(client, "documenter")
    client.post("/language", data={"language": language, "next": "/"})
    page = client.get(f"/incidents/{incident.key}")
    text = _visible_text(page.data)
    assert date_words in text and status in text
    if language != "en":
        assert _english_words(text) == []


@pytest.mark.parametrize("language", ["be", "ru"])
def test_record_pages_and_team_pages_have_no_english_left(
    client, session: Session, language: str
) -> None:
    source = make_source(session, title="Радыё Свабода, 2020", reliability="B")
    unit = make_unit(session, name="ОМОН", kind="special-forces")
    person = make_person(
        session,
        name="Павел Кузьміч",
        memberships=[{"unit": unit, "title": "камандзір", "start": "2019"}],
    )
    place = make_place(session, name="Мінск", kind="settlement")
    incident = make_incident(
        session,
        title="Збіццё ў РУУС",
        date="2000/2001",
        place=place.key,
        citations=[citation(source.key, locator="с. 4")],
        involvements=[involvement(unit=unit.key), involvement(person=person.key, role="commander")],
    )
    statement = make_statement(
        session,
        witness=person,
        text="Паказанні.",
        taken="2020-08~",
        incidents=[{"incident": incident, "excerpt": None}],
    )
    case = make_case(session, title="Справа РУУС", incidents=[incident])
    session.commit()
    pages = {
        "documenter": [
            f"/incidents/{incident.key}", f"/units/{unit.key}", f"/persons/{person.key}",
            f"/places/{place.key}", f"/sources/{source.key}", f"/statements/{statement.key}",
            f"/cases/{case.key}", f"/incidents/{incident.key}/edit", "/search?q=ОМОН",
        ],
        "lawyer": [f"/cases/{case.key}/dossiers"],
        "admin": ["/accounts/", "/audit/", "/links/", "/reports/sourcing"],
    }  # fmt: skip
    for name, paths in pages.items():
        user = client.application.test_client()
        sign_in(user, name)
        user.post("/language", data={"language": language, "next": "/"})
        for path in paths:
            page = user.get(path)
            assert page.status_code == 200, path
            text = _visible_text(page.data)
            assert _english_words(text) == [], (path, _english_words(text))


def test_the_header_switch_works_with_its_csrf_token(app: Flask, session: Session) -> None:
    client = app.test_client()  # CSRF on, as in production
    page = client.get("/sign-in").get_data(as_text=True)
    switch = page[page.index('class="language-switch"') :]
    token = re.search(r'name="csrf_token" value="([^"]+)"', switch).group(1)
    assert client.post("/language", data={"language": "ru"}).status_code == 400
    response = client.post("/language", data={"language": "ru", "csrf_token": token})
    assert response.status_code == 302
    assert _html_lang(client.get("/sign-in").data) == "ru"


def test_a_refused_date_is_explained_in_the_page_language(client) -> None:
    sign_in(client, "documenter")
    english = client.post("/incidents/new", data={"title": "T", "date": "sometime"})
    assert "was not understood as a date" in english.get_data(as_text=True)
    client.post("/account/language", data={"language": "be"})
    page = client.post("/incidents/new", data={"title": "T", "date": "sometime"})
    text = page.get_data(as_text=True)
    assert page.status_code == 400
    assert "«sometime» — гэта не дата, якую можна прачытаць" in text
    assert "was not understood as a date" not in text
