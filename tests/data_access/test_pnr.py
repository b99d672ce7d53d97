"""The bulk parser of personnummer and samordningsnummer (``data_access.pnr``).

Tested: the five accepted forms and everything that is not one of them, the century of the
ten-digit forms against the reference date (the 100-year boundary to the day, the leap day),
samordningsnummer, check digits, impossible dates, birth number 000, births after the reference
date, the priority of the reasons, ``exact_age``, ``reserve_form`` and that ``parse`` keeps
positions for lists and pandas Series. The PyPI package ``personnummer`` is the reference for
thousands of generated and random values.

No personnummer is written in this file: every valid number is generated when the test runs by
``tests.personnummer_factory`` (birth numbers 980–999), and the invalid ones are built from a
date, a birth number and a computed check digit. The only literal is Skatteverket's public
example.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from personnummer import personnummer as pn

from data_access.pnr import (
    BIRTH_NUMBER_000,
    CENTURY,
    CHECK_DIGIT,
    MISSING,
    NINE_DIGITS,
    NO_DATE,
    NO_FORM,
    exact_age,
    future_message,
    parse,
    reserve_form,
)
from tests.personnummer_factory import luhn, many, number, wrong_check_digit

REF = dt.date(2026, 12, 7)
NAT = np.datetime64("NaT")


def one(value, ref: dt.date = REF) -> dict:
    """The parse of a single value, as plain Python values."""
    p = parse([value], ref)
    birth = p.birth_date[0]
    return {
        "number": int(p.number[0]),
        "birth_date": None if np.isnat(birth) else birth.astype(object),
        "sex": p.sex[0],
        "coordination": bool(p.coordination[0]),
        "has_form": bool(p.has_form[0]),
        "reason": p.reason[0],
        "valid": bool(p.valid[0]),
        "normalised": p.normalised[0],
    }


def with_check(body: str) -> str:
    """``body`` (YYYYMMDDNNN, YYMMDDNNN, or with a separator before NNN) followed by the Luhn digit of
    its last nine digits, so that a value with an impossible date or birth number 000 has a right
    check digit and fails for that reason only."""
    digits = body.replace("-", "").replace("+", "")
    return body + luhn(digits[-9:])


def twelve(date8: str, birth_number: int) -> int:
    """The expected ``number``: date8 (day + 60 for a samordningsnummer) + birth number + check digit."""
    nine = f"{date8[2:]}{birth_number:03d}"
    return int(f"{date8[:2]}{nine}{luhn(nine)}")


def assert_rejected(result: dict, reason: str, *, has_form: bool) -> None:
    assert result["reason"] == reason
    assert result["valid"] is False
    assert result["has_form"] is has_form
    assert result["number"] == 0
    assert result["normalised"] is None
    assert result["birth_date"] is None
    assert result["sex"] is None
    assert result["coordination"] is False


def age(birth: dt.date, on: dt.date) -> int:
    """Whole years by hand: the year is completed on the birthday (29 February: on 1 March)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


# --- 1. The forms -------------------------------------------------------------------------------


def test_skatteverkets_example():
    result = one("19121212-1212")
    assert luhn("121212121") == "2"
    assert result["number"] == 191212121212
    assert result["normalised"] == "191212121212"
    assert result["birth_date"] == dt.date(1912, 12, 12)
    assert result["sex"] == "M"


@pytest.mark.parametrize(
    ("form", "birth", "birth_number", "date8", "sex"),
    [
        ("12", dt.date(1945, 8, 12), 985, "19450812", "M"),
        ("12-", dt.date(1987, 3, 4), 982, "19870304", "K"),
        ("10", dt.date(1999, 11, 30), 984, "19991130", "K"),
        ("10-", dt.date(2010, 1, 1), 991, "20100101", "M"),
        ("10+", dt.date(1921, 5, 17), 987, "19210517", "M"),
    ],
)
def test_each_form(form, birth, birth_number, date8, sex):
    value = number(birth, birth_number, form=form)
    assert len(value) == {"12": 12, "12-": 13, "10": 10, "10-": 11, "10+": 11}[form]
    result = one(value)
    expected = twelve(date8, birth_number)
    assert result["reason"] is None and result["valid"] is True and result["has_form"] is True
    assert result["number"] == expected
    assert result["normalised"] == str(expected)
    assert result["birth_date"] == birth
    assert result["sex"] == sex
    assert result["coordination"] is False


