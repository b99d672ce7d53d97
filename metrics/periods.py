"""Calendar arithmetic for the indicators: periods, day numbers, day type, elapsed time.

Everything is vectorised on numpy arrays; no per-row Python.

* A *period* is a calendar month (``2025-03``), quarter (``2025-Q1``) or
  year (``2025``). Internally a period is an integer index
  (``year*12 + month − 1``, ``year*4 + quarter − 1`` or ``year``), so events
  are assigned to periods by arithmetic, not by string formatting.
* A *day number* is the number of days since 1970-01-01 of a local date.
  A "365-day window up to day d" is the day numbers ``d − 364 … d``.
* Day type: *dagtid* is Monday–Friday, 08:00 ≤ local time < 17:00, on a day
  that is not in ``holidays.Sweden(categories=("public", "de_facto"))``
  (this includes midsommarafton, julafton and nyårsafton). Everything else is
  *jourtid*.
* Elapsed time is real time in Europe/Stockholm: naive local timestamps are
  localised with ``nonexistent="shift_forward"`` (a spring-forward time such
  as 02:30 becomes 03:00 CEST) and ambiguous autumn times (02:00–02:59 on the
  last Sunday of October) are read as their *first* occurrence (summer time,
  CEST). ``ambiguous="infer"`` is not used: it depends on row order.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Literal

import holidays
import numpy as np
import pandas as pd

PeriodKind = Literal["month", "quarter", "year"]
PERIOD_KINDS: tuple[str, ...] = ("month", "quarter", "year")
MONTHS_IN: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}
TIMEZONE = "Europe/Stockholm"
HOLIDAY_CATEGORIES = ("public", "de_facto")
DAY_START_MINUTE = 8 * 60  # 08:00 inclusive
DAY_END_MINUTE = 17 * 60  # 17:00 exclusive

NAT_DAY = np.iinfo(np.int64).min  # day number of a missing date
_EPOCH_MONTH = 1970 * 12


def check_kind(kind: str) -> None:
    if kind not in PERIOD_KINDS:
        raise ValueError(f"period must be one of {', '.join(PERIOD_KINDS)}; got {kind!r}")


def _as_datetime64(values) -> np.ndarray:
    if isinstance(values, pd.Series | pd.Index):
        values = values.to_numpy(dtype="datetime64[us]")
    return np.asarray(values, dtype="datetime64[us]")


def day_numbers(values) -> np.ndarray:
    """Local calendar day (days since 1970-01-01) of dates/timestamps; missing → ``NAT_DAY``."""
    return _as_datetime64(values).astype("datetime64[D]").astype("int64")


def minute_of_day(values) -> np.ndarray:
    """Minutes since local midnight (0–1439) of naive local timestamps."""
    a = _as_datetime64(values)
    return ((a - a.astype("datetime64[D]")).astype("timedelta64[m]").astype("int64")).astype("int64")


def period_index_of_days(days: np.ndarray, kind: str) -> np.ndarray:
    """Integer period index of day numbers (missing days give garbage; mask them first)."""
    check_kind(kind)
    months = np.asarray(days, dtype="int64").astype("datetime64[D]").astype("datetime64[M]").astype("int64")
    months = months + _EPOCH_MONTH  # year*12 + month - 1
    if kind == "month":
        return months
    if kind == "quarter":
        return months // 3
    return months // 12


def period_index(values, kind: str) -> np.ndarray:
    """Integer period index of dates or timestamps."""
    return period_index_of_days(day_numbers(values), kind)


def _first_month(pidx: np.ndarray, kind: str) -> np.ndarray:
    pidx = np.asarray(pidx, dtype="int64")
    return {"month": pidx, "quarter": pidx * 3, "year": pidx * 12}[kind]


def period_start_days(pidx, kind: str) -> np.ndarray:
    m = _first_month(pidx, kind) - _EPOCH_MONTH
    return m.astype("datetime64[M]").astype("datetime64[D]").astype("int64")


def period_end_days(pidx, kind: str) -> np.ndarray:
    m = _first_month(pidx, kind) - _EPOCH_MONTH + MONTHS_IN[kind]
    return m.astype("datetime64[M]").astype("datetime64[D]").astype("int64") - 1


def period_labels(pidx, kind: str) -> list[str]:
    """``2025-03`` / ``2025-Q1`` / ``2025``."""
    check_kind(kind)
    out = []
    for p in np.asarray(pidx, dtype="int64").tolist():
        if kind == "month":
            out.append(f"{p // 12:04d}-{p % 12 + 1:02d}")
        elif kind == "quarter":
            out.append(f"{p // 4:04d}-Q{p % 4 + 1}")
        else:
            out.append(f"{p:04d}")
    return out


DEFAULT_WINDOW_MONTHS = 36
"""The date range shown (and judged) by default: the last 36 months of data. Trender, Översikt and the
other filtered pages start there; Månadsuppföljning judges the 36 months up to its chosen month, so that
with the latest month every page says the same about a series."""

MONTHS_SV: tuple[str, ...] = (
    "januari", "februari", "mars", "april", "maj", "juni",
    "juli", "augusti", "september", "oktober", "november", "december",
)  # fmt: skip
"""Swedish month names (lower case, as written inside a sentence)."""


def period_label_sv(period: str) -> str:
    """'2025-03' → 'mars 2025', '2025-Q1' → 'kvartal 1 2025', '2025' → '2025'."""
    if "-Q" in period:
        year, q = period.split("-Q")
        return f"kvartal {q} {year}"
    if "-" in period:
        year, month = period.split("-")
        return f"{MONTHS_SV[int(month) - 1]} {year}"
    return period


def grain_of(period: str) -> str:
    """'2025-03' → 'month', '2025-Q1' → 'quarter', '2025' → 'year'."""
    return "quarter" if "-Q" in period else ("month" if "-" in period else "year")


def parse_period(label: str) -> tuple[str, dt.date, dt.date]:
    """``"2025-Q1"`` → ``("quarter", 2025-01-01, 2025-03-31)`` (inclusive end)."""
    text = label.strip()
    if len(text) == 4 and text.isdigit():
        kind, pidx = "year", int(text)
    elif len(text) == 7 and text[4:6] == "-Q" and text[:4].isdigit() and text[6] in "1234":
        kind, pidx = "quarter", int(text[:4]) * 4 + int(text[6]) - 1
    elif (
        len(text) == 7
        and text[4] == "-"
        and text[:4].isdigit()
        and text[5:].isdigit()
        and 1 <= int(text[5:]) <= 12
    ):
        kind, pidx = "month", int(text[:4]) * 12 + int(text[5:]) - 1
    else:
        raise ValueError(f"not a period: {label!r} (use 2025, 2025-Q1 or 2025-03)")
    start = day_to_date(int(period_start_days(np.array([pidx]), kind)[0]))
    end = day_to_date(int(period_end_days(np.array([pidx]), kind)[0]))
    return kind, start, end


def date_to_day(d: dt.date) -> int:
    return int(np.datetime64(d, "D").astype("int64"))


def day_to_date(day: int) -> dt.date:
    return np.datetime64(int(day), "D").astype(dt.date)


def days_to_datetime64(days) -> np.ndarray:
    return np.asarray(days, dtype="int64").astype("datetime64[D]").astype("datetime64[us]")


def period_table(kind: str, first_day: int, end_day: int) -> pd.DataFrame:
    """One row per period from the period of ``first_day`` to the one containing ``end_day``.

    Columns: ``pidx``, ``period`` (label), ``period_start``/``period_end``
    (datetime64, inclusive end), ``start_day``/``end_day`` (day numbers),
    ``months`` (1, 3 or 12), ``ref_day`` (the reference day d of
    point-in-time indicators: the period's last day, or ``end_day`` when the
    period reaches past it).
    """
    check_kind(kind)
    lo = period_index_of_days(np.array([first_day]), kind)[0]
    hi = period_index_of_days(np.array([end_day]), kind)[0]
    pidx = np.arange(min(lo, hi), hi + 1, dtype="int64")
    start = period_start_days(pidx, kind)
    end = period_end_days(pidx, kind)
    return pd.DataFrame(
        {
            "pidx": pidx,
            "period": pd.array(period_labels(pidx, kind), dtype="str"),
            "period_start": days_to_datetime64(start),
            "period_end": days_to_datetime64(end),
            "start_day": start,
            "end_day": end,
            "months": np.full(len(pidx), MONTHS_IN[kind], dtype="int64"),
            "ref_day": np.minimum(end, end_day),
        }
    )


# ---------------------------------------------------------------- day type


@lru_cache(maxsize=64)
def _holiday_days(first_year: int, last_year: int) -> np.ndarray:
    cal = holidays.Sweden(categories=HOLIDAY_CATEGORIES, years=range(first_year, last_year + 1))
    return np.array(sorted(date_to_day(d) for d in cal), dtype="int64")


def holiday_days(days: np.ndarray) -> np.ndarray:
    """Boolean mask: the day is a Swedish public or de facto holiday."""
    days = np.asarray(days, dtype="int64")
    valid = days != NAT_DAY
    if not valid.any():
        return np.zeros(len(days), dtype=bool)
    years = days[valid].astype("datetime64[D]").astype("datetime64[Y]").astype("int64") + 1970
    table = _holiday_days(int(years.min()), int(years.max()))
    return np.isin(days, table) & valid


def is_dagtid(times) -> np.ndarray:
    """True where a naive local timestamp is *dagtid* (see module docstring); missing → False."""
    a = _as_datetime64(times)
    valid = ~np.isnat(a)
    days = a.astype("datetime64[D]").astype("int64")
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    minute = minute_of_day(a)
    day = (weekday < 5) & (minute >= DAY_START_MINUTE) & (minute < DAY_END_MINUTE)
    return day & ~holiday_days(days) & valid


# ---------------------------------------------------------------- elapsed time


def to_utc_microseconds(times) -> np.ndarray:
    """Naive Europe/Stockholm local timestamps → UTC microseconds since the epoch (float, NaN = missing).

    Nonexistent (spring-forward) times are shifted forward to 03:00 CEST;
    ambiguous (autumn) times are taken as their first occurrence (CEST).
    """
    s = pd.Series(_as_datetime64(times))
    local = s.dt.tz_localize(TIMEZONE, ambiguous=np.ones(len(s), dtype=bool), nonexistent="shift_forward")
    utc = local.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    out = utc.astype("int64").astype("float64")
    out[np.isnat(utc)] = np.nan
    return out


def elapsed_hours(start, end) -> np.ndarray:
    """Real elapsed hours from ``start`` to ``end`` (naive local timestamps); NaN where either is missing."""
    return (to_utc_microseconds(end) - to_utc_microseconds(start)) / 3.6e9
