"""Tests for metrics.spc: golden values from published sources, rules, phases, icons, API.

Every golden test names its source in the docstring. Published data used:

* Anhøj & Olesen (2014), PLoS ONE 9(11): e113825, and the qicharts2 vignette
  "Quality Improvement Charts", Appendix 2 (critical values);
* NHSRplotthedots vignette "deviations" (XmR example 1, 2, 1, 2, 10, …);
* Montgomery, *Introduction to Statistical Quality Control*, Example 7.1
  (orange juice cans), as the ``orangejuice`` / ``orangejuice2`` data of the
  R package qcc, with qcc's printed limits;
* qicharts2 0.8.1 output for a P and a U chart with varying denominators, and
  a Laney P′ / U′ reference computation on the Mohammed et al. (2013)
  ``nhs_accidents`` data, both published as test fixtures of the
  AUS-DOH-Safety-and-Quality/PowerBI-SPC repository (test/fixtures/golden/);
* NHSRplotthedots unit tests for the Making Data Count rules and icons.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics import spc
from metrics.spc import (
    assurance_type,
    crossings_min,
    default_chart,
    improvement_from_direction,
    laney_sigma_z,
    longest_run_max,
    phase_starts_from_dates,
    recommend_chart,
    runs_analysis,
    shift_points,
    spc_summary,
    spc_table,
    trend_points,
    two_in_three_points,
    variation_type,
)

# --------------------------------------------------------------------------- published data

# Montgomery ISQC Example 7.1 = qcc data/orangejuice.txt: nonconforming cans in samples of 50.
OJ_TRIAL = [12, 15, 8, 10, 4, 7, 16, 9, 14, 10, 5, 6, 17, 12, 22, 8, 10, 5, 13, 11,
            20, 18, 24, 15, 9, 12, 7, 13, 9, 6]  # fmt: skip
OJ_AFTER = [9, 6, 12, 5, 6, 4, 6, 3, 7, 6, 2, 4, 3, 6, 5, 4, 8, 5, 6, 7, 5, 6, 3, 5]  # samples 31–54

# Mohammed et al. (2013) nhs_accidents (first 20 weeks), as in the PowerBI-SPC fixtures.
AE_SEEN = [266501, 264225, 276532, 281461, 269071, 261215, 270409, 279778, 270483, 270320,
           267923, 271478, 255353, 256820, 261835, 259144, 255910, 260863, 264465, 260989]  # fmt: skip
AE_ALL = [280443, 276823, 291681, 296155, 282343, 275888, 283867, 295251, 284468, 282529,
          279618, 283932, 266629, 268091, 276803, 271578, 266005, 273520, 278574, 273772]  # fmt: skip

XMR_EXAMPLE = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]


# --------------------------------------------------------------------------- Anhøj critical values


@pytest.mark.parametrize(
    ("n", "run_max", "cross_min"),
    [
        (10, 6, 2),
        (12, 7, 3),
        (16, 7, 4),
        (20, 7, 6),
        (24, 8, 8),
        (30, 8, 10),
        (36, 8, 13),
        (48, 9, 18),
        (60, 9, 23),
    ],
)
def test_anhoej_critical_values_published_table(n: int, run_max: int, cross_min: int) -> None:
    """Anhøj J, Olesen AV (2014). Run charts revisited. PLoS ONE 9(11): e113825, table of
    critical values (longest run > max or crossings < min signals non-random variation)."""
    assert longest_run_max(n) == run_max
    assert crossings_min(n) == cross_min


# qicharts2 vignette "Quality Improvement Charts", Appendix 2, n = 10 … 60.
_QIC_APPENDIX_2 = {
    10: (6, 2), 11: (6, 2), 12: (7, 3), 13: (7, 3), 14: (7, 4), 15: (7, 4), 16: (7, 4), 17: (7, 5),
    18: (7, 5), 19: (7, 6), 20: (7, 6), 21: (7, 6), 22: (7, 7), 23: (8, 7), 24: (8, 8), 25: (8, 8),
    26: (8, 8), 27: (8, 9), 28: (8, 9), 29: (8, 10), 30: (8, 10), 31: (8, 11), 32: (8, 11), 33: (8, 11),
    34: (8, 12), 35: (8, 12), 36: (8, 13), 37: (8, 13), 38: (8, 14), 39: (8, 14), 40: (8, 14),
    41: (8, 15), 42: (8, 15), 43: (8, 16), 44: (8, 16), 45: (8, 17), 46: (9, 17), 47: (9, 17),
    48: (9, 18), 49: (9, 18), 50: (9, 19), 51: (9, 19), 52: (9, 20), 53: (9, 20), 54: (9, 21),
    55: (9, 21), 56: (9, 21), 57: (9, 22), 58: (9, 22), 59: (9, 23), 60: (9, 23),
}  # fmt: skip


def test_anhoej_critical_values_qicharts2_appendix_10_to_60() -> None:
    """qicharts2 vignette "Quality Improvement Charts", Appendix 2: critical values for
    longest run and number of crossings for 10–60 useful observations."""
    got = {n: (longest_run_max(n), crossings_min(n)) for n in _QIC_APPENDIX_2}
    assert got == _QIC_APPENDIX_2


# --------------------------------------------------------------------------- XmR


def test_xmr_screened_nhsrplotthedots_example() -> None:
    """NHSRplotthedots vignette "deviations": data 1, 2, 1, 2, 10, 1, 2, … (18 points);
    with moving-range screening: mean 1.94, UPL 4.6, LPL −0.72; the single point 10 is a
    special cause (improvement)."""
    t = spc_table(XMR_EXAMPLE, chart="i")
    assert t["centre"].iloc[0] == pytest.approx(1.9444444, abs=1e-6)
    assert t["upper"].iloc[0] == pytest.approx(4.604444, abs=1e-5)
    assert t["lower"].iloc[0] == pytest.approx(-0.715556, abs=1e-5)
    assert round(t["lower"].iloc[0], 2) == -0.72 and round(t["upper"].iloc[0], 2) == 4.60
    assert list(np.flatnonzero(t["special_cause"])) == [4]
    assert t.loc[4, "point_type"] == "special_improvement"


def test_xmr_unscreened_matches_making_data_count_tool() -> None:
    """NHSRplotthedots vignette "deviations": screen_outliers = FALSE gives the Making Data
    Count Excel tool's limits, −3.06 / 6.95 (mean 1.94, AMR 32/17)."""
    t = spc_table(XMR_EXAMPLE, chart="i", screen=False)
    amr = 32 / 17
    assert t["upper"].iloc[0] == pytest.approx(35 / 18 + 2.66 * amr, abs=1e-9)
    assert round(t["lower"].iloc[0], 2) == -3.06 and round(t["upper"].iloc[0], 2) == 6.95
    assert list(np.flatnonzero(t["outside"])) == [4]
    assert t["sigma"].iloc[0] == pytest.approx(2.66 * amr / 3)