def test_surrounding_whitespace_is_accepted():
    pads = [(" ", " "), ("\t", ""), ("", "\n"), ("  \t", "\r\n "), ("\u00a0", "\u3000")]
    values = [
        left + number(dt.date(1921, 5, 17), 987, form=form) + right for left, right in pads for form in ("12-", "10+")
    ]
    p = parse(values, REF)
    assert p.reason.tolist() == [None] * 10
    assert p.number.tolist() == [twelve("19210517", 987)] * 10
    assert p.birth_date.tolist() == [dt.date(1921, 5, 17)] * 10


def _v12() -> str:
    return number(dt.date(1945, 8, 12), 985)


def _v10() -> str:
    return number(dt.date(1945, 8, 12), 985, form="10")


def assert_all_rejected(cases: dict[str, str], reason: str, *, has_form: bool, ref: dt.date = REF) -> None:
    """Every value of ``cases`` (description: value) is rejected for ``reason``."""
    p = parse(list(cases.values()), ref)
    assert dict(zip(cases, p.reason.tolist(), strict=True)) == dict.fromkeys(cases, reason)
    assert p.has_form.tolist() == [has_form] * len(cases)
    assert not p.valid.any() and not p.coordination.any()
    assert (p.number == 0).all() and np.isnat(p.birth_date).all()
    assert p.sex.tolist() == p.normalised.tolist() == [None] * len(cases)


def test_not_a_form():
    v12, v10 = _v12(), _v10()
    cases = {
        "YYYYMMDD+NNNC": v12[:8] + "+" + v12[8:],
        "inner space 12": v12[:8] + " " + v12[8:],
        "inner space 10": v10[:6] + " " + v10[6:],
        "spaces round the separator": v10[:6] + " - " + v10[6:],
        "double separator": v12[:8] + "--" + v12[8:],
        "plus and minus": v10[:6] + "+-" + v10[6:],
        "11 digits": v12[1:],
        "13 digits": "1" + v12,
        "no check digit": v10[:6] + "-" + v10[6:9],
        "letter as check digit": v12[:-1] + "X",
        "ISO date": f"{v12[:4]}-{v12[4:6]}-{v12[6:8]}-{v12[8:]}",
        "fullwidth digits": v12.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}),
        "letters": "ABC",
        "8 digits": "12345678",
        "separator in the wrong place": "1234567890-1",
    }
    assert_all_rejected(cases, NO_FORM, has_form=False)


def test_nine_digits():
    lost_zero = number(dt.date(2005, 3, 9), 986, form="10")[1:]
    cases = {"lost leading zero": lost_zero, "padded": " " + lost_zero + "\t", "any nine digits": "123456789"}
    assert len(lost_zero) == 9
    assert_all_rejected(cases, NINE_DIGITS, has_form=False)


def test_nine_digits_with_a_separator_is_no_form():
    value = number(dt.date(2005, 3, 9), 986, form="10-")[1:]  # 50309-986C
    assert_rejected(one(value), NO_FORM, has_form=False)


def test_missing():
    cases = {"None": None, "empty": "", "spaces": "   ", "tab and newline": "\t\n", "NaN": np.nan, "NA": pd.NA}
    assert_all_rejected(cases, MISSING, has_form=False)


# --- 2. The century of the ten-digit forms ------------------------------------------------------


