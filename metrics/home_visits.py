"""Home visits: time to a physician's assessment at home (four indicators).

Common to all four: ``acute`` requests whose ``requested_time`` (local date)
falls in the period, split by the day type of the request
(:func:`metrics.periods.is_dagtid`). Waiting time is real elapsed time
(:func:`metrics.periods.elapsed_hours`). A request without
``assessed_time`` is *unassessed*: it is left out of the medians and counted
in ``n_unassessed``; in the two shares it stays in the denominator.

* ``home_visit_median_hours_day`` / ``_offhours``: median hours over the
  assessed requests (any team), order-statistic CI.
* ``home_visit_within_24h_day``: team ``PALT`` and elapsed ≤ 24 h.
* ``home_visit_within_8h_offhours``: team ``PALT`` or ``MALT`` and elapsed ≤ 8 h.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from metrics._tidy import Context, Parts, units_frame
from metrics.periods import day_numbers, elapsed_hours, is_dagtid


def _acute_requests(frames: Mapping[str, pd.DataFrame], ctx: Context, dagtid: bool):
    visits = frames.get("home_visits")
    if visits is None:
        return None, None, None
    day = day_numbers(visits["requested_time"])
    keep = (
        visits["acute"].to_numpy(dtype=bool, na_value=False)
        & (is_dagtid(visits["requested_time"]) == dagtid)
        & ctx.in_range(day)
    )
    sub = visits.loc[keep]
    hours = elapsed_hours(sub["requested_time"], sub["assessed_time"])
    return sub, ctx.pidx_of_days(day[keep]), hours


def _median(frames: Mapping[str, pd.DataFrame], ctx: Context, dagtid: bool) -> Parts:
    sub, pidx, hours = _acute_requests(frames, ctx, dagtid)
    if sub is None:
        return Parts.unavailable()
    return Parts(units_frame(sub["municipality_code"], pidx, hours=hours))


def _within(
    frames: Mapping[str, pd.DataFrame], ctx: Context, dagtid: bool, teams: tuple[str, ...], limit: float
) -> Parts:
    sub, pidx, hours = _acute_requests(frames, ctx, dagtid)
    if sub is None:
        return Parts.unavailable()
    with np.errstate(invalid="ignore"):
        ok = sub["team"].isin(teams).to_numpy() & (hours <= limit)
    units = units_frame(
        sub["municipality_code"],
        pidx,
        numerator=ok.astype("float64"),
        denominator=np.ones(len(sub)),
        unassessed=np.isnan(hours).astype("float64"),
    )
    return Parts(units)


def home_visit_median_hours_day(frames: Mapping[str, pd.DataFrame], ctx: Context) -> Parts:
    return _median(frames, ctx, dagtid=True)


def home_visit_median_hours_offhours(frames: Mapping[str, pd.DataFrame], ctx: Context) -> Parts:
    return _median(frames, ctx, dagtid=False)


def home_visit_within_24h_day(frames: Mapping[str, pd.DataFrame], ctx: Context) -> Parts:
    return _within(frames, ctx, True, ("PALT",), 24.0)


def home_visit_within_8h_offhours(frames: Mapping[str, pd.DataFrame], ctx: Context) -> Parts:
    return _within(frames, ctx, False, ("PALT", "MALT"), 8.0)


INDICATOR_FUNCTIONS = {
    "home_visit_median_hours_day": home_visit_median_hours_day,
    "home_visit_median_hours_offhours": home_visit_median_hours_offhours,
    "home_visit_within_24h_day": home_visit_within_24h_day,
    "home_visit_within_8h_offhours": home_visit_within_8h_offhours,
}
