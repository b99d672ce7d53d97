"""The registry: complete, in spec order, consistent, documented."""

import dataclasses
from pathlib import Path

import pytest

from data_access.contract import TABLES
from metrics import ci, compute, registry
from metrics.registry import INDICATORS

ROOT = Path(__file__).resolve().parents[2]

# The 19 indicators of shared/spec/indicators.md (13 + the six Målgrupper cohorts), in its order,
# with unit, direction and default target.
SPEC = [
    ("readmission_30d_65", "%", "lower", {"kind": "relative", "change": -0.20, "baseline_period": "2024"}),
    (
        "ed_visits_80_per_1000",
        "per 1 000 inv. 80+ och år",
        "lower",
        {"kind": "relative", "change": -0.20, "baseline_period": "2024"},
    ),
    ("sip_coverage_home_care", "%", "higher", {"kind": "absolute", "operator": ">=", "value": 70.0}),
    ("sip_followup_90d", "%", "higher", {"kind": "absolute", "operator": ">=", "value": 90.0}),
    ("cfs56_with_sip", "%", "higher", {"kind": "absolute", "operator": ">=", "value": 70.0}),
    ("home_visit_median_hours_day", "timmar", "lower", {"kind": "absolute", "operator": "<", "value": 24.0}),
    (
        "home_visit_median_hours_offhours",
        "timmar",
        "lower",
        {"kind": "absolute", "operator": "<", "value": 8.0},
    ),
    ("home_visit_within_24h_day", "%", "higher", {"kind": "absolute", "operator": ">=", "value": 80.0}),
    ("home_visit_within_8h_offhours", "%", "higher", {"kind": "absolute", "operator": ">=", "value": 60.0}),
    ("discharge_care_plan_75", "%", "higher", {"kind": "absolute", "operator": ">=", "value": 90.0}),
    ("discharge_followup_72h_75", "%", "higher", {"kind": "absolute", "operator": ">=", "value": 85.0}),
    (
        "acute_bed_days_75_per_1000",
        "dagar per 1 000 inv. 75+ och år",
        "lower",
        {"kind": "relative", "change": -0.20, "baseline_period": "2024"},
    ),
    ("frequent_attenders", "antal", "lower", None),
    ("mal_mangsokare_ej_inskrivna", "per 1 000 inv. 75+", "lower", None),
    ("mal_akut_ej_inlagd", "per 1 000 inv. 75+", "lower", None),
    ("mal_samsa_ej_inskrivna", "per 1 000 inv. 75+", "lower", None),
    ("mal_korttid_ej_inskrivna", "per 1 000 inv. 75+", "lower", None),
    ("mal_akuta_insatser_hemma", "per 1 000 inv. 75+", "lower", None),
    ("mal_fangade_60d", "%", "higher", {"kind": "absolute", "operator": ">=", "value": 50.0}),
]


def test_ids_in_spec_order():
    assert list(INDICATORS) == [s[0] for s in SPEC]


@pytest.mark.parametrize(("ind_id", "unit", "direction", "target"), SPEC)
def test_unit_direction_target_match_the_spec(ind_id, unit, direction, target):
    ind = INDICATORS[ind_id]
    assert (ind.unit, ind.direction, ind.default_target) == (unit, direction, target)


def test_every_indicator_has_exactly_one_function():
    assert set(compute.FUNCTIONS) == set(INDICATORS)


@pytest.mark.parametrize("ind", INDICATORS.values(), ids=list(INDICATORS))
def test_metadata_is_complete(ind):
    for f in ("name_sv", "definition_sv", "numerator_sv", "denominator_sv", "unit"):
        assert getattr(ind, f).strip(), f
    assert ind.theme in registry.THEMES
    assert all(t in TABLES for t in ind.source_tables)
    assert ind.ci_method in ci.METHODS and ind.ci_method_sv
    expected_ci = {
        "proportion": "wilson",
        "rate": "garwood",
        "rate_point": "garwood",
        "count": "garwood",
        "median": "order_statistic",
    }
    assert ind.ci_method == expected_ci[ind.value_kind]
    if ind.value_kind == "proportion":
        assert ind.unit == "%"


def test_entries_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        INDICATORS["sip_followup_90d"].unit = "x"  # type: ignore[misc]


def test_bad_entries_are_refused():
    bad = dataclasses.replace(INDICATORS["sip_followup_90d"], theme="Okänt tema")
    with pytest.raises(ValueError, match="theme"):
        registry._check(bad)
    bad = dataclasses.replace(
        INDICATORS["sip_followup_90d"], default_target={"kind": "absolute", "operator": "=>", "value": 1}
    )
    with pytest.raises(ValueError, match="target"):
        registry._check(bad)


def test_precise_rules_are_written_into_the_texts():
    readm = INDICATORS["readmission_30d_65"].definition_sv
    assert all(s in readm for s in ("1–30", "avliden", "annat_sjukhus", "dag 0"))
    day = INDICATORS["home_visit_within_24h_day"].definition_sv
    assert all(
        s in day for s in ("08:00", "17:00", "midsommarafton", "julafton", "nyårsafton", "01:30", "03:30")
    )
    assert "d−364" in INDICATORS["sip_coverage_home_care"].definition_sv
    assert "senast föregående år" in INDICATORS["ed_visits_80_per_1000"].definition_sv
    assert "≤ 24 h" in day
    assert set(registry.STATUS_SV) == {"ok", "saknar_underlag", "ofullstandig_period"}


def test_methods_doc_covers_every_indicator_and_ci_method():
    text = (ROOT / "docs" / "methods.md").read_text(encoding="utf-8")
    missing = [i for i in INDICATORS if f"`{i}`" not in text]
    assert not missing, f"docs/methods.md does not describe {missing}"
    for name in ("Wilson", "Garwood", "order-statistic"):
        assert name in text