def test_average_moving_range_screening() -> None:
    """Nelson (1982) / Provost & Murray (2011) p. 156: moving ranges ≥ 3.267 × AMR are dropped
    once; for the NHSRplotthedots example the two ranges 8 and 9 go and AMR becomes 1."""
    assert spc.average_moving_range(np.array(XMR_EXAMPLE, float), screen=False) == pytest.approx(32 / 17)
    assert spc.average_moving_range(np.array(XMR_EXAMPLE, float), screen=True) == pytest.approx(1.0)


# --------------------------------------------------------------------------- P and U charts


def test_p_chart_montgomery_orange_juice_trial_limits() -> None:
    """Montgomery, ISQC, Example 7.1 (orange juice cans, n = 50): p̄ = 0.2313, UCL = 0.4102,
    LCL = 0.0524; samples 15 and 23 above the UCL. Exact values from R qcc's summary:
    centre 0.2313333, limits 0.05242755 / 0.4102391."""
    t = spc_table(OJ_TRIAL, chart="p", denominators=[50] * 30)
    assert t["centre"].iloc[0] == pytest.approx(0.2313333, abs=5e-8)
    assert t["lower"].iloc[0] == pytest.approx(0.05242755, abs=5e-9)
    assert t["upper"].iloc[0] == pytest.approx(0.4102391, abs=5e-8)
    assert list(np.flatnonzero(t["outside"]) + 1) == [15, 23]
    assert t["value"].iloc[14] == pytest.approx(0.44)


def test_p_chart_revised_limits_with_exclusions() -> None:
    """Montgomery, ISQC, Example 7.1: samples 15 (new batch of cardboard) and 23 (inexperienced
    operator) are removed and the limits revised: p̄ = 0.2150, LCL 0.0407, UCL 0.3893; sample 21
    is then above the UCL (R qcc: 0.215, 0.04070284, 0.3892972)."""
    reasons = {14: "ny kartongsats", 22: "ovan operatör"}
    t = spc_table(OJ_TRIAL, chart="p", denominators=[50] * 30, exclude=reasons)
    assert t["centre"].iloc[0] == pytest.approx(0.215, abs=1e-12)
    assert t["lower"].iloc[0] == pytest.approx(0.04070284, abs=5e-9)
    assert t["upper"].iloc[0] == pytest.approx(0.3892972, abs=5e-8)
    assert list(np.flatnonzero(t["outside"]) + 1) == [21]
    # Excluded points are shown, not used, and carry their reason.
    assert t["excluded"].sum() == 2 and not t.loc[[14, 22], "baseline"].any()
    assert t.loc[14, "exclude_reason"] == "ny kartongsats" and t.loc[0, "exclude_reason"] is None
    assert list(t.loc[[14, 22], "point_type"]) == ["excluded", "excluded"]
    assert not t.loc[[14, 22], "outside"].any()
    assert t.attrs["spc_options"]["exclude"] == reasons


def test_p_chart_pdsa_phase_after_adjustment() -> None:
    """Montgomery, ISQC, Example 7.1 continued (qcc data orangejuice2, samples 31–54 after the
    machine adjustment): new limits p̄ = 0.1108333, LCL = 0 (−0.0224 clipped), UCL = 0.2440207,
    with no point outside (R qcc). Phase 1 keeps its revised limits."""
    t = spc_table(OJ_TRIAL + OJ_AFTER, chart="p", denominators=[50] * 54, phases=[30], exclude=[14, 22])
    p1, p2 = t[t["phase"] == 1], t[t["phase"] == 2]
    assert len(p1) == 30 and len(p2) == 24
    assert p1["upper"].iloc[0] == pytest.approx(0.3892972, abs=5e-8)
    assert p2["centre"].iloc[0] == pytest.approx(0.1108333, abs=5e-8)
    assert p2["upper"].iloc[0] == pytest.approx(0.2440207, abs=5e-8)
    assert p2["lower"].iloc[0] == 0.0
    assert p2["sigma"].iloc[0] == pytest.approx(np.sqrt(0.1108333 * 0.8891667 / 50), abs=1e-7)
    assert not p2["outside"].any() and not p2["provisional"].any()
    assert t.loc[14, "exclude_reason"] == ""


# qicharts2 0.8.1 P chart output (PowerBI-SPC test/fixtures/golden/p/basic.qicharts2.json).
_QIC_P_NUM = [14, 12, 15, 8, 16, 11, 12, 14, 16, 17, 5, 11, 13, 10, 14, 5, 12, 10, 11, 5, 10, 8, 11, 12,
              11, 18, 18, 21, 14, 15, 18, 22, 17, 16, 20, 15]  # fmt: skip
