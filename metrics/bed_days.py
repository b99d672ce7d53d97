"""Bed days: ``acute_bed_days_75_per_1000`` (Akuta slutenvårdsdagar 75+ per 1 000 invånare).

Numerator: for each ``akut`` stay of a person aged ≥ 75 at admission that is
discharged in the period, discharge date − admission date in calendar days,
at least 1 (a same-day stay counts as one day); the whole stay counts in the
period of its discharge. Denominator: population 75+ (75-79 … 90+) of the
year. Annualised per 1 000. The Garwood interval treats the bed-day total as
a Poisson count, which understates the uncertainty (days cluster in stays);
see ``docs/methods.md``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from metrics._tidy import Context, Parts, units_frame
from metrics.periods import NAT_DAY, day_numbers

MIN_AGE = 75


def bed_days(admission_time: pd.Series, discharge_time: pd.Series) -> np.ndarray:
    """Calendar days between admission and discharge date, at least 1 (NaN while still admitted)."""
    adm = day_numbers(admission_time)
    dis = day_numbers(discharge_time)
    days = np.maximum(dis - adm, 1).astype("float64")
    days[dis == NAT_DAY] = np.nan
    return days


def acute_bed_days_75_per_1000(frames: Mapping[str, pd.DataFrame], ctx: Context) -> Parts:
    stays = frames.get("hospital_stays")
    if stays is None or frames.get("population") is None:
        return Parts.unavailable()
    dis = day_numbers(stays["discharge_time"])
    keep = (
        (dis != NAT_DAY)
        & (stays["admission_type"] == "akut").to_numpy()
        & (stays["age"].to_numpy(dtype="float64", na_value=np.nan) >= MIN_AGE)
        & ctx.in_range(np.where(dis != NAT_DAY, dis, 0))
    )
    sub = stays.loc[keep]
    units = units_frame(
        sub["municipality_code"],
        ctx.pidx_of_days(dis[keep]),
        sub["sex"],
        numerator=bed_days(sub["admission_time"], sub["discharge_time"]),
    )
    return Parts(units)


INDICATOR_FUNCTIONS = {"acute_bed_days_75_per_1000": acute_bed_days_75_per_1000}
