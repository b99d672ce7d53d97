"""The pure logic behind the views: SPC series from tidy rows, sentences, tiles and comparisons."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from metrics.compare import comparison_rows, funnel_data
from metrics.overview import overview_tiles
from metrics.registry import INDICATORS
from metrics.series import (
    WARM_UP_REASON,
    default_chart_for,
    indicator_spc,
    period_label_sv,
    spc_inputs,
)
from metrics.targets import TARGET_COLUMNS


def tidy(indicator_id: str, values, *, numerators=None, denominators=None, municipality="1490", start="2024-01",
         status=None) -> pd.DataFrame:
    n = len(values)
    starts = pd.period_range(start, periods=n, freq="M")
    return pd.DataFrame(
        {
            "indicator_id": indicator_id,
            "municipality_code": municipality,
            "sex": "T",
            "period": [str(p) for p in starts],
            "period_start": starts.to_timestamp(),
            "period_end": starts.to_timestamp(how="end").normalize(),
            "numerator": numerators if numerators is not None else [np.nan] * n,
            "denominator": denominators if denominators is not None else [np.nan] * n,
            "value": values,
            "ci_low": np.nan,
            "ci_high": np.nan,
            "suppressed": False,
            "status": status or ["ok"] * n,
            "n_unassessed": np.nan,
            "note": None,
        }
    )


def no_targets() -> pd.DataFrame:
    return pd.DataFrame(columns=TARGET_COLUMNS)


def test_period_labels_in_swedish():
    assert period_label_sv("2025-03") == "mars 2025"
    assert period_label_sv("2025-Q4") == "kvartal 4 2025"
    assert period_label_sv("2025") == "2025"


def test_default_chart_from_registry_kind_and_unit():
    assert default_chart_for(INDICATORS["home_visit_median_hours_day"]) == "i"
    assert default_chart_for(INDICATORS["frequent_attenders"]) == "i"
    assert default_chart_for(INDICATORS["ed_visits_80_per_1000"]) == "up"
    assert default_chart_for(INDICATORS["readmission_30d_65"], [100, 120]) == "p"
    assert default_chart_for(INDICATORS["readmission_30d_65"], [5000, 6000]) == "pp"


def test_rate_denominators_are_person_years_per_thousand():
    """ED visits: 50 visits in a month among 12 000 inhabitants 80+ = 50 / (12 000 × 1/12 / 1 000) = 50 per 1 000 and year."""
    rows = tidy("ed_visits_80_per_1000", [50.0], numerators=[50.0], denominators=[12_000.0])
    inputs = spc_inputs(rows, INDICATORS["ed_visits_80_per_1000"], "up")
    assert inputs["values"][0] / inputs["denominators"][0] == pytest.approx(50.0)


def test_incomplete_and_suppressed_periods_do_not_enter_the_chart():
    rows = tidy("readmission_30d_65", [10.0, 12.0, np.nan, 11.0], numerators=[10, 12, np.nan, 11],
                denominators=[100, 100, np.nan, 100], status=["ok", "ok", "ok", "ofullstandig_period"])
    table, _ = indicator_spc(rows, INDICATORS["readmission_30d_65"], chart="p")
    assert table["value"].round(3).tolist()[:2] == [0.10, 0.12]
    assert table["value"].iloc[2:].isna().all()


def test_shift_after_a_change_is_described_as_improvement_since_its_month():
    """12 months at 20 %, then 12 at 10 % (n = 200): a long run below the centre, lower is better."""
    num = [40] * 12 + [20] * 12
    rows = tidy("readmission_30d_65", [n / 2 for n in num], numerators=num, denominators=[200] * 24)
    table, verdict = indicator_spc(rows, INDICATORS["readmission_30d_65"], chart="p")
    assert verdict.variation == "special_cause_improvement_low"
    assert verdict.sentence == "Förbättring sedan januari 2025 (ovanligt lång serie under mittlinjen)."


def test_stable_series_is_described_as_no_change():
    values = [15.0, 16.0, 14.0, 15.5, 14.5, 16.5, 13.5, 15.0, 16.0, 14.0, 15.5, 14.5]
    rows = tidy("home_visit_median_hours_day", values, denominators=[30] * 12)
    table, verdict = indicator_spc(rows, INDICATORS["home_visit_median_hours_day"])
    assert verdict.variation == "common_cause"
    assert verdict.sentence.startswith("Ingen säker förändring")


def test_phase_from_a_date_gives_new_limits_and_says_so():
    num = [40] * 12 + [20] * 12
    rows = tidy("readmission_30d_65", [n / 2 for n in num], numerators=num, denominators=[200] * 24)
    table, verdict = indicator_spc(rows, INDICATORS["readmission_30d_65"], chart="p",
                                   phase_dates=[pd.Timestamp("2025-01-01")])
    assert table["phase"].tolist() == [1] * 12 + [2] * 12
    assert table.loc[12, "centre"] == pytest.approx(0.10)
    assert "Nya gränser från januari 2025 (fas 2)." in verdict.sentence


def test_tile_latest_complete_value_and_missing_indicator():
    rows = pd.concat(
        [
            tidy("sip_coverage_home_care", [40.0, 50.0, 60.0], numerators=[40, 50, 60], denominators=[100] * 3,
                 status=["ok", "ok", "ofullstandig_period"]),
        ]
    )
    targets = pd.DataFrame([{"indicator_id": "sip_coverage_home_care", "municipality_code": None, "kind": "absolute",
                             "operator": ">=", "value": 45.0, "change": np.nan, "baseline_period": None}])
    tiles = overview_tiles(rows, targets, municipality="1490",
                           indicator_ids=["sip_coverage_home_care", "readmission_30d_65"]).set_index("indicator_id")
    sip = tiles.loc["sip_coverage_home_care"]
    assert (sip["status"], sip["period"], sip["value"]) == ("ok", "2024-02", 50.0)
    assert (sip["target_status"], sip["target_text"]) == ("uppfyllt", "≥ 45 %")
    assert str(sip["data_to"]) == "2024-02-29"
    assert tiles.loc["readmission_30d_65", "status"] == "saknar_underlag"


def test_comparison_classifies_against_the_area_funnel():
    ind = INDICATORS["readmission_30d_65"]
    rows = pd.concat(
        [
            tidy(ind.id, [10.0], numerators=[100], denominators=[1000], municipality="1490"),
            tidy(ind.id, [40.0], numerators=[40], denominators=[100], municipality="1463"),
            tidy(ind.id, [12.7], numerators=[140], denominators=[1100], municipality="ALL"),
        ]
    )
    out = comparison_rows(rows, ind, period="2024-01").set_index("municipality_code")
    # Area p = 140/1100 = 0.127; for n = 100 the 99.8 % upper limit ≈ 0.127 + 3.09·√(0.127·0.873/100) ≈ 0.23 < 0.40.
    assert out.loc["1463", "funnel"] == "över 99,8 %-gränsen"
    assert out.loc["1490", "funnel"] in ("inom gränserna", "under 95 %-gränsen")
    limits, centre, scale = funnel_data(out.reset_index(), ind)
    assert centre == pytest.approx(140 / 1100) and scale == 100.0
    assert (limits["upper_998"] >= limits["upper_95"]).all()


def test_rate_point_cohorts_chart_per_1000_without_annualising():
    """Målgrupper: 18 persons among 12 000 inhabitants 75+ = 1.5 per 1 000, in a month and in a quarter alike
    (the denominator is population / 1 000, not person-years)."""
    ind = INDICATORS["mal_akut_ej_inlagd"]
    assert ind.value_kind == "rate_point" and default_chart_for(ind) == "run"  # the registry's chart for cohorts
    month = tidy(ind.id, [1.5], numerators=[18.0], denominators=[12_000.0])
    inputs = spc_inputs(month, ind, "up")
    assert inputs["values"][0] / inputs["denominators"][0] == pytest.approx(1.5) and inputs["scale"] == 1.0
    quarter = month.assign(period="2024-Q1")
    inputs = spc_inputs(quarter, ind, "up")
    assert inputs["values"][0] / inputs["denominators"][0] == pytest.approx(1.5)
    table, _ = indicator_spc(
        tidy(ind.id, [1.5] * 12, numerators=[18.0] * 12, denominators=[12_000.0] * 12), ind, chart="up"
    )
    assert table["centre"].iloc[0] == pytest.approx(1.5)


def test_rate_point_comparison_uses_inhabitants_per_1000_on_the_funnel():
    ind = INDICATORS["mal_mangsokare_ej_inskrivna"]
    rows = pd.concat(
        [
            tidy(ind.id, [2.0], numerators=[20], denominators=[10_000], municipality="1490"),
            tidy(ind.id, [10.0], numerators=[20], denominators=[2_000], municipality="1463"),
            tidy(ind.id, [10 / 3], numerators=[40], denominators=[12_000], municipality="ALL"),
        ]
    )
    out = comparison_rows(rows, ind, period="2024-01").set_index("municipality_code")
    # funnel x: 10 000 / 1 000 = 10 and 2 000 / 1 000 = 2; area 40 / 12 = 3.33 per 1 000.
    assert out.loc["1490", "funnel_n"] == pytest.approx(10.0) and out.loc[
        "1463", "funnel_n"
    ] == pytest.approx(2.0)
    # 1463: 20 events where 3.33 × 2 = 6.7 are expected → far above the 99.8 % limit
    assert out.loc["1463", "funnel"] == "över 99,8 %-gränsen"
    limits, centre, scale = funnel_data(out.reset_index(), ind)
    assert centre == pytest.approx(40 / 12) and scale == 1.0 and len(limits) > 0


def test_left_censored_first_year_is_shown_but_takes_no_part_in_the_signals():
    """Frequent attenders fill a 365-day window: counts rise through the data's first year only because the
    history is short. Those 12 months stay in the table, excluded with a reason; the stable rest is no change."""
    rising = [2.0, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 12]
    stable = [12.0, 13, 11, 12, 12.5, 11.5, 12, 13, 11, 12, 12.5, 11.5]
    rows = tidy("mal_mangsokare_ej_inskrivna", rising + stable, numerators=[v * 10 for v in rising + stable],
                denominators=[10_000] * 24, start="2023-11")
    ind = INDICATORS["mal_mangsokare_ej_inskrivna"]
    assert ind.lookback_days == 364
    table, verdict = indicator_spc(rows, ind, chart="run")
    # periods starting before 2023-11-01 + 364 days = 2024-10-30: Nov 2023 … Oct 2024 (12 months)
    assert table["excluded"].tolist() == [True] * 12 + [False] * 12
    assert set(table.loc[table["excluded"], "exclude_reason"]) == {WARM_UP_REASON}
    # 4 of the 12 on the median (12)
    assert verdict.summary["n_useful"] == 8 and verdict.variation == "common_cause"
    assert verdict.sentence.startswith("Ingen säker förändring")
    # without the rule the warm-up would read as a change (a long run below the median 11.25 in the first
    # 10 months; the latest point, 11.5, is ordinary)
    plain, plain_verdict = indicator_spc(rows, INDICATORS["mal_akut_ej_inlagd"], chart="run")
    assert not plain["excluded"].any()
    assert plain_verdict.sentence == (
        "Senaste värdet: vanlig variation. Tidigare förbättring november 2023–augusti 2024 "
        "(ovanligt lång serie under mittlinjen)."
    )


def test_a_later_date_range_keeps_the_data_start_and_an_indicator_without_look_back_excludes_nothing():
    stable = [12.0, 13, 11, 12, 12.5, 11.5, 12, 13, 11, 12, 12.5, 11.5]
    rows = tidy("mal_mangsokare_ej_inskrivna", stable, numerators=[v * 10 for v in stable],
                denominators=[10_000] * 12, start="2025-01")
    ind = INDICATORS["mal_mangsokare_ej_inskrivna"]
    # the chosen range starts in 2025, the data in 2023: nothing of the range is left-censored
    table, _ = indicator_spc(rows, ind, chart="run", data_start=pd.Timestamp("2023-11-01"))
    assert not table["excluded"].any()
    # the data starts in October 2024: January … September 2025 start within 364 days of it
    table, _ = indicator_spc(rows, ind, chart="run", data_start="2024-10-01")
    assert table["excluded"].tolist() == [True] * 9 + [False] * 3
    # from December 2024 only December 2025 would be left: too little for a chart, so nothing is excluded
    table, _ = indicator_spc(rows, ind, chart="run", data_start="2024-12-01")
    assert not table["excluded"].any()


def test_the_warm_up_counts_from_the_first_period_with_underlag_not_from_earlier_empty_periods():
    """Enrolments may start long before the event data: the empty periods before the events don't count."""
    stable = [12.0, 13, 11, 12, 12.5, 11.5, 12, 13, 11, 12, 12.5, 11.5]
    rising = [2.0, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 12]
    values = [np.nan] * 12 + rising + stable
    rows = tidy("mal_mangsokare_ej_inskrivna", values, numerators=[v * 10 for v in values],
                denominators=[10_000] * 36, start="2022-11", status=["saknar_underlag"] * 12 + ["ok"] * 24)
    table, verdict = indicator_spc(rows, INDICATORS["mal_mangsokare_ej_inskrivna"], chart="run")
    assert table["excluded"].tolist() == [True] * 24 + [False] * 12  # Nov 2022 … Oct 2024
    assert verdict.variation == "common_cause"


def test_a_tile_judges_with_the_stored_phases_like_the_chart():
    """Issue 17: the tiles ignored phases, so Översikt said "förbättring" while Trender, split at the
    adoption, said something else. With the same phase dates both give the same verdict."""
    num = [40] * 12 + [20] * 12
    rows = tidy("readmission_30d_65", [n / 2 for n in num], numerators=num, denominators=[200] * 24)
    phases = {"readmission_30d_65": [pd.Timestamp("2024-10-01")]}
    tile = overview_tiles(rows, no_targets(), municipality="1490", indicator_ids=["readmission_30d_65"],
                          phases=phases).iloc[0]
    _, verdict = indicator_spc(rows, INDICATORS["readmission_30d_65"], phase_dates=phases["readmission_30d_65"])
    assert (tile["variation"], tile["assurance"], tile["sentence"]) == (
        verdict.variation, verdict.assurance, verdict.sentence
    )
    assert tile["phase"] == 2 and tile["limits_phase"] == 2
    plain = overview_tiles(rows, no_targets(), municipality="1490", indicator_ids=["readmission_30d_65"]).iloc[0]
    assert plain["sentence"] != tile["sentence"]
