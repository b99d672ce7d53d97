"""Generated personnummer and samordningsnummer for tests only.

Every number here is made up when a test runs (birth date, birth number and the Luhn check
digit computed); none is written to a file in the repository. Birth numbers are taken from
980–999 where a test does not care, the range Skatteverket's published test numbers use, so that
a generated number is unlikely to be a real person's.
"""

from __future__ import annotations

import datetime as dt
import random

import numpy as np


def luhn(nine: str) -> str:
    """The check digit of nine digits YYMMDDNNN."""
    total = 0
    for i, ch in enumerate(nine):
        v = int(ch) * (2 if i % 2 == 0 else 1)
        total += v - 9 if v > 9 else v
    return str((10 - total % 10) % 10)


def number(birth: dt.date, birth_number: int = 985, *, coordination: bool = False, form: str = "12") -> str:
    """A valid number for ``birth``; ``form``: "12" YYYYMMDDNNNC, "12-" YYYYMMDD-NNNC, "10" YYMMDDNNNC,
    "10-" YYMMDD-NNNC, "10+" YYMMDD+NNNC. The sex follows ``birth_number``'s last digit (odd = M)."""
    day = birth.day + (60 if coordination else 0)
    nine = f"{birth:%y%m}{day:02d}{birth_number:03d}"
    ten = nine + luhn(nine)
    century = f"{birth.year // 100:02d}"
    return {
        "12": century + ten,
        "12-": century + ten[:6] + "-" + ten[6:],
        "10": ten,
        "10-": ten[:6] + "-" + ten[6:],
        "10+": ten[:6] + "+" + ten[6:],
    }[form]


def wrong_check_digit(valid: str) -> str:
    """The same number with its last digit changed."""
    return valid[:-1] + str((int(valid[-1]) + 1) % 10)


def birth_number(sex: str, rng: random.Random) -> int:
    """A birth number in 980–999 whose last digit gives ``sex`` ("K" even, "M" odd)."""
    return rng.choice([n for n in range(980, 1000) if (n % 2 == 1) == (sex == "M")])


def many(n: int, seed: int = 0, *, first: dt.date = dt.date(1915, 1, 1), last: dt.date = dt.date(1960, 12, 31)):
    """``n`` distinct twelve-digit numbers (vectorised), with their birth dates and sexes."""
    rng = np.random.default_rng(seed)
    days = (last - first).days + 1
    if n > days * 20:
        raise ValueError("not enough distinct numbers in the range")
    picks = rng.choice(days * 20, size=n, replace=False)
    births = np.datetime64(first) + (picks // 20).astype("timedelta64[D]")
    serial = 980 + picks % 20
    text = np.datetime_as_string(births, unit="D")
    nines = [f"{t[2:4]}{t[5:7]}{t[8:10]}{s:03d}" for t, s in zip(text.tolist(), serial.tolist(), strict=False)]
    numbers = [f"{t[:2]}{n}{luhn(n)}" for t, n in zip(text.tolist(), nines, strict=False)]
    sexes = np.where(serial % 2 == 1, "M", "K")
    return numbers, births, sexes
