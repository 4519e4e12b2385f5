"""The Belarusian and Russian catalogs cover every English string of the code and templates.

The English is extracted as `make translations` extracts it (babel.cfg, the same keywords);
a string with no translation, a catalog that lags behind the code (a msgid added or gone),
a plural without all its forms, or a compiled .mo that is not its .po fails here.
"""

from __future__ import annotations

import gettext
import io
import re
from pathlib import Path

import jinja2
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from markupsafe import escape

from evidence.catalogs import CATALOG_DIR, install_escaped_gettext
from evidence.web.language import LazyText

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
    "translatable": None,
    "message": None,
    "plural_message": (1, 2),
    "explained_message": (2,),
    "plural_forms": (1, 2),
}
TRANSLATED = ("be", "ru")


def _extracted() -> set[str | tuple[str, str]]:
    with open(ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: set[str | tuple[str, str]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else (message[0], message[1]))
    return found


def _catalog(language: str):
    with open(CATALOG_DIR / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=language)


@pytest.fixture(scope="module")
def extracted() -> set[str | tuple[str, str]]:
    return _extracted()


def test_templates_python_and_vocabularies_are_all_extracted(extracted) -> None:
    assert {"Skip to main content", "Your language is saved.", "perpetrator"} <= extracted


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_string_is_translated(language: str, extracted) -> None:
    catalog = _catalog(language)
    assert catalog.num_plurals == 3
    in_catalog = {(m.id if isinstance(m.id, str) else tuple(m.id)) for m in catalog if m.id}
    assert not extracted - in_catalog, f"not in the {language} catalog: run `make translations`"
    assert not in_catalog - extracted, f"gone from the code, still in {language}: run it too"
    untranslated = [
        m.id
        for m in catalog
        if m.id
        and (
            "fuzzy" in m.flags
            or (not m.string if isinstance(m.string, str) else not all(m.string))
            or (m.pluralizable and len(m.string) != catalog.num_plurals)
        )
    ]
    assert not untranslated, f"{language} has no translation for {untranslated}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_placeholders_survive_translation(language: str) -> None:
    placeholder = re.compile(r"%\((\w+)\)[sd]")
    for message in _catalog(language):
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        wanted = set().union(*(placeholder.findall(text) for text in ids))
        for text in strings:
            assert set(placeholder.findall(text)) <= wanted, (language, message.id, text)


@pytest.mark.parametrize("language", TRANSLATED)
def test_compiled_catalogs_are_up_to_date(language: str) -> None:
    compiled = io.BytesIO()
    write_mo(compiled, _catalog(language))
    path = CATALOG_DIR / language / "LC_MESSAGES" / "messages.mo"
    assert path.read_bytes() == compiled.getvalue(), f"{path} is stale: `make translations`"


class _HostileCatalog(gettext.NullTranslations):
    """A catalog whose translator slipped markup in."""

    def gettext(self, message: str) -> str:
        return "<script>alert(1)</script> %(name)s"

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return "<b>%(num)d</b>"


def test_a_translation_cannot_add_markup_to_a_page() -> None:
    environment = jinja2.Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
    install_escaped_gettext(environment, _HostileCatalog)
    page = environment.from_string(
        '{{ _("Hello %(name)s", name="<i>") }} {{ ngettext("%(num)d a", "%(num)d b", 2) }}'
    ).render()
    assert "<script>" not in page and "<b>" not in page and "<i>" not in page
    assert "&lt;script&gt;" in page and "&lt;b&gt;2&lt;/b&gt;" in page and "&lt;i&gt;" in page


def test_a_lazy_form_label_is_escaped_as_text() -> None:
    label = LazyText(lambda: "<img src=x onerror=alert(1)>")
    assert str(escape(label)) == "&lt;img src=x onerror=alert(1)&gt;"