# (date the value is written from, form, samordningsnummer, expected birth date) on REF = 2026-12-07.
CENTURY_CASES = [
    (dt.date(1926, 12, 31), "10-", False, dt.date(1926, 12, 31)),  # 2026-12-31 would be after REF: age 99
    (dt.date(1926, 12, 31), "10", False, dt.date(1926, 12, 31)),
    (dt.date(2026, 12, 7), "10-", False, dt.date(2026, 12, 7)),  # born on REF: age 0
    (dt.date(2026, 12, 6), "10-", False, dt.date(2026, 12, 6)),
    (dt.date(1926, 12, 8), "10-", False, dt.date(1926, 12, 8)),  # the day after REF's month-day
    (dt.date(1926, 12, 7), "10+", False, dt.date(1926, 12, 7)),  # exactly 100
    (dt.date(1926, 12, 6), "10+", False, dt.date(1926, 12, 6)),
    (dt.date(1926, 12, 8), "10+", False, dt.date(1826, 12, 8)),  # 1926-12-08 is only 99
    (dt.date(1926, 12, 31), "10+", False, dt.date(1826, 12, 31)),
    (dt.date(1926, 1, 1), "10+", False, dt.date(1926, 1, 1)),
    (dt.date(1927, 1, 1), "10-", False, dt.date(1927, 1, 1)),
    (dt.date(1927, 1, 1), "10+", False, dt.date(1827, 1, 1)),  # 1927-01-01 is 99
    (dt.date(2025, 12, 31), "10-", False, dt.date(2025, 12, 31)),
    (dt.date(1926, 12, 31), "10-", True, dt.date(1926, 12, 31)),  # written day 91
    (dt.date(2026, 12, 1), "10-", True, dt.date(2026, 12, 1)),  # written day 61 > 07, but the day 01 < 07
    (dt.date(2026, 12, 7), "10", True, dt.date(2026, 12, 7)),
    (dt.date(1926, 12, 8), "10+", True, dt.date(1826, 12, 8)),
]


