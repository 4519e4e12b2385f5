"""The one filter that applies witness protection for an audience (FORMAT.md).

Every output — web pages, lists, autocomplete, search, exports, dossiers —
asks this module what it may show. Nothing else decides.

Rules, from the evidence/1 format:
- A statement is ``public``, ``pseudonymous`` or ``confidential``.
- Audiences are ``internal`` (the team), ``counsel`` (lawyers and courts) and
  ``public``.
- Outside ``internal``, the witness of a pseudonymous or confidential
  statement appears only under the statement's pseudonym; a confidential
  statement is left out entirely outside ``internal`` and ``counsel``.
- Protection follows the person: once someone gave a protected statement,
  they appear under the pseudonym everywhere for that audience (as victim,
  witness, member, in any list or text) and none of their names or aliases
  is shown. A retracted statement still protects its witness: retracting a
  statement does not make the person safe.

- Files cannot be scrubbed, so an exhibit linked to a statement whose witness is
  protected, and a web capture of the source of such a statement, are hidden from the
  public. A documenter may upload a redacted copy of an exhibit: the public sees the
  copy instead of the original (which is then hidden). Counsel sees every file.
- A record an audience may not see answers 404, exactly like one that does not exist.

Typical use in a view or service::

    protection = current_protection()          # per request, cached (evidence.web.request_context)
    protection.visible(exhibit)                # may this audience see it at all?
    stmt.where(protection.visible_condition(Exhibit))   # the same rule in a query
    protection.shown_name(person)              # name or pseudonym
    protection.scrub(incident.summary)         # free text with names replaced

Code without a request (CLI, dossiers) builds ``Protection.load(session, audience)``.
"""

from __future__ import annotations

import dataclasses
import html
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import regex
from confusable_homoglyphs.confusables import confusables_data
from jinja2 import Undefined
from markupsafe import Markup, escape
from rapidfuzz import fuzz
from sqlalchemy import ColumnElement, Select, or_, select, true, union
from sqlalchemy.orm import Session

from evidence.actors.models import Person
from evidence.exhibits.models import Exhibit, ExhibitLink
from evidence.links.models import Capture
from evidence.search.normalise import fold_word
from evidence.statements.models import Statement
from evidence.vocabularies import AUDIENCES

INTERNAL, COUNSEL, PUBLIC = AUDIENCES
PROTECTED_LEVELS = ("pseudonymous", "confidential")

# Which audience each role sees on the web. Viewers are readers outside the
# team, so they get the public view; everyone else is part of the team.
# ``counsel`` is never a web audience: it is chosen when exporting a dossier.
AUDIENCE_OF_ROLE = {
    "admin": INTERNAL,
    "documenter": INTERNAL,
    "lawyer": INTERNAL,
    "auditor": INTERNAL,
    "viewer": PUBLIC,
}


def audience_for(user: Any) -> str:
    """The audience a (possibly anonymous) web user belongs to; unknown means public."""
    if user is None or not getattr(user, "is_authenticated", False):
        return PUBLIC
    return AUDIENCE_OF_ROLE.get(getattr(user, "role", None), PUBLIC)


def protection_applies(protection: str, audience: str) -> bool:
    """Whether a statement of this protection level hides its witness from the audience."""
    return audience != INTERNAL and protection in PROTECTED_LEVELS


def statement_visible(statement: Statement, audience: str) -> bool:
    """A confidential statement exists only for the internal and counsel audiences."""
    return statement.protection != "confidential" or audience in (INTERNAL, COUNSEL)


# Stands for every pseudonym when finding which words a scrub replaces.
_MARK = "\x00"

# An HTML tag, and a quoted attribute value inside one (what Jinja and WTForms write).
_TAG = re.compile(r"(<[^>]*>)")
_ATTRIBUTE_VALUE = re.compile(r'"([^"]*)"')
# A search or filter box: its value is the reader's own query, echoed as typed (ViewerInput).
_QUERY_BOX = re.compile(r'^<input\b[^>]*\bname="q"', re.IGNORECASE)


def _protected_rows(session: Session, audience: str) -> list[Any]:
    """(person id, pseudonym, name, aliases) of every protected witness, one row each.

    The pseudonym is that of the person's oldest protected statement, so they appear
    under one name everywhere. The statements are found through the (protection,
    witness_id) index rather than read one by one (300k statements: 200 ms).
    """
    if audience == INTERNAL:
        return []
    protected = Statement.protection.in_(PROTECTED_LEVELS)
    first_pseudonym = (
        select(Statement.pseudonym)
        .where(Statement.witness_id == Person.id, protected)
        .order_by(Statement.id)
        .limit(1)
        .scalar_subquery()
    )
    stmt = (
        select(Person.id, first_pseudonym.label("pseudonym"), Person.name, Person.aliases)
        .where(Person.id.in_(select(Statement.witness_id).where(protected)))
        .order_by(Person.id)
    )
    return list(session.execute(stmt))


