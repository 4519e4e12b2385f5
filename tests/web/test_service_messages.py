"""Service refusals, WTForms' own messages and counted phrases in the reader's language.

Services raise `Message`s (English text that keeps its template and values); pages show
them translated, with fields named by their labels. A refusal a Belarusian documenter can
cause must not reach the page as English.
"""

from __future__ import annotations

import ast
import pickle
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evidence.accounts.services import change_role, create_user
from evidence.catalogs import catalog
from evidence.core.messages import FieldName, Joined, Message, message, plural_message
from evidence.core.validation import ValidationError
from evidence.exhibits.services import add_custody_event
from evidence.incidents.services import create_incident, update_incident
from evidence.interchange.services import COUNTED, ImportSummary
from evidence.merging.services import MOVED_LABELS, merge_records
from evidence.models import Incident
from evidence.places.services import create_place
from evidence.records.editing import restore, retract
from evidence.records.loading import SECTIONS
from evidence.sources.services import create_source
from evidence.statements.services import create_statement
from evidence.web.forms import show_errors
from evidence.web.input import BoundedForm, TranslatedForm
from evidence.web.language import lazy_gettext, localized
from tests.factories import make_incident, make_place, make_unit
from tests.incidents.test_views import NEW_INCIDENT, _references
from tests.webclient import make_users, sign_in, without_csrf

ROOT = Path(__file__).resolve().parents[2]
Client = Callable[[str, str], FlaskClient]


@pytest.fixture
def client_in(app: Flask, session: Session) -> Client:
    """A client signed in as ``role`` whose pages are in ``language``."""
    make_users(session)
    without_csrf(app)

    def signed_in(role: str, language: str) -> FlaskClient:
        client = app.test_client()
        sign_in(client, role)
        client.set_cookie("evidence_language", language)
        return client

    return signed_in


def _page(response) -> str:
    return response.get_data(as_text=True)


# --- pages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "shown", "english"),
    [
        ("en", "Nothing is named &#34;amaz&#34; yet.", None),
        ("be", "Пакуль няма запісу з назвай «amaz»", "Nothing is named"),
        ("ru", "Пока нет записи с названием «amaz»", "Nothing is named"),
    ],
)
def test_a_bad_reference_is_refused_in_the_readers_language(
    session: Session, client_in: Client, language: str, shown: str, english: str | None
) -> None:
    _references(session)
    data = {**NEW_INCIDENT, "involvements-0-unit": "amaz"}
    response = client_in("documenter", language).post("/incidents/new", data=data)
    assert response.status_code == 400
    assert shown in _page(response)
    if english:
        assert english not in _page(response)
    assert session.scalar(select(func.count()).select_from(Incident)) == 0


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("be", "Поле «Крыніца» абавязковае: выберыце запіс (крыніца)"),
        ("ru", "Поле «Источник» обязательно: выберите запись (источник)"),
    ],
)
def test_a_missing_nested_reference_is_named_by_its_translated_label(
    session: Session, client_in: Client, language: str, shown: str
) -> None:
    _references(session)
    data = {**NEW_INCIDENT, "citations-0-source": ""}
    page = _page(client_in("documenter", language).post("/incidents/new", data=data))
    assert shown in page
    assert "citations-0-source is required" not in page
    assert "is required" not in page


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("be", "ключ «taken» ужо выкарыстаны іншым запісам"),
        ("ru", "ключ «taken» уже использован другой записью"),
    ],
)
def test_a_duplicate_key_is_refused_in_the_readers_language(
    session: Session, client_in: Client, language: str, shown: str
) -> None:
    _references(session)
    make_incident(session, key="taken")
    session.commit()
    data = {**NEW_INCIDENT, "key": "taken"}
    response = client_in("documenter", language).post("/incidents/new", data=data)
    assert response.status_code == 400
    assert shown in _page(response) and "already used" not in _page(response)


@pytest.mark.parametrize(
    ("language", "shown"),
    [("be", "Хтосьці змяніў"), ("ru", "Кто-то изменил")],
)
def test_a_version_conflict_is_explained_in_the_readers_language(
    session: Session, client_in: Client, language: str, shown: str
) -> None:
    _references(session)
    make_incident(session, key="edited", title="Before")
    session.commit()
    data = {**NEW_INCIDENT, "key": "edited", "version": "0"}
    response = client_in("documenter", language).post("/incidents/edited/edit", data=data)
    assert response.status_code == 409
    assert shown in _page(response) and "Someone changed" not in _page(response)


def test_a_belarusian_form_error_holds_no_english_default(
    session: Session, client_in: Client
) -> None:
    response = client_in("admin", "be").post(
        "/accounts/new", data={"name": "", "role": "viewer", "password": ""}
    )
    page = _page(response)
    assert "Гэтае поле абавязковае." in page
    assert "This field is required." not in page


