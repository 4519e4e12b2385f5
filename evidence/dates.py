"""Uncertain dates: EDTF parsing, derived bounds and plain-language rendering.

The parser here is our own: a few regular expressions compiled once that compute the
earliest and latest possible day directly (microseconds per date). The ``edtf``
package (a pyparsing grammar, milliseconds per date) stays the reference: the
property test in tests/test_dates_reference.py checks that both agree on every form
accepted here, and lists where the product deliberately differs.

Accepted (EDTF level 0 and 1, plus the level 2 sets):

- ``2020``, ``2020-08``, ``2020-08-10``, ``2020-08-10T10:00:00`` (``Z`` or ``+03:00``);
- a qualifier on the whole date: ``2020?`` uncertain, ``2020-08~`` approximate,
  ``2020-08-10%`` both;
- unspecified digits from the right: ``199X``, ``19XX``, ``2020-XX``, ``2020-08-XX``;
- seasons ``2020-21`` spring (March-May), ``-22`` summer (June-August), ``-23`` autumn
  (September-November), ``-24`` winter (1 January of the year to the end of February of
  the next: "winter 2020" may mean January-February 2020 or December 2020-February 2021);
- intervals ``2000/2001`` with an open (``..``) or unknown (empty) end, not both;
- sets: one of ``[2000,2002..2004]``, all of ``{2000,2001-08}``; ``..`` may open the
  first member's start or the last member's end.

Years run from 0001 to 9999: earlier, later and exponent years are refused, as are
level 2 partial qualifiers, unspecified digits left of a known one and level 2 seasons.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from dataclasses import dataclass

MONTHS = list(calendar.month_name)

SEASONS = {21: "spring", 22: "summer", 23: "autumn", 24: "winter"}
# first and last month of each season; winter runs into February of the next year
_SEASON_MONTHS = {21: (3, 5), 22: (6, 8), 23: (9, 11), 24: (1, 14)}

EXAMPLES = "2020-08-10, 2020-08, 2003?, 2002~, 2000/2001, 1998/.."


class InvalidDate(ValueError):
    """A string that is not a valid EDTF date; the message quotes it."""

    def __init__(self, text: str, detail: str = "") -> None:
        self.text = text
        self.detail = detail
        super().__init__(
            f'"{text}" is not a valid EDTF date{(": " + detail) if detail else ""}'
            f"; examples: {EXAMPLES}"
        )


@dataclass(frozen=True)
class DateBounds:
    earliest: dt.date | None
    latest: dt.date | None


_POINT = re.compile(
    r"(?P<year>\d{4}|\d{3}X|\d{2}XX|\dXXX)"
    r"(?:-(?P<month>\d\d|XX)"
    r"(?:-(?P<day>\d\d|XX)"
    r"(?:T(?P<time>(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d|24:00:00)"
    r"(?:Z|[+-](?:[01]\d|2[0-3])(?::[0-5]\d)?)?)?)?)?"
    r"(?P<qualifier>[?~%]?)"
)
_SET = re.compile(r"\[(?P<one_of>.*)\]|\{(?P<all_of>.*)\}", re.DOTALL)
_MEMBER_SEPARATOR = re.compile(r" *, *")


@dataclass(frozen=True)
class _Point:
    """One date of an EDTF string, with the days it may stand for."""

    year: str
    month: str | None
    day: str | None
    qualifier: str
    earliest: dt.date
    latest: dt.date

    @property
    def season(self) -> int | None:
        return int(self.month) if self.month and int(self.month) in SEASONS else None


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _point(text: str, whole: str, role: str = "date") -> _Point:
    """One date of ``whole`` as a "date" alone, an interval "end" or a set "member".

    A time of day goes only with a date alone; a season is never a set member.
    """
    match = _POINT.fullmatch(text)
    if not match:
        part = "" if text == whole else f'"{text}" is not a date such as 2020-08-10'
        raise InvalidDate(whole, part)
    year, month, day = match["year"], match["month"], match["day"]
    qualifier = match["qualifier"]
    if ("X" in year and (month or "XX") != "XX") or (month == "XX" and (day or "XX") != "XX"):
        raise InvalidDate(whole, "unspecified digits (X) may only replace the last digits")
    if "X" in year and month and qualifier:
        raise InvalidDate(whole, "write a qualified decade or century as 201X? or 19XX~")
    if match["time"] and ("X" in year + month + day or qualifier or role != "date"):
        raise InvalidDate(whole, "a time of day goes only with a plain full date")
    first_year, last_year = int(year.replace("X", "0")), int(year.replace("X", "9"))
    if first_year < 1:
        raise InvalidDate(whole, "years before 0001 cannot be stored")
    if month is None or month == "XX":
        return _Point(
            year, month, day, qualifier, dt.date(first_year, 1, 1), dt.date(last_year, 12, 31)
        )
    number = int(month)
    if number in SEASONS and day is None:
        if qualifier or role == "member":
            raise InvalidDate(whole, "a season takes no qualifier and cannot be a set member")
        first_month, last_month = _SEASON_MONTHS[number]
        end_year, end_month = first_year + (last_month - 1) // 12, (last_month - 1) % 12 + 1
        if end_year > 9999:
            raise InvalidDate(whole, "years after 9999 cannot be stored")
        return _Point(
            year,
            month,
            None,
            "",
            dt.date(first_year, first_month, 1),
            dt.date(end_year, end_month, _last_day(end_year, end_month)),
        )
    if not 1 <= number <= 12:
        raise InvalidDate(whole, "the month must be 01-12 (or a season, 21-24)")
    last_of_month = _last_day(first_year, number)
    if day is None or day == "XX":
        return _Point(
            year,
            month,
            day,
            qualifier,
            dt.date(first_year, number, 1),
            dt.date(first_year, number, last_of_month),
        )
    if not 1 <= int(day) <= last_of_month:
        raise InvalidDate(whole, "not a real calendar date")
    exact = dt.date(first_year, number, int(day))
    return _Point(year, month, day, qualifier, exact, exact)


def _check_order(earliest: dt.date | None, latest: dt.date | None, whole: str) -> None:
    if earliest and latest and earliest > latest:
        raise InvalidDate(whole, "the interval ends before it starts")


def _interval(text: str) -> DateBounds:
    start, end = text.split("/", 1)
    if start in ("", "..") and end in ("", ".."):
        raise InvalidDate(text, "an interval needs at least one known end")
    earliest = None if start in ("", "..") else _point(start, text, "end").earliest
    latest = None if end in ("", "..") else _point(end, text, "end").latest
    _check_order(earliest, latest, text)
    return DateBounds(earliest, latest)


def _members(body: str) -> list[str]:
    return _MEMBER_SEPARATOR.split(body.strip(" "))


def _range_end(text: str, whole: str) -> _Point:
    """A date that starts or ends a range inside a set: plain, no qualifier, no X."""
    point = _point(text, whole, "member")
    if point.qualifier or "X" in text:
        raise InvalidDate(whole, "the ends of a range in a set are plain dates")
    return point


def _member_bounds(member: str, position: int, count: int, whole: str) -> DateBounds:
    first, dots, last = member.partition("..")
    if not dots:
        point = _point(member, whole, "member")
        return DateBounds(point.earliest, point.latest)
    if first and last:
        low, high = _range_end(first, whole), _range_end(last, whole)
        if len(first) != len(last):
            raise InvalidDate(whole, "the ends of a range in a set have the same precision")
        _check_order(low.earliest, high.latest, whole)
        return DateBounds(low.earliest, high.latest)
    if last and position == 0:
        return DateBounds(None, _range_end(last, whole).latest)
    if first and position == count - 1:
        return DateBounds(_range_end(first, whole).earliest, None)
    raise InvalidDate(whole, '".." opens only the first or the last date of a set')


def _set(body: str, text: str) -> DateBounds:
    members = _members(body)
    if "" in members:
        raise InvalidDate(text, "a set lists dates separated by commas")
    if len(members) == 1 and ".." not in members[0]:
        raise InvalidDate(text, "a set needs at least two dates or a range (2000..2002)")
    bounds = [
        _member_bounds(member, position, len(members), text)
        for position, member in enumerate(members)
    ]
    starts = [b.earliest for b in bounds]
    ends = [b.latest for b in bounds]
    return DateBounds(
        None if None in starts else min(starts),  # type: ignore[type-var]
        None if None in ends else max(ends),  # type: ignore[type-var]
    )


def parse(text: str) -> DateBounds:
    """Validate an EDTF string and derive its earliest and latest possible day.

    Open or unknown interval ends give ``None``.
    """
    if not isinstance(text, str):
        raise InvalidDate(str(text), "not text")
    return _parse_cached(text)


# Archives repeat the same few thousand dates: results (and refusals) are remembered.
@functools.lru_cache(maxsize=65536)
def _parse_cached(text: str) -> DateBounds:
    if not text.strip() or text != text.strip():
        raise InvalidDate(text, "empty or padded with spaces")
    members = _SET.fullmatch(text)
    if members:
        return _set(members["one_of"] if members["one_of"] is not None else members["all_of"], text)
    if "/" in text:
        return _interval(text)
    point = _point(text, text)
    return DateBounds(point.earliest, point.latest)


def is_valid(text: str) -> bool:
    try:
        parse(text)
    except InvalidDate:
        return False
    return True


NOMINATIVE, GENITIVE, ACCUSATIVE = "nominative", "genitive", "accusative"


@dataclass(frozen=True)
class DateWords:
    """How one language says an uncertain date.

    Belarusian and Russian decline: "жнівень 2020" alone, "каля жніўня 2020" after
    "about". Each phrase names the case its date takes; ``months``, ``seasons`` and
    ``decades`` give each case's form (the accusative of these is the nominative, save
    two seasons).
    """

    months: dict[str, tuple[str, ...]]  # case -> 12 month names
    seasons: dict[str, dict[int, str]]  # case -> season code -> name
    decade: dict[str, str]  # case -> format with {decade}
    day: str  # {day} {month} {year}, the month always in the case a day takes
    day_month_case: str
    about: tuple[str, str]
    uncertain: str
    unknown: str
    between: tuple[str, str, str]
    until: tuple[str, str]
    until_start_unknown: tuple[str, str]
    from_onwards: tuple[str, str]
    from_end_unknown: tuple[str, str]
    or_earlier: tuple[str, str]
    or_later: tuple[str, str]
    member_range: tuple[str, str, str]
    one_of: str
    all_of: str


def _same_in_every_case(forms: tuple[str, ...] | dict[int, str] | str) -> dict:
    return {NOMINATIVE: forms, GENITIVE: forms, ACCUSATIVE: forms}


ENGLISH = DateWords(
    months=_same_in_every_case(tuple(MONTHS[1:])),
    seasons=_same_in_every_case(SEASONS),
    decade=_same_in_every_case("the {decade}s"),
    day="{day} {month} {year}",
    day_month_case=NOMINATIVE,
    about=("about {date}", NOMINATIVE),
    uncertain="{date} (uncertain)",
    unknown="date unknown",
    between=("between {start} and {end}", NOMINATIVE, NOMINATIVE),
    until=("until {date}", NOMINATIVE),
    until_start_unknown=("until {date} (start unknown)", NOMINATIVE),
    from_onwards=("from {date} onwards", NOMINATIVE),
    from_end_unknown=("from {date} (end unknown)", NOMINATIVE),
    or_earlier=("{date} or earlier", NOMINATIVE),
    or_later=("{date} or later", NOMINATIVE),
    member_range=("{start} to {end}", NOMINATIVE, NOMINATIVE),
    one_of="or",
    all_of="and",
)
_BELARUSIAN_MONTHS = [
    "студзень",
    "люты",
    "сакавік",
    "красавік",
    "травень",
    "чэрвень",
    "ліпень",
    "жнівень",
    "верасень",
    "кастрычнік",
    "лістапад",
    "снежань",
]
BELARUSIAN = DateWords(
    months={
        NOMINATIVE: tuple(_BELARUSIAN_MONTHS),
        GENITIVE: tuple(
            [
                "студзеня",
                "лютага",
                "сакавіка",
                "красавіка",
                "траўня",
                "чэрвеня",
                "ліпеня",
                "жніўня",
                "верасня",
                "кастрычніка",
                "лістапада",
                "снежня",
            ]
        ),
        ACCUSATIVE: tuple(_BELARUSIAN_MONTHS),
    },
    seasons={
        NOMINATIVE: {21: "вясна", 22: "лета", 23: "восень", 24: "зіма"},
        GENITIVE: {21: "вясны", 22: "лета", 23: "восені", 24: "зімы"},
        ACCUSATIVE: {21: "вясну", 22: "лета", 23: "восень", 24: "зіму"},
    },
    decade={NOMINATIVE: "{decade}-я", GENITIVE: "{decade}-х", ACCUSATIVE: "{decade}-я"},
    day="{day} {month} {year}",
    day_month_case=GENITIVE,
    about=("каля {date}", GENITIVE),
    uncertain="{date} (недакладна)",
    unknown="дата невядомая",
    between=("з {start} па {end}", GENITIVE, ACCUSATIVE),
    until=("да {date}", GENITIVE),
    until_start_unknown=("да {date} (пачатак невядомы)", GENITIVE),
    from_onwards=("з {date} і пазней", GENITIVE),
    from_end_unknown=("з {date} (канец невядомы)", GENITIVE),
    or_earlier=("{date} ці раней", NOMINATIVE),
    or_later=("{date} ці пазней", NOMINATIVE),
    member_range=("з {start} па {end}", GENITIVE, ACCUSATIVE),
    one_of="ці",
    all_of="і",
)
_RUSSIAN_MONTHS = [
    "январь",
    "февраль",
    "март",
    "апрель",
    "май",
    "июнь",
    "июль",
    "август",
    "сентябрь",
    "октябрь",
    "ноябрь",
    "декабрь",
]
RUSSIAN = DateWords(
    months={
        NOMINATIVE: tuple(_RUSSIAN_MONTHS),
        GENITIVE: tuple(
            [
                "января",
                "февраля",
                "марта",
                "апреля",
                "мая",
                "июня",
                "июля",
                "августа",
                "сентября",
                "октября",
                "ноября",
                "декабря",
            ]
        ),
        ACCUSATIVE: tuple(_RUSSIAN_MONTHS),
    },
    seasons={
        NOMINATIVE: {21: "весна", 22: "лето", 23: "осень", 24: "зима"},
        GENITIVE: {21: "весны", 22: "лета", 23: "осени", 24: "зимы"},
        ACCUSATIVE: {21: "весну", 22: "лето", 23: "осень", 24: "зиму"},
    },
    decade={NOMINATIVE: "{decade}-е", GENITIVE: "{decade}-х", ACCUSATIVE: "{decade}-е"},
    day="{day} {month} {year}",
    day_month_case=GENITIVE,
    about=("около {date}", GENITIVE),
    uncertain="{date} (неточно)",
    unknown="дата неизвестна",
    between=("с {start} по {end}", GENITIVE, ACCUSATIVE),
    until=("до {date}", GENITIVE),
    until_start_unknown=("до {date} (начало неизвестно)", GENITIVE),
    from_onwards=("с {date} и позже", GENITIVE),
    from_end_unknown=("с {date} (конец неизвестен)", GENITIVE),
    or_earlier=("{date} или раньше", NOMINATIVE),
    or_later=("{date} или позже", NOMINATIVE),
    member_range=("с {start} по {end}", GENITIVE, ACCUSATIVE),
    one_of="или",
    all_of="и",
)
DATE_WORDS = {"en": ENGLISH, "be": BELARUSIAN, "ru": RUSSIAN}


def _humanize_point(text: str, words: DateWords, case: str = NOMINATIVE) -> str:
    try:
        point = _point(text, text)
    except InvalidDate:
        return text
    qualified_case = words.about[1] if point.qualifier in "~%" and point.qualifier else case
    year = point.year
    if point.season:
        return f"{words.seasons[qualified_case][point.season]} {year}"
    if "X" in year:
        phrase = words.decade[qualified_case].format(decade=year.replace("X", "0"))
    elif point.month and point.month != "XX":
        month = int(point.month) - 1
        if point.day and point.day != "XX":
            phrase = words.day.format(
                day=int(point.day), month=words.months[words.day_month_case][month], year=year
            )
        else:
            phrase = f"{words.months[qualified_case][month]} {year}"
    else:
        phrase = year
    if point.qualifier == "?":
        return words.uncertain.format(date=phrase)
    if point.qualifier == "~":
        return words.about[0].format(date=phrase)
    if point.qualifier == "%":
        return words.uncertain.format(date=words.about[0].format(date=phrase))
    return phrase


def _phrase(pattern: tuple[str, str], text: str, words: DateWords) -> str:
    return pattern[0].format(date=_humanize_point(text, words, pattern[1]))


def _span(pattern: tuple[str, str, str], start: str, end: str, words: DateWords) -> str:
    template, start_case, end_case = pattern
    return template.format(
        start=_humanize_point(start, words, start_case), end=_humanize_point(end, words, end_case)
    )


def _humanize_member(member: str, words: DateWords) -> str:
    first, dots, last = member.partition("..")
    if not dots:
        return _humanize_point(member, words)
    if not first:
        return _phrase(words.or_earlier, last, words)
    if not last:
        return _phrase(words.or_later, first, words)
    return _span(words.member_range, first, last, words)


def _humanize_set(members: list[str], joiner: str, words: DateWords) -> str:
    rendered = [_humanize_member(member, words) for member in members]
    if len(rendered) == 1:
        return rendered[0]
    return f"{', '.join(rendered[:-1])} {joiner} {rendered[-1]}"


def humanize(text: str | None, language: str = "en") -> str:
    """Render an EDTF string as people read it: "between 2000 and 2001", "10 August 2020";
    in Belarusian ("каля жніўня 2020") or Russian ("около августа 2020") on request."""
    words = DATE_WORDS.get(language, ENGLISH)
    if not text:
        return words.unknown
    members = _SET.fullmatch(text)
    if members:
        if members["one_of"] is not None:
            return _humanize_set(_members(members["one_of"]), words.one_of, words)
        return _humanize_set(_members(members["all_of"]), words.all_of, words)
    if "/" in text:
        start, end = text.split("/", 1)
        if start == "..":
            return _phrase(words.until, end, words)
        if start == "":
            return _phrase(words.until_start_unknown, end, words)
        if end == "..":
            return _phrase(words.from_onwards, start, words)
        if end == "":
            return _phrase(words.from_end_unknown, start, words)
        return _span(words.between, start, end, words)
    return _humanize_point(text, words)
