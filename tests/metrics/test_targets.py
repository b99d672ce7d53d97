"""Tests for metrics.targets: targets as data, validation and evaluation."""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.targets import (
    MET,
    NO_TARGET,
    NOT_MET,
    TARGET_COLUMNS,
    default_targets,
    evaluate_targets,
    format_level_text,
    format_target_text,
    validate_targets,
)

DIRECTIONS = {
    "sip_coverage_home_care": "higher",
    "home_visit_median_hours_day": "lower",
    "readmission_30d_65": "lower",
    "mal_fangade_60d": "higher",
    "frequent_attenders": "lower",
}
UNITS = {
    "sip_coverage_home_care": "%",
    "home_visit_median_hours_day": "timmar",
    "readmission_30d_65": "%",
}


# --------------------------------------------------------------------------- helpers


def target(
    indicator_id: str,
    *,
    municipality_code: str | None = None,
    operator: str | None = None,
    value: float | None = None,
    change: float | None = None,
    baseline_period: str | None = None,
) -> dict:
    kind = "relative" if change is not None else "absolute"
    return {
        "indicator_id": indicator_id,
        "municipality_code": municipality_code,
        "kind": kind,
        "operator": operator,
        "value": value,
        "change": change,
        "baseline_period": baseline_period,
    }


def targets(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=TARGET_COLUMNS)


def tidy(*rows: tuple, suppressed: tuple[bool, ...] | None = None) -> pd.DataFrame:
    """Rows of (indicator_id, municipality_code, sex, period, value)."""
    frame = pd.DataFrame(rows, columns=["indicator_id", "municipality_code", "sex", "period", "value"])
    frame["value"] = frame["value"].astype(float)
    frame["suppressed"] = list(suppressed) if suppressed else False
    return frame


def single(value: float, indicator: str, tgt: pd.DataFrame, **kw) -> pd.Series:
    out = evaluate_targets(tidy((indicator, "0180", "T", "2025", value)), tgt, units=UNITS, **kw)
    return out.iloc[0]


# --------------------------------------------------------------------------- absolute targets


@pytest.mark.parametrize(
    ("value", "status"),
    [(70.0, MET), (69.99, NOT_MET), (70.01, MET), (100.0, MET), (0.0, NOT_MET)],
)
def test_absolute_at_least_with_exact_boundary(value: float, status: str) -> None:
    row = single(
        value, "sip_coverage_home_care", targets(target("sip_coverage_home_care", operator=">=", value=70))
    )
    assert row["target_status"] == status
    assert row["target_value"] == 70.0
    assert row["target_operator"] == ">="
    assert row["target_distance"] == pytest.approx(value - 70.0)
    assert row["target_text"] == "≥ 70 %"


@pytest.mark.parametrize(
    ("operator", "value", "status"),
    [
        ("<", 24.0, NOT_MET),
        ("<", 23.99, MET),
        ("<", 24.01, NOT_MET),
        ("<=", 24.0, MET),
        ("<=", 24.01, NOT_MET),
        (">", 24.0, NOT_MET),
        (">", 24.01, MET),
    ],
)
def test_strict_and_inclusive_operators(operator: str, value: float, status: str) -> None:
    tgt = targets(target("home_visit_median_hours_day", operator=operator, value=24))
    assert single(value, "home_visit_median_hours_day", tgt)["target_status"] == status


def test_float_noise_at_the_boundary_counts_as_equality() -> None:
    above, below = np.nextafter(24.0, 25.0), np.nextafter(24.0, 23.0)  # 24 ± one ulp
    strict = targets(target("home_visit_median_hours_day", operator="<", value=24))
    inclusive = targets(target("home_visit_median_hours_day", operator="<=", value=24))
    for noisy in (above, below):
        assert single(noisy, "home_visit_median_hours_day", strict)["target_status"] == NOT_MET
        assert single(noisy, "home_visit_median_hours_day", inclusive)["target_status"] == MET
    assert single(24 - 1e-6, "home_visit_median_hours_day", strict)["target_status"] == MET


