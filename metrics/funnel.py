"""Funnel plot limits (Spiegelhalter 2005), for comparing municipalities without league tables.

Spiegelhalter DJ. Funnel plots for comparing institutional performance.
Stat Med 2005;24:1185–1202. Exact binomial (proportions) and Poisson
(rates) limits with the interpolation of his Appendix A.1, so that the
funnel is smooth rather than stepped at small denominators.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

LEVELS = (0.95, 0.998)


def _interpolated(dist, p: float, n: np.ndarray) -> np.ndarray:
    """Spiegelhalter (2005) A.1: r_p − α, with α interpolating between the discrete quantiles."""
    r = dist.ppf(p)
    cdf_r = dist.cdf(r)
    cdf_below = dist.cdf(r - 1)
    width = np.where(cdf_r - cdf_below > 0, cdf_r - cdf_below, 1.0)
    alpha = (cdf_r - p) / width
    return r - alpha


def proportion_limits(centre: float, n: Sequence[float], level: float) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper limits (proportions 0–1) around ``centre`` for denominators ``n``."""
    n = np.asarray(n, dtype=float)
    dist = stats.binom(n.round().astype(int), centre)
    lo = _interpolated(dist, (1 - level) / 2, n) / n
    hi = _interpolated(dist, 1 - (1 - level) / 2, n) / n
    return np.clip(lo, 0, 1), np.clip(hi, 0, 1)


def rate_limits(centre: float, exposure: Sequence[float], level: float) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper limits of a rate (events per unit of exposure) around ``centre``.

    Exposures are positive but may be far below 1 (a month's person-years/1 000
    of a small municipality is about 0.04). Both limits are clipped at 0: where
    fewer than one event is expected the interpolation (A.1) can fall below 0.
    """
    e = np.asarray(exposure, dtype=float)
    dist = stats.poisson(centre * e)
    lo = _interpolated(dist, (1 - level) / 2, e) / e
    hi = _interpolated(dist, 1 - (1 - level) / 2, e) / e
    return np.clip(lo, 0, None), np.clip(hi, 0, None)


def funnel_frame(
    kind: str, centre: float, n_max: float, *, n_min: float | None = None, points: int = 200
) -> pd.DataFrame:
    """Limits on a log-spaced grid of denominators for drawing: columns n, lower_95, upper_95, lower_998, upper_998.

    The grid runs from ``n_min`` to a tenth beyond ``n_max``, so that every
    unit with a denominator in ``[n_min, n_max]`` has limits drawn around it.
    Proportions: whole denominators from at least 1 (the binomial n); default
    ``n_min`` 1. Rates: any positive exposure, no floor at 1 (person-years/1 000
    of a month are 0.04–0.5 for the sample municipalities); default
    ``n_min`` a hundredth of ``n_max``.
    """
    fn = proportion_limits if kind == "proportion" else rate_limits
    if kind == "proportion":
        lo = max(math.floor(n_min if n_min is not None else 1.0), 1)
        hi = max(math.ceil(n_max * 1.1), lo + 1)
        grid = np.unique(np.geomspace(lo, hi, points).round())
    else:
        lo = n_min if n_min is not None else n_max / 100
        if not (math.isfinite(lo) and lo > 0 and math.isfinite(n_max)):
            raise ValueError(f"funnel_frame: rate exposures must be positive and finite, got {n_min=}, {n_max=}")
        grid = np.geomspace(lo, max(n_max * 1.1, lo * 2), points)
    out = {"n": grid}
    for level in LEVELS:
        lo_limit, hi_limit = fn(centre, grid, level)
        tag = "95" if level == 0.95 else "998"
        out[f"lower_{tag}"], out[f"upper_{tag}"] = lo_limit, hi_limit
    return pd.DataFrame(out)


def classify(kind: str, centre: float, numerator: Sequence[float], n: Sequence[float]) -> list[str]:
    """Where each unit lies: 'inom' (within 95 %), 'utanför 95 %' or 'utanför 99,8 %' (above/below added)."""
    num = np.asarray(numerator, dtype=float)
    n = np.asarray(n, dtype=float)
    value = num / n
    fn = proportion_limits if kind == "proportion" else rate_limits
    lo95, hi95 = fn(centre, n, 0.95)
    lo998, hi998 = fn(centre, n, 0.998)
    out = []
    for v, a, b, c, d in zip(value, lo95, hi95, lo998, hi998, strict=True):
        if not np.isfinite(v):
            out.append("")
        elif v > d:
            out.append("över 99,8 %-gränsen")
        elif v < c:
            out.append("under 99,8 %-gränsen")
        elif v > b:
            out.append("över 95 %-gränsen")
        elif v < a:
            out.append("under 95 %-gränsen")
        else:
            out.append("inom gränserna")
    return out
