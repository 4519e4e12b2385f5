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
        ("2020-22", "2020-06-01", "2020-08-31", "summer 2020"),
        ("2006-01/2006-04", "2006-01-01", "2006-04-30", "between January 2006 and April 2006"),
        ("[2002,2003]", "2002-01-01", "2003-12-31", "2002 or 2003"),
        ("{2000,2001-08}", "2000-01-01", "2001-08-31", "2000 and August 2001"),
        ("[..1984]", None, "1984-12-31", "1984 or earlier"),
        ("[1667,1670..1672]", "1667-01-01", "1672-12-31", "1667 or 1670 to 1672"),
        ("2000/", "2000-01-01", None, "from 2000 (end unknown)"),
        ("2020-08-10T10:00:00Z", "2020-08-10", "2020-08-10", "10 August 2020"),
    ],
)
def test_bounds_and_plain_language(edtf, earliest, latest, human):
    bounds = dates.parse(edtf)
    assert bounds.earliest == (dt.date.fromisoformat(earliest) if earliest else None)
    assert bounds.latest == (dt.date.fromisoformat(latest) if latest else None)
    assert dates.humanize(edtf) == human


@pytest.mark.parametrize(
    "bad",
    [
        "2020-13",
        "yesterday",
        "2020-02-30",
        "2001-02-29",
        "2001/2000",
        " 2020",
        "",
        "-1985",
        "2004-06~-11",
        "../..",
        "2020-25",
        "[2000]",
        "{2001..2000}",
    ],
)
def test_bad_date_is_an_error_that_quotes_it(bad):
    with pytest.raises(dates.InvalidDate) as error:
        dates.parse(bad)
    assert f'"{bad}"' in str(error.value)