_QIC_P_DEN = [52, 64, 70, 60, 67, 69, 67, 54, 79, 59, 49, 61, 41, 51, 56, 43, 57, 48, 69, 41, 40, 46, 59, 62,
              57, 65, 75, 70, 76, 69, 64, 67, 84, 67, 69, 78]  # fmt: skip
_QIC_P_UCL = [0.3876, 0.3707, 0.364, 0.3758, 0.3672, 0.365, 0.3672, 0.3844, 0.3553, 0.3771, 0.3928, 0.3745,
              0.4092, 0.3893, 0.3814, 0.4047, 0.3799, 0.3946, 0.365, 0.4092, 0.4116, 0.3984, 0.3771, 0.3732,
              0.3799, 0.3695, 0.359, 0.364, 0.358, 0.365, 0.3707, 0.3672, 0.3511, 0.3672, 0.365, 0.3562]  # fmt: skip
_QIC_P_LCL = [0.045, 0.0619, 0.0687, 0.0569, 0.0654, 0.0676, 0.0654, 0.0482, 0.0774, 0.0555, 0.0399, 0.0582,
              0.0234, 0.0434, 0.0513, 0.028, 0.0527, 0.038, 0.0676, 0.0234, 0.021, 0.0342, 0.0555, 0.0595,
              0.0527, 0.0631, 0.0737, 0.0687, 0.0746, 0.0676, 0.0619, 0.0654, 0.0816, 0.0654, 0.0676, 0.0765]  # fmt: skip


def test_p_chart_varying_denominators_qicharts2() -> None:
    """qicharts2 0.8.1 P chart with a limit per point from its own denominator (36 months,
    n = 40–84), published as PowerBI-SPC test/fixtures/golden/p/basic.qicharts2.json:
    p̄ = 0.2163, 3-sigma limits to 4 decimals."""
    t = spc_table(_QIC_P_NUM, chart="p", denominators=_QIC_P_DEN)
    assert t["centre"].iloc[0] == pytest.approx(0.2163, abs=5e-5)
    np.testing.assert_allclose(t["upper"], _QIC_P_UCL, atol=5e-5 + 1e-12)
    np.testing.assert_allclose(t["lower"], _QIC_P_LCL, atol=5e-5 + 1e-12)
    # Smaller denominator → wider limits.
    assert t["upper"].iloc[20] > t["upper"].iloc[32]


# qicharts2 0.8.1 U chart output (PowerBI-SPC test/fixtures/golden/u/basic.qicharts2.json).
_QIC_U_NUM = [575, 521, 585, 528, 507, 519, 457, 505, 494, 512, 543, 506, 509, 521, 549, 531, 509, 528, 419,
              512, 495, 513, 454, 490]  # fmt: skip
_QIC_U_DEN = [310466.8333, 282346.7917, 309089.7083, 287977.3333, 297743.375, 286988.25, 261120.3333,
              268720.75, 284437.875, 290449.5, 288104.4583, 279961.375, 289803.9583, 275950.5833, 290824.4583,
              285495.75, 282515.2083, 273927.875, 253085.625, 262410.7083, 275529.25, 282405.0833,
              259530.7917, 256235.4583]  # fmt: skip
_QIC_U_UCL = [0.00205349, 0.00206467, 0.00205401, 0.0020623, 0.00205836, 0.00206271, 0.00207428, 0.00207071,
              0.00206378, 0.00206129, 0.00206225, 0.0020657, 0.00206155, 0.00206745, 0.00206113, 0.00206334,
              0.0020646, 0.00206835, 0.00207823, 0.00207366, 0.00206764, 0.00206465, 0.00207505, 0.00207666]  # fmt: skip
_QIC_U_LCL = [0.00159366, 0.00158248, 0.00159314, 0.00158485, 0.00158879, 0.00158444, 0.00157287, 0.00157644,
              0.00158337, 0.00158586, 0.0015849, 0.00158145, 0.0015856, 0.0015797, 0.00158602, 0.00158381,
              0.00158255, 0.0015788, 0.00156892, 0.00157349, 0.00157951, 0.0015825, 0.0015721, 0.00157049]  # fmt: skip


def test_u_chart_varying_denominators_qicharts2() -> None:
    """qicharts2 0.8.1 U chart (24 months), PowerBI-SPC
    test/fixtures/golden/u/basic.qicharts2.json: ū = 0.00182358, limits per point."""
    t = spc_table(_QIC_U_NUM, chart="u", denominators=_QIC_U_DEN)
    assert t["centre"].iloc[0] == pytest.approx(0.00182358, abs=5e-9)
    np.testing.assert_allclose(t["upper"], _QIC_U_UCL, atol=5e-9)
    np.testing.assert_allclose(t["lower"], _QIC_U_LCL, atol=5e-9)


# --------------------------------------------------------------------------- Laney P′ / U′

_PP_UCL = [0.96567, 0.965753, 0.965421, 0.965326, 0.965627, 0.965775, 0.965593, 0.965345, 0.965579, 0.965623,
           0.965689, 0.965591, 0.965996, 0.965961, 0.965753, 0.965877, 0.966012, 0.96583, 0.965713, 0.965824]  # fmt: skip
_PP_UL95 = [0.961413, 0.961469, 0.961247, 0.961184, 0.961384, 0.961483, 0.961362, 0.961197, 0.961353, 0.961382,
            0.961426, 0.961361, 0.961631, 0.961607, 0.961469, 0.961551, 0.961641, 0.96152, 0.961442, 0.961516]  # fmt: skip
