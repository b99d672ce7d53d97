"""Funnel limits against hand-checked binomial/Poisson quantiles (Spiegelhalter 2005)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from data_access.files import read_directory
from metrics.compare import comparison_rows, funnel_data
from metrics.compute import compute_grains
from metrics.funnel import classify, funnel_frame, proportion_limits, rate_limits
from metrics.registry import INDICATORS


def test_large_n_proportion_limits_approach_normal_approximation():
    """For n = 10 000, p = 0.2 the exact limits are within 0.001 of p ± z·√(p(1−p)/n)."""
    lo, hi = proportion_limits(0.2, [10_000], 0.95)
    se = np.sqrt(0.2 * 0.8 / 10_000)
    assert abs(lo[0] - (0.2 - 1.959964 * se)) < 1e-3
    assert abs(hi[0] - (0.2 + 1.959964 * se)) < 1e-3
    lo, hi = proportion_limits(0.2, [10_000], 0.998)
    assert abs(hi[0] - (0.2 + 3.090232 * se)) < 1e-3


def test_interpolation_lies_between_discrete_quantiles():
    """Spiegelhalter A.1: the limit lies in (r_p − 1, r_p] / n."""
    n, p = 50, 0.15
    r = stats.binom(n, p).ppf(0.975)
    _, hi = proportion_limits(p, [n], 0.95)
    assert (r - 1) / n < hi[0] <= r / n


def test_rate_limits_for_zero_centre_and_known_case():
    lo, hi = rate_limits(0.5, [100.0], 0.95)  # expected 50 events
    assert 0.36 < lo[0] < 0.37 and 0.63 < hi[0] < 0.65  # 50 ± 1.96·√50 ≈ 36.1 … 63.9


def test_funnel_narrows_with_n_and_orders_levels():
    f = funnel_frame("proportion", 0.3, 5_000)
    assert (f["upper_998"] >= f["upper_95"]).all() and (f["lower_998"] <= f["lower_95"]).all()
    width = f["upper_95"] - f["lower_95"]
    assert width.iloc[-1] < width.iloc[len(f) // 2] < width.iloc[5]


def test_classify_units():
    result = classify("proportion", 0.2, [20, 60, 40, 5], [100, 200, 100, 100])
    assert result == ["inom gränserna", "över 99,8 %-gränsen", "över 99,8 %-gränsen", "under 99,8 %-gränsen"]
    # n = 100: 95 % upper ≈ 0.2 + 1.96·0.04 = 0.278, 99.8 % upper ≈ 0.2 + 3.09·0.04 = 0.324
    assert classify("proportion", 0.2, [29, 27], [100, 100]) == ["över 95 %-gränsen", "inom gränserna"]


# --------------------------------------------------------------------------- the grid spans the points (issue 17)


def _rows(indicator_id: str, period: str, numerators, denominators, total: tuple[float, float]) -> pd.DataFrame:
    """comparison_rows input: one row per municipality and the area (ALL); value = numerator/denominator."""
    codes = [f"14{i:02d}" for i in range(len(numerators))] + ["ALL"]
    num = [*numerators, total[0]]
    den = [*denominators, total[1]]
    return pd.DataFrame(
        {
            "indicator_id": indicator_id,
            "municipality_code": codes,
            "sex": "T",
            "period": period,
            "numerator": np.asarray(num, dtype=float),
            "denominator": np.asarray(den, dtype=float),
            "value": np.asarray(num, dtype=float) / np.asarray(den, dtype=float),
            "status": "ok",
        }
    )


def test_monthly_rate_funnel_spans_exposures_far_below_one():
    """ED visits 80+ per 1 000 person-years in a month: 480 inhabitants = 480/12/1 000 = 0.04 thousand
    person-years, 6 360 = 0.53. The old grid started at 1.0, right of every point."""
    ind = INDICATORS["ed_visits_80_per_1000"]
    rows = comparison_rows(
        _rows(ind.id, "2025-03", [20, 90, 260], [480, 2_400, 6_360], total=(370, 9_240)), ind, period="2025-03"
    )
    parts = rows[rows["municipality_code"] != "ALL"]
    assert parts["funnel_n"].tolist() == pytest.approx([0.04, 0.2, 0.53])
    limits, centre, scale = funnel_data(rows, ind)
    assert centre == pytest.approx(370 / (9_240 / 12 / 1000)) and scale == 1.0  # ≈ 480.5 per 1 000 person-years
    assert limits["n"].min() <= 0.04 and limits["n"].max() >= 0.53
    values = limits.drop(columns="n").to_numpy()
    assert np.isfinite(values).all() and (values >= 0).all()
    assert (limits["upper_998"] >= limits["upper_95"]).all() and (limits["lower_998"] <= limits["lower_95"]).all()
    # at 0.04 thousand person-years about 19 visits are expected: the 95 % upper limit lies in ((r − 1)/e, r/e]
    lo, hi = rate_limits(centre, [0.04], 0.95)
    r = stats.poisson(centre * 0.04).ppf(0.975)
    assert (r - 1) / 0.04 < hi[0] <= r / 0.04 and 0 < lo[0] < centre < hi[0]
    assert all(parts["funnel"] != "")


def test_rate_limits_stay_finite_and_non_negative_at_tiny_expected_counts():
    """Where well under one event is expected the A.1 interpolation of the upper quantile r = 0 is negative
    (0 − α); a limit below 0 is meaningless for a rate, so both limits are clipped at 0."""
    lo, hi = rate_limits(0.0, [0.02, 1.0], 0.95)
    assert lo.tolist() == [0.0, 0.0] and hi.tolist() == [0.0, 0.0]
    f = funnel_frame("rate", 0.5, 0.53, n_min=0.02)  # 0.01 … 0.27 events expected
    assert f["n"].min() == pytest.approx(0.02) and f["n"].max() >= 0.53
    values = f.drop(columns="n").to_numpy()
    assert np.isfinite(values).all() and (values >= 0).all()


def test_proportion_funnel_spans_3_to_400_on_whole_denominators():
    """Binomial limits need a whole n ≥ 1: the grid runs over whole numbers from below n = 3 (3 × 0.8 = 2.4,
    rounded down to 2) to beyond 400, and never below 1."""
    ind = INDICATORS["readmission_30d_65"]
    rows = comparison_rows(_rows(ind.id, "2025", [1, 12, 60], [3, 50, 400], total=(73, 453)), ind, period="2025")
    limits, centre, scale = funnel_data(rows, ind)
    assert centre == pytest.approx(73 / 453) and scale == 100.0
    n = limits["n"]
    assert n.min() == 2 and n.max() >= 400
    assert (n == n.round()).all(), "binomial denominators are whole numbers"
    assert np.isfinite(limits.to_numpy()).all()
    assert ((limits.drop(columns="n") >= 0) & (limits.drop(columns="n") <= 1)).all().all()
    # n = 400, p ≈ 0.161: the 95 % limits are close to p ± 1.96·√(p(1−p)/400) = p ± 0.036
    at_400 = proportion_limits(centre, [400], 0.95)
    se = np.sqrt(centre * (1 - centre) / 400)
    assert abs(at_400[0][0] - (centre - 1.959964 * se)) < 0.005
    assert abs(at_400[1][0] - (centre + 1.959964 * se)) < 0.005
    floor = funnel_frame("proportion", centre, 400, n_min=0.5)["n"]
    assert floor.min() == 1 and (floor == floor.round()).all()


@pytest.fixture(scope="module")
def sample_ed_visits() -> dict[str, pd.DataFrame]:
    frames = read_directory(Path(__file__).resolve().parents[2] / "sample_data" / "default")
    return compute_grains(frames, periods=("month", "quarter", "year"), indicators=["ed_visits_80_per_1000"])


@pytest.mark.parametrize("grain", ["month", "quarter", "year"])
def test_sample_data_funnel_covers_every_plotted_point(sample_ed_visits, grain):
    """ED visits 80+ in the sample data: monthly exposures 0.04–0.53, quarterly 0.13–1.6, yearly 0.5–6.1
    thousand person-years; every point drawn has limits around it."""
    ind = INDICATORS["ed_visits_80_per_1000"]
    table = sample_ed_visits[grain]
    periods = sorted(table.loc[table["status"] == "ok", "period"].unique())
    assert periods
    for period in periods:
        rows = comparison_rows(table, ind, period=period)
        funnel = funnel_data(rows, ind)
        assert funnel is not None, period
        limits = funnel[0]
        plotted = rows[(rows["municipality_code"] != "ALL") & rows["value"].notna()]
        assert len(plotted), period
        inside = plotted["funnel_n"].between(limits["n"].min(), limits["n"].max())
        assert inside.all(), (period, plotted.loc[~inside, ["municipality_code", "funnel_n"]].to_dict("records"))
        assert np.isfinite(limits.to_numpy()).all(), period
