"""Uncertain dates: EDTF (level 1) parsing, derived bounds and plain-language rendering."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import math
import re
import time
from dataclasses import dataclass

import edtf
from edtf.parser.edtf_exceptions import EDTFParseException

MONTHS = list(calendar.month_name)


class InvalidDate(ValueError):
    """A string that is not a valid EDTF date; the message quotes it."""

    def __init__(self, text: str, detail: str = "") -> None:
        self.text = text
        hint = "; examples: 2020-08-10, 2020-08, 2003?, 2002~, 2000/2001, 1998/.."
        super().__init__(
            f'"{text}" is not a valid EDTF date{(": " + detail) if detail else ""}{hint}'
        )


@dataclass(frozen=True)
class DateBounds:
    earliest: dt.date | None
    latest: dt.date | None


def _to_date(value: object) -> dt.date | None:
    if isinstance(value, time.struct_time):
        year = min(max(value.tm_year, 1), 9999)
        last_day = calendar.monthrange(year, value.tm_mon)[1]
        return dt.date(year, value.tm_mon, min(value.tm_mday, last_day))
    if isinstance(value, float) and math.isinf(value):
        return None
    return None


def parse(text: str) -> DateBounds:
    """Validate an EDTF string and derive its earliest and latest possible day.

    Open or unknown interval ends give ``None``.
    """
    if not isinstance(text, str):
        raise InvalidDate(str(text), "not text")
    return _parse_cached(text)


# The edtf grammar takes milliseconds per string, and archives repeat the same
# few thousand dates, so results (and refusals) are remembered.
@functools.lru_cache(maxsize=65536)
def _parse_cached(text: str) -> DateBounds:
    if not isinstance(text, str) or not text.strip() or text != text.strip():
        raise InvalidDate(str(text), "empty or padded with spaces")
    try:
        parsed = edtf.parse_edtf(text)
    except (EDTFParseException, ValueError, TypeError) as exc:
        raise InvalidDate(text) from exc
    try:
        earliest = _to_date(parsed.lower_strict())
        latest = _to_date(parsed.upper_strict())
    except (ValueError, OverflowError, TypeError) as exc:
        raise InvalidDate(text, "not a real calendar date") from exc
    if "/" in text:
        start, end = text.split("/", 1)
        if start in ("", ".."):
            earliest = None
        if end in ("", ".."):
            latest = None
    if earliest and latest and earliest > latest:
        raise InvalidDate(text, "the interval ends before it starts")
    return DateBounds(earliest, latest)


def is_valid(text: str) -> bool:
    try:
        parse(text)
    except InvalidDate:
        return False
    return True


_QUALIFIED = re.compile(r"^(?P<body>[0-9X-]+)(?P<qualifier>[?~%]?)$")


def _humanize_point(text: str) -> str:
    match = _QUALIFIED.match(text)
    if not match:
        return text
    body, qualifier = match["body"], match["qualifier"]
    parts = body.split("-")
    if body.startswith("-") or len(parts) > 3:
        return text
    year = parts[0]
    if "X" in year:
        words = f"the {year.replace('X', '0')}s" if year.endswith("X") else year
    else:
        words = year
    if len(parts) >= 2 and "X" not in parts[1]:
        month = int(parts[1])
        month_name = MONTHS[month] if 1 <= month <= 12 else parts[1]
        words = f"{month_name} {words}"
        if len(parts) == 3 and "X" not in parts[2]:
            words = f"{int(parts[2])} {words}"
    if qualifier == "?":
        return f"{words} (uncertain)"
    if qualifier == "~":
        return f"about {words}"
    if qualifier == "%":
        return f"about {words} (uncertain)"
    return words


def humanize(text: str | None) -> str:
    """Render an EDTF string as people read it: "between 2000 and 2001", "10 August 2020"."""
    if not text:
        return "date unknown"
    if "/" in text:
        start, end = text.split("/", 1)
        if start == "..":
            return f"until {_humanize_point(end)}"
        if start == "":
            return f"until {_humanize_point(end)} (start unknown)"
        if end == "..":
            return f"from {_humanize_point(start)} onwards"
        if end == "":
            return f"from {_humanize_point(start)} (end unknown)"
        return f"between {_humanize_point(start)} and {_humanize_point(end)}"
    return _humanize_point(text)


def overlaps(bounds: DateBounds, range_start: dt.date | None, range_end: dt.date | None) -> bool:
    """Whether an uncertain date may fall within [range_start, range_end]."""
    if range_start and bounds.latest and bounds.latest < range_start:
        return False
    return not (range_end and bounds.earliest and bounds.earliest > range_end)