_PP_LCL = [0.94013, 0.940046, 0.940378, 0.940473, 0.940173, 0.940025, 0.940207, 0.940454, 0.94022, 0.940177,
           0.940111, 0.940208, 0.939803, 0.939839, 0.940046, 0.939923, 0.939788, 0.939969, 0.940087, 0.939975]  # fmt: skip


def test_laney_p_prime_nhs_accidents() -> None:
    """Laney (2002) P′ chart on the data published by Mohammed et al. (2013, BMJ Qual Saf
    22:362–368; weekly A&E patients seen within 4 h of ~280 000 attendances, qicharts2's
    ``nhs_accidents``). The paper shows the chart but prints no limit values, and we found no
    printed P′ limits for any data set; the expected values come from an independent
    implementation, PowerBI-SPC test/fixtures/golden/pp/basic.qicharts2.json (an R script of
    Laney's formula, σ_z = mean moving range of z / 1.128): p̄ = 0.9529, 3-sigma and 2-sigma
    limits per week to 6 decimals; no point outside. The hand-computed example below checks
    the same formula step by step."""
    t = spc_table(AE_SEEN, chart="pp", denominators=AE_ALL)
    assert t["centre"].iloc[0] == pytest.approx(0.9529, abs=5e-5)
    np.testing.assert_allclose(t["upper"], _PP_UCL, atol=6e-7)
    np.testing.assert_allclose(t["lower"], _PP_LCL, atol=6e-7)
    np.testing.assert_allclose(t["centre"] + 2 * t["sigma"], _PP_UL95, atol=6e-7)
    assert not t["outside"].any()


def test_laney_u_prime_equals_p_prime_limits() -> None:
    """The independent implementation above (PowerBI-SPC test/fixtures/golden/up/
    basic.qicharts2.json, not a printed source) gives the same limits for U′ as for P′ on the
    Mohammed et al. (2013) data: Laney's σ_i·σ_z does not depend on the binomial or Poisson
    scale factor, which cancels in z_i."""
    t = spc_table(AE_SEEN, chart="up", denominators=AE_ALL)
    np.testing.assert_allclose(t["upper"], _PP_UCL, atol=6e-7)
    np.testing.assert_allclose(t["lower"], _PP_LCL, atol=6e-7)


def test_laney_p_prime_hand_computed() -> None:
    """Laney (2002), Quality Engineering 14(4):531–537, worked by hand for four subgroups
    (r = 10, 30, 18, 33 of n = 100, 200, 150, 300):

    - p̄ = 91 / 750 = 0.121333; σ_i = √(p̄(1 − p̄)/n_i) = 0.032651, 0.023088, 0.026660, 0.018851;
    - p_i = 0.10, 0.15, 0.12, 0.11; z_i = (p_i − p̄)/σ_i = −0.653366, 1.241624, −0.050013, −0.601196;
    - moving ranges 1.894990, 1.291637, 0.551183, mean 1.245937; σ_z = 1.245937 / 1.128 = 1.104554;
    - limits p̄ ± 3·σ_i·σ_z: upper 0.229529, 0.197839, 0.209675, 0.183800;
      lower 0.013138, 0.044827, 0.032992, 0.058866.
    """
    t = spc_table([10, 30, 18, 33], chart="pp", denominators=[100, 200, 150, 300])
    assert t["centre"].iloc[0] == pytest.approx(0.121333, abs=5e-7)
    np.testing.assert_allclose(t["upper"], [0.229529, 0.197839, 0.209675, 0.183800], atol=6e-7)
    np.testing.assert_allclose(t["lower"], [0.013138, 0.044827, 0.032992, 0.058866], atol=6e-7)
    assert not t["outside"].any()


def test_plain_p_chart_too_narrow_for_large_denominators() -> None:
    """Mohammed et al. (2013), BMJ Qual Saf 22:362–368 and the qicharts2 vignette ("Prime
    charts"): with ~280 000 attendances a week the P chart flags most weeks (here 16 of 20)
    while P′ and the I chart find common-cause variation only; σ_z ≈ 10.6 ≫ 1."""
    p = spc_table(AE_SEEN, chart="p", denominators=AE_ALL)
    pp = spc_table(AE_SEEN, chart="pp", denominators=AE_ALL)
    i = spc_table(AE_SEEN, chart="i", denominators=AE_ALL)
    assert int(p["outside"].sum()) == 16
    assert int(pp["outside"].sum()) == 0 and int(i["outside"].sum()) == 0
    centre = p["centre"].iloc[0]
    sigma_z = laney_sigma_z(p["value"].to_numpy(), centre, p["sigma"].to_numpy())
    assert sigma_z == pytest.approx(10.6404, abs=1e-4)
    np.testing.assert_allclose(pp["sigma"], p["sigma"] * sigma_z)


# --------------------------------------------------------------------------- rules


def test_runs_analysis_stable_run_chart_qicharts2_fixture() -> None:
    """qicharts2 0.8.1 run chart (PowerBI-SPC test/fixtures/golden/run/basic.qicharts2.json):
    median 14. Three points lie on the median and are ignored, so n = 15 useful points,
    longest run 2 (max 7), 12 crossings (min 4): a stable series, no signal."""
    y = [12, 15, 11, 18, 14, 13, 16, 19, 12, 14, 17, 11, 15, 13, 16, 18, 12, 14]
    t = spc_table(y, chart="run")
    s = spc_summary(y, chart="run")
    assert t["centre"].iloc[0] == 14
    assert (s["n_useful"], s["longest_run"], s["longest_run_max"]) == (15, 2, 7)
    assert (s["crossings"], s["crossings_min"]) == (12, 4)
    assert not s["run_signal"] and not t["special_cause"].any()
    assert s["variation"] == "common_cause"
    assert t["lower"].isna().all() and not t["outside"].any()