def _subclasses(cls: type) -> list[type]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *_subclasses(direct))]


def test_every_page_form_takes_wtforms_messages_from_our_catalogs(app: Flask) -> None:
    from flask_wtf import FlaskForm

    forms = [form for form in _subclasses(FlaskForm) if form.__module__.startswith("evidence.")]
    assert len(forms) > 20
    with app.app_context():
        untranslated = [
            form.__qualname__
            for form in forms
            if type(form.Meta().get_translations(None))
            is not type(TranslatedForm.Meta().get_translations(None))
        ]
    assert untranslated == []


def test_wtforms_length_and_number_messages_come_from_our_catalogs(app: Flask) -> None:
    from wtforms import IntegerField, StringField
    from wtforms.validators import Length, NumberRange

    class Sample(BoundedForm):
        name = StringField(validators=[Length(min=3)])
        count = IntegerField(validators=[NumberRange(max=5)])

    with app.test_request_context(
        method="POST",
        data={"name": "ab", "count": "9"},
        headers={"Accept-Language": "ru"},
    ):
        app.config["WTF_CSRF_ENABLED"] = False
        form = Sample(meta={"csrf": False})
        assert not form.validate()
        assert form.count.errors == ["Число должно быть не больше 5."]
        assert form.name.errors == ["Поле должно содержать не менее 3 символов."]


# --- every refusal is a translated Message ----------------------------------------------


def _refusals(session: Session) -> list[ValidationError]:
    """What a set of bad inputs makes the services raise."""
    _references(session)
    inside = make_place(session, key="inside", parent="minsk")
    incident = make_incident(session, key="kept")
    make_unit(session, key="omon-2", name="OMON 2")
    make_users(session)
    attempts: list[Callable[[], object]] = [
        lambda: create_incident(
            session,
            title="",
            date="",
            key="Bad Key",
            place="atlantis",
            citations=[{"source": ""}],
            involvements=[{"unit": "omon", "person": "someone"}],
        ),
        lambda: create_incident(session, title="x", date="2020-13", key="kept", status="rumour"),
        lambda: create_place(session, name="", kind="settlement", lat="north", lon=500),
        lambda: create_place(session, name="x", kind="settlement", parent=7_000_000),
        lambda: update_incident(session, incident, incident.version, place=object()),
        lambda: create_source(session, title="x", kind="document", url="javascript:1"),
        lambda: create_source(session, title="x", kind="document", accessed="yesterday"),
        lambda: merge_records(session, "unit", "omon", "omon", by="test"),
        lambda: merge_records(session, "place", "inside", "minsk", by="test"),
        lambda: merge_records(session, "unit", "ghost", "omon", by="test"),
        lambda: merge_records(session, "case", "a", "b", by="test"),
        lambda: restore(session, inside),
        lambda: retract(session, inside, "", by="test"),
        lambda: create_user(session, name="bad name!", role="viewer", password="x"),
        lambda: create_user(session, name="someone", role="king", password="x"),
        lambda: create_user(session, name="someone", role="viewer", password="short"),
        lambda: create_user(session, name="someone", role="viewer", password="password1234"),
        lambda: change_role(session, _only_admin(session), "viewer"),
        lambda: create_statement(session, text="x", protection="confidential", taken="2020-13"),
        # The action is checked before the exhibit is looked at.
        lambda: add_custody_event(session, None, action="burned", by="test"),
    ]
    refusals = []
    for attempt in attempts:
        savepoint = session.begin_nested()
        try:
            attempt()
        except ValidationError as error:
            refusals.append(error)
        finally:
            savepoint.rollback()
    assert len(refusals) == len(attempts), "an attempt was not refused"
    return refusals


def _only_admin(session: Session):
    from evidence.accounts.models import User

    admins = session.scalars(select(User).where(User.role == "admin")).all()
    for extra in admins[1:]:
        extra.active = False
    session.flush()
    return admins[0]


def _templates(text: object) -> list[Message]:
    """The message and every message among its values (kind nouns, listed counts)."""
    if isinstance(text, Joined):
        return [m for part in text.parts for m in _templates(part)]
    if not isinstance(text, Message):
        return []
    return [text, *(m for value in text.values.values() for m in _templates(value))]


