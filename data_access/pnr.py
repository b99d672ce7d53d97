"""Swedish personnummer and samordningsnummer, parsed in bulk (the pseudonymisation tool's parser).

The rules (Skatteverket: SKV 704 *Personnummer*, SKV 707 *Samordningsnummer*):

* Accepted forms, with surrounding spaces: ``YYYYMMDDNNNC``, ``YYYYMMDD-NNNC``, ``YYMMDD-NNNC``,
  ``YYMMDD+NNNC`` and ``YYMMDDNNNC`` (:data:`FORMS_RE`). Nothing else: ``YYYYMMDD+NNNC`` is not a
  form anyone writes, and a cell of nine digits is a number that lost its leading zero in Excel.
* The check digit ``C`` is the Luhn digit over the ten digits ``YYMMDDNNN``.
* A samordningsnummer has the day + 60 (61–91); the birth date is the day − 60.
* The century of the ten-digit forms is decided against a *reference date* (the date of the
  extract): ``-`` or no separator means younger than 100 years on that date, ``+`` means 100 or
  older. A twelve-digit number must not be born after the reference date.
* The date must exist (29 February only in leap years of the full year); the birth number
  ``NNN`` is never 000; a twelve-digit number's century is 18 or later.
* Sex: the second-to-last digit (the last of ``NNN``) is odd for men (M), even for women (K).

Why not the ``personnummer`` package from PyPI for all of it: it covers the check digit, dates,
samordningsnummer and sex, and the tests use it as the reference for those on thousands of
generated numbers (``tests/data_access/test_pnr.py``). But it decides the century against *today*
and by calendar *year* (``261231-NNNC`` on 7 December 2026 becomes a person born in three weeks),
so the extract date cannot be given, and it parses one value at a time in Python (about 5 µs a
value, where the tool must do 200 000 rows a second). This module is vectorised with pyarrow and
numpy instead, and the package checks it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

# One of the five forms; groups: century, date of the 12-digit forms, date and separator of the
# 10-digit forms, birth number and check digit. RE2 syntax (pyarrow).
FORMS_RE = (
    r"^(?:(?P<century>[0-9]{2})(?P<date8>[0-9]{6})-?|(?P<date6>[0-9]{6})(?P<sep>[-+]?))(?P<tail>[0-9]{4})$"
)
FORMS_SV = "ÅÅÅÅMMDDNNNK, ÅÅÅÅMMDD-NNNK, ÅÅMMDD-NNNK, ÅÅMMDD+NNNK eller ÅÅMMDDNNNK"

MISSING = "Personnumret saknas."
NO_FORM = (
    "Värdet är inget personnummer eller samordningsnummer: tillåtna former är " + FORMS_SV + ". "
    "Är det ett reservnummer, kör verktyget med --allow-reserve."
)
NINE_DIGITS = (
    "Värdet har nio siffror: Excel tar bort den inledande nollan när kolumnen är formaterad som tal. "
    "Formatera kolumnen som text och ta ut filen igen."
)
NO_DATE = "Datumet i numret finns inte (månad 01–12, dagen ska finnas i månaden; samordningsnummer har dag + 60)."
BIRTH_NUMBER_000 = "Födelsenumret (siffrorna 7–9 i det tiosiffriga numret) är 000, som aldrig används."
CENTURY = "Ett tolvsiffrigt nummer börjar med århundradet (19 eller 20; aldrig före 18)."
CHECK_DIGIT = "Kontrollsiffran stämmer inte (den sista siffran räknas fram med Luhn-algoritmen ur de nio före)."

_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)  # by month
_LUHN_DOUBLE = np.array([0, 2, 4, 6, 8, 1, 3, 5, 7, 9], dtype=np.int64)  # digit sum of 2 × d


def future_message(reference_date: dt.date) -> str:
    return (
        f"Födelsedatumet ligger efter referensdatumet {reference_date.isoformat()} (--reference-date, "
        "uttagets datum)."
    )


@dataclass(frozen=True)
class Parsed:
    """The numbers of one column, position by position (numpy arrays of the column's length).

    ``number`` is the twelve-digit form ``YYYYMMDDNNNC`` as an integer (the samordningsnummer's day
    stays + 60) where the value is valid, else 0; ``reason`` is None where valid, else the Swedish
    reason; ``has_form`` is true where the value has one of the forms (valid or not).
    """

    number: np.ndarray  # int64
    birth_date: np.ndarray  # datetime64[D], NaT where not valid
    sex: np.ndarray  # object: "K", "M" or None
    coordination: np.ndarray  # bool
    has_form: np.ndarray  # bool
    reason: np.ndarray  # object: str or None

    @property
    def valid(self) -> np.ndarray:
        return pd.isna(self.reason)

    @property
    def normalised(self) -> np.ndarray:
        """The twelve-digit text per value (None where not valid)."""
        return np.array([f"{x:012d}" if x else None for x in self.number.tolist()], dtype=object)


def parse(values: pd.Series | list, reference_date: dt.date) -> Parsed:
    """Parse every value (text, missing allowed) as a personnummer or samordningsnummer."""
    import pyarrow as pa
    import pyarrow.compute as pc

    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype="object")
    arr = pa.array(series.astype("str"), type=pa.string(), from_pandas=True)  # a chunk: far below 2 GB
    if isinstance(arr, pa.ChunkedArray):  # a Series built by pd.concat holds several Arrow chunks
        arr = arr.combine_chunks()
    n = len(arr)
    trimmed = pc.utf8_trim_whitespace(arr)
    missing = _np(pc.fill_null(pc.equal(trimmed, ""), True))
    parts = pc.extract_regex(trimmed, FORMS_RE)
    has_form = _np(parts.is_valid())
    reason = np.full(n, None, dtype=object)
    reason[missing] = MISSING
    no_form = ~missing & ~has_form
    reason[no_form] = NO_FORM
    if no_form.any():
        nine = _np(pc.match_substring_regex(trimmed.filter(pa.array(no_form)), r"^[0-9]{9}$"))
        reason[np.flatnonzero(no_form)[nine]] = NINE_DIGITS

    number = np.zeros(n, dtype=np.int64)
    birth = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    sex = np.full(n, None, dtype=object)
    coordination = np.zeros(n, dtype=bool)
    rows = np.flatnonzero(has_form)
    if not len(rows):
        return Parsed(number, birth, sex, coordination, has_form, reason)

    found = parts.filter(pa.array(has_form))
    century_text = found.field("century")
    long_form = _np(pc.not_equal(century_text, ""))
    plus = _np(pc.equal(found.field("sep"), "+"))
    date = pc.if_else(pa.array(long_form), found.field("date8"), found.field("date6"))
    d = _digit_matrix(pc.binary_join_element_wise(date, found.field("tail"), ""), 10)
    given_century = _digit_matrix(pc.if_else(pa.array(long_form), century_text, "00"), 2)
    yy, month, written_day = d[:, 0] * 10 + d[:, 1], d[:, 2] * 10 + d[:, 3], d[:, 4] * 10 + d[:, 5]
    is_coordination = written_day > 60
    day = np.where(is_coordination, written_day - 60, written_day)

    # Century: given, or the one that makes the person younger than 100 on the reference date
    # ("-" or none), and 100 years earlier for "+".
    ref = reference_date
    year = ref.year - (ref.year - yy) % 100  # the latest year ending in yy, not after the reference year
    after_reference_day = (month * 100 + day) > (ref.month * 100 + ref.day)
    year = np.where((year == ref.year) & after_reference_day, year - 100, year)
    year = np.where(plus, year - 100, year)
    century = given_century[:, 0] * 10 + given_century[:, 1]
    year = np.where(long_form, century * 100 + yy, year)
    century_ok = ~long_form | (century >= 18)  # the upper end is the reference date's (not_future)

    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    last_day = _DAYS_IN_MONTH[np.where(month_ok, month, 0)] + (leap & (month == 2))
    date_ok = month_ok & (day >= 1) & (day <= last_day)
    luhn = sum(_LUHN_DOUBLE[d[:, i]] if i % 2 == 0 else d[:, i] for i in range(9))
    check_ok = (10 - luhn % 10) % 10 == d[:, 9]
    birth_number_ok = (d[:, 6] * 100 + d[:, 7] * 10 + d[:, 8]) != 0
    ref_number = ref.year * 10_000 + ref.month * 100 + ref.day
    not_future = (year * 10_000 + month * 100 + day) <= ref_number

    why = np.full(len(rows), None, dtype=object)
    why[~check_ok] = CHECK_DIGIT
    why[~birth_number_ok] = BIRTH_NUMBER_000
    why[~date_ok] = NO_DATE
    why[date_ok & ~not_future] = future_message(ref)
    why[~century_ok] = CENTURY
    reason[rows] = why
    ok = pd.isna(why)

    good = rows[ok]
    rest = np.zeros(int(ok.sum()), dtype=np.int64)  # MMDDNNNC of the valid ones
    for i in range(2, 10):
        rest = rest * 10 + d[ok, i]
    number[good] = year[ok] * 100_000_000 + rest
    stamp = (
        (year[ok] - 1970).astype("datetime64[Y]").astype("datetime64[M]")
        + (month[ok] - 1).astype("timedelta64[M]")
    ).astype("datetime64[D]") + (day[ok] - 1).astype("timedelta64[D]")
    birth[good] = stamp
    sex[good] = np.where(d[ok, 8] % 2 == 1, "M", "K")
    coordination[good] = is_coordination[ok]
    return Parsed(number, birth, sex, coordination, has_form, reason)


def _np(values) -> np.ndarray:
    import pyarrow.compute as pc

    return np.asarray(pc.fill_null(values, False).to_numpy(zero_copy_only=False), dtype=bool)


def _digit_matrix(arr, width: int) -> np.ndarray:
    """A pyarrow string array whose values are ``width`` ASCII digits each, as an (n, width) int matrix."""
    import pyarrow as pa

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64 if pa.types.is_large_string(arr.type) else np.int32)
    offsets = offsets[arr.offset : arr.offset + len(arr) + 1]
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[int(offsets[0]) : int(offsets[-1])]
    return data.reshape(len(arr), width).astype(np.int64) - 48


def reserve_form(values: pd.Series) -> pd.Series:
    """A reservnummer as it is pseudonymised: upper case, every space removed."""
    return values.astype("str").str.replace(r"\s+", "", regex=True).str.upper()


def exact_age(birth: np.ndarray, on) -> pd.Series:
    """Whole years from ``birth`` to the day of ``on`` (dates or timestamps), missing where either is.

    A year is completed on the birthday; a person born on 29 February completes it on 1 March in
    years that are not leap years. Vectorised with numpy's calendar units.
    """
    index = on.index if isinstance(on, pd.Series) else None
    day = np.asarray(pd.to_datetime(on), dtype="datetime64[D]")
    born = np.asarray(birth, dtype="datetime64[D]")
    missing = np.isnat(day) | np.isnat(born)
    day_y, day_md = _year_and_month_day(day)
    born_y, born_md = _year_and_month_day(born)
    years = day_y - born_y - (day_md < born_md)
    result = pd.array(years, dtype="Int64")
    result[missing] = pd.NA
    return pd.Series(result, index=index)


def _year_and_month_day(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(year, month × 100 + day) of datetime64[D] values (garbage where NaT; masked by the caller)."""
    years = days.astype("datetime64[Y]")
    months = days.astype("datetime64[M]")
    month = (months - years.astype("datetime64[M]")).astype(np.int64) + 1
    day = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    return years.astype(np.int64) + 1970, month * 100 + day