def test_stable_series_not_flagged_by_any_rule() -> None:
    """Montgomery Example 7.1, samples 31–54 (qcc orangejuice2 trial data): in control per qcc.
    No rule of either set fires: 24 useful points, longest run 3 (max 8), 15 crossings (min 8)."""
    for rules in ("anhoej", "nhs", "both"):
        t = spc_table(OJ_AFTER, chart="p", denominators=[50] * 24, rules=rules)
        assert not t["special_cause"].any(), rules
    s = spc_summary(OJ_AFTER, chart="p", denominators=[50] * 24, rules="both")
    assert (s["longest_run"], s["longest_run_max"], s["crossings"], s["crossings_min"]) == (3, 8, 15, 8)
    assert s["variation"] == "common_cause"


def test_shift_flagged_after_frozen_baseline() -> None:
    """A shift must be flagged. Montgomery Example 7.1: after the adjustment the fraction
    nonconforming fell from 0.215 to about 0.11. With the revised limits of samples 1–30
    frozen, samples 34–54 form one run of 21 below the centre line (> 9 allowed for n = 52)
    with 15 crossings (min 20): Anhøj signal; as lower is better, an improvement. Sample 41
    (2/50 = 0.04) is below the frozen LCL 0.0407."""
    t = spc_table(
        OJ_TRIAL + OJ_AFTER,
        chart="p",
        denominators=[50] * 54,
        freeze=30,
        exclude=[14, 22],
        improvement="decrease",
    )
    assert t["upper"].nunique() == 1 and t["upper"].iloc[-1] == pytest.approx(0.3892972, abs=5e-8)
    assert t["baseline"].sum() == 28 and not t["baseline"].iloc[30:].any()
    s = spc_summary(
        OJ_TRIAL + OJ_AFTER,
        chart="p",
        denominators=[50] * 54,
        freeze=30,
        exclude=[14, 22],
        improvement="decrease",
    )
    assert s["n_useful"] == 52 and s["longest_run"] == 21 and s["longest_run_max"] == 9
    assert s["crossings"] == 15 and s["crossings_min"] == 20 and s["run_signal"]
    assert list(np.flatnonzero(t["long_run"]) + 1) == list(range(34, 55))
    assert set(t["point_type"].iloc[33:]) == {"special_improvement"}
    assert list(np.flatnonzero(t["outside"]) + 1) == [21, 41]
    assert s["variation"] == "special_cause_improvement_low"
    # Sample 21 (0.40) is above the frozen UCL: with lower-is-better a concern.
    assert t.loc[20, "point_type"] == "special_concern"


def test_shift_flagged_by_making_data_count_rule() -> None:
    """NHS England, Making Data Count (2019): 7 points in a row on one side of the mean is a
    shift. Here 8 points above the mean inside otherwise alternating data."""
    y = [5, 3, 5, 3, 5, 3, 6, 6, 6, 6, 6, 6, 6, 6, 3, 5, 3, 5, 3, 5]
    t = spc_table(y, chart="i", rules="nhs")
    assert list(np.flatnonzero(t["shift"])) == list(range(6, 14))
    assert list(np.flatnonzero(t["special_cause"])) == list(range(6, 14))
    assert set(t["point_type"].iloc[6:14]) == {"special_improvement"}


def test_trend_flagged_and_signal_direction() -> None:
    """NHS England, Making Data Count (2019): 7 points in a row rising (or falling) is a
    trend. A trend-only point takes the trend's direction: rising with lower-is-better is a
    concern even where the points are still below the mean."""
    y = [9, 11] * 4 + [9.1, 9.3, 9.5, 9.7, 9.9, 10.1, 10.3] + [9, 11, 9, 11, 9]
    t = spc_table(y, chart="i", rules="nhs", improvement="decrease")
    assert list(np.flatnonzero(t["trend"])) == list(range(8, 15))
    assert list(np.flatnonzero(t["special_cause"])) == list(range(8, 15))
    assert t.loc[9, "value"] < t.loc[9, "centre"]
    assert set(t["point_type"].iloc[8:15]) == {"special_concern"}
    assert set(t["signal_side"].iloc[8:15]) == {"high"}
    # The default Anhøj rules do not test for trends (Anhøj 2015) and stay quiet here.
    assert not spc_table(y, chart="i", improvement="decrease")["special_cause"].any()


def test_long_trend_flagged_by_anhoej_rules() -> None:
    """Anhøj & Olesen (2014): a steady trend shows as a long run and few crossings on a run
    chart. 1 … 20: runs of 10 below and 10 above the median 10.5 (max 7), 1 crossing (min 6)."""
    s = spc_summary(list(range(1, 21)), chart="run")
    assert (s["longest_run"], s["longest_run_max"], s["crossings"], s["crossings_min"]) == (10, 7, 1, 6)
    assert s["run_signal"] and s["variation"] == "special_cause_improvement_high"


def test_shift_points_nhsrplotthedots_cases() -> None:
    """NHSRplotthedots tests/testthat/test-ptd_calculate_point_type.R
    (ptd_seven_point_one_side_mean + ptd_part_of_seven_trend)."""
    assert not shift_points(np.ones(6)).any()
    assert not shift_points(np.array([1, 1, 1, 1, 1, 1, -1])).any()
    assert list(shift_points(np.array([1] * 8 + [-1]))) == [True] * 8 + [False]
    assert list(shift_points(np.array([-1] + [1] * 8 + [-1]))) == [False] + [True] * 8 + [False]
    assert list(shift_points(np.array([1, 1, 1, 0, 1, 1, 1, 1]))) == [False] * 8


