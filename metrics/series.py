"""From tidy indicator rows to an SPC table and its verdict.

Pages call :func:`indicator_spc` with the stored rows of one indicator,
municipality and sex; this module decides which points count (complete
periods with data), which chart the indicator gets by default (from the
registry's unit and value kind) and how the rate denominators are scaled, so
that no page holds these rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from metrics.periods import MONTHS_IN, MONTHS_SV, grain_of, period_label_sv  # noqa: F401 (re-exported)
from metrics.spc import improvement_from_direction, recommend_chart, spc_table
from metrics.verdict import Verdict, judge

MONTHS_PER_GRAIN = MONTHS_IN


def default_chart_for(indicator, denominators: Sequence[float] | None = None) -> str:
    """The registry decides: its ``spc_chart`` where set (the Målgrupper cohorts: the run chart), otherwise
    proportions → P (P′ for large denominators), rates → U′, medians and counts → I.

    ``rate_point`` (per 1 000 inhabitants, not annualised) is a rate with
    population denominators, hence U′ when no chart is set.
    """
    if getattr(indicator, "spc_chart", None):
        return indicator.spc_chart
    kind = indicator.value_kind
    if kind in ("median", "count"):
        return "i"
    if kind == "rate_point":
        return "up"
    return recommend_chart(indicator.unit, denominators)


def _usable(rows: pd.DataFrame) -> np.ndarray:
    """Points that enter the chart: complete periods with a value (not suppressed, not missing)."""
    status_ok = rows["status"].eq("ok").to_numpy()
    return status_ok & rows["value"].notna().to_numpy()


def spc_inputs(rows: pd.DataFrame, indicator, chart: str) -> dict:
    """Values, denominators and the scale that turns chart units back into the indicator's unit."""
    rows = rows.sort_values("period_start")
    usable = _usable(rows)
    value = rows["value"].astype(float).to_numpy()
    kind = indicator.value_kind
    if chart in ("p", "pp", "u", "up") and kind in ("proportion", "rate", "rate_point"):
        num = rows["numerator"].astype(float).to_numpy().copy()
        den = rows["denominator"].astype(float).to_numpy().copy()
        if kind == "rate":
            months = np.array([MONTHS_PER_GRAIN[grain_of(p)] for p in rows["period"]], dtype=float)
            den = den * months / 12.0 / 1000.0  # → values per 1 000 inhabitants and year
            scale = 1.0
        elif kind == "rate_point":
            den = den / 1000.0  # → values per 1 000 inhabitants (not annualised)
            scale = 1.0
        else:
            scale = 100.0  # proportions 0–1 → per cent
        num[~usable] = np.nan
        return {"values": num, "denominators": den, "scale": scale}
    vals = value.copy()
    vals[~usable] = np.nan
    return {"values": vals, "denominators": None, "scale": 1.0}


def data_starts(results: pd.DataFrame) -> dict[str, pd.Timestamp]:
    """Per indicator, the first period with underlag in ``results`` (the whole stored table of one period
    type, not a chosen date range): where the look-back windows begin to fill (see :func:`indicator_spc`).

    Every page that judges a series passes this, so the warm-up exclusions are the same everywhere.
    """
    with_underlag = results[results["status"] != "saknar_underlag"]
    starts = with_underlag.groupby("indicator_id", observed=True)["period_start"].min()
    return {str(k): pd.Timestamp(v) for k, v in starts.items()}


WARM_UP_REASON = "inkörning: historiken bakåt är ofullständig i början av data"


def _warm_up(rows: pd.DataFrame, indicator, data_start, *, usable: np.ndarray) -> dict[int, str]:
    """Positions of the left-censored periods (see :func:`indicator_spc`); none if fewer than two usable
    points would remain."""
    days = getattr(indicator, "lookback_days", 0)
    if not days or rows.empty:
        return {}
    starts = pd.to_datetime(rows["period_start"])
    if data_start is not None:
        first = pd.Timestamp(data_start)
    else:  # the first period with underlag of the series itself
        has = rows["status"].ne("saknar_underlag").to_numpy() if "status" in rows else np.ones(len(rows), bool)
        first = starts[has].min() if has.any() else starts.min()
    warm = (starts < first + pd.Timedelta(days=days)).to_numpy()
    if int((usable & ~warm).sum()) < 2:
        return {}
    return {int(i): WARM_UP_REASON for i in np.flatnonzero(warm)}


def indicator_spc(
    rows: pd.DataFrame,
    indicator,
    *,
    chart: str | None = None,
    target: float | None = None,
    phase_dates: Sequence[pd.Timestamp] = (),
    rules: str = "anhoej",
    data_start: pd.Timestamp | dt.date | str | None = None,
) -> tuple[pd.DataFrame, Verdict]:
    """SPC table and its verdict for one series (one indicator, municipality and sex).

    The verdict (:func:`metrics.verdict.judge`) is what every page says about
    the series; the table is what the chart beside it draws.

    ``target`` is in the indicator's unit (per cent for proportions); it is
    converted to the chart's unit. The returned table is in the chart's
    unit (proportions 0–1 on P/P′ charts, which ``ui.spc_chart`` draws in
    per cent; rates per 1 000 inhabitants and year on U′ charts, per 1 000
    inhabitants for ``rate_point``).

    ``data_start`` is the first day of the indicator's data (default: the
    first period of ``rows`` that is not ``saknar_underlag``). For an indicator with ``lookback_days``, the periods that start
    less than that many days after it are left-censored (their look-back
    reaches before the data): they stay in the table, marked excluded with
    :data:`WARM_UP_REASON`, and take no part in limits and signals.
    """
    rows = rows.sort_values("period_start").reset_index(drop=True)
    dates = pd.to_datetime(rows["period_start"])
    if chart is None:
        den = rows["denominator"].astype(float).to_numpy() if indicator.value_kind == "proportion" else None
        chart = default_chart_for(indicator, den)
    inputs = spc_inputs(rows, indicator, chart)
    scale = inputs["scale"]
    phases = sorted({int(np.searchsorted(dates.to_numpy(), np.datetime64(d))) for d in phase_dates} - {0})
    phases = [p for p in phases if 0 < p < len(rows)]
    exclude = _warm_up(rows, indicator, data_start, usable=np.isfinite(inputs["values"]))
    kwargs = dict(
        chart=chart,
        exclude=exclude or None,
        denominators=inputs["denominators"],
        improvement=improvement_from_direction(indicator.direction),
        target=None if target is None or pd.isna(target) else target / scale,
        phases=phases or None,
        dates=dates,
    )
    table = spc_table(inputs["values"], **kwargs)
    table["period"] = rows["period"].to_numpy()
    return table, judge(table)
