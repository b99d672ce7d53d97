"""compute_all: shape of the tidy table, periods, statuses, ALL, as-of end date."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from metrics import compute
from metrics._tidy import OUTPUT_COLUMNS
from metrics.registry import INDICATORS
from tests.metrics.framebuilder import compute_one, frame, population, row


def small_frames():
    return {
        "hospital_stays": frame(
            "hospital_stays",
            [
                dict(person_id="a", admission_time="2025-01-02 10:00", discharge_time="2025-01-05 12:00"),
                dict(
                    person_id="b",
                    sex="M",
                    municipality_code="1463",
                    admission_time="2025-02-02 10:00",
                    discharge_time="2025-02-03 12:00",
                    care_plan_complete=True,
                ),
            ],
        ),
        "population": frame(
            "population", population("1490", 2025, {"80-84": 300}) + population("1463", 2025, {"80-84": 100})
        ),
        "home_visits": frame(
            "home_visits", [dict(requested_time="2025-01-07 09:00", assessed_time="2025-01-07 12:00")]
        ),
    }


def test_columns_dtypes_and_order():
    t = compute.compute_all(small_frames(), period="month")
    assert list(t.columns) == list(OUTPUT_COLUMNS)
    assert t["period_start"].dtype == "datetime64[us]" and t["period_end"].dtype == "datetime64[us]"
    for c in ("numerator", "denominator", "value", "ci_low", "ci_high", "n_unassessed"):
        assert t[c].dtype == "float64"
    assert t["suppressed"].dtype == bool and not t["suppressed"].any()
    assert set(t["status"]) <= {"ok", "saknar_underlag", "ofullstandig_period"}
    # indicators in registry order, every one present
    assert list(dict.fromkeys(t["indicator_id"])) == list(INDICATORS)
    # no duplicate keys
    assert not t.duplicated(["indicator_id", "municipality_code", "sex", "period"]).any()


def test_periods_run_from_first_event_to_end_date_and_no_further():
    t = compute.compute_all(small_frames(), period="month", end_date=dt.date(2025, 3, 15))
    assert sorted(t["period"].unique()) == ["2025-01", "2025-02", "2025-03"]
    q = compute.compute_all(small_frames(), period="quarter")
    assert q["period"].unique().tolist() == ["2025-Q1"]
    r = row(q, indicator_id="readmission_30d_65", municipality_code="ALL", sex="T", period="2025-Q1")
    assert r.period_start == pd.Timestamp("2025-01-01") and r.period_end == pd.Timestamp("2025-03-31")


def test_default_end_date_is_the_latest_event():
    # latest event: the discharge 2025-02-03 → February is the last period, and it is incomplete
    t = compute.compute_all(small_frames(), period="month")
    assert t["period"].max() == "2025-02"
    r = row(t, indicator_id="discharge_care_plan_75", municipality_code="1463", sex="T", period="2025-02")
    assert r.status == "ofullstandig_period"


def test_municipalities_are_those_in_any_table_plus_all():
    t = compute.compute_all(small_frames(), period="month")
    assert set(t["municipality_code"]) == {"ALL", "1490", "1463"}


def test_missing_table_gives_saknar_underlag_never_zero():
    t = compute.compute_all(small_frames(), period="month")
    sip = t[t["indicator_id"] == "sip_coverage_home_care"]
    assert set(sip["status"]) == {"saknar_underlag"}
    assert sip[["numerator", "denominator", "value", "ci_low", "ci_high"]].isna().all().all()


def test_municipality_without_rows_in_the_source_table_is_saknar_underlag():
    t = compute.compute_all(small_frames(), period="month", end_date=dt.date(2025, 12, 31))
    # home_visits has rows for 1490 only
    r = row(t, indicator_id="home_visit_within_24h_day", municipality_code="1463", sex="T", period="2025-01")
    assert r.status == "saknar_underlag" and np.isnan(r.denominator)
    ok = row(t, indicator_id="home_visit_within_24h_day", municipality_code="1490", sex="T", period="2025-01")
    assert ok.status == "ok" and ok.denominator == 1


def test_zero_denominator_with_underlag_is_nan_not_zero():
    t = compute.compute_all(small_frames(), period="month", end_date=dt.date(2025, 12, 31))
    r = row(t, indicator_id="readmission_30d_65", municipality_code="1463", sex="T", period="2025-01")
    assert (r.status, r.numerator, r.denominator) == ("ok", 0, 0)
    assert np.isnan(r.value) and np.isnan(r.ci_low)


def test_all_is_computed_from_summed_numerators_and_denominators():
    stays = [
        dict(
            person_id="a",
            age=80,
            admission_time="2025-01-02 10:00",
            discharge_time="2025-01-05 12:00",
            care_plan_complete=True,
        ),
        dict(
            person_id="b",
            age=80,
            admission_time="2025-01-02 10:00",
            discharge_time="2025-01-05 12:00",
            care_plan_complete=False,
        ),
        dict(
            person_id="c",
            age=80,
            admission_time="2025-01-02 10:00",
            discharge_time="2025-01-05 12:00",
            care_plan_complete=False,
        ),
        dict(
            person_id="d",
            age=80,
            municipality_code="1463",
            admission_time="2025-01-02 10:00",
            discharge_time="2025-01-05 12:00",
            care_plan_complete=True,
        ),
    ]
    t = compute_one(
        {"hospital_stays": frame("hospital_stays", stays)}, "discharge_care_plan_75", end_date="2025-12-31"
    )
    r = row(t, municipality_code="ALL", sex="T", period="2025-01")
    # 1490: 1/3 (33.3 %), 1463: 1/1 (100 %); ALL = 2/4 = 50 %, not the mean 66.7 %
    assert (r.numerator, r.denominator, r.value) == (2, 4, 50.0)
    assert pd.isna(r.note)


def test_empty_input_gives_an_empty_table_with_the_columns():
    t = compute.compute_all({}, period="year")
    assert list(t.columns) == list(OUTPUT_COLUMNS) and len(t) == 0


def test_no_events_but_an_end_date_gives_one_period_of_saknar_underlag():
    pop = {"population": frame("population", population("1490", 2025, {"80-84": 300}))}
    t = compute.compute_all(pop, period="month", end_date=dt.date(2025, 3, 31))
    assert set(t["period"]) == {"2025-03"}
    assert set(t["status"]) == {"saknar_underlag"}


def test_indicator_selection_and_unknown_ids():
    t = compute.compute_all(small_frames(), period="month", indicators=["ed_visits_80_per_1000"])
    assert set(t["indicator_id"]) == {"ed_visits_80_per_1000"}
    with pytest.raises(ValueError, match="unknown indicator"):
        compute.compute_all(small_frames(), period="month", indicators=["nope"])
    with pytest.raises(ValueError, match="period"):
        compute.compute_all(small_frames(), period="week")
    with pytest.raises(ValueError, match="unknown table"):
        compute.compute_all({"stays": frame("hospital_stays", [])}, period="month")


def test_as_of_drops_later_rows_and_blanks_later_outcomes():
    frames = {
        "hospital_stays": frame(
            "hospital_stays",
            [
                dict(
                    admission_time="2025-01-02 10:00",
                    discharge_time="2025-01-20 12:00",
                    care_plan_complete=True,
                ),
                dict(admission_time="2025-01-12 10:00", discharge_time="2025-01-14 12:00"),
            ],
        )
    }
    out = compute.as_of(frames, compute.date_to_day(dt.date(2025, 1, 10)))["hospital_stays"]
    # the stay admitted Jan 12 did not exist yet; the first was still admitted on Jan 10
    assert len(out) == 1
    assert out["discharge_time"].isna().all() and out["discharge_to"].isna().all()
    assert out["care_plan_complete"].isna().all()
    assert frames["hospital_stays"]["discharge_time"].notna().all()  # the input is not modified


def test_period_before_a_tables_data_begin_is_saknar_underlag():
    frames = {
        "hospital_stays": frame(
            "hospital_stays", [dict(admission_time="2024-11-02 10:00", discharge_time="2024-11-05 12:00")]
        ),
        "ed_visits": frame("ed_visits", [dict(arrival_time="2025-01-15 10:00")]),
        "population": frame("population", population("1490", 2024, {"80-84": 300})),
    }
    t = compute_one(frames, "ed_visits_80_per_1000", end_date="2025-01-31")
    # ED data begin in January 2025: November and December 2024 are not 0 visits but no underlag
    assert row(t, municipality_code="1490", sex="T", period="2024-11").status == "saknar_underlag"
    jan = row(t, municipality_code="1490", sex="T", period="2025-01")
    assert jan.status == "ok" and jan.numerator == 1


def test_compute_grains_equals_compute_all_and_resolves_persons_once(monkeypatch):
    """compute_grains shares the period-independent work (the cohorts' person resolution) across
    month, quarter and year, and each of its tables equals compute_all of that period type."""
    from pathlib import Path

    from data_access.files import read_directory
    from metrics import cohorts

    frames = read_directory(Path(__file__).resolve().parents[2] / "sample_data" / "default")
    calls = []
    real = cohorts.resolve
    monkeypatch.setattr(cohorts, "resolve", lambda f: calls.append(1) or real(f))
    grains = compute.compute_grains(frames, periods=("month", "quarter", "year"))
    assert len(calls) == 1
    for period in ("month", "quarter", "year"):
        pd.testing.assert_frame_equal(grains[period], compute.compute_all(frames, period=period), check_exact=True)
    assert len(calls) == 4  # compute_all alone: once per call
