"""Jämför: one indicator, one period, all municipalities, with CIs and funnel-plot positions.

Pure; the page draws what this returns. No ranks: the order is alphabetical
or by value, and a municipality is described only by where it lies against
the funnel limits around the area value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metrics.funnel import classify, funnel_frame
from metrics.series import MONTHS_PER_GRAIN, grain_of

# Value kinds with a funnel: proportions (binomial) and rates (Poisson; "rate_point" like "rate").
FUNNEL_KINDS = ("proportion", "rate", "rate_point")


def comparison_rows(results: pd.DataFrame, indicator, *, period: str, sex: str = "T") -> pd.DataFrame:
    """Rows of every municipality (and ALL) for one indicator and period, with a funnel position."""
    r = results[(results["indicator_id"] == indicator.id) & (results["period"] == period) & (results["sex"] == sex)]
    r = r.copy()
    total = r[r["municipality_code"] == "ALL"]
    parts = r[r["municipality_code"] != "ALL"].copy()
    parts["funnel_n"] = funnel_denominators(parts, indicator)
    parts["funnel"] = ""
    if indicator.value_kind in FUNNEL_KINDS and len(total) and total["value"].notna().all():
        centre = _centre(total.iloc[0], indicator)
        ok = parts["numerator"].notna() & parts["funnel_n"].gt(0)
        kind = "proportion" if indicator.value_kind == "proportion" else "rate"
        parts.loc[ok, "funnel"] = classify(kind, centre, parts.loc[ok, "numerator"], parts.loc[ok, "funnel_n"])
    return pd.concat([parts, total], ignore_index=True)


def funnel_denominators(rows: pd.DataFrame, indicator) -> pd.Series:
    """Denominators on the funnel's x axis: n for proportions, person-years/1 000 for rates,
    inhabitants/1 000 for ``rate_point`` (not annualised)."""
    den = rows["denominator"].astype(float)
    if indicator.value_kind == "rate":
        months = np.array([MONTHS_PER_GRAIN[grain_of(p)] for p in rows["period"]], dtype=float)
        return den * months / 12.0 / 1000.0
    if indicator.value_kind == "rate_point":
        return den / 1000.0
    return den


def _centre(total_row: pd.Series, indicator) -> float:
    """The area value on the funnel's scale: a proportion 0–1, or events per exposure unit."""
    if indicator.value_kind == "proportion":
        return float(total_row["numerator"]) / float(total_row["denominator"])
    n = funnel_denominators(total_row.to_frame().T, indicator).iloc[0]
    return float(total_row["numerator"]) / float(n)


def funnel_data(rows: pd.DataFrame, indicator) -> tuple[pd.DataFrame, float, float] | None:
    """Limits frame, centre and display scale for the funnel plot, or None where a funnel makes no sense."""
    if indicator.value_kind not in FUNNEL_KINDS:
        return None
    total = rows[rows["municipality_code"] == "ALL"]
    parts = rows[(rows["municipality_code"] != "ALL") & rows["numerator"].notna()]
    if total.empty or parts.empty or total["value"].isna().all():
        return None
    centre = _centre(total.iloc[0], indicator)
    kind = "proportion" if indicator.value_kind == "proportion" else "rate"
    limits = funnel_frame(kind, centre, float(parts["funnel_n"].max()), n_min=float(parts["funnel_n"].min()) * 0.5)
    scale = 100.0 if kind == "proportion" else 1.0
    return limits, centre, scale
