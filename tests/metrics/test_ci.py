"""Confidence intervals against published reference values."""

import numpy as np
import pytest

from metrics import ci


@pytest.mark.parametrize(
    ("x", "n", "low", "high"),
    [
        # Newcombe 1998, Stat Med 17:857, Table I, method 3 (Wilson score, no continuity correction)
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (29, 29, 0.8830, 1.0),
    ],
)
def test_wilson_matches_newcombe_1998(x, n, low, high):
    lo, hi = ci.wilson(x, n)
    assert lo == pytest.approx(low, abs=5e-5)
    assert hi == pytest.approx(high, abs=5e-5)


def test_wilson_is_vectorised_and_nan_for_empty_denominator():
    lo, hi = ci.wilson(np.array([81, 0, 0]), np.array([263, 20, 0]))
    assert lo[:2] == pytest.approx([0.2553, 0.0], abs=5e-5)
    assert hi[:2] == pytest.approx([0.3662, 0.1611], abs=5e-5)
    assert np.isnan(lo[2]) and np.isnan(hi[2])


def test_wilson_rejects_x_above_n():
    with pytest.raises(ValueError):
        ci.wilson(5, 4)


def test_wilson_99_percent_is_wider():
    lo95, hi95 = ci.wilson(81, 263)
    lo99, hi99 = ci.wilson(81, 263, confidence=0.99)
    assert lo99 < lo95 and hi99 > hi95


@pytest.mark.parametrize(
    ("x", "low", "high"),
    [
        # Garwood 1936 / exact Poisson tables (e.g. Ulm 1990): 0 → 0–3.689, 10 → 4.795–18.39
        (0, 0.0, 3.689),
        (1, 0.0253, 5.572),
        (10, 4.795, 18.39),
    ],
)
def test_garwood_reference_values(x, low, high):
    lo, hi = ci.garwood(x)
    assert lo == pytest.approx(low, abs=5e-4)
    assert hi == pytest.approx(high, abs=5e-3)


def test_garwood_vectorised():
    lo, hi = ci.garwood(np.array([0.0, 10.0]))
    assert lo == pytest.approx([0.0, 4.795], abs=5e-4)
    assert hi == pytest.approx([3.689, 18.39], abs=5e-3)


@pytest.mark.parametrize(
    ("n", "ranks"),
    [
        # Conover 1999 §3.2 / Hahn & Meeker 1991 Table A.15 (95 %, two-sided)
        (5, (0, 0)),  # 2·0.5^5 = 0.0625 > 0.05: no interval
        (6, (1, 6)),  # coverage 1 − 2/64 = 0.969
        (10, (2, 9)),  # coverage 1 − 2·11/1024 = 0.979
        (20, (6, 15)),  # coverage 0.959
        (100, (40, 61)),  # coverage 0.965
    ],
)
def test_median_ci_ranks(n, ranks):
    assert ci.median_ci_ranks(n) == ranks


def test_median_ci_ranks_vectorised():
    r, s = ci.median_ci_ranks(np.array([0, 5, 10]))
    assert r.tolist() == [0, 0, 2] and s.tolist() == [0, 0, 9]


def test_median_ci_values():
    # values 1…10: ranks (2, 9) → (2, 9); unordered input and NaN are handled
    assert ci.median_ci([10, 9, 8, 7, 6, 5, 4, 3, 2, 1, np.nan]) == (2.0, 9.0)
    lo, hi = ci.median_ci([1, 2, 3])
    assert np.isnan(lo) and np.isnan(hi)


def test_confidence_must_be_a_fraction():
    with pytest.raises(ValueError):
        ci.wilson(1, 2, confidence=95)
