import datetime as dt

import pytest

from evidence import dates


@pytest.mark.parametrize(
    ("edtf", "earliest", "latest", "human"),
    [
        ("2020-08-10", "2020-08-10", "2020-08-10", "10 August 2020"),
        ("2020-08", "2020-08-01", "2020-08-31", "August 2020"),
        ("2000/2001", "2000-01-01", "2001-12-31", "between 2000 and 2001"),
        ("2002?", "2002-01-01", "2002-12-31", "2002 (uncertain)"),
        ("2002~", "2002-01-01", "2002-12-31", "about 2002"),
        ("2020-08~", "2020-08-01", "2020-08-31", "about August 2020"),
        ("1998/..", "1998-01-01", None, "from 1998 onwards"),
        ("../2000", None, "2000-12-31", "until 2000"),
        ("2020-02", "2020-02-01", "2020-02-29", "February 2020"),
        ("199X", "1990-01-01", "1999-12-31", "the 1990s"),
    ],
)
def test_bounds_and_plain_language(edtf, earliest, latest, human):
    bounds = dates.parse(edtf)
    assert bounds.earliest == (dt.date.fromisoformat(earliest) if earliest else None)
    assert bounds.latest == (dt.date.fromisoformat(latest) if latest else None)
    assert dates.humanize(edtf) == human


@pytest.mark.parametrize("bad", ["2020-13", "yesterday", "2020-02-30", "2001/2000", " 2020", ""])
def test_bad_date_is_an_error_that_quotes_it(bad):
    with pytest.raises(dates.InvalidDate) as error:
        dates.parse(bad)
    assert f'"{bad}"' in str(error.value)


def test_overlap_matches_uncertain_dates():
    bounds = dates.parse("2000/2001")
    assert dates.overlaps(bounds, dt.date(2001, 6, 1), dt.date(2002, 1, 1))
    assert not dates.overlaps(bounds, dt.date(2002, 1, 1), dt.date(2003, 1, 1))
    assert dates.overlaps(dates.parse("1998/.."), dt.date(2020, 1, 1), None)