def _protected_person_ids() -> Select[Any]:
    """Persons who gave a protected statement (protection follows the person)."""
    return select(Statement.witness_id).where(
        Statement.protection.in_(PROTECTED_LEVELS), Statement.witness_id.is_not(None)
    )


def _confidential_statement_ids() -> Select[Any]:
    return select(Statement.id).where(Statement.protection == "confidential")


def _naming_statement_ids() -> Select[Any]:
    """Statements whose files may name a protected witness: protected ones, and any
    statement of a person who is protected because of another."""
    return select(Statement.id).where(
        or_(
            Statement.protection.in_(PROTECTED_LEVELS),
            Statement.witness_id.in_(_protected_person_ids()),
        )
    )


def _pseudonyms(rows: Iterable[Any]) -> dict[int, str]:
    return {row.id: row.pseudonym or "protected witness" for row in rows}


def protected_person_ids(session: Session, audience: str) -> dict[int, str]:
    """Person id -> pseudonym for everyone protected from ``audience`` (one query)."""
    return _pseudonyms(_protected_rows(session, audience))


def person_label(person: Any, audience: str, protected: dict[int, str]) -> str:
    """The name to show for a person: the pseudonym when protected from this audience."""
    if audience != INTERNAL and person.id in protected:
        return protected[person.id]
    return person.name


# --- Name matching ---------------------------------------------------------------------
#
# A protected name must be found however it is spelled, so both the names and the text
# are cut into words and every word is folded onto search keys (fold_word, the same
# transliteration the search uses) after three steps that remove what the eye does not
# see: default-ignorable characters (soft hyphen, zero-width space and joiner, BOM,
# variation selectors) and apostrophes go, NFKC turns fullwidth, mathematical and
# ligature letters into plain ones, and casefold removes case. A word that mixes
# scripts (Kuzmiсh with a Cyrillic с) also gets the keys of its letters mapped to one
# script through the Unicode TR39 confusables data: Latin lookalikes (с -> c) and,
# for words with Cyrillic letters, Cyrillic lookalikes (c -> с). A full TR39 skeleton
# is not used: it turns a plain Cyrillic word into a mixture (з -> ɜ, ь -> ƅ) that the
# transliteration cannot fold, so Павла would no longer meet Pavla.
#
# A word names a protected person when its key is a part of one of their names or
# aliases, that part with a possessive s, a stem of it with a case ending (below), or
# several parts written together (PavelKuzmich). Neighbouring words that are parts or
# initials of the same person are replaced together, so "P. Kuzmich" and "Кузьмич
# Павел" become one pseudonym.

# Case endings of Russian, Belarusian, Ukrainian and Polish nouns and adjectival
# surnames (singular; plural only where families are named: Кузьмичей). Written as in
# each language; they are compared after folding, so Cyrillic and Latin spellings of
# one ending meet. Genitive plurals in -ов/-ев/-ів/-ów are left out on purpose: with
# them the given name Ivan would hide every Ivanov.
_CASE_ENDINGS = (
    "а", "я", "у", "ю", "ы", "и", "і", "е", "о", "ом", "ем", "ём", "ам", "ям", "ой", "ей",
    "ою", "ею", "ах", "ях", "ами", "ями", "ого", "его", "ага", "яга", "ому", "ему", "аму",
    "яму", "ым", "им", "ім", "ых", "их", "іх", "ыми", "ими", "імі", "ая", "яя", "ую", "юю",
    "ое", "ее", "ые", "ие", "ія", "ай", "яй", "ій", "ий", "ый", "ові", "еві", "єві",
    "a", "u", "y", "i", "e", "o", "ie", "em", "om", "owi", "ewi", "ach", "ami", "ą", "ę",
    "iego", "ego", "iemu", "emu", "im", "ym", "ich", "ych", "imi", "ymi", "iej", "ej",
    "ową", "owa", "owej", "owie",
)  # fmt: skip
# A stem that lost a fleeting vowel (Павел -> Павла, Marek -> Marka) takes only the
# singular endings: Pavl + -ov would hide every Pavlov.
_FLEETING_ENDINGS = ("а", "у", "ом", "ем", "ам", "е", "і", "ові", "a", "u", "em", "om", "owi", "ie")
_FLEETING_VOWELS = "eoеоёie"
# Letters a stem loses before its ending: vowels, й and the soft sign (Анна -> Анн-ы,
# Юрий -> Юр-ием, Тарайковский -> Тарайковск-ого).
_STEM_VOWELS = "aeiouyjąęóаеёиоуыэюяіїєйь"

