"""Månadsuppföljning: latest value, target, previous months and variation per indicator; open cycles and decisions."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metrics.registry import INDICATORS
from metrics.review import (
    ACT_LABELS_SV,
    ACTS,
    CYCLE_STATUSES,
    DECISION_COLUMNS,
    OPEN_CYCLE_COLUMNS,
    REVIEW_COLUMNS,
    STATUS_LABELS_SV,
    monthly_review,
)
from metrics.targets import TARGET_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
READM = "readmission_30d_65"  # %, lower is better, monthly
SIP = "sip_coverage_home_care"  # %, higher is better, target ≥ 70
HOURS = "home_visit_median_hours_day"


def tidy(
    indicator_id, values, *, start="2024-01", municipality="1490", sex="T", status=None, suppressed=None
):
    months = pd.period_range(start, periods=len(values), freq="M")
    n = len(values)
    return pd.DataFrame(
        {
            "indicator_id": indicator_id,
            "municipality_code": municipality,
            "sex": sex,
            "period": [str(p) for p in months],
            "period_start": months.to_timestamp(),
            "period_end": months.to_timestamp(how="end").normalize(),
            "numerator": np.asarray(values, dtype=float) * 2,
            "denominator": 200.0,
            "value": np.asarray(values, dtype=float),
            "ci_low": np.nan,
            "ci_high": np.nan,
            "suppressed": suppressed if suppressed is not None else [False] * n,
            "status": status if status is not None else ["ok"] * n,
            "n_unassessed": np.nan,
            "note": None,
        }
    )


def targets(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=TARGET_COLUMNS)


SIP_TARGET = {
    "indicator_id": SIP,
    "municipality_code": None,
    "kind": "absolute",
    "operator": ">=",
    "value": 70.0,
    "change": None,
    "baseline_period": None,
}


def cycles_frame(rows) -> pd.DataFrame:
    base = {
        "area_id": 1, "area_title": "Trygg hemgång", "municipality_code": "1490", "aim": None, "change_idea": None,
        "start_date": None, "end_date": None, "status": "planerad", "act": None, "act_date": None, "act_notes": None,
        "linked_indicator_ids": [READM], "deleted_at": None,
    }  # fmt: skip
    return pd.DataFrame([{**base, **r} for r in rows])


NO_CYCLES = cycles_frame([]).iloc[0:0]


def test_latest_value_target_and_the_three_months_before():
    values = [60.0 + (i % 5) for i in range(15)]  # 2024-01 … 2025-03
    later = tidy(SIP, [99.0, 99.0], start="2025-04")  # after the month: ignored
    other = tidy(SIP, [1.0] * 15, municipality="1463")
    women = tidy(SIP, [2.0] * 15, sex="K")
    results = pd.concat([tidy(SIP, values), later, other, women], ignore_index=True)
    review = monthly_review(
        results, targets(SIP_TARGET), municipality_code="1490", month="2025-03", cycles=NO_CYCLES
    )

    assert (review.municipality_code, review.month, review.month_label) == ("1490", "2025-03", "mars 2025")
    assert list(review.indicators.columns) == REVIEW_COLUMNS
    assert review.indicators["indicator_id"].tolist() == list(INDICATORS)  # every indicator, registry order
    row = review.indicators.set_index("indicator_id").loc[SIP]
    assert (row["status"], row["period"], row["period_label"], row["is_current"]) == (
        "ok",
        "2025-03",
        "mars 2025",
        True,
    )
    assert row["value"] == values[-1]
    assert (row["target_value"], row["target_text"], row["target_status"]) == (70.0, "≥ 70 %", "ej uppfyllt")
    assert [row[f"prev_{k}_period"] for k in (1, 2, 3)] == ["2025-02", "2025-01", "2024-12"]
    assert [row[f"prev_{k}"] for k in (1, 2, 3)] == values[-2:-5:-1]
    assert row["variation"] in ("common_cause",) and row["variation_label"] == "Vanlig variation"
    assert row["assurance"] == "hit_and_miss"  # P-chart limits of n = 200 straddle 70 %
    assert row["n_phases"] == 0 and row["open_cycles"] == 0


def test_a_lagging_indicator_shows_its_latest_complete_month_and_gaps_stay_gaps():
    status = ["ok"] * 12 + ["ok", "ok", "ofullstandig_period", "ofullstandig_period"]  # … 2025-04
    values = [15.0] * 13 + [14.0, 13.0, 12.0]
    values[11] = np.nan  # 2024-12 suppressed for this viewer
    results = tidy(READM, values, status=status)
    review = monthly_review(results, targets(), municipality_code="1490", month="2025-04", cycles=NO_CYCLES)
    row = review.indicators.set_index("indicator_id").loc[READM]
    assert (row["period"], row["is_current"], row["value"]) == ("2025-02", False, 14.0)
    assert [row[f"prev_{k}_period"] for k in (1, 2, 3)] == ["2025-01", "2024-12", "2024-11"]
    assert row["prev_1"] == 15.0 and np.isnan(row["prev_2"]) and row["prev_3"] == 15.0
    missing = review.indicators.set_index("indicator_id").loc[HOURS]
    assert missing["status"] == "saknar_underlag" and np.isnan(missing["value"])
    assert [missing[f"prev_{k}_period"] for k in (1, 2, 3)] == ["2025-03", "2025-02", "2025-01"]


def test_stored_phases_give_the_variation_of_the_new_phase():
    """A sustained step down after a change: a signal over one phase, common cause within the new phase."""
    rng = np.random.default_rng(7)
    before = 20 + rng.normal(0, 0.8, 14)
    after = 14 + rng.normal(0, 0.8, 12)
    results = tidy(HOURS, np.round(np.concatenate([before, after]), 2))  # 2024-01 … 2026-02
    plain = monthly_review(results, targets(), municipality_code="1490", month="2026-02", cycles=NO_CYCLES)
    phased = monthly_review(
        results, targets(), municipality_code="1490", month="2026-02", cycles=NO_CYCLES,
        phases={HOURS: [dt.date(2025, 3, 1), dt.date(2026, 6, 1)]},  # the second is after the month
    )  # fmt: skip
    p, q = (r.indicators.set_index("indicator_id").loc[HOURS] for r in (plain, phased))
    assert p["variation"] == "special_cause_improvement_low"
    assert q["variation"] == "common_cause" and q["n_phases"] == 1
    assert "Nya gränser från mars 2025" in q["sentence"]


def test_open_cycles_and_the_months_decisions():
    cycles = cycles_frame(
        [
            {"id": 1, "cycle_number": 1, "title": "Samtal", "status": "pågår", "start_date": dt.date(2025, 1, 10),
             "end_date": dt.date(2025, 2, 28), "linked_indicator_ids": [READM, SIP]},
            {"id": 2, "cycle_number": 2, "title": "Checklista", "status": "planerad"},
            {"id": 3, "cycle_number": 3, "title": "Införd", "status": "avslutad", "act": "adopt",
             "act_date": dt.date(2025, 3, 20), "act_notes": "Rutin från april"},
            {"id": 4, "cycle_number": 4, "title": "Förra månaden", "status": "avslutad", "act": "abandon",
             "act_date": dt.date(2025, 2, 27)},
            {"id": 5, "cycle_number": 5, "title": "Anpassas", "status": "pågår", "start_date": dt.date(2025, 3, 1),
             "end_date": dt.date(2025, 4, 30), "act": "adapt", "act_date": dt.date(2025, 3, 3),
             "linked_indicator_ids": [HOURS]},
            {"id": 6, "cycle_number": 1, "title": "Mark", "municipality_code": "1463", "status": "pågår"},
        ]
    )  # fmt: skip
    results = tidy(READM, [15.0] * 15)
    review = monthly_review(results, targets(), municipality_code="1490", month="2025-03", cycles=cycles)

    open_ = review.open_cycles
    assert list(open_.columns) == OPEN_CYCLE_COLUMNS
    assert open_["cycle_id"].tolist() == [1, 2, 5]
    assert open_.set_index("cycle_id")["overdue"].to_dict() == {1: True, 2: False, 5: False}
    assert open_.set_index("cycle_id").loc[1, "status_label"] == "Pågår"

    decisions = review.decisions
    assert list(decisions.columns) == DECISION_COLUMNS
    assert decisions[["cycle_id", "act", "act_label"]].values.tolist() == [
        [5, "adapt", "Anpassa"],
        [3, "adopt", "Införa"],
    ]
    assert decisions.set_index("cycle_id").loc[3, "act_notes"] == "Rutin från april"

    by_id = review.indicators.set_index("indicator_id")["open_cycles"]
    assert (by_id[READM], by_id[SIP], by_id[HOURS]) == (2, 1, 1)
    assert review.linked_indicator_ids() == [READM, SIP, HOURS]


def test_deleted_cycles_and_an_empty_cycles_frame():
    cycles = cycles_frame([{"id": 1, "cycle_number": 1, "title": "Borttagen", "status": "pågår",
                            "deleted_at": dt.datetime(2025, 3, 2)}])  # fmt: skip
    results = tidy(READM, [15.0] * 3)
    review = monthly_review(results, targets(), municipality_code="1490", month="2024-03", cycles=cycles)
    assert review.open_cycles.empty and review.decisions.empty and review.linked_indicator_ids() == []
    empty = monthly_review(
        results, targets(), municipality_code="1490", month="2024-03", cycles=pd.DataFrame()
    )
    assert empty.open_cycles.empty and list(empty.decisions.columns) == DECISION_COLUMNS


@pytest.mark.parametrize("month", ["2025-3", "2025-13", "mars 2025", 202503, "2025-Q1"])
def test_the_month_is_validated_with_a_message_naming_the_field(month):
    with pytest.raises(ValueError, match=r"Fältet 'month' .* ange en månad som ÅÅÅÅ-MM"):
        monthly_review(tidy(READM, [1.0]), targets(), municipality_code="1490", month=month, cycles=NO_CYCLES)


def test_vocabulary_has_a_swedish_label_for_every_value():
    assert set(STATUS_LABELS_SV) == set(CYCLE_STATUSES) and set(ACT_LABELS_SV) == set(ACTS)


@pytest.mark.parametrize("path", ["metrics/review.py", "ui/pack.py"])
def test_no_streamlit_or_sqlalchemy(path):
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not imported & {"streamlit", "sqlalchemy", "data_access"}


def test_a_past_months_open_cycles_are_those_open_at_its_end_not_today():
    """Issue 22: "open cycles" of a past month meant the cycles open today; now those open then, with the
    status they had then."""
    utc = dt.timezone.utc
    cycles = cycles_frame(
        [
            # running since January, closed (adopted) in March: open at the end of January and February
            {"id": 1, "cycle_number": 1, "title": "Samtal", "status": "avslutad", "start_date": dt.date(2025, 1, 10),
             "end_date": dt.date(2025, 1, 31), "act": "adopt", "act_date": dt.date(2025, 3, 5)},
            # planned in December, started in March, still running: planned at the end of January
            {"id": 2, "cycle_number": 2, "title": "Checklista", "status": "pågår", "start_date": dt.date(2025, 3, 1),
             "created_at": dt.datetime(2024, 12, 2, 9, 0, tzinfo=utc)},
            # entered in February with no start date: not there at the end of January
            {"id": 3, "cycle_number": 3, "title": "Ny idé", "status": "planerad",
             "created_at": dt.datetime(2025, 2, 3, 9, 0, tzinfo=utc)},
            # closed at the end of January (23:30 UTC is 31 January in Sweden)
            {"id": 4, "cycle_number": 4, "title": "Avbruten", "status": "avslutad", "start_date": dt.date(2024, 11, 1),
             "act": "abandon", "act_date": None, "end_date": None,
             "updated_at": dt.datetime(2025, 1, 31, 22, 30, tzinfo=utc)},
        ]
    )  # fmt: skip
    results = tidy(READM, [15.0] * 15)

    def open_in(month):
        review = monthly_review(results, targets(), municipality_code="1490", month=month, cycles=cycles)
        return review.open_cycles.set_index("cycle_id")[["status", "status_label", "overdue"]].to_dict("index")

    assert open_in("2025-01") == {
        1: {"status": "pågår", "status_label": "Pågår", "overdue": False},
        2: {"status": "planerad", "status_label": "Planerad", "overdue": False},
    }
    assert open_in("2025-02") == {
        1: {"status": "pågår", "status_label": "Pågår", "overdue": True},  # its end date passed in January
        2: {"status": "planerad", "status_label": "Planerad", "overdue": False},
        3: {"status": "planerad", "status_label": "Planerad", "overdue": False},
    }
    assert open_in("2025-03") == {
        2: {"status": "pågår", "status_label": "Pågår", "overdue": False},
        3: {"status": "planerad", "status_label": "Planerad", "overdue": False},
    }
    assert open_in("2024-12") == {4: {"status": "pågår", "status_label": "Pågår", "overdue": False},
                                  2: {"status": "planerad", "status_label": "Planerad", "overdue": False}}