def test_trend_points_nhsrplotthedots_cases() -> None:
    """NHSRplotthedots tests/testthat/test-ptd_calculate_point_type.R (ptd_seven_point_trend)."""
    assert not trend_points(np.arange(1, 7))[0].any()
    assert not trend_points(np.array([1, 2, 3, 3, 4, 5, 6]))[0].any()
    flag, direction = trend_points(np.arange(1, 8))
    assert flag.all() and set(direction) == {1}
    flag, direction = trend_points(np.array([2, 1, 2, 3, 4, 5, 6, 7, 3]))
    assert list(flag) == [False] + [True] * 7 + [False]
    flag, direction = trend_points(np.array([2, 7, 6, 5, 4, 3, 2, 1, 3]))
    assert list(flag) == [False] + [True] * 7 + [False] and direction[1] == -1


@pytest.mark.parametrize(
    ("close", "expected"),
    [
        ([1, 0, 1], [1, 0, 1]),
        ([0, 1, 1], [0, 1, 1]),
        ([1, 1, 0], [1, 1, 0]),
        ([0, 0, 1, 0, 1, 0, 0], [0, 0, 1, 0, 1, 0, 0]),
        ([0, 0, 1, 1, 0, 0, 0], [0, 0, 1, 1, 0, 0, 0]),
        ([1, 0, 0, 1], [0, 0, 0, 0]),
        ([1, 0, 0, 1, 1], [0, 0, 0, 1, 1]),
    ],
)
def test_two_in_three_nhsrplotthedots_cases(close: list[int], expected: list[int]) -> None:
    """NHSRplotthedots tests/testthat/test-ptd_calculate_point_type.R (ptd_part_of_two_in_three):
    centre 0, σ 1, limits ±3; a "close" point is 2.5 (beyond 2σ), the others 0.5 (same side)."""
    v = np.where(np.array(close) == 1, 2.5, 0.5)
    n = v.size
    got = two_in_three_points(v, 0.0, np.ones(n), np.full(n, -3.0), np.full(n, 3.0))
    assert list(got.astype(int)) == expected


def test_two_in_three_needs_one_side() -> None:
    """Making Data Count (2019) via NHSRplotthedots: all three points on the same side of the
    mean; a point outside the limits is not "close" (the outside rule flags it)."""
    n = 3
    args = (0.0, np.ones(n), np.full(n, -3.0), np.full(n, 3.0))
    assert not two_in_three_points(np.array([2.5, -0.5, 2.5]), *args).any()
    assert not two_in_three_points(np.array([2.5, 3.5, 0.5]), *args).any()
    assert two_in_three_points(np.array([-2.5, -0.5, -2.5]), *args).sum() == 2


def test_two_in_three_on_a_control_chart() -> None:
    """Western Electric (1956) / Making Data Count: two of three beyond 2σ on one side.
    Baseline 10, 11, … (mean 10.5, AMR 1, σ = 2.66/3, UCL 13.16); then 12.8, 11, 12.8: the two
    points beyond 2σ (12.27) but inside the UCL are flagged."""
    y = [10.0, 11.0] * 6 + [10.0, 12.8, 11.0, 12.8, 10.0, 11.0]
    t = spc_table(y, chart="i", rules="nhs", freeze=12)
    assert t["sigma"].iloc[0] == pytest.approx(2.66 / 3)
    assert t["upper"].iloc[0] == pytest.approx(10.5 + 2.66)
    assert list(np.flatnonzero(t["two_in_three"])) == [13, 15]
    assert list(np.flatnonzero(t["special_cause"])) == [13, 15] and not t["outside"].any()
    # Not part of the default rules.
    assert not spc_table(y, chart="i", freeze=12)["special_cause"].any()


def test_runs_analysis_ignores_points_on_centre() -> None:
    """Anhøj & Olesen (2014): points on the centre line neither break nor add to a run."""
    r = runs_analysis(np.array([1, 1, 0, 1, -1, 0, -1]), 0.0)
    assert (r["n_useful"], r["longest_run"], r["crossings"]) == (5, 3, 1)


# --------------------------------------------------------------------------- baseline, phases, exclusion


def test_provisional_limits_below_twelve_points() -> None:
    """NHSRplotthedots ptd_add_short_group_warnings / Making Data Count: limits from fewer
    than 12 points are provisional."""
    y = list(np.tile([3.0, 4.0, 5.0, 4.0], 6))
    t = spc_table(y, chart="i", phases=[13], extend_short_phases=False)
    assert not t[t["phase"] == 1]["provisional"].any() and t[t["phase"] == 2]["provisional"].all()
    assert list(t["limits_phase"]) == list(t["phase"])
    assert spc_table(y[:12], chart="i")["provisional"].sum() == 0
    assert spc_table(y[:11], chart="i")["provisional"].all()
    assert spc_table(y, chart="i", freeze=8)["provisional"].all()


def test_phases_have_their_own_limits_and_runs_analysis() -> None:
    """Each phase (PDSA change) gets its own centre, limits and Anhøj analysis (qicharts2
    ``part``, NHSRplotthedots ``rebase``). The XmR example twice, the second shifted by +10."""
    y = XMR_EXAMPLE + [v + 10 for v in XMR_EXAMPLE]
    t = spc_table(y, chart="i", phases=[18])
    assert t.loc[0, "centre"] == pytest.approx(35 / 18) and t.loc[18, "centre"] == pytest.approx(35 / 18 + 10)
    assert t.loc[18, "upper"] == pytest.approx(4.604444 + 10, abs=1e-5)
    assert list(np.flatnonzero(t["outside"])) == [4, 22]
    assert not t["run_signal"].any()
    assert spc_summary(y, chart="i", phases=[18])["phase"] == 2
    # Without the phase the shift is a runs signal.
    assert spc_summary(y, chart="i")["run_signal"]


