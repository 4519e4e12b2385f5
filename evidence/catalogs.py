"""The message catalogs of the three languages, for text made outside a web request
(dossiers rendered by the CLI or a worker); web pages reach the same catalogs through
Flask-Babel (evidence/web/language.py).

The English is the source text itself, so English needs no catalog.
"""

from __future__ import annotations

import functools
import gettext
from collections.abc import Callable

import jinja2
from babel.support import Translations
from markupsafe import escape

from evidence.config import PACKAGE_DIR
from evidence.vocabularies import LANGUAGES

CATALOG_DIR = PACKAGE_DIR / "translations"


@functools.cache
def catalog(language: str) -> gettext.NullTranslations:
    """The translations of ``language`` (one of LANGUAGES); raises ValueError otherwise."""
    if language not in LANGUAGES:
        raise ValueError(f"language: must be one of {', '.join(LANGUAGES)}")
    return Translations.load(str(CATALOG_DIR), [language])


def install_escaped_gettext(
    environment: jinja2.Environment, translations: Callable[[], gettext.NullTranslations]
) -> None:
    """``_``, ``gettext`` and ``ngettext`` for templates, from ``translations()`` at each call.

    Jinja's new-style gettext treats a translation as markup and escapes only the %(name)s
    values; these escape the translation too: translations are data, and a catalog must not
    be able to add tags to a page or a dossier.
    """
    environment.install_gettext_callables(
        lambda message: escape(translations().gettext(message)),
        lambda singular, plural, count: escape(translations().ngettext(singular, plural, count)),
        newstyle=True,
    )