def test_rows_without_value_or_without_target() -> None:
    table = tidy(
        ("sip_coverage_home_care", "0180", "T", "2025", 75.0),
        ("sip_coverage_home_care", "0181", "T", "2025", np.nan),  # suppressed
        ("sip_coverage_home_care", "0182", "T", "2025", np.nan),  # saknar underlag
        ("frequent_attenders", "0180", "T", "2025", 12.0),  # no target at all
        suppressed=(False, True, False, False),
    )
    out = evaluate_targets(
        table, targets(target("sip_coverage_home_care", operator=">=", value=70)), units=UNITS
    )
    assert out["target_status"].tolist() == [MET, "", "", NO_TARGET]
    assert out["target_value"].tolist()[:3] == [70.0, 70.0, 70.0]
    assert np.isnan(out["target_value"].iloc[3])
    assert out["target_distance"].iloc[0] == 5.0
    assert out["target_distance"].iloc[1:].isna().all()
    assert out["target_text"].tolist() == ["≥ 70 %", "≥ 70 %", "≥ 70 %", ""]
    assert pd.isna(out["target_operator"].iloc[3])


def test_input_untouched_and_reevaluation_replaces_columns() -> None:
    table = tidy(("sip_coverage_home_care", "0180", "T", "2025", 75.0))
    before = table.copy()
    first = evaluate_targets(table, targets(target("sip_coverage_home_care", operator=">=", value=70)))
    pd.testing.assert_frame_equal(table, before)
    second = evaluate_targets(first, targets(target("sip_coverage_home_care", operator=">=", value=80)))
    assert second["target_status"].item() == NOT_MET
    assert list(second.columns) == list(first.columns)
    assert list(first.columns[-5:]) == [
        "target_value",
        "target_operator",
        "target_status",
        "target_distance",
        "target_text",
    ]


# --------------------------------------------------------------------------- relative targets


def test_relative_minus_20_percent_against_yearly_baseline() -> None:
    tgt = targets(target("readmission_30d_65", change=-0.20, baseline_period="2024"))
    baseline = tidy(
        ("readmission_30d_65", "0180", "T", "2024", 15.0),
        ("readmission_30d_65", "0180", "K", "2024", 20.0),
        ("readmission_30d_65", "ALL", "T", "2024", 10.0),
    )
    table = tidy(
        ("readmission_30d_65", "0180", "T", "2025-03", 12.0),  # exactly 15 × 0.8
        ("readmission_30d_65", "0180", "T", "2025-04", 12.5),
        ("readmission_30d_65", "0180", "K", "2025-03", 15.0),
        ("readmission_30d_65", "ALL", "T", "2025-03", 8.5),
    )
    out = evaluate_targets(table, tgt, baseline=baseline, directions=DIRECTIONS)
    assert out["target_value"].tolist() == pytest.approx([12.0, 12.0, 16.0, 8.0])
    assert out["target_operator"].tolist() == ["<="] * 4
    assert out["target_status"].tolist() == [MET, NOT_MET, MET, NOT_MET]
    assert out["target_distance"].tolist() == pytest.approx([0.0, 0.5, -1.0, 0.5])
    # the level is written out (15 × 0.8 = 12.000000000000002 → "12"); no units= given, so no unit
    assert out["target_text"].tolist() == [
        "−20 % mot 2024 = högst 12",
        "−20 % mot 2024 = högst 12",
        "−20 % mot 2024 = högst 16",
        "−20 % mot 2024 = högst 8",
    ]


def test_relative_higher_is_better_and_explicit_operator() -> None:
    tgt = targets(target("mal_fangade_60d", change=0.10, baseline_period="2024"))
    baseline = tidy(("mal_fangade_60d", "0180", "T", "2024", 40.0))
    table = tidy(
        ("mal_fangade_60d", "0180", "T", "2025", 44.0), ("mal_fangade_60d", "0180", "T", "2026", 43.9)
    )
    out = evaluate_targets(table, tgt, baseline=baseline, directions=DIRECTIONS)
    assert out["target_operator"].tolist() == [">=", ">="]
    assert out["target_status"].tolist() == [MET, NOT_MET]
    assert out["target_text"].tolist() == ["+10 % mot 2024 = minst 44"] * 2

    strict = targets(target("mal_fangade_60d", operator=">", change=0.10, baseline_period="2024"))
    out = evaluate_targets(table, strict, baseline=baseline)  # no directions needed
    assert out["target_status"].tolist() == [NOT_MET, NOT_MET]


