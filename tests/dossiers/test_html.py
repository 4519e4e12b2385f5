"""`evidence dossier --format html`: the dossier as one self-contained HTML document."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.dossiers.test_dossier_content import SECTIONS
from tests.dossiers.test_dossiers import AT, squeeze

CSS_URL = re.compile(r"url\(\s*[\"']?([^\"')\s]+)")


class Reading(HTMLParser):
    """What a browser would show of a page, and every address it would load."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.addresses: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"
        for name, value in attrs:
            if name in {"src", "href", "xlink:href", "srcset", "poster", "data", "action"}:
                self.addresses.append(value or "")
            if name == "style" and value:
                self.addresses += CSS_URL.findall(value)

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)
            self.addresses += CSS_URL.findall(data)
        else:
            self.text.append(data)


def read(page: str) -> Reading:
    reading = Reading()
    reading.feed(page)
    reading.close()
    return reading


def export(runner, case_key: str, audience: str, output: Path) -> str:
    result = runner.invoke(
        args=[
            "dossier",
            case_key,
            "--audience",
            audience,
            "--format",
            "html",
            "--generated-at",
            AT,
            "--as",
            "tester",
            "-o",
            str(output),
        ]
    )
    assert result.exit_code == 0, result.output
    assert "HTML" in result.output
    return output.read_text("utf-8")


@pytest.mark.parametrize("audience", ["internal", "counsel", "public"])
def test_the_html_holds_every_section_and_footnote(
    session, command_case, runner, tmp_path, audience
):
    reading = read(export(runner, command_case.key, audience, tmp_path / "d.html"))
    text = squeeze(" ".join(reading.text))
    for title in SECTIONS:
        assert squeeze(title) in text, title
    # The footnotes are there, numbered once per passage, with source, locator and grades.
    for note in ("S1 (Annex A): Court records, p. 4: “they beat him”", "see note 1"):
        assert squeeze(note) in text
    assert squeeze("credibility of this information: 2 — probably true") in text
    assert squeeze("Chain of command between 2000 and 2003") in text
    if audience == "internal":
        assert "Ivan Petrovsky" in " ".join(reading.text)
    # The figures are drawn in the document itself.
    assert "<svg" in (tmp_path / "d.html").read_text("utf-8")
    assert (tmp_path / "d-sealed.pdf").exists() is False


@pytest.mark.parametrize("audience", ["internal", "counsel", "public"])
def test_the_html_loads_nothing_from_outside(session, command_case, runner, tmp_path, audience):
    page = export(runner, command_case.key, audience, tmp_path / "d.html")
    reading = read(page)
    assert reading.styles, "the stylesheet is inline"
    assert reading.addresses, "the fonts are in the document"
    outside = [a for a in reading.addresses if not a.startswith(("data:", "#"))]
    assert outside == []
    rules = re.sub(r"(?s)/\*.*?\*/", "", " ".join(reading.styles))
    assert not re.search(r"(?i)https?:|file:|report:|@import", rules)


@pytest.mark.parametrize("audience", ["counsel", "public"])
def test_the_html_names_no_protected_witness(session, command_case, runner, tmp_path, audience):
    page = export(runner, command_case.key, audience, tmp_path / "d.html")
    for spelling in ("Ivan Petrovsky", "Petrovsky", "Петровский"):
        assert spelling.casefold() not in page.casefold()
    assert "Witness K." in page
    # No record key either: counsel and public read plain words.
    assert command_case.key not in page
    assert "2020-08~" not in page


def test_the_html_is_byte_identical_across_runs(session, command_case, runner, tmp_path):
    first = export(runner, command_case.key, "public", tmp_path / "one.html")
    second = export(runner, command_case.key, "public", tmp_path / "two.html")
    assert first == second


def test_the_html_shows_what_the_manifest_lists(session, command_case, runner, tmp_path):
    from evidence.dossiers.services import snapshot_dossier

    page = export(runner, command_case.key, "counsel", tmp_path / "d.html")
    snapshot = snapshot_dossier(
        session, command_case.key, "counsel", generated_by="tester", generated_at=AT
    )
    for entry in snapshot.manifest:
        assert entry.hash in page