# A name part whose key is shorter than this is found only next to another part of the
# same name (Li in "Li Wei"): alone it would hide every "li" and "on" in the text.
_SHORTEST_PART = 3
# A case form (stem and ending) shorter than this is found only next to another part of
# the same name: alone, Анну (anu) or Ани (ani) of Анна would hide every "any".
_SHORTEST_CASE_FORM = 4
# A query word this close to a name part (rapidfuzz ratio; the search's own threshold
# for "one typo away") may be a misspelling the search would correct into the name.
_RESEMBLING = 80

# A word: letters and marks, with default-ignorable characters inside it (they are
# invisible, so a soft hyphen does not cut a name) and apostrophes between letters.
_WORD = regex.compile(r"[\p{L}\p{M}](?:[\p{L}\p{M}\p{DI}]|['’ʼʹ`](?=\p{DI}*\p{L}))*")
_INVISIBLE = regex.compile(r"[\p{DI}'’ʼʹ`]+")
# What may stand between two words of one name: "P. Kuzmich", "Kuzmich, Pavel", "ivan-petrov".
_NAME_GAP = regex.compile(r"[\s\p{DI}.,\-‐‑–—_/]{1,4}")


def _confusable_letters() -> tuple[dict[int, str], dict[int, str]]:
    """Tables mapping each letter to its TR39 confusable in Latin and in Cyrillic.

    The confusables data links each character to its prototype; characters linked
    together look alike. In each group, a letter outside ASCII maps to the group's
    ASCII lowercase letter (Cyrillic с -> c, dotless ı -> i) and an ASCII letter maps
    to the group's Cyrillic lowercase letter (c -> с).
    """
    parent: dict[str, str] = {}

    def root(char: str) -> str:
        while parent.get(char, char) != char:
            char = parent[char]
        return char

    for char, glyphs in confusables_data.items():
        for glyph in glyphs:
            if len(char) == 1 and len(glyph["c"]) == 1:
                parent.setdefault(char, char)
                parent.setdefault(glyph["c"], glyph["c"])
                parent[root(char)] = root(glyph["c"])
    groups: dict[str, list[str]] = {}
    for char in parent:
        groups.setdefault(root(char), []).append(char)
    to_latin: dict[int, str] = {}
    to_cyrillic: dict[int, str] = {}
    for members in groups.values():
        latin = sorted(c for c in members if c.isascii() and c.islower())
        cyrillic = sorted(c for c in members if "\u0430" <= c <= "\u045f")
        letters = [c for c in members if c.isalpha()]
        if len(latin) == 1:
            to_latin.update((ord(c), latin[0]) for c in letters if not c.isascii())
            if cyrillic:
                to_cyrillic[ord(latin[0])] = cyrillic[0]
    return to_latin, to_cyrillic


_TO_LATIN, _TO_CYRILLIC = _confusable_letters()


def _cleaned(word: str) -> str:
    """A word without invisible characters and apostrophes, NFKC-normalised and casefolded."""
    return unicodedata.normalize("NFKC", _INVISIBLE.sub("", word)).casefold()


def _has_cyrillic(word: str) -> bool:
    return any("\u0400" <= char <= "\u052f" for char in word)


def _mixes_scripts(word: str) -> bool:
    return _has_cyrillic(word) and regex.search(r"\p{Latin}", word) is not None


@lru_cache(maxsize=200_000)
def word_keys(word: str) -> frozenset[str]:
    """Every search key a written word may stand for (see the notes above)."""
    cleaned = _cleaned(word)
    spellings = {cleaned}
    if not cleaned.isascii():
        spellings.add(cleaned.translate(_TO_LATIN))
        if _mixes_scripts(cleaned):
            spellings.add(cleaned.translate(_TO_CYRILLIC))
    return frozenset(key for key in map(fold_word, spellings) if key)


_CASE_ENDING_KEYS = frozenset(map(fold_word, _CASE_ENDINGS))
_FLEETING_ENDING_KEYS = frozenset(map(fold_word, _FLEETING_ENDINGS))
_LONGEST_ENDING = max(map(len, _CASE_ENDING_KEYS))


def _stems(part: str) -> list[tuple[str, frozenset[str]]]:
    """(stem key, ending keys it takes) of a cleaned name part, for its case forms."""
    stems: list[tuple[str, frozenset[str]]] = []
    if part[-1] in _STEM_VOWELS:
        shorter = part[:-1]
        stems.append((shorter, _CASE_ENDING_KEYS))
        if len(shorter) > 1 and shorter[-1] in _STEM_VOWELS:
            stems.append((shorter[:-1], _CASE_ENDING_KEYS))
    else:
        stems.append((part, _CASE_ENDING_KEYS))
        if len(part) > 3 and part[-2] in _FLEETING_VOWELS and part[-3] not in _STEM_VOWELS:
            stems.append((part[:-2] + part[-1], _FLEETING_ENDING_KEYS))
    folded = [(fold_word(stem), endings) for stem, endings in stems]
    return [(stem, endings) for stem, endings in folded if len(stem) >= 2]


