"""Discharges: ``discharge_care_plan_75`` and ``discharge_followup_72h_75``.

Both count stays of persons aged ≥ 75 at admission by the period of their
discharge date.

* Care plan: discharged to ``hem``, ``sarskilt_boende`` or ``korttid`` with
  ``care_plan_complete`` recorded (true/false); numerator: true.
* 72 h call: discharged to ``hem``; numerator: ``followup_call_time`` with
  0 ≤ call − discharge ≤ 72 h in real elapsed time (a call recorded before
  the discharge does not count). Period is ``ofullstandig_period`` while
  period end + 3 days is after the end date.

``care_plan_complete`` and ``followup_call_time`` are optional columns: a
municipality whose stays never have the column filled in (in the whole
table) is ``saknar_underlag`` for that indicator, not 0 %.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from metrics._tidy import Context, Parts, units_frame
from metrics.periods import NAT_DAY, day_numbers, elapsed_hours

MIN_AGE = 75
CARE_PLAN_DESTINATIONS = ("hem", "sarskilt_boende", "korttid")
FOLLOWUP_DESTINATIONS = ("hem",)
FOLLOWUP_HOURS = 72.0


def municipalities_filling(frame: pd.DataFrame, column: str) -> frozenset[str]:
    """Municipalities with at least one non-empty value in ``column``."""
    if column not in frame.columns:
        return frozenset()
    return frozenset(frame.loc[frame[column].notna(), "municipality_code"].unique().tolist())


def _discharged_75(
    stays: pd.DataFrame, ctx: Context, destinations: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray]:
    dis = day_numbers(stays["discharge_time"])
    keep = (
        (dis != NAT_DAY)
        & stays["discharge_to"].isin(destinations).to_numpy()
        & (stays["age"].to_numpy(dtype="float64", na_value=np.nan) >= MIN_AGE)
        & ctx.in_range(np.where(dis != NAT_DAY, dis, 0))
    )
    return keep, dis


def discharge_care_plan_75(frames: Mapping[str, pd.DataFrame], ctx: Context) -> Parts:
    stays = frames.get("hospital_stays")
    if stays is None or "care_plan_complete" not in stays.columns:
        return Parts.unavailable()
    keep, dis = _discharged_75(stays, ctx, CARE_PLAN_DESTINATIONS)
    plan = stays["care_plan_complete"]
    keep &= plan.notna().to_numpy()
    sub = stays.loc[keep]
    units = units_frame(
        sub["municipality_code"],
        ctx.pidx_of_days(dis[keep]),
        sub["sex"],
        numerator=plan[keep].to_numpy(dtype="float64", na_value=0.0),
        denominator=np.ones(len(sub)),
    )
    return Parts(units, present=municipalities_filling(stays, "care_plan_complete"))


def discharge_followup_72h_75(frames: Mapping[str, pd.DataFrame], ctx: Context) -> Parts:
    stays = frames.get("hospital_stays")
    if stays is None or "followup_call_time" not in stays.columns:
        return Parts.unavailable()
    keep, dis = _discharged_75(stays, ctx, FOLLOWUP_DESTINATIONS)
    sub = stays.loc[keep]
    hours = elapsed_hours(sub["discharge_time"], sub["followup_call_time"])
    with np.errstate(invalid="ignore"):
        called = (hours >= 0) & (hours <= FOLLOWUP_HOURS)
    units = units_frame(
        sub["municipality_code"],
        ctx.pidx_of_days(dis[keep]),
        sub["sex"],
        numerator=called.astype("float64"),
        denominator=np.ones(len(sub)),
    )
    return Parts(units, present=municipalities_filling(stays, "followup_call_time"))


INDICATOR_FUNCTIONS = {
    "discharge_care_plan_75": discharge_care_plan_75,
    "discharge_followup_72h_75": discharge_followup_72h_75,
}