def test_phase_starts_from_dates() -> None:
    """PDSA change dates → phase start positions (first point on or after the date)."""
    d = pd.date_range("2024-01-01", periods=12, freq="MS")
    assert phase_starts_from_dates(d, ["2024-04-01", "2024-07-15", "2023-01-01", "2030-01-01"]) == [3, 7]


def test_missing_values_are_not_used() -> None:
    """A missing value (NaN, or a zero denominator) is shown as missing and not used."""
    t = spc_table([5, 6, np.nan, 5, 6], chart="i")
    assert t.loc[2, "point_type"] == "missing" and not t.loc[2, "baseline"]
    assert t.loc[0, "centre"] == pytest.approx(5.5)
    t = spc_table([1, 2, 0], chart="p", denominators=[10, 10, 0])
    assert np.isnan(t.loc[2, "value"]) and t.loc[0, "centre"] == pytest.approx(0.15)


# --------------------------------------------------------------------------- icons


@pytest.mark.parametrize(
    ("improvement", "expected"),
    [
        ("increase", ["consistently_fail", "consistently_pass", "hit_and_miss"]),
        ("decrease", ["consistently_pass", "consistently_fail", "hit_and_miss"]),
        ("neither", ["not_assessable"] * 3),
    ],
)
def test_assurance_nhsrplotthedots_cases(improvement: str, expected: list[str]) -> None:
    """NHSRplotthedots tests/testthat/test-ptd_calculate_assurance_type.R: limits (1, 3),
    (5, 7), (1, 5) with target 4."""
    got = [
        assurance_type(lower=lo, upper=up, target=4.0, improvement=improvement)
        for lo, up in [(1, 3), (5, 7), (1, 5)]
    ]
    assert got == expected
    assert assurance_type(lower=1, upper=3, target=None, improvement=improvement) == "no_target"


@pytest.mark.parametrize(
    ("special", "side", "improvement", "code"),
    [
        (False, 1, "increase", "common_cause"),
        (True, 1, "increase", "special_cause_improvement_high"),
        (True, -1, "increase", "special_cause_concern_low"),
        (True, 1, "decrease", "special_cause_concern_high"),
        (True, -1, "decrease", "special_cause_improvement_low"),
        (True, 1, "neither", "special_cause_neither_high"),
        (True, -1, "neither", "special_cause_neither_low"),
    ],
)
def test_variation_icon_codes(special: bool, side: int, improvement: str, code: str) -> None:
    """NHS England, Making Data Count (2019) variation icons; NHSRplotthedots geom_ptd_icon:
    improvement high for "increase", low for "decrease"; purple (neither) without direction."""
    assert variation_type(special=special, side=side, improvement=improvement) == code
    assert code in spc.VARIATION_LABELS_SV


def test_summary_icons_for_orange_juice_phases() -> None:
    """Montgomery Example 7.1 with the PDSA phase (limits 0–0.2440 after the adjustment,
    qcc orangejuice2): a "≤ 30 %" target (lower is better) is above the UCL → always met;
    "≤ 0 %" is at the LCL → hit and miss; a 10 % floor with higher-is-better → hit and miss."""
    kw = {"chart": "p", "denominators": [50] * 54, "phases": [30], "exclude": [14, 22]}
    s = spc_summary(OJ_TRIAL + OJ_AFTER, improvement="decrease", target=0.30, **kw)
    assert s["assurance"] == "consistently_pass" and s["assurance_label"] == "Målet nås sannolikt alltid"
    assert s["upper"] == pytest.approx(0.2440207, abs=5e-8) and s["lower"] == 0.0
    assert (
        spc_summary(OJ_TRIAL + OJ_AFTER, improvement="decrease", target=0.0, **kw)["assurance"]
        == "hit_and_miss"
    )
    assert spc_summary(OJ_TRIAL + OJ_AFTER, improvement="increase", target=0.30, **kw)["assurance"] == (
        "consistently_fail"
    )
    assert spc_summary(OJ_TRIAL + OJ_AFTER, improvement="decrease", **kw)["assurance"] == "no_target"
    assert spc_summary(OJ_AFTER, chart="run", target=0.1)["assurance"] == "not_assessable"


def test_summary_keys_and_last_phase() -> None:
    """spc_summary reports the last phase with at least the keys of issue 5."""
    s = spc_summary(XMR_EXAMPLE + XMR_EXAMPLE, chart="i", phases=[18], target=3.0)
    for key in ("longest_run", "longest_run_max", "crossings", "crossings_min", "variation", "assurance"):
        assert key in s
    assert s["phase"] == 2 and s["n_points"] == 18
    assert s["variation"] == "common_cause" and s["assurance"] == "hit_and_miss"
    assert isinstance(s["centre"], float) and isinstance(s["longest_run"], int)


def test_labels_cover_all_codes() -> None:
    """Every variation and assurance code has a Swedish label."""
    assert set(spc.VARIATION_LABELS_SV) == set(spc.VARIATION_CODES)
    assert set(spc.ASSURANCE_LABELS_SV) == set(spc.ASSURANCE_CODES)
    assert spc.VARIATION_LABELS_SV["common_cause"] == "Vanlig variation"
    assert spc.ASSURANCE_LABELS_SV["hit_and_miss"] == "Målet nås ibland"


# --------------------------------------------------------------------------- API


REQUIRED_COLUMNS = [
    "value", "centre", "lower", "upper", "phase", "outside", "run_signal", "special_cause",
    "x", "date", "excluded", "exclude_reason", "chart", "sigma", "provisional", "point_type", "target",
]  # fmt: skip


