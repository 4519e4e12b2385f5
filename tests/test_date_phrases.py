"""Dates as people say them, in English, Belarusian and Russian, read as EDTF."""

from __future__ import annotations

import pytest

from evidence import dates
from evidence.date_phrases import PhraseNotUnderstood, to_edtf

SAID = {
    "day": [
        ("10.08.2020", "2020-08-10"),
        ("10/08/2020", "2020-08-10"),
        ("10 August 2020", "2020-08-10"),
        ("August 10, 2020", "2020-08-10"),
        ("10 августа 2020 года", "2020-08-10"),
        ("10 жніўня 2020 года", "2020-08-10"),
        ("1 сакавіка 2021", "2021-03-01"),
    ],
    "month": [
        ("August 2020", "2020-08"),
        ("08.2020", "2020-08"),
        ("август 2020", "2020-08"),
        ("в августе 2020 года", "2020-08"),
        ("жнівень 2020", "2020-08"),
        ("у жніўні 2020", "2020-08"),
        ("лiпень 2020", "2020-07"),  # a Latin i typed among Cyrillic letters
        ("в мае 2019", "2019-05"),
        ("у траўні 2019", "2019-05"),
    ],
    "year": [
        ("in 2001", "2001"),
        ("в 2001 году", "2001"),
        ("2001 г.", "2001"),
        ("у 2001 годзе", "2001"),
    ],
    "decade": [("1990s", "199X"), ("1990-е", "199X"), ("1990-я гады", "199X")],
    "season": [
        ("summer 2020", "2020-22"),
        ("летом 2020", "2020-22"),
        ("лета 2020", "2020-22"),
        ("зимой 2021", "2021-24"),
        ("восенню 2019", "2019-23"),
        ("spring 2018", "2018-21"),
    ],
    "early, mid, late": [
        ("early 2006", "2006-01/2006-04"),
        ("mid-2006", "2006-05/2006-08"),
        ("the end of 2006", "2006-09/2006-12"),
        ("в начале 2006 года", "2006-01/2006-04"),
        ("в середине 2006", "2006-05/2006-08"),
        ("пачатак 2006", "2006-01/2006-04"),
        ("у канцы 2006 года", "2006-09/2006-12"),
        ("late February 2020", "2020-02-21/2020-02-29"),
        ("в начале августа 2020", "2020-08-01/2020-08-10"),
    ],
    "about": [
        ("about August 2020", "2020-08~"),
        ("circa 2001", "2001~"),
        ("c. 2001", "2001~"),
        ("около августа 2020", "2020-08~"),
        ("примерно 2001", "2001~"),
        ("каля 2001 года", "2001~"),
        ("каля жніўня 2020", "2020-08~"),
        ("прыблізна 10.08.2020", "2020-08-10~"),
    ],
    "perhaps": [("probably 2003", "2003?"), ("возможно 2003", "2003?"), ("магчыма 2003", "2003?")],
    "between": [
        ("between 2000 and 2001", "2000/2001"),
        ("from 2000 to 2001", "2000/2001"),
        ("2000–2001", "2000/2001"),
        ("2000 - 2001", "2000/2001"),
        ("10.08.2020 — 12.08.2020", "2020-08-10/2020-08-12"),
        ("между 2000 и 2001 годами", "2000/2001"),
        ("с 2000 по 2001 год", "2000/2001"),
        ("от августа 2020 до мая 2021", "2020-08/2021-05"),
        ("з 2000 па 2001", "2000/2001"),
        ("паміж 2000 і 2001", "2000/2001"),
        ("about 2000–2001", "2000~/2001~"),
    ],
    "since, until": [
        ("since 1998", "1998/.."),
        ("с 1998 года", "1998/.."),
        ("з 1998 года", "1998/.."),
        ("until 2000", "../2000"),
        ("до 2000 года", "../2000"),
        ("да 2000 года", "../2000"),
    ],
    "or": [
        ("2002 or 2003", "[2002,2003]"),
        ("2001, 2002 or 2003", "[2001,2002,2003]"),
        ("в 2002 или 2003", "[2002,2003]"),
        ("у 2002 ці 2003", "[2002,2003]"),
        ("2002 або 2003", "[2002,2003]"),
    ],
    "EDTF as typed": [("2020-08~", "2020-08~"), ("2000/2001", "2000/2001"), ("2003?", "2003?")],
}


@pytest.mark.parametrize(
    ("phrase", "edtf"),
    [case for cases in SAID.values() for case in cases],
    ids=[f"{form}: {case[0]}" for form, cases in SAID.items() for case in cases],
)
def test_phrase_is_stored_as_edtf(phrase: str, edtf: str) -> None:
    assert to_edtf(phrase) == edtf
    assert dates.is_valid(edtf)


def test_phrases_read_back_in_plain_words() -> None:
    assert dates.humanize(to_edtf("каля жніўня 2020")) == "about August 2020"
    assert dates.humanize(to_edtf("в 2002 или 2003")) == "2002 or 2003"
    assert dates.humanize(to_edtf("летом 2020")) == "summer 2020"


@pytest.mark.parametrize(
    ("phrase", "says"),
    [
        ("someday", '"someday" is not a word of a date we know'),
        ("каля вечара", '"вечара" is not a word of a date we know'),
        ("sometime in 2020", '"sometime" is not a word of a date we know'),
        ("between 2000", '"and" before the second date is missing'),
        ("2000 and 2001", '"and" was not understood'),
        ("August", "a four-digit year is missing"),
        ("about summer 2020", "a season cannot be marked about"),
        ("early summer 2020", '"early" goes with a year or a month'),
        ("early 2006 or 2007", "early, mid or late cannot be one of several dates"),
        ("31.02.2020", "it reads as 2020-02-31, but not a real calendar date"),
        ("between 2001 and 2000", "it reads as 2001/2000, but the interval ends before it starts"),
        ("2020 @ home", '"@" is not part of a date'),
    ],
)
def test_refusal_says_what_was_not_understood(phrase: str, says: str) -> None:
    with pytest.raises(PhraseNotUnderstood) as refused:
        to_edtf(phrase)
    assert f'"{phrase}" was not understood as a date' in str(refused.value)
    assert says in str(refused.value)


def test_edtf_that_is_wrong_gets_the_edtf_message() -> None:
    with pytest.raises(dates.InvalidDate) as refused:
        to_edtf("2020-13")
    assert str(refused.value).startswith('"2020-13" is not a valid EDTF date: the month')