def test_century_against_the_reference_date():
    values = [number(written, 985, coordination=c, form=form) for written, form, c, _ in CENTURY_CASES]
    p = parse(values, REF)
    assert dict(zip(values, p.birth_date.tolist(), strict=True)) == {
        v: case[3] for v, case in zip(values, CENTURY_CASES, strict=True)
    }
    assert p.valid.all()
    assert p.coordination.tolist() == [c for _, _, c, _ in CENTURY_CASES]
    assert (p.number // 100_000_000).tolist() == [expected.year for *_, expected in CENTURY_CASES]
    # The rule itself: "+" is 100 or older on the reference date, "-" or none younger.
    assert [age(expected, REF) >= 100 for *_, expected in CENTURY_CASES] == [f == "10+" for _, f, _, _ in CENTURY_CASES]


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


@pytest.mark.parametrize(
    "ref",
    [REF, dt.date(2000, 2, 28), dt.date(2000, 3, 1), dt.date(2028, 2, 29), dt.date(2027, 2, 28), dt.date(2026, 1, 1)],
)
def test_the_right_separator_gives_back_the_birth_date(ref):
    """Every birth date of the years round 100 years before the reference date and of the last year,
    written with the separator its age on the reference date calls for (also without one where < 100)."""
    births = _days(dt.date(ref.year - 101, 1, 1), dt.date(ref.year - 99, 12, 31)) + _days(
        dt.date(ref.year - 1, 1, 1), ref
    )
    values, expected = [], []
    for i, birth in enumerate(births):
        plus = age(birth, ref) >= 100
        values.append(number(birth, 980 + i % 20, form="10+" if plus else "10-"))
        expected.append(birth)
        if not plus:
            values.append(number(birth, 980 + i % 20, form="10"))
            expected.append(birth)
    p = parse(values, ref)
    assert p.valid.all()
    assert p.birth_date.tolist() == expected


def test_leap_day_ten_digit():
    minus = number(dt.date(2000, 2, 29), 985, form="10-")
    plus = number(dt.date(2000, 2, 29), 985, form="10+")
    assert one(minus)["birth_date"] == dt.date(2000, 2, 29)
    assert one(minus)["number"] == twelve("20000229", 985)
    assert_rejected(one(plus), NO_DATE, has_form=True)  # 1900-02-29 does not exist


def test_leap_day_century_on_other_reference_dates():
    cases = [  # (birth the value is written from, form, reference date, expected birth date or None = NO_DATE)
        (dt.date(2000, 2, 29), "10-", dt.date(2100, 2, 28), dt.date(2000, 2, 29)),  # 99 on 2100-02-28
        (dt.date(2000, 2, 29), "10+", dt.date(2100, 2, 28), None),  # 1900-02-29 does not exist
        (dt.date(2000, 2, 29), "10+", dt.date(2100, 3, 1), dt.date(2000, 2, 29)),  # 100 on 1 March, non-leap year
        (dt.date(2000, 2, 29), "10-", dt.date(2100, 3, 1), None),  # 2100-02-29 does not exist
        (dt.date(2000, 2, 29), "10-", dt.date(2000, 2, 28), None),  # 2000-02-29 would be after it, 1900 no leap
        (dt.date(2000, 2, 29), "10-", dt.date(2000, 2, 29), dt.date(2000, 2, 29)),
        (dt.date(1928, 2, 29), "10+", dt.date(2028, 2, 29), dt.date(1928, 2, 29)),  # exactly 100
        (dt.date(1928, 2, 29), "10-", dt.date(2028, 2, 28), dt.date(1928, 2, 29)),  # 99: 2028-02-29 is after it
    ]
    for written, form, ref, expected in cases:
        result = one(number(written, 985, form=form), ref)
        if expected is None:
            assert_rejected(result, NO_DATE, has_form=True)
        else:
            assert (result["reason"], result["birth_date"]) == (None, expected), (written, form, ref)
            assert (age(expected, ref) >= 100) is (form == "10+")


def test_exact_age():
    cases = [  # (birth, on, whole years)
        (dt.date(2000, 2, 29), dt.date(2027, 2, 28), 26),
        (dt.date(2000, 2, 29), dt.date(2027, 3, 1), 27),
        (dt.date(2000, 2, 29), dt.date(2028, 2, 28), 27),
        (dt.date(2000, 2, 29), dt.date(2028, 2, 29), 28),
        (dt.date(2000, 2, 29), dt.date(2100, 2, 28), 99),
        (dt.date(2000, 2, 29), dt.date(2100, 3, 1), 100),
        (dt.date(1926, 12, 7), dt.date(2026, 12, 6), 99),
        (dt.date(1926, 12, 7), dt.date(2026, 12, 7), 100),
        (dt.date(1926, 12, 8), dt.date(2026, 12, 7), 99),
        (dt.date(1990, 6, 15), dt.date(1990, 6, 15), 0),
        (dt.date(1990, 6, 15), dt.date(1991, 6, 14), 0),
        (dt.date(1990, 6, 15), dt.date(1991, 6, 15), 1),
    ]
    births = np.array([b for b, _, _ in cases], dtype="datetime64[D]")
    on = pd.Series([pd.Timestamp(o) for _, o, _ in cases])
    assert exact_age(births, on).tolist() == [expected for *_, expected in cases]


def test_exact_age_vectorised_with_missing_values_and_times_of_day():
    births = np.array(["2000-02-29", "NaT", "1926-12-08", "1926-12-07"], dtype="datetime64[D]")
    on = pd.Series(
        [
            pd.Timestamp("2027-02-28 23:59"),
            pd.Timestamp("2026-12-07 12:00"),
            pd.NaT,
            pd.Timestamp("2026-12-07 00:00:01"),
        ],
        index=[7, 8, 9, 10],
    )
    result = exact_age(births, on)
    assert str(result.dtype) == "Int64"
    assert result.index.tolist() == [7, 8, 9, 10]
    assert result.iloc[0] == 26 and result.iloc[3] == 100
    assert result.isna().tolist() == [False, True, True, False]


# --- 3. Samordningsnummer ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "birth_number", "form", "date8", "sex"),
    [
        (dt.date(1980, 1, 31), 985, "12", "19800191", "M"),  # day 60 + 31
        (dt.date(1980, 1, 1), 982, "12-", "19800161", "K"),  # day 60 + 1
        (dt.date(2000, 2, 29), 996, "10-", "20000289", "K"),
        (dt.date(1921, 5, 17), 981, "10+", "19210577", "M"),
        (dt.date(1999, 12, 30), 993, "10", "19991290", "M"),
    ],
)
def test_samordningsnummer(birth, birth_number, form, date8, sex):
    result = one(number(birth, birth_number, coordination=True, form=form))
    expected = twelve(date8, birth_number)  # the day stays + 60
    assert result["reason"] is None
    assert result["coordination"] is True
    assert result["number"] == expected
    assert result["normalised"] == str(expected)
    assert result["birth_date"] == birth
    assert result["sex"] == sex


def test_samordningsnummer_impossible_day():
    cases = {
        "60+31 April": "19800491985",
        "day 60 = day 0": "19800160985",
        "day 92": "19800192985",
        "day 45": "19800145985",
        "60+29 February 1900": "19000289985",
        "60+30 February": "20000290985",
        "60+31 April, ten digits": "800491-985",
    }
    assert_all_rejected({k: with_check(v) for k, v in cases.items()}, NO_DATE, has_form=True)


