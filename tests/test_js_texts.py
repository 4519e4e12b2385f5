"""The scripts write no words of their own: every text they put into a page comes from the
page (data-text-* on <body>, a dialog's data-*) or from a JSON answer, both already in the
page's language. A new English literal in static/js fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).parent.parent / "static" / "js"

# Where a script puts text a person reads or hears, up to the end of the statement.
SINKS = re.compile(
    r"""\.(?:textContent|innerText|innerHTML|title|placeholder)\s*=(?!=)\s*(?P<assigned>[^;]*)
      | setAttribute\(\s*["'](?:aria-label|title|placeholder|alt)["']\s*,(?P<attribute>[^;]*)
      | \bsay\((?P<said>[^;]*)""",
    re.VERBOSE,
)
# A translated text looked up by name, and the {placeholders} filled into one, are no words.
LOOKUPS = re.compile(r"""\b(?:pageText|text)\(\s*(?:"[^"]*"|'[^']*')(?:\s*\+\s*\w+)?\s*\)""")
PLACEHOLDERS = re.compile(r"""(["'])\{\w+\}\1""")
LITERALS = re.compile(r""""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`""")


def words_written(source: str) -> list[str]:
    """The string literals with letters in them that ``source`` writes into a page."""
    found = []
    for sink in SINKS.finditer(source):
        written = next(part for part in sink.groups() if part is not None)
        written = PLACEHOLDERS.sub("", LOOKUPS.sub("", written))
        for literal in LITERALS.findall(written):
            outside_substitutions = re.sub(r"\$\{[^}]*\}", "", literal)
            if re.search(r"[^\W\d_]", outside_substitutions[1:-1]):
                found.append(literal)
    return found


@pytest.mark.parametrize("script", sorted(SCRIPTS.glob("*.js")), ids=lambda path: path.name)
def test_scripts_take_every_word_they_show_from_the_page(script: Path) -> None:
    assert words_written(script.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "line",
    [
        'chosen.textContent = "Chosen: " + result.label;',
        'list.setAttribute("aria-label", "Suggestions");',
        "times.textContent = `queued ${clock(job.queued_at)}`;",
        "input.placeholder = made ? 'generated: ' + made : pageText(\"key-later\");",
        'say("Draft saved");',
    ],
)
def test_an_english_literal_is_found(line: str) -> None:
    assert words_written(line) != []


def test_words_from_the_page_and_numbers_are_not_flagged() -> None:
    lines = (
        'chosen.textContent = pageText("chosen").replace("{label}", result.label);',
        'button.textContent = text("new-" + kind);',
        "bar.textContent = `${job.percent}%`;",
        'detail.textContent = result.key + " · " + result.aliases.join(", ");',
        'list.textContent = "";',
    )
    assert [words_written(line) for line in lines] == [[]] * len(lines)