@pytest.mark.parametrize("language", ["be", "ru"])
def test_no_refusal_reaches_a_page_as_untranslated_english(session: Session, language: str) -> None:
    translations = catalog(language)
    for error in _refusals(session):
        for field, text in error.errors.items():
            assert isinstance(text, Message), f"{field}: {text!r} is a plain str"
            for made in _templates(text):
                if made.plural is None:
                    translated = translations.gettext(made.template)
                else:
                    translated = translations.ngettext(made.template, made.plural, 2)
                assert translated != made.template or made.template.startswith("%("), (
                    f"{language} has no translation of {made.template!r}"
                )


def _plain_refusals(path: Path) -> list[str]:
    """``errors.add(field, "...")`` and ``ValidationError({field: "..."})`` with English
    text that no catalog can translate (a literal or an f-string)."""

    def plain(node: ast.AST | None) -> bool:
        return isinstance(node, ast.JoinedStr) or (
            isinstance(node, ast.Constant) and isinstance(node.value, str)
        )

    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        callee = node.func
        name = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
        if name == "add" and len(node.args) == 2 and plain(node.args[1]):
            found.append(f"{path.name}:{node.lineno}")
        literal = node.args[0] if name == "ValidationError" and node.args else None
        if isinstance(literal, ast.Dict) and any(plain(value) for value in literal.values):
            found.append(f"{path.name}:{node.lineno}")
    return found


def test_services_raise_no_plain_english_refusal() -> None:
    sources = [
        *ROOT.glob("evidence/*/services.py"),
        *ROOT.glob("evidence/records/*.py"),
        *ROOT.glob("evidence/core/*.py"),
        ROOT / "evidence/interchange/uploads.py",
        ROOT / "evidence/accounts/two_factor.py",
    ]
    assert len(sources) > 15
    assert [hit for path in sources for hit in _plain_refusals(path)] == []


# --- rendering --------------------------------------------------------------------------


def test_a_message_is_its_english_text_for_the_cli_and_logs() -> None:
    made = message("%(field)s is required", field=FieldName("citations-0-source"))
    assert made == "citations-0-source is required"
    assert str(ValidationError({"x": made})) == "x: citations-0-source is required"
    assert plural_message("%(num)d place", "%(num)d places", 1) == "1 place"


def test_a_pickled_message_keeps_its_template_and_values() -> None:
    listed = Joined([plural_message("%(num)d place", "%(num)d places", 2), message("nothing")])
    made = message("Created %(created)s.", created=listed)
    copied = pickle.loads(pickle.dumps(made))
    assert copied == "Created 2 places, nothing." and copied.template == made.template
    parts = copied.values["created"].parts
    assert [part.template for part in parts] == ["%(num)d place", "nothing"]


def test_field_names_become_labels_and_nouns_are_translated(app: Flask) -> None:
    from wtforms import StringField

    class Sample(BoundedForm):
        title = StringField(lazy_gettext("Title"))

    refusal = ValidationError(
        {
            "title": message("%(field)s is required", field=FieldName("title")),
            "place": message('no %(noun)s with key "%(key)s"', noun=Message("place"), key="x"),
        }
    )
    with app.test_request_context(headers={"Accept-Language": "be"}):
        form = Sample(meta={"csrf": False})
        show_errors(form, refusal)
        assert form.title.errors == ["Поле «Назва» абавязковае"]
        assert form.form_errors == ["place: не знойдзена: месца з ключом «x»"]


@pytest.mark.parametrize(
    ("language", "counts", "shown"),
    [
        ("en", (1, 1), "Created 1 incident, 1 place; updated nothing; 1 record unchanged."),
        ("en", (3, 5), "Created 3 incidents, 5 places; updated nothing; 5 records unchanged."),
        ("be", (1, 2), "Створана: 1 інцыдэнт, 2 месцы; абноўлена: нічога; 2 запісы без зменаў."),
        ("be", (5, 21), "Створана: 5 інцыдэнтаў, 21 месца; абноўлена: нічога;"),
        ("ru", (2, 11), "Создано: 2 инцидента, 11 мест; обновлено: ничего; 11 записей без"),
    ],
)
def test_the_import_summary_counts_in_the_right_plural(
    app: Flask, language: str, counts: tuple[int, int], shown: str
) -> None:
    incidents, places = counts
    summary = ImportSummary({"incidents": incidents, "places": places}, {}, places)
    with app.test_request_context(headers={"Accept-Language": language}):
        assert localized(summary.describe()).startswith(shown)


def test_every_section_of_an_import_has_its_counted_wording() -> None:
    assert set(COUNTED) == set(SECTIONS)


def test_every_count_a_merge_keeps_is_marked_for_the_catalogs() -> None:
    source = (ROOT / "evidence/merging/services.py").read_text()
    counted = {
        node.slice.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id == "moved"
        and isinstance(node.slice, ast.Constant)
    }
    assert counted and counted <= set(MOVED_LABELS)