def test_api_columns_attrs_and_input_types() -> None:
    """Issue 5 API: one row per point, the fixed columns, options in attrs; a list, a numpy
    array and a Series give the same numbers."""
    a = spc_table(XMR_EXAMPLE, chart="i", target=2.5)
    b = spc_table(np.array(XMR_EXAMPLE), chart="i", target=2.5)
    c = spc_table(pd.Series(XMR_EXAMPLE), chart="i", target=2.5)
    assert len(a) == 18 and set(REQUIRED_COLUMNS) <= set(a.columns)
    for other in (b, c):
        pd.testing.assert_frame_equal(a, other)
    assert list(a["x"]) == list(range(1, 19)) and a["date"].isna().all()
    assert (a["chart"] == "i").all() and (a["target"] == 2.5).all()
    assert a.attrs["spc_options"] == {
        "chart": "i",
        "improvement": "increase",
        "target": 2.5,
        "freeze": None,
        "phases": [],
        "exclude": {},
        "rules": "anhoej",
        "screen": True,
        "extend_short_phases": True,
    }


def test_dates_are_kept() -> None:
    """A Series with a DatetimeIndex (or ``dates=``) keeps its dates in ``x`` and ``date``."""
    d = pd.date_range("2025-01-01", periods=18, freq="MS")
    t = spc_table(pd.Series(XMR_EXAMPLE, index=d), chart="i")
    assert list(t["date"]) == list(d) and list(t["x"]) == list(d)
    t2 = spc_table(XMR_EXAMPLE, chart="i", dates=d)
    assert list(t2["date"]) == list(d)


def test_proportions_and_rates_are_clipped() -> None:
    """Issue 5: lower limits of proportions and rates clipped at 0, upper of proportions at 1."""
    t = spc_table([0, 1, 0, 9, 10], chart="p", denominators=[10] * 5)
    assert (t["lower"] >= 0).all() and (t["upper"] <= 1).all()
    assert t["centre"].iloc[0] == pytest.approx(0.4)
    u = spc_table([0, 1, 0, 2], chart="u", denominators=[2, 2, 2, 2])
    assert (u["lower"] == 0).all() and (u["upper"] > 1).any()


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 60), st.integers(1, 60)), min_size=2, max_size=30),
    st.sampled_from(["p", "pp", "u", "up"]),
)
def test_invariants_attribute_charts(pairs: list[tuple[int, int]], chart: str) -> None:
    """Invariants (style guide): lower ≤ centre ≤ upper; for proportions 0 ≤ p ≤ 1."""
    num = [min(a, b) for a, b in pairs]
    den = [b for _, b in pairs]
    t = spc_table(num, chart=chart, denominators=den)
    ok = t["lower"].notna()
    assert (t.loc[ok, "lower"] <= t.loc[ok, "centre"] + 1e-12).all()
    assert (t.loc[ok, "centre"] <= t.loc[ok, "upper"] + 1e-12).all()
    assert (t.loc[ok, "lower"] >= 0).all()
    if chart in ("p", "pp"):
        assert ((t["value"] >= 0) & (t["value"] <= 1)).all() and (t.loc[ok, "upper"] <= 1).all()
    assert t["outside"].sum() <= len(t)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"chart": "c"}, "chart must be one of"),
        ({"chart": "i", "improvement": "up"}, "improvement must be one of"),
        ({"chart": "i", "rules": "we"}, "rules must be one of"),
        ({"chart": "p"}, "denominators are required"),
        ({"chart": "i", "phases": [0]}, "phases must be positions between 1 and 17"),
        ({"chart": "i", "phases": [9, 5]}, "strictly increasing"),
        ({"chart": "i", "freeze": 30}, "freeze must be between 1 and the length of the first phase (18)"),
        ({"chart": "i", "phases": [6], "freeze": 8}, "first phase (6)"),
        ({"chart": "i", "exclude": [18]}, "exclude positions must be between 0 and 17"),
        ({"chart": "i", "target": "högt"}, "target must be a number"),
        ({"chart": "i", "denominators": [1, 2]}, "denominators must have the same length"),
    ],
)
def test_validation_messages_name_the_field(kwargs: dict, message: str) -> None:
    """Validate once at the boundary with messages naming the field and allowed values."""
    with pytest.raises(ValueError) as err:
        spc_table(XMR_EXAMPLE, **kwargs)
    assert message in str(err.value)


def test_numerators_must_not_exceed_denominators() -> None:
    """A proportion above 1 is a data error, not a signal."""
    with pytest.raises(ValueError, match="must not exceed denominators"):
        spc_table([5, 11], chart="p", denominators=[10, 10])


# --------------------------------------------------------------------------- default chart


@pytest.mark.parametrize(
    ("unit", "chart"),
    [
        ("%", "p"),
        ("per 1 000 inv. 80+ och år", "up"),
        ("dagar per 1 000 inv. 75+ och år", "up"),
        ("per 1 000 inv. 75+", "up"),
        ("timmar", "i"),
        ("antal", "i"),
        ("poäng", "run"),
    ],
)
def test_default_chart_per_registry_unit(unit: str, chart: str) -> None:
    """Units of /work/shared/spec/indicators.md → default chart (documented in docs/spc.md)."""
    assert default_chart(unit) == chart


def test_recommend_chart_switches_to_laney_for_large_denominators() -> None:
    """qicharts2 vignette ("Prime charts"): above ~1 000 per subgroup use P′ / U′."""
    assert recommend_chart("%", [120, 300, 80]) == "p"
    assert recommend_chart("%", AE_ALL) == "pp"
    assert recommend_chart("%") == "p"
    assert recommend_chart("timmar", AE_ALL) == "i"


def test_improvement_from_registry_direction() -> None:
    """Registry ``better``: higher → increase, lower → decrease."""
    assert improvement_from_direction("higher") == "increase"
    assert improvement_from_direction("lower") == "decrease"
    assert improvement_from_direction(None) == "neither"
    with pytest.raises(ValueError, match="direction must be"):
        improvement_from_direction("bättre")