def test_relative_target_text_shows_the_level_it_resolves_to() -> None:
    """Hand-computed: 500.375 × 0.8 = 400.3 → "högst 400,3"; unit "per 1 000 …" is left out (too long)."""
    units = {**UNITS, "ed_visits_80_per_1000": "per 1 000 invånare 80+ och år"}
    tgt = targets(
        target("ed_visits_80_per_1000", change=-0.20, baseline_period="2024"),
        target("sip_coverage_home_care", change=0.10, baseline_period="2024"),
        target("home_visit_median_hours_day", change=-0.20, baseline_period="2024"),
    )
    baseline = tidy(
        ("ed_visits_80_per_1000", "0180", "T", "2024", 500.375),
        ("ed_visits_80_per_1000", "0181", "T", "2024", 1_543.25),
        ("sip_coverage_home_care", "0180", "T", "2024", 50.0),
        ("sip_coverage_home_care", "0181", "T", "2024", 3.125),
        ("home_visit_median_hours_day", "0180", "T", "2024", 30.0),
    )
    table = tidy(
        ("ed_visits_80_per_1000", "0180", "T", "2025-01", 390.0),
        ("ed_visits_80_per_1000", "0180", "T", "2025-02", 410.0),
        ("ed_visits_80_per_1000", "0181", "T", "2025-01", 1_300.0),
        ("ed_visits_80_per_1000", "0182", "T", "2025-01", 300.0),  # no baseline row: no level
        ("sip_coverage_home_care", "0180", "T", "2025", 56.0),
        ("sip_coverage_home_care", "0181", "T", "2025", 3.0),
        ("home_visit_median_hours_day", "0180", "T", "2025", 25.0),
    )
    directions = {**DIRECTIONS, "ed_visits_80_per_1000": "lower"}
    out = evaluate_targets(table, tgt, baseline=baseline, directions=directions, units=units)
    assert out["target_text"].tolist() == [
        "−20 % mot 2024 = högst 400,3",
        "−20 % mot 2024 = högst 400,3",
        "−20 % mot 2024 = högst 1 234,6",  # 1 543.25 × 0.8 = 1 234.6
        "−20 % mot 2024",
        "+10 % mot 2024 = minst 55 %",  # 50 × 1.1
        "+10 % mot 2024 = minst 3,44 %",  # 3.125 × 1.1 = 3.4375: two decimals below 10
        "−20 % mot 2024 = högst 24 timmar",  # 30 × 0.8
    ]
    assert out["target_value"].iloc[:3].tolist() == pytest.approx([400.3, 400.3, 1_234.6])
    assert out["target_status"].tolist() == [MET, NOT_MET, NOT_MET, NO_TARGET, MET, NOT_MET, NOT_MET]


@pytest.mark.parametrize(
    ("operator", "word"), [("<=", "högst"), ("<", "under"), (">=", "minst"), (">", "över")]
)
def test_relative_target_level_names_its_operator(operator: str, word: str) -> None:
    change = -0.5 if operator.startswith("<") else 0.5
    tgt = targets(target("frequent_attenders", operator=operator, change=change, baseline_period="2024-Q1"))
    table = tidy(("frequent_attenders", "0180", "T", "2024-Q1", 12.0), ("frequent_attenders", "0180", "T", "2025-Q1", 7.0))
    out = evaluate_targets(table, tgt)
    level = "6" if change < 0 else "18"
    sign = "−" if change < 0 else "+"
    assert out["target_text"].tolist() == [f"{sign}50 % mot 2024-Q1 = {word} {level}"] * 2


def test_relative_baseline_falls_back_to_the_table_itself() -> None:
    tgt = targets(target("readmission_30d_65", change=-0.20, baseline_period="2024"))
    table = tidy(
        ("readmission_30d_65", "0180", "T", "2024", 10.0),
        ("readmission_30d_65", "0180", "T", "2025", 7.0),
    )
    out = evaluate_targets(table, tgt, directions=DIRECTIONS)
    assert out["target_value"].tolist() == pytest.approx([8.0, 8.0])
    assert out["target_status"].tolist() == [NOT_MET, MET]


@pytest.mark.parametrize("case", ["missing", "nan", "suppressed", "other_sex_only"])
def test_relative_without_usable_baseline_has_no_level(case: str) -> None:
    tgt = targets(target("readmission_30d_65", change=-0.20, baseline_period="2024"))
    base_rows = {
        "missing": [("readmission_30d_65", "0181", "T", "2024", 10.0)],
        "nan": [("readmission_30d_65", "0180", "T", "2024", np.nan)],
        "suppressed": [("readmission_30d_65", "0180", "T", "2024", 10.0)],
        "other_sex_only": [("readmission_30d_65", "0180", "K", "2024", 10.0)],
    }[case]
    baseline = tidy(*base_rows, suppressed=(case == "suppressed",))
    out = evaluate_targets(
        tidy(("readmission_30d_65", "0180", "T", "2025", 7.0)), tgt, baseline=baseline, directions=DIRECTIONS
    )
    row = out.iloc[0]
    assert row["target_status"] == NO_TARGET
    assert np.isnan(row["target_value"]) and np.isnan(row["target_distance"])
    assert pd.isna(row["target_operator"])
    assert row["target_text"] == "−20 % mot 2024"  # the configured target is still described


