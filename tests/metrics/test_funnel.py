"""Funnel limits against hand-checked binomial/Poisson quantiles (Spiegelhalter 2005)."""

from __future__ import annotations

import numpy as np
from scipy import stats

from metrics.funnel import classify, funnel_frame, proportion_limits, rate_limits


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