# --- 4. Check digit, dates, birth number 000, the future -------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(number(dt.date(1945, 8, 12), 985), id="12"),
        pytest.param(number(dt.date(1945, 8, 12), 985, form="10-"), id="10-"),
        pytest.param(number(dt.date(1921, 5, 17), 982, form="10+"), id="10+"),
        pytest.param(number(dt.date(1980, 1, 31), 990, coordination=True), id="samordningsnummer"),
    ],
)
def test_every_wrong_check_digit(value):
    assert one(value)["valid"] is True
    wrong = [value[:-1] + d for d in "0123456789" if d != value[-1]]
    assert len(wrong) == 9 and wrong_check_digit(value) in wrong
    p = parse(wrong, REF)
    assert p.reason.tolist() == [CHECK_DIGIT] * 9
    assert p.has_form.all() and not p.valid.any()
    assert (p.number == 0).all() and np.isnat(p.birth_date).all() and p.sex.tolist() == [None] * 9


def test_swapped_digits_are_caught():
    value = number(dt.date(1945, 8, 12), 985)
    swapped = value[:9] + value[10] + value[9] + value[11]  # birth number 985 -> 958
    assert_rejected(one(swapped), CHECK_DIGIT, has_form=True)


def test_impossible_dates():
    cases = {
        "month 00": "19450012985",
        "month 13": "19451312985",
        "day 00": "19450800985",
        "31 April": "19450431985",
        "32 July": "19450732985",
        "30 February": "20000230985",
        "29 February 1900": "19000229985",
        "29 February 2100": "21000229985",
        "29 February 1945": "19450229985",
        "month 13, ten digits": "451312-985",
        "29 February 1900 with +": "000229+985",
    }
    assert_all_rejected({k: with_check(v) for k, v in cases.items()}, NO_DATE, has_form=True)


def test_29_february_of_a_leap_year():
    births = [dt.date(2000, 2, 29), dt.date(1904, 2, 29), dt.date(2024, 2, 29)]
    p = parse([number(b, 985) for b in births], REF)
    assert p.valid.all() and p.birth_date.tolist() == births


def test_birth_number_000():
    cases = {"12": "19450812000", "10-": "450812-000", "10+": "450812+000", "samordningsnummer": "19800191000"}
    assert_all_rejected({k: with_check(v) for k, v in cases.items()}, BIRTH_NUMBER_000, has_form=True)


def test_priority_of_the_reasons():
    cases = [  # (body, right check digit, reason): NO_DATE over BIRTH_NUMBER_000 over CHECK_DIGIT
        ("19451312000", False, NO_DATE),
        ("19451312000", True, NO_DATE),
        ("19451312985", False, NO_DATE),
        ("19450812000", False, BIRTH_NUMBER_000),
        ("19800192000", False, NO_DATE),
    ]
    values = [with_check(body) if right else wrong_check_digit(with_check(body)) for body, right, _ in cases]
    assert parse(values, REF).reason.tolist() == [reason for *_, reason in cases]


def test_born_on_the_reference_date_is_valid_the_day_after_is_not():
    p = parse(
        [
            number(REF, 984),
            number(REF + dt.timedelta(days=1), 984),
            number(REF + dt.timedelta(days=1), 984, form="12-"),
            number(REF + dt.timedelta(days=1), 984, coordination=True),
            number(dt.date(2027, 1, 1), 984),
            number(REF + dt.timedelta(days=1), 984, form="10-"),  # ten digits: a century ago, never future
        ],
        REF,
    )
    future = future_message(REF)
    assert "2026-12-07" in future
    assert p.reason.tolist() == [None, future, future, future, future, None]
    assert p.birth_date.tolist() == [REF, None, None, None, None, dt.date(1926, 12, 8)]
    assert p.number.tolist()[1:5] == [0, 0, 0, 0]
    assert p.has_form.all()


def test_the_future_depends_on_the_reference_date():
    value = number(REF + dt.timedelta(days=1), 984)
    assert one(value, REF)["reason"] == future_message(REF)
    assert one(value, REF + dt.timedelta(days=1))["reason"] is None