def test_hidden_baseline_row_is_not_replaced_by_the_table() -> None:
    # The baseline frame's suppression decision wins: no fallback that could leak it.
    tgt = targets(target("readmission_30d_65", change=-0.20, baseline_period="2024"))
    baseline = tidy(("readmission_30d_65", "0180", "T", "2024", np.nan), suppressed=(True,))
    table = tidy(
        ("readmission_30d_65", "0180", "T", "2024", 10.0), ("readmission_30d_65", "0180", "T", "2025", 7.0)
    )
    out = evaluate_targets(table, tgt, baseline=baseline, directions=DIRECTIONS)
    assert out["target_status"].tolist() == [NO_TARGET, NO_TARGET]


def test_relative_without_operator_or_direction_is_an_error() -> None:
    tgt = targets(target("readmission_30d_65", change=-0.20, baseline_period="2024"))
    with pytest.raises(ValueError, match="directions"):
        evaluate_targets(tidy(("readmission_30d_65", "0180", "T", "2025", 7.0)), tgt)


# --------------------------------------------------------------------------- overrides


def test_municipality_override_replaces_general_target() -> None:
    tgt = targets(
        target("sip_coverage_home_care", operator=">=", value=70),
        target("sip_coverage_home_care", municipality_code="0180", operator=">=", value=60),
        target("readmission_30d_65", operator="<=", value=15),
        target("readmission_30d_65", municipality_code="0181", change=-0.5, baseline_period="2024"),
    )
    table = tidy(
        ("sip_coverage_home_care", "0180", "T", "2025", 65.0),
        ("sip_coverage_home_care", "0181", "T", "2025", 65.0),
        ("sip_coverage_home_care", "ALL", "T", "2025", 65.0),
        ("readmission_30d_65", "0180", "T", "2025", 12.0),
        ("readmission_30d_65", "0181", "T", "2025", 12.0),
        ("readmission_30d_65", "0181", "T", "2024", 20.0),
    )
    out = evaluate_targets(table, tgt, directions=DIRECTIONS, units=UNITS)
    assert out["target_value"].tolist() == [60.0, 70.0, 70.0, 15.0, 10.0, 10.0]
    assert out["target_status"].tolist() == [MET, NOT_MET, NOT_MET, MET, NOT_MET, NOT_MET]
    assert out["target_text"].tolist() == [
        "≥ 60 %",
        "≥ 70 %",
        "≥ 70 %",
        "≤ 15 %",
        "−50 % mot 2024 = högst 10 %",  # 20 × 0.5; unit "%" is short enough to write
        "−50 % mot 2024 = högst 10 %",
    ]


def test_municipality_specific_target_without_general_one() -> None:
    tgt = targets(target("frequent_attenders", municipality_code="0180", operator="<=", value=10))
    table = tidy(
        ("frequent_attenders", "0180", "T", "2025", 9.0), ("frequent_attenders", "0181", "T", "2025", 9.0)
    )
    out = evaluate_targets(table, tgt)
    assert out["target_status"].tolist() == [MET, NO_TARGET]


# --------------------------------------------------------------------------- text


@pytest.mark.parametrize(
    ("args", "unit", "text"),
    [
        (("absolute", ">=", 70.0, np.nan, None), "%", "≥ 70 %"),
        (("absolute", "<", 24.0, np.nan, None), "timmar", "< 24 timmar"),
        (("absolute", "<=", 12.5, np.nan, None), None, "≤ 12,5"),
        (("absolute", ">", 1234.5, np.nan, None), None, "> 1 234,5"),
        (("relative", "<=", np.nan, -0.20, "2024"), None, "−20 % mot 2024"),
        (("relative", ">=", np.nan, 0.125, "2024-Q1"), "%", "+12,5 % mot 2024-Q1"),
        (("relative", ">=", np.nan, 0.0, "2024"), None, "±0 % mot 2024"),
    ],
)
def test_format_target_text(args: tuple, unit: str | None, text: str) -> None:
    assert format_target_text(*args, unit=unit) == text


