"""The language of each page: English, Belarusian or Russian (Flask-Babel).

Chosen, first match wins: the signed-in account's preference (its settings page, or the
switch in the header), the browser's earlier choice in the header switch (a cookie, so it
survives signing in and out), the ``Accept-Language`` header, English.

Translations are data, not markup: a translated string is escaped like any other text
before it reaches a page, so a catalog cannot add tags; and since it is written through
``{{ ... }}``, the audience's protection scrubs it like every other output.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, has_request_context, request
from flask_babel import Babel, get_locale, get_translations
from flask_babel.speaklater import LazyString
from flask_login import current_user
from markupsafe import Markup, escape

from evidence import dates
from evidence.catalogs import CATALOG_DIR, install_escaped_gettext
from evidence.core.messages import FieldName, Joined, Message
from evidence.core.validation import ValidationError
from evidence.vocabularies import LANGUAGE_NAMES, LANGUAGES, translatable

DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "evidence_language"


# The kinds of record pages name through ``translated`` (recent changes, edit conflicts).
RECORD_NOUNS = (
    translatable("violation type"),
    translatable("place"),
    translatable("source"),
    translatable("unit"),
    translatable("person"),
    translatable("incident"),
    translatable("statement"),
    translatable("case"),
    translatable("exhibit"),
    translatable("user"),
)


def chosen_language(value: Any) -> str | None:
    """``value`` if it names one of our languages, else None."""
    return value if isinstance(value, str) and value in LANGUAGES else None


def select_language() -> str:
    """The language of this request (see the module's docstring for the order)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    if current_user and current_user.is_authenticated:
        preferred = chosen_language(getattr(current_user, "language", None))
        if preferred:
            return preferred
    return (
        chosen_language(request.cookies.get(LANGUAGE_COOKIE))
        or request.accept_languages.best_match(LANGUAGES)
        or DEFAULT_LANGUAGE
    )


def page_language() -> str:
    """The language code of the page being drawn, for ``<html lang>``."""
    return str(get_locale() or DEFAULT_LANGUAGE)


def remember_language(response: Response, language: str, *, secure: bool) -> Response:
    """The header switch's choice, kept by this browser for a year."""
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=365 * 24 * 3600,
        secure=secure,
        httponly=True,
        samesite="Lax",
    )
    return response


class LazyText(LazyString):
    """Text translated when it is shown (a form label defined at import time), and escaped
    when HTML asks for it: Flask-Babel's own lazy string would pass as markup."""

    def __html__(self) -> str:
        return escape(str(self))


def lazy_gettext(message: str, **variables: Any) -> LazyText:
    """``message`` in the language of the request that shows it, its ``%(name)s`` filled
    from ``variables`` (themselves translated then, if lazy)."""

    def translate() -> str:
        text = get_translations().ugettext(message)
        return text % {name: str(value) for name, value in variables.items()} if variables else text

    return LazyText(translate)


def human_date(text: str | None) -> str:
    """An EDTF date as people read it, in the page's language."""
    return dates.humanize(text, page_language())


def translated(value: Any) -> Any:
    """A word marked ``translatable`` where it is defined (a vocabulary value, a navigation
    label) in the page's language; other values as they are."""
    return get_translations().ugettext(value) if isinstance(value, str) else value


def localized(text: Any, label_of: Callable[[str], str | None] | None = None) -> Any:
    """A service's `Message` in the page's language, its values translated too; a field's
    internal name inside it becomes that field's label when ``label_of`` knows one.
    Other values as they are."""
    if isinstance(text, Joined):
        return text.separator.join(localized(part, label_of) for part in text.parts)
    if isinstance(text, FieldName):
        label = label_of(text) if label_of is not None else None
        return str(label) if label is not None else str(text)
    if not isinstance(text, Message):
        return text
    if text.english is not None and page_language() == DEFAULT_LANGUAGE:
        return text.english
    translations = get_translations()
    if text.plural is None:
        wording = translations.ugettext(text.template)
    else:
        wording = translations.ungettext(text.template, text.plural, text.count)
    values = {name: localized(value, label_of) for name, value in text.values.items()}
    return wording % values if values else wording


def error_text(error: ValidationError) -> str:
    """A service's refusal as one line for a flashed notice, in the page's language."""
    return "; ".join(localized(text) for text in error.errors.values())


# Stands for what the reader typed inside a translated message (see ``around``).
TYPED = "\ue000"


def around(message: Markup) -> tuple[Markup, Markup]:
    """A translated message cut where the reader's words go (passed as ``TYPED``).

    The page then writes those words with a ``{{ ... }}`` of their own, as typed
    (ViewerInput): inside the message they would be scrubbed with it, and a protected
    name typed into a search would come back as the pseudonym it stands for.
    """
    before, _, after = message.partition(TYPED)
    return before, after


def register_languages(app: Flask) -> None:
    """Flask-Babel with our catalogs; templates get ``_``, ``ngettext`` and the languages."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(CATALOG_DIR)
    Babel(app, locale_selector=select_language)
    install_escaped_gettext(app.jinja_env, get_translations)
    app.add_template_filter(translated)
    app.add_template_filter(localized)
    app.add_template_filter(around)
    app.jinja_env.globals.update(
        page_language=page_language,
        languages=LANGUAGES,
        language_names=LANGUAGE_NAMES,
        typed=TYPED,
    )
