"""Folding names and text onto one search key, whatever the script or transliteration.

Belarusian and Russian Cyrillic, BGN/PCGN, ISO 9, Belarusian Łacinka and the
usual English spellings of one name all fold onto the same key, so that
Тарайковский, Тарайкоўскі, Taraikovsky, Taraykovsky and Taraikovskiy are the
single key ``taraikovski``, and Лукашэнка, Lukashenko and Lukashenka are
``lukawenka``. Keys are only compared with other keys, never shown.

How (each step removes one kind of difference between spellings):
1. Cyrillic letters become Latin letters that carry their diacritics (ж -> ž,
   ў -> ŭ), so steps 2-5 treat a transliteration and the original alike.
2. Latin digraphs and diacritics of the transliteration systems become one
   letter each (zh/ž -> ž, shch/ŝ -> ŝ, kh -> h, ts -> c, â -> ja, ł -> l).
3. Spelling freedom of English transliteration: y, j -> i (ai/ay/aj, iy/y/yi);
   e after i (ye/je/е) -> e; io (yo/ё) -> e; g -> h (Belarusian г is h:
   Homiel/Gomel); w, ŭ and a u closing a syllable after a, e, o -> v (ў/u/w); x -> ks.
4. Repeated letters collapse (Taraikovskii -> Taraikovski, Alla -> Ala) and a
   final -ko becomes -ka (Lukashenko/Lukashenka).
5. The sibilants, kept apart until now, become letters that steps 3-4 freed
   (ž -> j, č -> q, š -> w, ŝ -> wq), so keys are plain ASCII words.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

# Step 1: Cyrillic (Russian, Belarusian, and Ukrainian letters seen in sources) -> Latin.
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "ё": "e",
    "є": "je", "ж": "ž", "з": "z", "и": "i", "і": "i", "ї": "ji", "й": "j", "к": "k",
    "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ў": "ŭ", "ф": "f", "х": "h", "ц": "c", "ч": "č", "ш": "š", "щ": "ŝ",
    "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "ju", "я": "ja",
}  # fmt: skip

# Step 2: digraphs first (longest first), then single letters with diacritics.
_DIGRAPHS = [
    ("shch", "ŝ"), ("šč", "ŝ"), ("tch", "č"), ("zh", "ž"), ("ch", "č"), ("cz", "č"),
    ("sh", "š"), ("sz", "š"), ("kh", "h"), ("ts", "c"), ("tz", "c"), ("ck", "k"),
]  # fmt: skip
_LETTERS = {
    "â": "ja", "ä": "ja", "û": "ju", "ü": "ju", "ë": "e", "è": "e", "é": "e", "ì": "i",
    "ł": "l", "ĺ": "l", "ľ": "l", "ć": "c", "ś": "s", "ź": "z", "ń": "n", "ǵ": "g",
    "ŭ": "v", "w": "v", "x": "ks", "q": "k", "y": "i", "j": "i", "g": "h",
}  # fmt: skip
_SIBILANTS = {"ž": "j", "č": "q", "š": "w", "ŝ": "wq"}
_KEPT = set(_SIBILANTS)

_VOWELS = "aeiou"
_APOSTROPHES = re.compile(r"['’ʼʹʺ`\u02bc\u02b9\u02ba″]")
_WORD = re.compile(r"[^\W_]+")
_DIGRAPH = re.compile("|".join(re.escape(d) for d, _ in _DIGRAPHS))
_DIGRAPH_OF = dict(_DIGRAPHS)
# After a, e or o only: after i the u is the second half of ю (Yury, Юрий).
_CLOSING_U = re.compile(rf"(?<=[aeo])u(?![{_VOWELS}])")
_REPEATS = re.compile(r"(.)\1+")


def _strip_marks(word: str) -> str:
    """Drop diacritics that no transliteration step gave a meaning (ó -> o), keep ours."""
    kept = []
    for char in word:
        if char in _KEPT or char in _LETTERS:
            kept.append(char)
            continue
        base = unicodedata.normalize("NFKD", char)
        kept.append("".join(c for c in base if not unicodedata.combining(c)))
    return "".join(kept)


@functools.lru_cache(maxsize=200_000)  # texts repeat their words; indexing folds millions
def fold_word(word: str) -> str:
    """The search key of one word (see the module docstring for the steps)."""
    word = word.casefold()
    if word.isdigit():
        return word
    word = "".join(_CYRILLIC.get(char, char) for char in word)
    word = _DIGRAPH.sub(lambda match: _DIGRAPH_OF[match.group()], word)
    word = _strip_marks(word)
    word = "".join(_LETTERS.get(char, char) for char in word)
    word = word.replace("ie", "e").replace("io", "e")
    word = _CLOSING_U.sub("v", word)
    word = _REPEATS.sub(r"\1", word)
    if word.endswith("ko"):
        word = word[:-1] + "a"
    return "".join(_SIBILANTS.get(char, char) for char in word)


def words(text: str | None) -> list[str]:
    """The words of a text as written (apostrophes of soft signs joined: Kuz'min)."""
    if not text:
        return []
    return _WORD.findall(_APOSTROPHES.sub("", text))


def keys(text: str | None) -> list[str]:
    """The search keys of a text, in order, one per word."""
    return [key for key in map(fold_word, words(text)) if key]


def normalise(text: str | None) -> str:
    """A text as its keys separated by spaces: what the engines index and match."""
    return " ".join(keys(text))


def folded(values: Iterable[str | None]) -> str:
    """The ``folded_names`` of a record with these names: each casefolded and as keys."""
    forms = (form for value in values if value for form in (value.casefold(), normalise(value)))
    return "\n".join(dict.fromkeys(form for form in forms if form))


def needles(text: str) -> list[str]:
    """The folded forms of typed text, each looked for inside ``folded_names``."""
    return list(dict.fromkeys(form for form in (text.casefold(), normalise(text)) if form))


def contains(text: str, values: Iterable[str | None]) -> bool:
    """Whether typed text finds these names (as the database condition would)."""
    names = folded(values)
    return any(needle in names for needle in needles(text))