@pytest.mark.parametrize(
    ("operator", "level", "unit", "text"),
    [
        ("<=", 400.30000000000001, None, " = högst 400,3"),
        (">=", 55.0, "%", " = minst 55 %"),
        ("<", 24.0, "timmar", " = under 24 timmar"),
        (">", 2.346, "per 1 000 invånare 80+ och år", " = över 2,35"),  # long unit left out; 2 decimals < 10
        ("<=", 9.996, None, " = högst 10"),
        ("<=", 12_345.67, None, " = högst 12 345,7"),
        (">=", 0.0, "%", " = minst 0 %"),
    ],
)
def test_format_level_text(operator: str, level: float, unit: str | None, text: str) -> None:
    assert format_level_text(operator, level, unit=unit) == text


# --------------------------------------------------------------------------- validation


def test_valid_targets_have_no_messages() -> None:
    tgt = targets(
        target("sip_coverage_home_care", operator=">=", value=70),
        target("sip_coverage_home_care", municipality_code="0180", operator=">", value=60),
        target("readmission_30d_65", change=-0.2, baseline_period="2024"),
        target(
            "readmission_30d_65",
            municipality_code="ALL",
            operator="<=",
            change=-0.1,
            baseline_period="2024-Q1",
        ),
    )
    assert validate_targets(tgt) == []
    assert validate_targets(tgt, directions=DIRECTIONS) == []


def test_missing_columns_are_named() -> None:
    messages = validate_targets(pd.DataFrame({"indicator_id": ["a"], "kind": ["absolute"]}))
    assert any("'operator' saknas" in m for m in messages)
    assert all("indicator_id, municipality_code, kind" in m for m in messages)


@pytest.mark.parametrize(
    ("row", "fragments"),
    [
        (target("x", operator="=>", value=70), ["Rad 1", "'operator'", "'=>'", ">=, <=, >, <"]),
        (target("x", value=70), ["'operator' är tomt", ">=, <=, >, <"]),
        (
            {**target("x", operator=">=", value=70), "kind": "absolut"},
            ["'kind'", "'absolut'", "absolute, relative"],
        ),
        (
            {**target("x", operator=">=", value=70), "kind": None},
            ["'kind'", "inget värde", "absolute, relative"],
        ),
        (target("x", operator=">="), ["'value'", "måste vara ett tal"]),
        ({**target("x", operator=">="), "value": "sjuttio"}, ["'value'", "måste vara ett tal"]),
        ({**target("x", operator=">=", value=70), "change": -0.2}, ["'change' ska vara tomt"]),
        (
            {**target("x", operator=">=", value=70), "baseline_period": "2024"},
            ["'baseline_period' ska vara tomt"],
        ),
        (target("x", change=-20, baseline_period="2024"), ["'change'", "större än -1", "-0.20"]),
        (target("x", change=-0.2, baseline_period="24"), ["'baseline_period'", "'24'", "2024-Q1", "2024-03"]),
        (target("x", change=-0.2), ["'baseline_period'", "inget värde"]),
        ({**target("x", change=-0.2, baseline_period="2024"), "value": 12}, ["'value' ska vara tomt"]),
        (
            target("x", municipality_code="180", operator=">=", value=1),
            ["'municipality_code'", "'180'", "fyrsiffrig"],
        ),
        (target("", operator=">=", value=1), ["'indicator_id' är tomt"]),
    ],
)
def test_validation_messages_name_field_and_allowed_values(row: dict, fragments: list[str]) -> None:
    messages = validate_targets(targets(row))
    assert messages, row
    joined = " | ".join(messages)
    for fragment in fragments:
        assert fragment in joined, (fragment, messages)


def test_validation_with_directions() -> None:
    tgt = targets(
        target("okänd_indikator", operator=">=", value=1),
        target("readmission_30d_65", operator=">=", change=-0.2, baseline_period="2024"),
    )
    messages = validate_targets(tgt, directions=DIRECTIONS)
    assert len(messages) == 2
    assert (
        "Rad 1" in messages[0] and "'okänd_indikator'" in messages[0] and "readmission_30d_65" in messages[0]
    )
    assert "Rad 2" in messages[1] and "lägre värden bättre" in messages[1]
    assert "'operator'" in messages[1] and "<= eller <" in messages[1]


