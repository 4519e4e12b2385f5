"""A protected name is replaced however it is spelled; other text is left alone.

Property-based: hypothesis writes the names of two protected witnesses in generated
case forms, letter case, word order, with invisible characters, fullwidth letters and
letters of the other script that look the same, amid ordinary words.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.protection import Scrubber

NAMES = {
    "Pavel Kuzmich": "Witness A",
    "Павел Кузьмич": "Witness A",
    "Tatsiana Taraikovskaya": "Witness B",
    "Татьяна Тарайковская": "Witness B",
}

# Real case forms of each name part, as documenters write them: Russian, Belarusian,
# Ukrainian, Polish and English (possessive). Each is (stem, endings).
FORMS = {
    "Witness A": {
        "given": [
            ("Pav", ["el", "la", "lu", "lom", "le"]),
            ("Пав", ["ел", "ла", "лу", "лом", "ле"]),
            ("Па", ["вел", "ўла", "ўлу", "ўлам"]),
            ("Paw", ["eł", "ła", "łowi", "łem", "le"]),
        ],
        "surname": [
            ("Kuzmich", ["", "a", "u", "om", "'s", "’s"]),
            ("Кузьмич", ["", "а", "у", "ом", "е", "ам", "ей"]),
            ("Кузьміч", ["", "а", "у", "ам", "ы", "ах"]),
            ("Кузьмiч", ["", "ові", "ем", "у"]),
            ("Kuźmicz", ["", "a", "owi", "em", "u"]),
        ],
    },
    "Witness B": {
        "given": [
            ("Tatsian", ["a", "y", "u", "aj"]),
            ("Татьян", ["а", "ы", "е", "у", "ой"]),
            ("Тацян", ["а", "ы", "е", "у", "ай"]),
        ],
        "surname": [
            ("Taraikovsk", ["aya", "aja", "oj", "uju", "aya's"]),
            ("Тарайковск", ["ая", "ой", "ую", "ого", "ому", "им"]),
            ("Тарайкоўск", ["ая", "ай", "ую", "ага", "аму"]),
            ("Tarajkowsk", ["a", "iej", "ą", "i", "iego"]),
        ],
    },
}

INVISIBLE = ["\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u034f"]
LOOKALIKES = {
    **dict(zip("aceopxyiAСЕОРХ", "асеорхуіАCEOPX", strict=True)),
    **dict(zip("асеорхуі", "aceopxyi", strict=True)),
}

ORDINARY = [
    "police",
    "detained",
    "a",
    "protester",
    "near",
    "the",
    "square",
    "in",
    "Minsk",
    "on",
    "Tuesday",
    "and",
    "beat",
    "him",
    "any",
    "time",
    "he",
    "asked",
    "for",
    "Ivanov",
    "or",
    "Pavlov",
    "or",
    "Petrovich;",
    "witnesses",
    "saw",
    "it",
    "from",
    "the",
    "bus",
    "stop.",
    "милиция",
    "задержала",
    "протестующего",
    "возле",
    "площади",
    "и",
    "избила",
    "его",
    "Иванов",
    "Павлов",
    "кузня",
    "кузнец",
    "Тарасов",
    "Татарская",
    "сказал",
    "что",
    "видел",
    "всё",
    "Анализ",
    "ночью",
]


@st.composite
def spelled(draw: st.DrawFn, stem: str, ending: str) -> str:
    """One written form, disguised as an adversary or a careless typist would."""
    word = stem + ending
    if draw(st.booleans()):
        word = "".join(c.upper() if draw(st.booleans()) else c.lower() for c in word)
    if draw(st.booleans()):
        word = "".join(LOOKALIKES.get(c, c) if draw(st.booleans()) else c for c in word)
    if draw(st.booleans()):
        word = "".join(
            chr(ord(c) + 0xFEE0) if c.isascii() and c.isalpha() and draw(st.booleans()) else c
            for c in word
        )
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(1, len(word) - 1))
        word = word[:at] + draw(st.sampled_from(INVISIBLE)) + word[at:]
    return word


@st.composite
def written_name(draw: st.DrawFn) -> tuple[str, str]:
    """(how the name was written, the pseudonym it must become)."""
    pseudonym = draw(st.sampled_from(sorted(FORMS)))
    style = draw(st.sampled_from(["spaced", "initial", "joined"]))
    parts = []
    for role in draw(st.sampled_from([["surname"], ["given", "surname"], ["surname", "given"]])):
        stem, endings = draw(st.sampled_from(FORMS[pseudonym][role]))
        if role == "given" and style == "initial":
            parts.append(stem[0] + ".")
        else:
            parts.append(draw(spelled(stem, draw(st.sampled_from(endings)))))
    if style == "joined":
        return "".join(parts), pseudonym
    return draw(st.sampled_from([" ", "  ", "\u00a0", ", ", "-"])).join(parts), pseudonym


ordinary_text = st.lists(st.sampled_from(ORDINARY), max_size=6).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(before=ordinary_text, name=written_name(), after=ordinary_text)
def test_every_spelling_of_a_protected_name_is_replaced(
    before: str, name: tuple[str, str], after: str
) -> None:
    written, pseudonym = name
    text = f"{before} {written} {after}".strip()
    assert Scrubber(NAMES).scrub(text) == f"{before} {pseudonym} {after}".strip()


@settings(max_examples=200, deadline=None)
@given(text=st.lists(st.sampled_from(ORDINARY), min_size=1, max_size=20).map(" ".join))
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert Scrubber(NAMES).scrub(text) == text


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        ("KUZMICH signed", "Witness A signed"),
        ("P. Kuzmich and П. Кузьмич", "Witness A and Witness A"),
        ("Kuzmich's flat", "Witness A flat"),
        ("Павла Кузьмича задержали", "Witness A задержали"),
        (
            "Kuzmіch (Cyrillic і), Kuzmiсh (Cyrillic с)",
            "Witness A (Cyrillic і), Witness A (Cyrillic с)",
        ),
        ("Kuz\u00admich or Kuz\u200bmich", "Witness A or Witness A"),
        ("Ｋｕｚｍｉｃｈ", "Witness A"),
        ("PavelKuzmich and kuzmich_pavel.txt", "Witness A and Witness A.txt"),
        ("Тарайковской и Тацяны", "Witness B и Witness B"),
        # Only the part that names the person goes: the file's digits and the rest stay.
        ("Kuzmich_signed_statement_2024.txt", "Witness A_signed_statement_2024.txt"),
    ],
)
def test_spellings_from_the_issue(text: str, scrubbed: str) -> None:
    assert Scrubber(NAMES).scrub(text) == scrubbed


def test_short_parts_and_particles_need_a_neighbour() -> None:
    scrubber = Scrubber({"Li Wei": "W-1", "Anna van Dijk": "W-2"})
    assert scrubber.scrub("Li said it; Li Wei said it") == "Li said it; W-1 said it"
    assert scrubber.scrub("van der Berg; Anna van Dijk") == "van der Berg; W-2"
    # Short case forms of a given name (Анну, Ани) go only beside another part.
    assert Scrubber({"Анна Кузьмич": "W-3"}).scrub("any Анну; Анну Кузьмич") == "any Анну; W-3"


def test_names_without_letters_are_never_replaced() -> None:
    assert Scrubber({"---": "W-6"}).scrub("a --- b") == "a --- b"
    assert not Scrubber({"---": "W-6"})
