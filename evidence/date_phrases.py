"""Dates as people say them, in English, Belarusian and Russian, turned into EDTF.

The date field of every form (and, later, spreadsheet cells) accepts a phrase and
stores the EDTF it means; EDTF typed as such is kept as it is. The grammar:

==========================  ===============================================  ==================
form                        examples                                         EDTF
==========================  ===============================================  ==================
day                         10.08.2020, 10 August 2020, 10 жніўня 2020        2020-08-10
month                       August 2020, 08.2020, в августе 2020, у жніўні   2020-08
year                        2001, 2001 года, у 2001 годзе                     2001
decade                      1990s, 1990-е, 1990-я                             199X
season                      summer 2020, летом 2020, лета 2020                2020-22
early / mid / late          early 2006, в середине 2006, канец 2006           2006-01/2006-04
about                       about August 2020, около августа 2020, каля 2001  2020-08~, 2001~
perhaps                     probably 2003, возможно 2003, магчыма 2003        2003?
between                     between 2000 and 2001, з 2000 па 2001, 2000–2001  2000/2001
since / until               since 1998, с 1998 года; until 2000, да 2000      1998/.., ../2000
or                          2002 or 2003, в 2002 или 2003, 2002 ці 2003       [2002,2003]
==========================  ===============================================  ==================

Early, mid and late split a year into thirds (January-April, May-August,
September-December) and a month into days 1-10, 11-20 and 21 to its end: an
interval of plain dates, so any EDTF reader understands what is stored. Numeric
dates are day first (10.08.2020, 10/08/2020), as written in Belarus.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

from evidence import dates

APPROXIMATE = "~"
UNCERTAIN = "?"


def _words(text: str) -> list[str]:
    return text.split()


# Every grammatical case of each month name (ў and ё are folded to у and е first).
_MONTH_FORMS = {
    1: "january jan январь января январю январем январе янв студзень студзеня студзеню "
    "студзенем студзені",
    2: "february feb февраль февраля февралю февралем феврале фев февр люты лютага лютаму лютым",
    3: "march mar март марта марту мартом марте мар сакавік сакавіка сакавіку сакавіком",
    4: "april apr апрель апреля апрелю апрелем апреле апр красавік красавіка красавіку красавіком",
    5: "may май мая маю маем мае травень траунем трауня трауню трауні",
    6: "june jun июнь июня июню июнем июне чэрвень чэрвеня чэрвеню чэрвенем чэрвені",
    7: "july jul июль июля июлю июлем июле ліпень ліпеня ліпеню ліпенем ліпені",
    8: "august aug август августа августу августом августе авг жнівень жнівеня жніуня "
    "жніуню жніунем жніуні",
    9: "september sep sept сентябрь сентября сентябрю сентябрем сентябре сен сент верасень "
    "верасня верасню вераснем верасні",
    10: "october oct октябрь октября октябрю октябрем октябре окт кастрычнік кастрычніка "
    "кастрычніку кастрычнікам",
    11: "november nov ноябрь ноября ноябрю ноябрем ноябре ноя нояб лістапад лістапада "
    "лістападу лістападам лістападзе",
    12: "december dec декабрь декабря декабрю декабрем декабре дек снежань снежня снежню "
    "снежнем снежні",
}
MONTHS = {form: number for number, forms in _MONTH_FORMS.items() for form in _words(forms)}

_SEASON_FORMS = {
    21: "spring весна весны весне весну весной весною вясна вясны вясне вясну вясной увесну",
    22: "summer лето лета лету летом лете летам леце улетку",
    23: "autumn fall осень осени осенью восень восені восенню увосень",
    24: "winter зима зимы зиме зиму зимой зимою зіма зімы зіме зіму зімой узімку",
}
SEASONS = {form: number for number, forms in _SEASON_FORMS.items() for form in forms.split()}

# early / mid / late, as the third of a year or of a month
_PART_FORMS = {
    0: "early beginning start начало начала начале пачатак пачатку",
    1: "mid middle середина середины середине сярэдзіна сярэдзіны сярэдзіне",
    2: "late end конец конца конце канец канца канцы",
}
PARTS = {form: number for number, forms in _PART_FORMS.items() for form in forms.split()}

QUALIFIERS = {
    **dict.fromkeys(
        _words(
            "about around circa c ca approximately approx roughly около примерно приблизительно "
            "ориентировочно каля прыблізна"
        ),
        APPROXIMATE,
    ),
    **dict.fromkeys(
        _words(
            "probably possibly perhaps maybe вероятно возможно предположительно наверное "
            "магчыма верагодна мабыць"
        ),
        UNCERTAIN,
    ),
}
BETWEEN = {"between": "and", "между": "и", "паміж": "і"}
FROM = {"from", "с", "со", "от", "з", "ад", "since"}
TO = {"to", "till", "until", "through", "по", "до", "па", "да", "–", "-"}
OR = {"or", "или", "либо", "ці", "або", ","}
SINCE = {"since", "from", "с", "со", "от", "з", "ад"}
UNTIL = {"until", "till", "до", "да", "по", "па"}
# words that carry no meaning here: prepositions before a date, "year" and its cases
FILLERS = set(
    _words(
        "in on of the year в во у год года году годом годе г гг годзе гады годы годов гадоу "
        "гадах годах годами гадамі"
    )
)
_KNOWN_WORDS = (
    set(MONTHS)
    | set(SEASONS)
    | set(PARTS)
    | set(QUALIFIERS)
    | set(BETWEEN)
    | set(BETWEEN.values())
    | FROM
    | TO
    | OR
    | SINCE
    | UNTIL
    | FILLERS
)
DECADE_SUFFIXES = {"s", "'s", "е", "х", "ые", "я", "ыя"}

_TOKEN = re.compile(
    r"\d{1,2}[./]\d{1,2}[./]\d{4}"  # 10.08.2020
    r"|\d{1,2}[./]\d{4}"  # 08.2020
    r"|\d{4}-\d\d(?:-\d\d)?(?![\d-])"  # 2020-08-10 (an ISO date inside a phrase)
    r"|\d{3}0(?:'?s|-[^\W\d_]+)"  # 1990s, 1990-е, 1990-я
    r"|\d+"
    r"|[^\W\d_]+"
    r"|[–-]|,"
)


class PhraseNotUnderstood(dates.InvalidDate):
    """A date phrase that could not be read; the message names what was not understood."""

    def __init__(self, text: str, detail: str) -> None:
        self.text = text
        self.detail = detail
        ValueError.__init__(
            self,
            f'"{text}" was not understood as a date: {detail}. Write, for example, '
            "10.08.2020, August 2020, about 2001, between 2000 and 2001, 2002 or 2003, "
            "or EDTF such as 2020-08~",
        )


@dataclass
class _Day:
    year: int
    month: int | None = None
    day: int | None = None
    season: int | None = None
    part: int | None = None
    decade: bool = False


def _normalise(text: str) -> str:
    text = text.casefold().replace("ў", "у").replace("ё", "е").replace("’", "'").replace("—", "–")
    # Belarusian typed on a Russian keyboard: a Latin i among Cyrillic letters
    return re.sub(r"(?<=[а-яі])i|i(?=[а-яі])", "і", text)


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        words = _TOKEN.findall(_normalise(text))
        unknown = re.sub(_TOKEN, " ", _normalise(text)).replace(".", " ").split()
        if unknown:
            raise PhraseNotUnderstood(text, f'"{unknown[0]}" is not part of a date')
        self.tokens = [word for word in words if word not in FILLERS]
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise PhraseNotUnderstood(self.text, "it ends before a year")
        self.at += 1
        return token

    def take_if(self, words: set[str] | dict[str, object]) -> str | None:
        if self.peek() in words:
            return self.take()
        return None

    def fail(self, what: str) -> PhraseNotUnderstood:
        token = self.peek()
        if token is None:
            return PhraseNotUnderstood(self.text, f"{what} is missing")
        return PhraseNotUnderstood(self.text, f'"{token}" was not understood ({what} expected)')


def _day_of(reader: _Reader) -> _Day:
    """One point in time: a day, month, season, part, year or decade."""
    token = reader.peek()
    if token is None:
        raise reader.fail("a date")
    part = PARTS.get(token)
    if part is not None:
        reader.take()
        reader.take_if({"-"})  # mid-2006
        point = _day_of(reader)
        if point.part is not None or point.season or point.day or point.decade:
            raise PhraseNotUnderstood(
                reader.text, f'"{token}" goes with a year or a month (early 2006, late May 2020)'
            )
        point.part = part
        return point
    if token in SEASONS:
        reader.take()
        return _Day(year=_year(reader), season=SEASONS[token])
    numeric = re.fullmatch(r"(?:(\d{1,2})[./])?(\d{1,2})[./](\d{4})", token)
    if numeric:
        reader.take()
        day, month, year = numeric.groups()
        return _Day(int(year), int(month), int(day) if day else None)
    iso = re.fullmatch(r"(\d{4})-(\d\d)(?:-(\d\d))?", token)
    if iso:
        reader.take()
        year, month, day = iso.groups()
        return _Day(int(year), int(month), int(day) if day else None)
    decade = re.fullmatch(r"(\d{3})0'?-?(.*)", token)
    if decade and decade[2] in DECADE_SUFFIXES:
        reader.take()
        return _Day(int(decade[1]) * 10, decade=True)
    if token.isdigit() and len(token) <= 2:  # 10 August 2020
        reader.take()
        month = reader.take_if(MONTHS)
        if not month:
            raise reader.fail("a month name after the day")
        return _Day(_year(reader), MONTHS[month], int(token))
    if token in MONTHS:
        reader.take()
        day = None
        if (reader.peek() or "").isdigit() and len(reader.peek() or "") <= 2:  # August 10, 2020
            day = int(reader.take())
            reader.take_if({","})
        return _Day(_year(reader), MONTHS[token], day)
    if not token.isdigit() and token not in _KNOWN_WORDS:
        raise PhraseNotUnderstood(reader.text, f'"{token}" is not a word of a date we know')
    return _Day(_year(reader))


def _year(reader: _Reader) -> int:
    token = reader.peek()
    if token is None or not (token.isdigit() and len(token) == 4):
        raise reader.fail("a four-digit year")
    reader.take()
    return int(token)


def _edtf(point: _Day, qualifier: str, text: str) -> str:
    """The EDTF of one point; early/mid/late give an interval of plain dates."""
    if point.decade:
        return f"{point.year // 10:03d}X{qualifier}"
    if point.season:
        if qualifier:
            raise PhraseNotUnderstood(
                text, "a season cannot be marked about or probably in EDTF; write it without"
            )
        return f"{point.year:04d}-{point.season}"
    if point.part is not None:
        if point.month is None:
            first, last = 4 * point.part + 1, 4 * point.part + 4
            return f"{point.year:04d}-{first:02d}{qualifier}/{point.year:04d}-{last:02d}{qualifier}"
        days_in_month = calendar.monthrange(point.year, point.month)[1]
        first, last = (
            10 * point.part + 1,
            (10 * point.part + 10 if point.part < 2 else days_in_month),
        )
        month = f"{point.year:04d}-{point.month:02d}"
        return f"{month}-{first:02d}{qualifier}/{month}-{last:02d}{qualifier}"
    text_date = f"{point.year:04d}"
    if point.month is not None:
        text_date += f"-{point.month:02d}"
        if point.day is not None:
            text_date += f"-{point.day:02d}"
    return text_date + qualifier


def _single(edtf: str, text: str, role: str) -> str:
    if "/" in edtf:
        raise PhraseNotUnderstood(
            text, f"early, mid or late cannot be {role}; write the months instead"
        )
    return edtf


def _phrase(reader: _Reader) -> str:
    qualifier = QUALIFIERS.get(reader.peek() or "", "")
    if qualifier:
        reader.take()
    text = reader.text
    closing = BETWEEN.get(reader.peek() or "")
    if closing:
        reader.take()
        start = _single(_edtf(_day_of(reader), qualifier, text), text, "an end of an interval")
        if not reader.take_if({closing, "–", "-"}):
            raise reader.fail(f'"{closing}" before the second date')
        end = _single(_edtf(_day_of(reader), qualifier, text), text, "an end of an interval")
        return f"{start}/{end}"
    opening = reader.take_if(FROM)
    first = _edtf(_day_of(reader), qualifier, text)
    if reader.take_if(TO):
        start = _single(first, text, "an end of an interval")
        end = _single(_edtf(_day_of(reader), qualifier, text), text, "an end of an interval")
        return f"{start}/{end}"
    if opening:
        if opening not in SINCE:
            raise reader.fail("the end of the interval")
        return f"{_single(first, text, 'an open interval')}/.."
    if reader.peek() in OR:
        members = [_single(first, text, "one of several dates")]
        while reader.take_if(OR):
            members.append(_single(_edtf(_day_of(reader), qualifier, text), text, "one of several"))
        return f"[{','.join(members)}]"
    return first


def _until(reader: _Reader) -> str | None:
    if reader.peek() not in UNTIL:
        return None
    reader.take()
    qualifier = QUALIFIERS.get(reader.peek() or "", "")
    if qualifier:
        reader.take()
    end = _edtf(_day_of(reader), qualifier, reader.text)
    return f"../{_single(end, reader.text, 'an open interval')}"


def _read(text: str) -> str:
    reader = _Reader(text)
    edtf = _until(reader) or _phrase(reader)
    if reader.peek() is not None:
        raise reader.fail("the end of the date")
    return edtf


_EDTF_LIKE = re.compile(r"(?:[\dX?~%/\[\]{},:TZ+-]|\.\.)+")  # no lone dot: 10.08.2020 is a phrase


def to_edtf(text: str) -> str:
    """The EDTF a date phrase means; EDTF itself is returned unchanged.

    Raises PhraseNotUnderstood (an InvalidDate) naming what was not understood,
    or InvalidDate when the phrase names a day that does not exist.
    """
    text = " ".join(text.split())
    if not text:
        raise PhraseNotUnderstood(text, "it is empty")
    if dates.is_valid(text):
        return text
    try:
        edtf = _read(text)
        try:
            dates.parse(edtf)
        except dates.InvalidDate as error:
            raise PhraseNotUnderstood(text, f"it reads as {edtf}, but {error.detail}") from None
    except PhraseNotUnderstood:
        if _EDTF_LIKE.fullmatch(text):  # meant as EDTF: say what is wrong with it as EDTF
            dates.parse(text)
        raise
    return edtf