def test_validation_rejects_duplicates() -> None:
    tgt = targets(
        target("sip_coverage_home_care", operator=">=", value=70),
        target("sip_coverage_home_care", operator=">=", value=80),
        target("sip_coverage_home_care", municipality_code="0180", operator=">=", value=60),
        target("sip_coverage_home_care", municipality_code="0180", operator=">=", value=65),
    )
    messages = validate_targets(tgt)
    assert len(messages) == 2
    assert "Rad 2" in messages[0] and "alla kommuner" in messages[0] and "rad 1" in messages[0]
    assert "Rad 4" in messages[1] and "kommun 0180" in messages[1]


# --------------------------------------------------------------------------- defaults from the registry


@dataclass
class _FakeIndicator:
    id: str
    direction: str
    unit: str
    default_target: dict | None
    value_kind: str = "proportion"


def test_default_targets_from_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("metrics.registry")
    fake.INDICATORS = {
        "sip_coverage_home_care": _FakeIndicator(
            "sip_coverage_home_care", "higher", "%", {"kind": "absolute", "operator": ">=", "value": 70.0}
        ),
        "home_visit_median_hours_day": _FakeIndicator(
            "home_visit_median_hours_day",
            "lower",
            "timmar",
            {"kind": "absolute", "operator": "<", "value": 24.0},
        ),
        "readmission_30d_65": _FakeIndicator(
            "readmission_30d_65",
            "lower",
            "%",
            {"kind": "relative", "change": -0.20, "baseline_period": "2024"},
        ),
        "mal_fangade_60d": _FakeIndicator(
            "mal_fangade_60d", "higher", "%", {"kind": "relative", "change": 0.10, "baseline_period": "2024"}
        ),
        "frequent_attenders": _FakeIndicator("frequent_attenders", "lower", "antal", None),
    }
    monkeypatch.setitem(sys.modules, "metrics.registry", fake)

    frame = default_targets()
    assert list(frame.columns) == TARGET_COLUMNS
    assert frame["indicator_id"].tolist() == [
        "sip_coverage_home_care",
        "home_visit_median_hours_day",
        "readmission_30d_65",
        "mal_fangade_60d",
    ]
    assert frame["municipality_code"].isna().all()
    assert frame["operator"].tolist() == [">=", "<", "<=", ">="]
    assert frame["value"].tolist()[:2] == [70.0, 24.0]
    assert frame["change"].tolist()[2:] == [-0.20, 0.10]
    assert validate_targets(frame, directions=DIRECTIONS) == []


def test_default_targets_of_the_real_registry_are_valid() -> None:
    registry = pytest.importorskip("metrics.registry")
    frame = default_targets()
    directions = {i: ind.direction for i, ind in registry.INDICATORS.items()}
    assert validate_targets(frame, directions=directions) == []


# --------------------------------------------------------------------------- property


@settings(max_examples=100, deadline=None)
@given(
    value=st.floats(0, 200, allow_nan=False),
    level=st.floats(0, 200, allow_nan=False),
    operator=st.sampled_from([">=", "<=", ">", "<"]),
)
def test_property_status_agrees_with_distance(value: float, level: float, operator: str) -> None:
    tgt = targets(target("sip_coverage_home_care", operator=operator, value=level))
    row = evaluate_targets(tidy(("sip_coverage_home_care", "0180", "T", "2025", value)), tgt).iloc[0]
    distance = row["target_distance"]
    assert distance == value - level
    tol = 1e-9 * max(1.0, abs(level))
    expected = {
        ">=": distance >= -tol,
        "<=": distance <= tol,
        ">": distance > tol,
        "<": distance < -tol,
    }[operator]
    assert row["target_status"] == (MET if expected else NOT_MET)


def test_relative_baseline_matches_extra_key_columns() -> None:
    tgt = targets(target("frequent_attenders", change=-0.5, baseline_period="2024"))
    table = tidy(
        ("frequent_attenders", "0180", "T", "2024", 10.0),
        ("frequent_attenders", "0180", "T", "2024", 40.0),
        ("frequent_attenders", "0180", "T", "2025", 10.0),
        ("frequent_attenders", "0180", "T", "2025", 10.0),
    ).assign(care_centre=["VC A", "VC B", "VC A", "VC B"])
    out = evaluate_targets(table, tgt, directions=DIRECTIONS)
    assert out["target_value"].tolist() == [5.0, 20.0, 5.0, 20.0]
    assert out["target_status"].tolist() == [NOT_MET, NOT_MET, NOT_MET, MET]
