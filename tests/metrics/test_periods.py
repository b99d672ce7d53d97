"""Periods, day type (with Swedish holidays) and elapsed time across DST."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from metrics import periods


def ts(*values):
    return pd.Series(pd.to_datetime(list(values))).astype("datetime64[us]")


@pytest.mark.parametrize(
    ("kind", "date", "label", "start", "end"),
    [
        ("month", "2025-03-15", "2025-03", "2025-03-01", "2025-03-31"),
        ("month", "2024-02-29", "2024-02", "2024-02-01", "2024-02-29"),
        ("quarter", "2025-03-31", "2025-Q1", "2025-01-01", "2025-03-31"),
        ("quarter", "2025-10-01", "2025-Q4", "2025-10-01", "2025-12-31"),
        ("year", "2025-12-31", "2025", "2025-01-01", "2025-12-31"),
    ],
)
def test_period_assignment(kind, date, label, start, end):
    pidx = periods.period_index(ts(date), kind)
    assert periods.period_labels(pidx, kind) == [label]
    assert periods.parse_period(label) == (kind, dt.date.fromisoformat(start), dt.date.fromisoformat(end))


def test_period_table_runs_to_the_end_date_and_sets_reference_day():
    first = periods.date_to_day(dt.date(2024, 11, 5))
    end = periods.date_to_day(dt.date(2025, 2, 10))
    t = periods.period_table("month", first, end)
    assert t["period"].tolist() == ["2024-11", "2024-12", "2025-01", "2025-02"]
    # reference day: last day of the period, or the end date for the incomplete last one
    assert [periods.day_to_date(d) for d in t["ref_day"]] == [
        dt.date(2024, 11, 30),
        dt.date(2024, 12, 31),
        dt.date(2025, 1, 31),
        dt.date(2025, 2, 10),
    ]
    assert t["period_end"].dtype == "datetime64[us]"


def test_parse_period_rejects_garbage():
    with pytest.raises(ValueError):
        periods.parse_period("2025-13")


@pytest.mark.parametrize(
    ("when", "dagtid"),
    [
        ("2025-03-12 07:59", False),  # Wednesday, before 08:00
        ("2025-03-12 08:00", True),
        ("2025-03-12 16:59", True),
        ("2025-03-12 17:00", False),
        ("2025-03-15 10:00", False),  # Saturday
        ("2025-03-16 10:00", False),  # Sunday
        ("2025-05-01 10:00", False),  # Thursday, första maj (public holiday)
        ("2025-06-06 10:00", False),  # Friday, nationaldagen
        ("2025-06-20 10:00", False),  # Friday, midsommarafton (de facto holiday)
        ("2025-12-24 10:00", False),  # Wednesday, julafton
        ("2025-12-31 10:00", False),  # Wednesday, nyårsafton
        ("2025-01-06 10:00", False),  # Monday, trettondedag jul
        ("2025-01-07 10:00", True),  # Tuesday after it: an ordinary weekday
        ("2025-04-18 10:00", False),  # långfredag
        ("2025-05-29 10:00", False),  # Kristi himmelfärd (Thursday)
    ],
)
def test_is_dagtid(when, dagtid):
    assert periods.is_dagtid(ts(when)).tolist() == [dagtid]


def test_is_dagtid_missing_is_false():
    s = pd.Series([pd.NaT], dtype="datetime64[us]")
    assert periods.is_dagtid(s).tolist() == [False]


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        ("2025-03-12 08:00", "2025-03-12 09:30", 1.5),
        # spring forward 2025-03-30 02:00 CET → 03:00 CEST: 01:30 → 03:30 is one real hour
        ("2025-03-30 01:30", "2025-03-30 03:30", 1.0),
        # a nonexistent 02:30 is shifted to 03:00 CEST: 02:30 → 03:30 is half an hour
        ("2025-03-30 02:30", "2025-03-30 03:30", 0.5),
        # fall back 2025-10-26 03:00 CEST → 02:00 CET; ambiguous 02:30 = first occurrence (CEST)
        ("2025-10-26 01:30", "2025-10-26 02:30", 1.0),
        ("2025-10-26 02:30", "2025-10-26 03:30", 2.0),
        # a whole day across the spring change has 23 hours
        ("2025-03-29 12:00", "2025-03-30 12:00", 23.0),
    ],
)
def test_elapsed_hours_are_real_time(start, end, hours):
    assert periods.elapsed_hours(ts(start), ts(end)).tolist() == [pytest.approx(hours)]


def test_elapsed_hours_missing_end_is_nan():
    start = ts("2025-01-01 10:00")
    end = pd.Series([pd.NaT], dtype="datetime64[us]")
    assert np.isnan(periods.elapsed_hours(start, end)[0])
