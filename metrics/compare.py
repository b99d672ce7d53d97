"""Jämför: one indicator, one period, all municipalities, with CIs and funnel-plot positions.

Pure; the page draws what this returns. No ranks: the order is alphabetical
or by value, and a municipality is described only by where it lies against
the funnel limits around the area value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metrics.funnel import classify, funnel_frame
from metrics.series import MONTHS_PER_GRAIN, grain_of, period_label_sv

# Value kinds with a funnel: proportions (binomial) and rates (Poisson; "rate_point" like "rate").
FUNNEL_KINDS = ("proportion", "rate", "rate_point")
# The funnel's grid starts this fraction of the smallest denominator drawn, so the smallest unit sits inside it.
FUNNEL_GRID_MARGIN = 0.8


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
    """Limits frame, centre and display scale for the funnel plot, or None where a funnel makes no sense.

    The limits span every municipality with a value or a numerator (those
    drawn), from a little below the smallest denominator to beyond the
    largest, on every period type: a month's person-years/1 000 are well
    below 1.
    """
    if indicator.value_kind not in FUNNEL_KINDS:
        return None
    total = rows[rows["municipality_code"] == "ALL"]
    parts = rows[(rows["municipality_code"] != "ALL") & rows["numerator"].notna()]
    if total.empty or parts.empty or total["value"].isna().all():
        return None
    drawn = rows[(rows["municipality_code"] != "ALL") & (rows["value"].notna() | rows["numerator"].notna())]
    n = drawn["funnel_n"].astype(float)
    n = n[np.isfinite(n) & (n > 0)]
    if n.empty:
        return None
    centre = _centre(total.iloc[0], indicator)
    kind = "proportion" if indicator.value_kind == "proportion" else "rate"
    limits = funnel_frame(kind, centre, float(n.max()), n_min=float(n.min()) * FUNNEL_GRID_MARGIN)
    scale = 100.0 if kind == "proportion" else 1.0
    return limits, centre, scale


# --------------------------------------------------------------------------- reference values

_GRAIN_ORDER = ("year", "quarter", "month")  # coarse → fine
_GRAIN_NOUN = {"year": "år", "quarter": "kvartal", "month": "månad"}


def _enclosing(period: str) -> list[str]:
    """The periods that contain ``period``, finest first: '2025-03' → ['2025-Q1', '2025']."""
    grain = grain_of(period)
    if grain == "month":
        return [f"{period[:4]}-Q{(int(period[5:7]) - 1) // 3 + 1}", period[:4]]
    if grain == "quarter":
        return [period[:4]]
    return []


def _inside(periods: pd.Series, period: str) -> pd.Series:
    """Which of ``periods`` are finer periods lying inside ``period`` (months and quarters of a year,
    months of a quarter)."""
    grain = grain_of(period)
    if grain == "year":
        return periods.str.startswith(period + "-")
    if grain == "quarter":
        return periods.map(lambda p: grain_of(p) == "month" and _enclosing(p)[0] == period).astype(bool)
    return pd.Series(False, index=periods.index)


def choose_reference_rows(refs: pd.DataFrame, period: str) -> tuple[pd.DataFrame, str | None]:
    """The reference values (``indicator_values`` rows) to show beside ``period``, and a note when they are
    not of that period itself.

    In order:

    1. each area and source's values of ``period`` itself or, lacking those,
       of the quarter and then the year containing it (no note: the table's
       period column says which);
    2. values of finer periods inside ``period`` (quarters or months of a
       year, months of a quarter): the latest such period, noted as
       "Referensvärden för 2025 finns bara per kvartal: kvartal 1 2025 visas.";
    3. the latest period of the same grain, else of a coarser one:
       "Inga referensvärden finns för 2025; senaste år med värden, 2024, visas.";
    4. the latest period of a finer grain (nothing else exists):
       "Inga referensvärden finns för 2024. Värden finns bara per kvartal; senaste, kvartal 1 2025, visas."

    A note never says a period has no values and then shows a value lying in it.
    Periods are compared only within a grain ('2025-Q1' is not later than '2025').
    """
    if refs.empty:
        return refs, None
    periods = refs["period"].astype(str)
    grains = periods.map(grain_of)
    label = period_label_sv(period)

    # 1. the period itself, else the periods containing it, per area and source
    wanted = [period, *_enclosing(period)]
    rank = periods.map({p: i for i, p in enumerate(wanted)})
    if rank.notna().any():
        keys = [c for c in ("municipality_code", "source") if c in refs.columns]
        matched = refs.assign(_rank=rank)[rank.notna()]
        best = matched.groupby(keys, dropna=False)["_rank"].transform("min") if keys else matched["_rank"].min()
        return matched[matched["_rank"] == best].drop(columns="_rank"), None

    def latest(mask: pd.Series) -> pd.DataFrame:
        """Rows of the latest period among ``mask`` (all of one grain, so string order is time order)."""
        return refs[periods == periods[mask].max()]

    # 2. finer periods inside the chosen one
    inside = _inside(periods, period)
    if inside.any():
        present = [g for g in _GRAIN_ORDER if (inside & (grains == g)).any()]
        shown = latest(inside & (grains == present[0]))
        words = " och ".join(_GRAIN_NOUN[g] for g in present)
        return shown, f"Referensvärden för {label} finns bara per {words}: {period_label_sv(shown['period'].iloc[0])} visas."

    # 3. the latest period of the same grain, else of a coarser grain
    grain = grain_of(period)
    coarser_or_same = list(reversed(_GRAIN_ORDER[: _GRAIN_ORDER.index(grain) + 1]))
    for g in coarser_or_same:
        if (grains == g).any():
            shown = latest(grains == g)
            return shown, (
                f"Inga referensvärden finns för {label}; senaste {_GRAIN_NOUN[g]} med värden, "
                f"{period_label_sv(shown['period'].iloc[0])}, visas."
            )

    # 4. only finer grains exist, none of them inside the chosen period
    present = [g for g in _GRAIN_ORDER if (grains == g).any()]
    shown = latest(grains == present[0])
    words = " och ".join(_GRAIN_NOUN[g] for g in present)
    return shown, (
        f"Inga referensvärden finns för {label}. Värden finns bara per {words}; senaste, "
        f"{period_label_sv(shown['period'].iloc[0])}, visas."
    )