@dataclass(frozen=True)
class _WordMatch:
    """The people (pseudonym indexes) a word names, by how strongly."""

    full: frozenset[int] = frozenset()  # a name part of at least _SHORTEST_PART letters
    # (person, part) of a part shorter than _SHORTEST_PART or of a short case form:
    # found only next to another part of the same person.
    short: frozenset[tuple[int, int]] = frozenset()
    initial: frozenset[int] = frozenset()  # an initial: only next to another part

    def people(self) -> set[int]:
        return set(self.full) | {person for person, _ in self.short} | set(self.initial)


_NO_MATCH = _WordMatch()


class Scrubber:
    """Replaces every spelling of protected names in free text with the pseudonym.

    Pages scrub every line, so the cost is one pass of the word pattern over the text
    plus a dictionary look-up per word: what a word names is worked out once per
    distinct word and kept (texts repeat their words), and a short text scrubbed
    before is looked up whole (pages repeat their labels and titles).
    """

    # Bounds of what one scrubber remembers (a few MB): words, and short texts whole
    # (labels, titles, lines; a long statement is cheap to redo next to its rendering).
    _REMEMBERED_WORDS = 100_000
    _REMEMBERED_TEXTS = 10_000
    _REMEMBERED_TEXT_LENGTH = 500

    def __init__(self, names: dict[str, str]) -> None:
        # One person per pseudonym: a person's name and aliases share it, so the parts
        # of "P. Kuzmich" and of an alias join into one replacement.
        self._pseudonyms = list(dict.fromkeys(names.values()))
        person_of = {pseudonym: i for i, pseudonym in enumerate(self._pseudonyms)}
        # key -> (person, part, short) of each name part written so.
        self._forms: dict[str, set[tuple[int, int, bool]]] = {}
        # stem key -> (person, part, ending keys) of each part declined from that stem.
        self._stem_forms: dict[str, list[tuple[int, int, frozenset[str]]]] = {}
        self._part_keys: dict[int, set[str]] = {}
        self._part_count = 0
        for name, pseudonym in names.items():
            self._add_name(name, person_of[pseudonym])
        self._written_parts = {_cleaned(part) for name in names for part in _WORD.findall(name)}
        # How a key made of joined parts can begin: most words cannot, and skip the search.
        self._joined_starts = {key[:2] for key in [*self._forms, *self._stem_forms]}
        self._all_part_keys = set().union(*self._part_keys.values())
        self._seen: dict[str, _WordMatch] = {}
        self._scrubbed: dict[str, str] = {}

    def _add_name(self, name: str, person: int) -> None:
        written = _WORD.findall(name)
        capitalised = any(part[:1].isupper() for part in written)
        for as_written in written:
            part = self._part_count
            self._part_count += 1
            cleaned = _cleaned(as_written)
            keys = word_keys(as_written)
            # A lower-case word in a capitalised name is a particle (van, de, ibn) or a
            # word of a descriptive alias: it counts only next to a real part.
            short = all(len(key) < _SHORTEST_PART for key in keys) or (
                capitalised and as_written.islower()
            )
            self._part_keys.setdefault(person, set()).update(keys)
            for key in keys | {fold_word(cleaned + "s")}:
                self._forms.setdefault(key, set()).add((person, part, short))
            if not short:
                for stem, endings in _stems(cleaned):
                    self._stem_forms.setdefault(stem, []).append((person, part, endings))

    def __bool__(self) -> bool:
        return bool(self._forms)

    def _pieces(self, key: str) -> set[tuple[int, int, bool]]:
        """(person, part, short) of every part the key is, as written or declined."""
        found = set(self._forms.get(key, ()))
        declined_short = len(key) < _SHORTEST_CASE_FORM
        for cut in range(max(2, len(key) - _LONGEST_ENDING), len(key)):
            for person, part, endings in self._stem_forms.get(key[:cut], ()):
                if key[cut:] in endings:
                    found.add((person, part, declined_short))
        return found

    def _joined_people(self, key: str) -> set[int]:
        """People two or more of whose parts make up the key (pavelkuzmiq)."""
        if key[:2] not in self._joined_starts:
            return set()
        # reached[i]: person -> how many of their parts cover key[:i] (the most found).
        reached: list[dict[int, int]] = [{} for _ in range(len(key) + 1)]
        for end in range(2, len(key) + 1):
            for start in range(0, end - 1):
                if start and not reached[start]:
                    continue
                for person, _part, _short in self._pieces(key[start:end]):
                    if start == 0 or person in reached[start]:
                        count = reached[start].get(person, 0) + 1
                        reached[end][person] = max(reached[end].get(person, 0), count)
        return {person for person, count in reached[-1].items() if count >= 2}

    def _joined_across_scripts(self, word: str) -> set[int]:
        """People whose parts, each in its own script, make up the word (КузьмичPavel).

        Mapping lookalikes across a whole mixed word would turn the Latin half Cyrillic
        (Pavel -> Раvеl), so the word is cut at every letter and each side folded on its
        own. Only mixed-script words come here: they are rare in honest text.
        """
        people: set[int] = set()
        for cut in range(2, len(word) - 1):
            left = {piece[0] for key in word_keys(word[:cut]) for piece in self._pieces(key)}
            if left:
                people |= left & self._word_match(word[cut:]).people()
        return people

    def _initial_people(self, word: str, keys: frozenset[str]) -> frozenset[int]:
        # Initials are capitals of one or two letters (P., Ю., Ch.); a lower-case
        # "и" or "a" is a word, not an initial.
        if len(_cleaned(word)) > 2 or not word[:1].isupper():
            return frozenset()
        return frozenset(
            person
            for person, part_keys in self._part_keys.items()
            if any(part.startswith(key) for key in keys for part in part_keys)
        )

    def _word_match(self, word: str) -> _WordMatch:
        known = self._seen.get(word)
        if known is not None:
            return known
        keys = word_keys(word)
        full: set[int] = set()
        short: set[tuple[int, int]] = set()
        for key in keys:
            for person, part, is_short in self._pieces(key):
                if is_short:
                    short.add((person, part))
                else:
                    full.add(person)
            if not full and len(key) >= 2 * _SHORTEST_PART:
                full.update(self._joined_people(key))
        if not full and _mixes_scripts(word):
            full.update(self._joined_across_scripts(_cleaned(word)))
        match = _WordMatch(frozenset(full), frozenset(short), self._initial_people(word, keys))
        if not (match.full or match.short or match.initial):
            match = _NO_MATCH
        if len(self._seen) >= self._REMEMBERED_WORDS:
            self._seen.clear()
        self._seen[word] = match
        return match

    def may_name(self, word: str) -> bool:
        """Whether a query word may name a protected person, so searching for it would
        tell whether the name occurs: a part or case form of a name in any spelling, a
        piece of a part as written (Kuzm, uzmi: list filters match inside words), or a
        key a letter or two away from a part's key (the search corrects misspellings).
        """
        match = self._word_match(word)
        if match.full or match.short:
            return True
        cleaned = _cleaned(word)
        if len(cleaned) >= 2 and any(cleaned in part for part in self._written_parts):
            return True
        return any(
            key in part or fuzz.ratio(key, part) >= _RESEMBLING
            for key in word_keys(word)
            if len(key) >= _SHORTEST_PART
            for part in self._all_part_keys
        )

    def scrub(self, text: str) -> str:
        if not self._forms:
            return text
        if len(text) > self._REMEMBERED_TEXT_LENGTH:
            return self._replace_names(text)
        scrubbed = self._scrubbed.get(text)
        if scrubbed is None:
            if len(self._scrubbed) >= self._REMEMBERED_TEXTS:
                self._scrubbed.clear()
            scrubbed = self._scrubbed[text] = self._replace_names(text)
        return scrubbed

    def _replace_names(self, text: str) -> str:
        # The cheap pass: most texts name no one, and their words are known already.
        seen = self._seen
        if all(
            (seen.get(word) or self._word_match(word)) is _NO_MATCH for word in _WORD.findall(text)
        ):
            return text
        words = list(_WORD.finditer(text))
        matches = [self._word_match(word.group()) for word in words]
        linked = [
            _NAME_GAP.fullmatch(text, words[i].end(), words[i + 1].start()) is not None
            for i in range(len(words) - 1)
        ]
        # A short part counts as a full one next to a full part of the same person, or
        # next to another short part of theirs ("Li Na"); not next to itself (any Анну).
        full = [set(match.full) for match in matches]
        for i, match in enumerate(matches):
            for person, part in match.short:
                for j in (i - 1, i + 1):
                    if not (0 <= j < len(words) and linked[min(i, j)]):
                        continue
                    beside = matches[j]
                    if person in beside.full or any(
                        other == person and other_part != part for other, other_part in beside.short
                    ):
                        full[i].add(person)

        pieces: list[str] = []
        done = 0  # text before this offset is in pieces
        free = 0  # words before this index are taken by a replacement
        i = 0
        while i < len(words):
            if not full[i]:
                i += 1
                continue
            person = min(full[i])
            first = i
            while first > free and linked[first - 1] and person in matches[first - 1].people():
                first -= 1
            last = i
            while last + 1 < len(words) and linked[last] and person in matches[last + 1].people():
                last += 1
            pieces += [text[done : words[first].start()], self._pseudonyms[person]]
            done = words[last].end()
            closing_initial = person not in full[last] and person in matches[last].initial
            if closing_initial and text[done : done + 1] == ".":
                done += 1  # the full stop of a closing initial (Kuzmich P.) belongs to it
            free = i = last + 1
        return "".join([*pieces, text[done:]])


