"""Funnel plot limits (Spiegelhalter 2005), for comparing municipalities without league tables.

Spiegelhalter DJ. Funnel plots for comparing institutional performance.
Stat Med 2005;24:1185–1202. Exact binomial (proportions) and Poisson
(rates) limits with the interpolation of his Appendix A.1, so that the
funnel is smooth rather than stepped at small denominators.
"""

from __future__ import annotations

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
    """Lower and upper limits of a rate (events per unit of exposure) around ``centre``."""
    e = np.asarray(exposure, dtype=float)
    dist = stats.poisson(centre * e)
    lo = _interpolated(dist, (1 - level) / 2, e) / e
    hi = _interpolated(dist, 1 - (1 - level) / 2, e) / e
    return np.clip(lo, 0, None), hi


def funnel_frame(kind: str, centre: float, n_max: float, *, n_min: float = 1.0, points: int = 200) -> pd.DataFrame:
    """Limits on a log-spaced grid of denominators for drawing: columns n, lower_95, upper_95, lower_998, upper_998."""
    grid = np.unique(np.geomspace(max(n_min, 1.0), max(n_max, n_min + 1) * 1.1, points).round(6))
    out = {"n": grid}
    for level in LEVELS:
        fn = proportion_limits if kind == "proportion" else rate_limits
        lo, hi = fn(centre, grid, level)
        tag = "95" if level == 0.95 else "998"
        out[f"lower_{tag}"], out[f"upper_{tag}"] = lo, hi
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
