"""The first full date a text gives: written ISO, month-day-year or day-month-year, in words or digits."""

from __future__ import annotations

import random
from datetime import date

import pytest

from archive.clean.meta import date_from_name, date_from_text

_MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                "November", "December"]
# Words and numbers that hold no full date in any order: years alone, days alone, decades, other
# numbers, and words that begin like a month's name.
_FILLER = ("the council said 7 of 45 members voted in 1987 and 2020s prices rose 3.5% to 19 of 20 on "
           "Monday as Mayor said 12 2019 tons 1999a x2020 12,000 23 Decembers at 10:30 3/4 of 1.1 Junes 7").split()


def _written(d: date, form: int) -> str:
    month = _MONTH_NAMES[d.month - 1]
    return [f"{d:%Y-%m-%d}", f"{d:%Y%m%d}", f"{d:%Y/%m/%d}", f"{d:%Y.%m.%d}", f"{month} {d.day}, {d.year}",
            f"{month[:3]}. {d.day} {d.year}", f"{d.day} {month} {d.year}", f"{d.day} {month[:3]}, {d.year}",
            f"{month.upper()} {d.day:02d}, {d.year}"][form]


def test_the_first_written_date_is_found_wherever_it_stands():
    """Texts of filler with dates written at random places, in every form: the first one is found
    (the answer known from how the text was made)."""
    rnd = random.Random(7)
    for _ in range(3000):
        words: list[str | date] = [rnd.choice(_FILLER) for _ in range(rnd.randrange(0, 60))]
        for _ in range(rnd.randrange(0, 3)):
            words.insert(rnd.randrange(len(words) + 1),
                         date(rnd.randrange(1900, 2100), rnd.randrange(1, 13), rnd.randrange(1, 29)))
        dates = [w for w in words if isinstance(w, date)]
        gap = rnd.choice([" ", "  ", "\t", "\n", "\u00a0"])  # any white space parts words and a date's parts
        text = gap.join(_written(w, rnd.randrange(9)).replace(" ", gap) if isinstance(w, date) else w for w in words)
        assert date_from_text(text) == (dates[0].isoformat() if dates else ""), text


@pytest.mark.parametrize("text, want", [
    ("", ""),
    ("Filed 12019-11-20 and 2019-13-01 and 2019-02-30", ""),  # a digit before the year; no month 13; no 30 Feb
    ("Filed x2019-11-20.", "2019-11-20"),
    ("Nov. 19, 2020 and 2019-01-01", "2020-11-19"),
    ("on 3 March 1998; see 1999-01-01", "1998-03-03"),
    ("Born 19 Nov,2020 or Nov 19,2020", ""),  # no space before the year
    ("١٩ November ٢٠٢٠", ""),  # digits of other scripts are not read as a date
])
def test_dates_in_texts(text, want):
    assert date_from_text(text) == want


def test_dates_in_file_names():
    assert date_from_name("2020-11-20-oil.txt") == "2020-11-20"
    assert date_from_name("report20201120.html") == "2020-11-20"
    assert date_from_name("v12020112.txt") == ""