def names_in(text: str, names: Iterable[str]) -> bool:
    """Whether the text names someone by any of these names (every spelling Scrubber finds)."""
    return Scrubber(dict.fromkeys(names, "\0")).scrub(text) != text


_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"


def neutral_witness_key(taken: Callable[[str], bool]) -> str:
    """A key for a protected witness's person record that says nothing about them:
    witness- and four random base32 letters (witness-7f3k), unused by ``taken``. Keys
    show in addresses, exports and dossiers, so one made from the name would name them.
    """
    while True:
        key = "witness-" + "".join(secrets.choice(_BASE32) for _ in range(4))
        if not taken(key):
            return key


@lru_cache(maxsize=16)
def _scrubber(names: tuple[tuple[str, str], ...]) -> Scrubber:
    # Kept across requests: the protected names change rarely, the pages ask often.
    return Scrubber(dict(names))


class ViewerInput(str):
    """Text the reader typed (a search or a list filter), shown back exactly as typed.

    Never scrubbed: echoing a query with a protected name replaced would tell the reader
    that the word they typed names a protected witness (an oracle), while seeing their own
    words teaches them nothing.
    """


@dataclass
class Protection:
    """What one audience may see, loaded once (one query) and reused for a whole page."""

    audience: str
    pseudonyms: dict[int, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # name or alias -> pseudonym
    _scrubber: Scrubber | None = None
    # Whether a record is visible may need the database (an exhibit's links).
    session: Session | None = field(default=None, repr=False, compare=False)

    @classmethod
    def load(cls, session: Session, audience: str) -> Protection:
        if audience not in AUDIENCES:
            raise ValueError(f"audience: must be one of {', '.join(AUDIENCES)}")
        rows = _protected_rows(session, audience)
        pseudonyms = _pseudonyms(rows)
        names: dict[str, str] = {}
        for row in rows:
            for name in [row.name, *(row.aliases or [])]:
                names.setdefault(name, pseudonyms[row.id])
        protection = cls(audience=audience, pseudonyms=pseudonyms, names=names, session=session)
        protection._scrubber = _scrubber(tuple(names.items())) if names else None
        return protection

    @property
    def is_internal(self) -> bool:
        return self.audience == INTERNAL

    def is_protected(self, person: Any) -> bool:
        return person is not None and not self.is_internal and person.id in self.pseudonyms

    def person_label(self, person: Any) -> str:
        """Name or pseudonym; '' for no person."""
        if person is None:
            return ""
        return person_label(person, self.audience, self.pseudonyms)

    def person_aliases(self, person: Any) -> list[str]:
        """A protected person's aliases are never shown; others' are."""
        return [] if self.is_protected(person) else list(person.aliases or [])

    def person_notes(self, person: Any) -> str | None:
        """Notes about a protected person may identify them, so they are withheld."""
        return None if self.is_protected(person) else self.scrub(person.notes)

    def statement_visible(self, statement: Statement) -> bool:
        return statement_visible(statement, self.audience)

    @property
    def shows_file_names(self) -> bool:
        """File names are chosen by whoever made the file and often name the people in it."""
        return self.is_internal

    def exhibit_label(self, exhibit: Any) -> str:
        """How an exhibit is named: its file name for the team, a neutral label otherwise."""
        return exhibit.filename if self.shows_file_names else f"Exhibit {exhibit.id}"

    def record_title(self, entity: str, record_id: int, state: dict[str, Any] | None) -> str | None:
        """The title of a record as its evidence/1 ``state`` (an audit entry's) says, as this
        audience may read it: scrubbed; a protected person or statement under the pseudonym;
        an exhibit's file name for the team only; None when there is nothing to show."""
        if not state:
            return None
        if entity == "person" and not self.is_internal and record_id in self.pseudonyms:
            return self.pseudonyms[record_id]
        if entity == "statement":
            protected = protection_applies(state.get("protection", ""), self.audience)
            return state.get("pseudonym") if protected else self.scrub(state.get("pseudonym"))
        if entity == "exhibit":
            return state.get("filename") if self.shows_file_names else None
        title = state.get("title") or state.get("name") or state.get("label")
        return self.scrub(title) if isinstance(title, str) else None

    def exhibit_text(self, exhibit: Any, text: str | None) -> str | None:
        """Text about an exhibit (a custody note) with its file name replaced by its label
        where file names are not shown."""
        if not text or self.shows_file_names:
            return text
        label = self.exhibit_label(exhibit)
        # The upload event quotes the name with repr(), which escapes some characters.
        for written in (repr(exhibit.filename)[1:-1], exhibit.filename):
            text = text.replace(written, label)
        return text

    def shown_name(self, person: Any) -> str:
        """The name this audience sees for a person: their name, or their pseudonym."""
        return self.person_label(person)

    # --- what an audience may see at all ---------------------------------------------------

    def hidden_ids(self, model: type) -> Select[Any] | None:
        """A SELECT of the ids of ``model`` records hidden from this audience, for a list
        or search to apply; None when no record of that type is ever hidden from it."""
        if self.is_internal:
            return None
        if model is Statement:
            return _confidential_statement_ids() if self.audience == PUBLIC else None
        if model is Person:
            return _protected_person_ids()
        if self.audience != PUBLIC:
            # Counsel works under the court's protective measures: it sees every file
            # (and, in dossiers, lists them by key and hash only).
            return None
        if model is Exhibit:
            return self._hidden_exhibit_ids()
        if model is Capture:
            sources = select(Statement.source_id).where(
                Statement.id.in_(_naming_statement_ids()), Statement.source_id.is_not(None)
            )
            return select(Capture.id).where(Capture.source_id.in_(sources))
        return None

    def visible_condition(self, model: type) -> ColumnElement[bool]:
        """SQL condition: the ``model`` row is visible to this audience."""
        hidden = self.hidden_ids(model)
        return true() if hidden is None else model.id.not_in(hidden)

    def visible(self, obj: Any) -> bool:
        """May this audience see the record at all? If not, it answers 404 like a missing one."""
        if obj is None:
            return False
        if isinstance(obj, Statement):
            return self.statement_visible(obj)
        if isinstance(obj, Person):
            return not self.is_protected(obj)
        model = type(obj)
        hidden = self.hidden_ids(model)
        if hidden is None or obj.id is None:
            return True
        found = self._session().scalar(
            select(model.id).where(model.id == obj.id, model.id.in_(hidden))
        )
        return found is None

    def hidden_among(self, model: type, ids: Iterable[int]) -> set[int]:
        """Which of these ids of ``model`` records are hidden from this audience (one query)."""
        ids = list(ids)
        hidden = self.hidden_ids(model)
        if hidden is None or not ids:
            return set()
        stmt = select(model.id).where(model.id.in_(ids), model.id.in_(hidden))
        return set(self._session().scalars(stmt))

    def _hidden_exhibit_ids(self) -> Select[Any]:
        # A redacted copy is made for the public: it is hidden only with a statement the
        # public may not see at all; the original of a redacted copy is always hidden.
        linked_to = select(ExhibitLink.exhibit_id).join(
            Exhibit, Exhibit.id == ExhibitLink.exhibit_id
        )
        naming = linked_to.where(
            ExhibitLink.statement_id.in_(_naming_statement_ids()), Exhibit.redacts_id.is_(None)
        )
        originals = select(Exhibit.redacts_id).where(Exhibit.redacts_id.is_not(None))
        confidential = linked_to.where(ExhibitLink.statement_id.in_(_confidential_statement_ids()))
        return select(union(naming, originals, confidential).subquery().c[0])

    def _session(self) -> Session:
        if self.session is None:
            raise RuntimeError("this Protection was built without a session")
        return self.session

    def witness_label(self, statement: Statement) -> str:
        """How a statement's witness is named for this audience."""
        if protection_applies(statement.protection, self.audience):
            return statement.pseudonym or "protected witness"
        if statement.witness is not None:
            return self.person_label(statement.witness)
        return statement.pseudonym or "unnamed witness"

    def scrub(self, text: str | None) -> str | None:
        """Free text with every name and alias of a protected person replaced by the pseudonym."""
        if not text or not self._scrubber:
            return text
        return self._scrubber.scrub(text)

    def ignored_query_words(self, query: str | None) -> list[str]:
        """The words of a search or list filter that may name a person protected from this
        audience (Scrubber.may_name). A query with any of them matches nothing, as if it
        were run over the scrubbed text, where the name does not occur; dropping the word
        instead would widen the results and so tell the word apart from a nonsense word.
        """
        if not query or self._scrubber is None:
            return []
        return [word for word in _WORD.findall(query) if self._scrubber.may_name(word)]

    # --- every output: pages and JSON -----------------------------------------------------

    def scrub_output(self, value: Any) -> Any:
        """A value about to be written into a page or a JSON document, scrubbed.

        Applied to every ``{{ ... }}`` of every template (the Jinja ``finalize`` hook) and
        to every string of every JSON response, so a template or endpoint added later is
        protected without asking. Plain text is scrubbed; HTML (Markup: macro output,
        highlighted snippets, form fields) is scrubbed in its text and attribute values and
        stays HTML; numbers and dates pass unchanged.
        """
        if self._scrubber is None or value is None or isinstance(value, (bool, int, float)):
            return value
        if isinstance(value, ViewerInput):
            return value
        if isinstance(value, Markup) or hasattr(value, "__html__"):
            return self._scrub_markup(Markup(value))
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, Undefined):
            return value
        return self.scrub(str(value))

    def scrub_tree(self, value: Any) -> Any:
        """Every string in nested dataclasses, lists, tuples and dicts (keys too) scrubbed:
        a JSON body, or a whole dossier snapshot, so no field of it can be forgotten."""
        if self._scrubber is None:
            return value
        if isinstance(value, dict):
            return {self.scrub_tree(k): self.scrub_tree(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.scrub_tree(item) for item in value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes = {
                f.name: self.scrub_tree(getattr(value, f.name))
                for f in dataclasses.fields(value)
                if f.init
            }
            return dataclasses.replace(value, **changes)
        if isinstance(value, ViewerInput):
            return value
        return self.scrub(value) if isinstance(value, str) else value

    def hidden_words(self, text: str | None) -> list[str]:
        """The words of ``text`` this audience will not see (each shown as a pseudonym), in
        order: what a documenter is told when their text names a protected person."""
        if not text or self._scrubber is None:
            return []
        marked = _scrubber(tuple((name, _MARK) for name in self.names)).scrub(text)
        if marked == text:
            return []
        # The text between replacements is kept as it was, so it anchors each hidden word.
        pattern = "(.+?)".join(re.escape(part) for part in marked.split(_MARK))
        found = re.fullmatch(pattern, text, re.DOTALL)
        return [word.strip() for word in found.groups()] if found else []

    def _scrub_markup(self, markup: Markup) -> Markup:
        source = str(markup)
        if self.scrub(html.unescape(source)) == html.unescape(source):
            return markup
        # Only the pieces that name someone are rewritten, so the rest (scripts, entities)
        # stays byte for byte.
        pieces = _TAG.split(source)
        for i, piece in enumerate(pieces):
            if i % 2:
                if _QUERY_BOX.match(piece):
                    continue
                pieces[i] = _ATTRIBUTE_VALUE.sub(lambda m: f'"{self._scrub_html(m[1])}"', piece)
            else:
                pieces[i] = self._scrub_html(piece)
        return Markup("".join(pieces))

    def _scrub_html(self, escaped: str) -> str:
        text = html.unescape(escaped)
        scrubbed = self.scrub(text)
        return escaped if scrubbed == text else str(escape(scrubbed))

    def filter_statements(self, statements: Iterable[Statement]) -> list[Statement]:
        return [s for s in statements if self.visible(s)]


def document_for_audience(
    document: dict[str, Any], protection: Protection, protected_keys: dict[str, str]
) -> dict[str, Any]:
    """An evidence/1 document as the audience may see it (``evidence export --audience``).

    ``protected_keys``: the key -> pseudonym of every person protected from the audience
    (``protection.pseudonyms`` by id, looked up by the caller). Statements the audience
    may not see are left out, with the exhibits tied to them (a file or its name could
    identify the witness). A protected person becomes a record under a neutral key
    (protected-witness-1, ...) and their pseudonym, without aliases or notes. Every
    other key that names a protected person gets a neutral spelling, the same wherever
    it is referred to, and every text is scrubbed.
    """
    from evidence.core.keys import slugify_key

    if protection.is_internal:
        return document
    result = {section: records for section, records in document.items()}
    statements = document.get("statements", [])
    hidden = {
        s["key"]
        for s in statements
        if not statement_visible(_Level(s["protection"]), protection.audience)
    }
    if hidden:
        result["statements"] = [s for s in statements if s["key"] not in hidden]
        result["exhibits"] = [
            e for e in document.get("exhibits", []) if not hidden & set(e.get("statements", []))
        ]
    renamed = {
        key: f"protected-witness-{number}"
        for number, key in enumerate(sorted(protected_keys, key=protected_keys.get), start=1)
    }
    taken = set(renamed.values()) | {
        r["key"] for records in result.values() if isinstance(records, list) for r in records
    }
    for records in result.values():
        for record in records if isinstance(records, list) else ():
            key = record["key"]
            if key not in renamed and protection.scrub(key) != key:
                renamed[key] = slugify_key(protection.scrub(key), taken.__contains__)
                taken.add(renamed[key])

    def shown(value: Any) -> Any:
        if isinstance(value, str):
            return renamed.get(value) or protection.scrub(value)
        if isinstance(value, list):
            return [shown(item) for item in value]
        if isinstance(value, dict):
            return {name: shown(item) for name, item in value.items()}
        return value

    if "persons" in result:
        result["persons"] = [
            {**person, "name": protected_keys[person["key"]], "aliases": [], "notes": None}
            if person["key"] in protected_keys
            else person
            for person in result["persons"]
        ]
    return {
        section: shown(records) if isinstance(records, list) else records
        for section, records in result.items()
    }


@dataclass(frozen=True)
class _Level:
    """A statement's protection level, for statement_visible on exported records."""

    protection: str