# --- 5. The personnummer package as the reference ---------------------------------------------------

REFERENCE_DATES = [REF, dt.date(2000, 2, 28), dt.date(2028, 2, 29)]


def oracle(values: list[str]) -> list[tuple]:
    """(valid, birth date, sex, coordination, twelve digits) per value by the package."""
    out = []
    for value in values:
        try:
            p = pn.parse(value)
        except pn.PersonnummerException:
            out.append((False, None, None, None, None))
            continue
        out.append((True, p.get_date(), "M" if p.is_male() else "K", p.is_coordination_number(), p.format(True)))
    return out


def ours(values: list[str], ref: dt.date) -> list[tuple]:
    p = parse(values, ref)
    return [
        (bool(v), b if v else None, s, bool(c) if v else None, n)
        for v, b, s, c, n in zip(p.valid, p.birth_date.tolist(), p.sex, p.coordination, p.normalised, strict=True)
    ]


def random_values(rng: np.random.Generator, n: int, *, long: bool) -> list[str]:
    """Half uniform random digit strings; half built from plausible parts (months 0–13, days 0–31 and
    60–92, some birth number 000, some separators), a third of them with a corrupted check digit."""
    width = 12 if long else 10
    out = ["".join(map(str, row)) for row in rng.integers(0, 10, size=(n // 2, width))]
    for _ in range(n - n // 2):
        yy, month = int(rng.integers(0, 100)), int(rng.integers(0, 14))
        day = int(rng.integers(0, 32)) + (60 if rng.random() < 0.3 else 0)
        serial = 0 if rng.random() < 0.03 else int(rng.integers(1, 1000))
        nine = f"{yy:02d}{month:02d}{day:02d}{serial:03d}"
        check = luhn(nine) if rng.random() < 2 / 3 else str(rng.integers(0, 10))
        if long:
            century = str(rng.choice(["18", "19", "20"]))
            sep = "-" if rng.random() < 0.3 else ""
            out.append(f"{century}{nine[:6]}{sep}{nine[6:]}{check}")
        else:
            sep = str(rng.choice(["", "-", "+"]))
            out.append(f"{nine[:6]}{sep}{nine[6:]}{check}")
    return out


@pytest.mark.parametrize("ref", REFERENCE_DATES)
def test_twelve_digits_agree_with_the_package(ref, monkeypatch):
    monkeypatch.setattr(pn, "_get_current_date", lambda: ref)
    numbers, births, sexes = many(5000, seed=ref.toordinal(), first=dt.date(ref.year - 110, 1, 1), last=ref)
    # Ground truth first: the generated numbers come back unchanged.
    p = parse(numbers, ref)
    assert p.valid.all()
    assert p.number.tolist() == [int(x) for x in numbers]
    assert (p.birth_date == births).all()
    assert p.sex.tolist() == sexes.tolist()
    assert not p.coordination.any()

    rng = np.random.default_rng(ref.toordinal())
    dashed = [x[:8] + "-" + x[8:] for x in numbers[:1000]]
    values = numbers + dashed + random_values(rng, 6000, long=True)
    theirs, mine = oracle(values), ours(values, ref)
    # The package accepts twelve-digit numbers born after the reference date (its "today"); we
    # reject them with the future message. Those are left out of the comparison, after checking so.
    future = [i for i, t in enumerate(theirs) if t[0] and t[1] > ref]
    assert future, "the random values should include some born after the reference date"
    assert {mine[i][0] for i in future} == {False}
    assert set(parse([values[i] for i in future], ref).reason) == {future_message(ref)}
    # It also accepts any century (year 0435); we refuse centuries before 18 with their own reason.
    early = [i for i, t in enumerate(theirs) if t[0] and t[1].year < 1800]
    assert early, "the random values should include some with a century before 18"
    assert {mine[i][0] for i in early} == {False}
    assert set(parse([values[i] for i in early], ref).reason) == {CENTURY}
    skipped = set(future) | set(early)
    compared = [i for i in range(len(values)) if i not in skipped]
    assert sum(mine[i][0] for i in compared) > 6000  # the generated ones and many of the random ones
    assert sum(not mine[i][0] for i in compared) > 2000
    assert [mine[i] for i in compared] == [theirs[i] for i in compared]


def documented_difference(value: str, ref: dt.date) -> bool:
    """A ten-digit value whose two-digit year is the reference year's and whose month-day is after the
    reference day: the package (by calendar year) puts it in the reference year, we a century earlier."""
    digits = value.replace("-", "").replace("+", "")
    yy, month, day = int(digits[:2]), int(digits[2:4]), int(digits[4:6])
    day = day - 60 if day > 60 else day
    return yy == ref.year % 100 and (month, day) > (ref.month, ref.day)


@pytest.mark.parametrize("ref", REFERENCE_DATES)
def test_ten_digits_agree_with_the_package_except_the_documented_case(ref, monkeypatch):
    monkeypatch.setattr(pn, "_get_current_date", lambda: ref)
    numbers, births, _ = many(5000, seed=ref.toordinal() + 1, first=dt.date(ref.year - 110, 1, 1), last=ref)
    plus = [age(b, ref) >= 100 for b in births.astype(object)]
    short = [x[2:8] + ("+" if p else "-") + x[8:] for x, p in zip(numbers, plus, strict=True)]
    bare = [x[2:] for x, p in zip(numbers, plus, strict=True) if not p]
    # Ground truth: the right separator gives back the birth date and the twelve digits.
    p = parse(short, ref)
    assert p.valid.all() and (p.birth_date == births).all()
    assert p.number.tolist() == [int(x) for x in numbers]

    # Built to fall in the documented case: 31 December of the year ending like the reference year.
    later = dt.date(ref.year - 100, 12, 31)
    deliberate = [number(later, 985, form=f) for f in ("10-", "10", "10+")]
    deliberate.append(number(later, 990, coordination=True, form="10-"))
    rng = np.random.default_rng(ref.toordinal() + 2)
    values = short + bare + deliberate + random_values(rng, 6000, long=False)
    theirs, mine = oracle(values), ours(values, ref)
    differ = [i for i in range(len(values)) if theirs[i] != mine[i]]
    assert all(documented_difference(values[i], ref) for i in differ), [values[i] for i in differ][:5]
    for i in differ:  # the same number, a century apart (or a date that exists in only one of them)
        if mine[i][0] and theirs[i][0]:
            assert theirs[i][1].year - mine[i][1].year == 100
            assert mine[i][2:4] == theirs[i][2:4]
    first_deliberate = len(short) + len(bare)
    assert set(range(first_deliberate, first_deliberate + 4)) <= set(differ)
    assert sum(m[0] for m in mine) > 5000 and sum(not m[0] for m in mine) > 2000


def test_the_documented_difference_by_hand(monkeypatch):
    monkeypatch.setattr(pn, "_get_current_date", lambda: REF)
    minus = number(dt.date(1926, 12, 31), 985, form="10-")
    plus = number(dt.date(1926, 12, 31), 985, form="10+")
    on_ref_day = number(dt.date(2026, 12, 7), 985, form="10-")
    assert pn.parse(minus).get_date() == dt.date(2026, 12, 31)  # born in three weeks
    assert one(minus)["birth_date"] == dt.date(1926, 12, 31)
    assert pn.parse(plus).get_date() == dt.date(1926, 12, 31)  # aged 99 although written with "+"
    assert one(plus)["birth_date"] == dt.date(1826, 12, 31)
    assert pn.parse(on_ref_day).get_date() == one(on_ref_day)["birth_date"] == dt.date(2026, 12, 7)


# --- 6. reserve_form and the vectorised parse -------------------------------------------------------


def test_reserve_form():
    values = pd.Series(["ab 12 cd", " x\ty\n", "åäö-1", "a\u00a0b", "R 123 456", None], index=list("uvwxyz"))
    result = reserve_form(values)
    assert result.index.tolist() == list("uvwxyz")
    assert result.iloc[:5].tolist() == ["AB12CD", "XY", "ÅÄÖ-1", "AB", "R123456"]
    assert pd.isna(result.iloc[5])


def test_mixed_values_keep_their_positions():
    valid12 = number(dt.date(1945, 8, 12), 985)
    coordination10 = number(dt.date(1980, 1, 31), 982, coordination=True, form="10-")
    values = [
        valid12,
        None,
        wrong_check_digit(valid12),
        "ABC",
        coordination10,
        "",
        number(dt.date(2005, 3, 9), 986, form="10")[1:],
        with_check("19450812000"),
        with_check("19451312985"),
        number(REF + dt.timedelta(days=1), 984),
        " " + valid12 + " ",
    ]
    p = parse(values, REF)
    assert p.reason.tolist() == [
        None,
        MISSING,
        CHECK_DIGIT,
        NO_FORM,
        None,
        MISSING,
        NINE_DIGITS,
        BIRTH_NUMBER_000,
        NO_DATE,
        future_message(REF),
        None,
    ]
    assert p.valid.tolist() == [True, False, False, False, True, False, False, False, False, False, True]
    assert p.has_form.tolist() == [True, False, True, False, True, False, False, True, True, True, True]
    expected12 = twelve("19450812", 985)
    expected_coordination = twelve("19800191", 982)
    assert p.number.tolist() == [expected12, 0, 0, 0, expected_coordination, 0, 0, 0, 0, 0, expected12]
    assert p.normalised.tolist() == [str(expected12)] + [None] * 3 + [str(expected_coordination)] + [None] * 5 + [
        str(expected12)
    ]
    assert p.sex.tolist() == ["M", None, None, None, "K"] + [None] * 5 + ["M"]
    assert p.coordination.tolist() == [False] * 4 + [True] + [False] * 6
    assert p.birth_date.tolist() == [dt.date(1945, 8, 12)] + [None] * 3 + [dt.date(1980, 1, 31)] + [None] * 5 + [
        dt.date(1945, 8, 12)
    ]


def test_dtypes():
    p = parse([number(dt.date(1945, 8, 12), 985), "ABC"], REF)
    assert p.number.dtype == np.int64
    assert p.birth_date.dtype == np.dtype("datetime64[D]")
    assert p.has_form.dtype == bool and p.coordination.dtype == bool
    assert p.sex.dtype == object and p.reason.dtype == object
    assert p.valid.dtype == bool


@pytest.mark.parametrize("values", [[], pd.Series([], dtype="str"), pd.Series([], dtype=object)])
def test_empty_input(values):
    p = parse(values, REF)
    for array in (p.number, p.birth_date, p.sex, p.coordination, p.has_form, p.reason, p.valid, p.normalised):
        assert len(array) == 0


def test_no_value_has_a_form():
    p = parse(["ABC", None, "123456789"], REF)
    assert p.reason.tolist() == [NO_FORM, MISSING, NINE_DIGITS]
    assert p.number.tolist() == [0, 0, 0] and not p.has_form.any()


def test_pyarrow_string_series_with_an_index():
    series = pd.Series(
        ["Ä", number(dt.date(1921, 5, 17), 987, form="10+"), None, number(dt.date(1945, 8, 12), 985, form="12-")],
        dtype="str",
        index=[40, 30, 20, 10],
    )
    assert series.dtype.storage == "pyarrow"
    p = parse(series, REF)
    assert p.reason.tolist() == [NO_FORM, None, MISSING, None]
    assert p.number.tolist() == [0, twelve("19210517", 987), 0, twelve("19450812", 985)]
    # A slice is an arrow array with an offset into the same buffers.
    q = parse(series.iloc[1:], REF)
    assert q.number.tolist() == [twelve("19210517", 987), 0, twelve("19450812", 985)]
    assert q.reason.tolist() == [None, MISSING, None]


def test_series_of_several_arrow_chunks():
    """A Series from pd.concat holds several Arrow chunks (once an AttributeError)."""
    first = pd.Series([number(dt.date(1945, 8, 12), 985)], dtype="str")
    second = pd.Series([number(dt.date(1921, 5, 17), 987, form="10+")], dtype="str")
    p = parse(pd.concat([first, second], ignore_index=True), REF)
    assert p.number.tolist() == [twelve("19450812", 985), twelve("19210517", 987)]


@pytest.mark.parametrize("century", ["00", "10", "17"])
def test_a_twelve_digit_century_before_18_is_refused(century):
    ten = number(dt.date(1945, 8, 12), 985, form="10")
    p = parse([century + ten, "19" + ten], REF)
    assert p.reason[0] == CENTURY and p.number[0] == 0
    assert p.valid.tolist() == [False, True]
