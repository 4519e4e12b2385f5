"""The fast scrubber replaces exactly what one pattern of every protected name replaces."""

from __future__ import annotations

import _sre
import random
from re import _casefix

import pytest

from evidence.protection import Scrubber, _compiled, _folded, _variants

NAMES = {
    "Ivan Petrov": "W-1",
    "Иван Петров": "W-1",
    "Petrov": "W-1",
    "Anna-Maria O'Neil": "W-2",
    "Σωκράτης Παππάς": "W-3",
    "İlker Işık": "W-4",
    "Straße": "W-5",
    "---": "W-6",  # no letter: never a name
}


def _reference(names: dict[str, str], text: str) -> str:
    """The pattern of every name, as protection applied it before the pre-check."""
    variants = _variants(names)
    pattern = _compiled(tuple(variants))
    return pattern.sub(lambda m: names[variants[m.lastindex - 1]], text)


def test_folding_agrees_with_the_regex_engine_for_every_character() -> None:
    # re.IGNORECASE compares the simple lower case of each character, plus the groups of
    # re._casefix; a pre-check that folded differently could skip a name the pattern finds.
    for code in range(0x110000):
        if 0xD800 <= code < 0xE000:
            continue
        char = chr(code)
        lowered = chr(_sre.unicode_tolower(code))
        assert _folded(char) == _folded(lowered) and len(_folded(char)) == 1, hex(code)
    for lowered, others in _casefix._EXTRA_CASES.items():
        assert {_folded(chr(c)) for c in (lowered, *others)} == {_folded(chr(lowered))}


@pytest.mark.parametrize(
    "text",
    [
        "Ivan Petrov was beaten; IVAN PETROV and ivan-petrov and ivan_petrov__key.",
        "Ивана Петрова задержали, ИВАН ПЕТРОВ тоже; Петров один.",
        "ıvan petrov (dotless ı), İVAN PETROV (dotted İ), Ivan Petroſ (long s).",
        "Anna-Maria O'Neil, ANNA MARIA O'NEIL, anna_maria-o'neilova.",
        "ΣΩΚΡΆΤΗΣ ΠΑΠΠΆΣ and σωκράτης παππάς and Σωκράτης Παππάς.",
        "ilker ışık, İLKER IŞIK, Straße, STRASSE, straßen.",
        "Nobody protected is named here, only Ivanov and Petrovsky-less text.",
        "xIvan Petrov (inside a word), Ivan  -  Petrov, Ivan\nPetrov.",
        "",
    ],
)
def test_scrub_matches_the_pattern_of_every_name(text: str) -> None:
    assert Scrubber(NAMES).scrub(text) == _reference(NAMES, text)


def test_scrub_matches_the_pattern_on_random_mixtures() -> None:
    rng = random.Random(4)
    pieces = [*NAMES, "Ivan", "Petrova", "O'Neil", "ſ", "ı", "İ", "Σ", " ", "-", "_", "x", "."]
    scrubber = Scrubber(NAMES)
    for _ in range(2000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        text = "".join(c.upper() if rng.random() < 0.2 else c for c in text)
        assert scrubber.scrub(text) == _reference(NAMES, text), text


def test_names_without_letters_are_never_replaced() -> None:
    assert Scrubber({"---": "W-6"}).scrub("a --- b") == "a --- b"
    assert not Scrubber({"---": "W-6"})
