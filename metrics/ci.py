"""Confidence intervals: one small named function per method, each citing its source.

All functions take counts (or values) and a two-sided ``confidence`` level and
return ``(lower, upper)``. :func:`wilson` and :func:`garwood` are vectorised:
they accept scalars or arrays and return arrays of the broadcast shape (or
floats for scalar input). :func:`median_ci` works on one sample;
:func:`median_ci_ranks` gives the order-statistic ranks for many sample sizes
at once, which is what the indicator code uses.

An undefined interval (``n = 0``, a sample too small for the chosen level) is
``NaN``, never a made-up bound.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

# Human-readable descriptions, shown by the registry / UI / docs.
METHODS: dict[str, str] = {
    "wilson": (
        "Wilsons scoreintervall (utan kontinuitetskorrektion) för andelar; "
        "Wilson 1927, JASA 22:209–212; Newcombe 1998, Stat Med 17:857–872 (metod 3)."
    ),
    "garwood": (
        "Exakt Poissonintervall (Garwood) för antal och kvoter, via chi²-fördelningen; "
        "Garwood 1936, Biometrika 28:437–442; Ulm 1990, Am J Epidemiol 131:373–375."
    ),
    "order_statistic": (
        "Fördelningsfritt intervall för medianen ur ordningsstatistikor (binomialfördelningen med p = 0,5); "
        "Conover 1999, Practical Nonparametric Statistics, 3 uppl., avsnitt 3.2; "
        "Hahn & Meeker 1991, Statistical Intervals, avsnitt 5.2."
    ),
}


def _alpha(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence!r}")
    return 1.0 - confidence


def _out(a: np.ndarray, scalar: bool):
    return float(a) if scalar else a


def wilson(x, n, confidence: float = 0.95):
    """Wilson score interval for a binomial proportion x/n, as fractions 0–1.

    ``p̂ = x/n``, ``z = Φ⁻¹(1 − α/2)``::

        centre = (p̂ + z²/2n) / (1 + z²/n)
        half   = z / (1 + z²/n) · sqrt(p̂(1 − p̂)/n + z²/4n²)

    Sources: E. B. Wilson (1927), "Probable inference, the law of succession,
    and statistical inference", JASA 22:209–212; R. G. Newcombe (1998), "Two-
    sided confidence intervals for the single proportion: comparison of seven
    methods", Stat Med 17:857–872 (method 3; e.g. 81/263 → 0.2553–0.3662).
    The same formula as ``PHEindicatormethods::phe_proportion``.

    ``n = 0`` gives ``NaN``. Requires ``0 ≤ x ≤ n``.
    """
    alpha = _alpha(confidence)
    scalar = np.ndim(x) == 0 and np.ndim(n) == 0
    x = np.asarray(x, dtype="float64")
    n = np.asarray(n, dtype="float64")
    if np.any((x < 0) | (x > n)):
        raise ValueError("wilson: need 0 <= x <= n")
    z = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        lower = np.clip(centre - half, 0.0, 1.0)
        upper = np.clip(centre + half, 0.0, 1.0)
    # Exact ends: the algebra gives 0 and 1 here, floating point almost does.
    lower = np.where(x == 0, 0.0, lower)
    upper = np.where(x == n, 1.0, upper)
    bad = ~(n > 0)
    lower = np.where(bad, np.nan, lower)
    upper = np.where(bad, np.nan, upper)
    return _out(lower, scalar), _out(upper, scalar)


def garwood(x, confidence: float = 0.95):
    """Exact (Garwood) Poisson interval for an observed count ``x``.

    ``lower = χ²(α/2; 2x) / 2`` (0 when x = 0), ``upper = χ²(1 − α/2; 2x + 2) / 2``.

    Sources: F. Garwood (1936), "Fiducial limits for the Poisson
    distribution", Biometrika 28:437–442; K. Ulm (1990), "A simple method to
    calculate the confidence interval of a standardized mortality ratio", Am J
    Epidemiol 131:373–375. Reference values: x = 0 → 0–3.689, x = 10 →
    4.795–18.39. Divide by a denominator (and multiply by a scale) for the
    interval of a rate, as ``PHEindicatormethods::phe_rate`` does.
    """
    alpha = _alpha(confidence)
    scalar = np.ndim(x) == 0
    x = np.asarray(x, dtype="float64")
    if np.any(x < 0):
        raise ValueError("garwood: need x >= 0")
    with np.errstate(invalid="ignore"):
        lower = np.where(x > 0, stats.chi2.ppf(alpha / 2, 2 * np.maximum(x, 1e-300)) / 2, 0.0)
        upper = stats.chi2.ppf(1 - alpha / 2, 2 * x + 2) / 2
    nan = np.isnan(x)
    lower = np.where(nan, np.nan, lower)
    upper = np.where(nan, np.nan, upper)
    return _out(lower, scalar), _out(upper, scalar)


def median_ci_ranks(n, confidence: float = 0.95):
    """1-based ranks ``(r, s)`` of the order statistics bounding the median.

    With ``B ~ Bin(n, ½)``, ``r`` is the largest rank with ``P(B ≤ r − 1) ≤ α/2``
    and ``s = n − r + 1``; then ``P(X₍r₎ ≤ median ≤ X₍s₎) = 1 − 2·P(B ≤ r − 1) ≥
    1 − α`` for any continuous distribution (Conover 1999, §3.2, example
    n = 10 → ranks 2 and 9; Hahn & Meeker 1991, §5.2). Where no such ``r ≥ 1``
    exists (at 95 %: n ≤ 5) both ranks are 0, meaning "undefined".
    Vectorised over ``n``.
    """
    alpha = _alpha(confidence)
    scalar = np.ndim(n) == 0
    n = np.asarray(n, dtype="int64")
    k = stats.binom.ppf(alpha / 2, n, 0.5)  # smallest k with F(k) >= α/2
    k = np.where(np.isnan(k), 0, k).astype("int64")
    # F(k) may equal α/2 exactly (then rank k + 1 is allowed).
    cdf_k = stats.binom.cdf(k, n, 0.5)
    r = np.where(cdf_k <= alpha / 2 * (1 + 1e-12), k + 1, k)
    r = np.where(n > 0, r, 0)
    s = np.where(r > 0, n - r + 1, 0)
    if scalar:
        return int(r), int(s)
    return r, s


def median_ci(values, confidence: float = 0.95) -> tuple[float, float]:
    """Distribution-free confidence interval for the median of one sample.

    The interval is ``[X₍r₎, X₍s₎]`` with the ranks of :func:`median_ci_ranks`
    (Conover 1999, *Practical Nonparametric Statistics*, 3rd ed., §3.2;
    Hahn & Meeker 1991, *Statistical Intervals*, §5.2). Missing values are
    dropped. Too small a sample gives ``(nan, nan)``.
    """
    v = np.asarray(values, dtype="float64")
    v = np.sort(v[~np.isnan(v)])
    r, s = median_ci_ranks(len(v), confidence)
    if r == 0:
        return float("nan"), float("nan")
    return float(v[r - 1]), float(v[s - 1])
