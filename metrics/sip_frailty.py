"""SIP and frailty: ``sip_coverage_home_care``, ``sip_followup_90d``, ``cfs56_with_sip``.

Point-in-time indicators use the reference day d of each period (its last
day, or the end date for an incomplete period). "Within 365 days up to d" is
d−364 … d. A SIP counts for a person whichever municipality registered it.

* Coverage: persons enrolled on d (start ≤ d, end empty or ≥ d), each
  counted once, in the municipality (and with the sex) of their enrolment
  with the latest start date (ties: highest enrolment_id); numerator: a SIP
  in d−364 … d.
* Follow-up: SIPs with sip_date in the period and sip_date + 90 ≤ end date;
  numerator: followup_date ≤ sip_date + 90. ``ofullstandig_period`` while
  period end + 90 days is after the end date. A municipality that never
  fills in ``followup_date`` is ``saknar_underlag``.
* CFS: per person, the latest assessment in d−364 … d (same day: highest
  assessment_id) supersedes older ones; denominator if its score is 5 or 6,
  in the municipality of that assessment; numerator: a SIP in d−364 … d.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from metrics._events import EventIndex, explode_intervals, person_codes
from metrics._tidy import Context, Parts, units_frame
from metrics.discharges import municipalities_filling
from metrics.periods import NAT_DAY, day_numbers

WINDOW_DAYS = 365
FOLLOWUP_DAYS = 90
FRAIL_SCORES = (5, 6)
_OPEN_END = 10**7  # a day number far in the future, for "still enrolled"


def _sip_index(sip: pd.DataFrame, person: np.ndarray) -> EventIndex:
    day = day_numbers(sip["sip_date"])
    ok = day != NAT_DAY
    return EventIndex(person[ok], day[ok])


def sip_coverage_home_care(frames: Mapping[str, pd.DataFrame], ctx: Context) -> Parts:
    enr = frames.get("home_care_enrolments")
    sip = frames.get("sip")
    if enr is None or sip is None:
        return Parts.unavailable()
    person_e, person_s = person_codes(enr["person_id"], sip["person_id"])
    start = day_numbers(enr["start_date"])
    end = day_numbers(enr["end_date"])
    end = np.where(end == NAT_DAY, _OPEN_END, end)
    rows, pos = explode_intervals(ctx.ref_days, start, end)
    cand = pd.DataFrame(
        {
            "person": person_e[rows],
            "pos": pos,
            "start": start[rows],
            "enrolment_id": enr["enrolment_id"].to_numpy(dtype=object)[rows],
            "row": rows,
        }
    )
    cand = cand.sort_values(["person", "pos", "start", "enrolment_id"], kind="stable")
    cand = cand.drop_duplicates(["person", "pos"], keep="last")
    ref = ctx.ref_days[cand["pos"].to_numpy()]
    p = cand["person"].to_numpy()
    has_sip = _sip_index(sip, person_s).any_between(p, ref - (WINDOW_DAYS - 1), ref)
    r = cand["row"].to_numpy()
    units = units_frame(
        enr["municipality_code"].to_numpy(dtype=object)[r],
        ctx.pidx_at(cand["pos"].to_numpy()),
        enr["sex"].to_numpy(dtype=object)[r],
        numerator=has_sip.astype("float64"),
        denominator=np.ones(len(cand)),
    )
    # Enrolments are a state, not events: only the SIP table's span (with its window) is checked.
    return Parts(units, coverage=(("sip", WINDOW_DAYS - 1),))


def sip_followup_90d(frames: Mapping[str, pd.DataFrame], ctx: Context) -> Parts:
    sip = frames.get("sip")
    if sip is None or "followup_date" not in sip.columns:
        return Parts.unavailable()
    day = day_numbers(sip["sip_date"])
    follow = day_numbers(sip["followup_date"])
    keep = ctx.in_range(day) & (day + FOLLOWUP_DAYS <= ctx.end_day)
    followed = (follow != NAT_DAY) & (follow <= day + FOLLOWUP_DAYS)
    sub = sip.loc[keep]
    units = units_frame(
        sub["municipality_code"],
        ctx.pidx_of_days(day[keep]),
        numerator=followed[keep].astype("float64"),
        denominator=np.ones(len(sub)),
    )
    return Parts(units, present=municipalities_filling(sip, "followup_date"))


def cfs56_with_sip(frames: Mapping[str, pd.DataFrame], ctx: Context) -> Parts:
    cfs = frames.get("cfs_assessments")
    sip = frames.get("sip")
    if cfs is None or sip is None:
        return Parts.unavailable()
    person_c, person_s = person_codes(cfs["person_id"], sip["person_id"])
    day = day_numbers(cfs["assessment_date"])
    rows, pos = explode_intervals(ctx.ref_days, day, day + (WINDOW_DAYS - 1))
    cand = pd.DataFrame(
        {
            "person": person_c[rows],
            "pos": pos,
            "day": day[rows],
            "assessment_id": cfs["assessment_id"].to_numpy(dtype=object)[rows],
            "row": rows,
        }
    )
    cand = cand.sort_values(["person", "pos", "day", "assessment_id"], kind="stable")
    latest = cand.drop_duplicates(["person", "pos"], keep="last")
    r = latest["row"].to_numpy()
    score = cfs["cfs_score"].to_numpy(dtype="float64", na_value=np.nan)[r]
    frail = np.isin(score, FRAIL_SCORES)
    latest = latest.loc[frail]
    r = r[frail]
    ref = ctx.ref_days[latest["pos"].to_numpy()]
    has_sip = _sip_index(sip, person_s).any_between(latest["person"].to_numpy(), ref - (WINDOW_DAYS - 1), ref)
    units = units_frame(
        cfs["municipality_code"].to_numpy(dtype=object)[r],
        ctx.pidx_at(latest["pos"].to_numpy()),
        numerator=has_sip.astype("float64"),
        denominator=np.ones(len(latest)),
    )
    return Parts(units, coverage=(("cfs_assessments", WINDOW_DAYS - 1), ("sip", WINDOW_DAYS - 1)))


INDICATOR_FUNCTIONS = {
    "sip_coverage_home_care": sip_coverage_home_care,
    "sip_followup_90d": sip_followup_90d,
    "cfs56_with_sip": cfs56_with_sip,
}
