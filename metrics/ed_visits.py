"""ED visits: ``ed_visits_80_per_1000`` (Besök på akutmottagning, 80+, per 1 000 invånare).

Numerator: visits with unit ``akutmottagning`` (``MALT`` is a home visit, not
an ED visit) by persons aged ≥ 80 at arrival, arrival date in the period.
Denominator: the population 80+ (bands 80-84, 85-89, 90+) of the
municipality for the period's year (or the latest earlier year, with a note);
value annualised per 1 000 (see :func:`metrics._tidy.finish`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from metrics._tidy import Context, Parts, units_frame
from metrics.periods import day_numbers

MIN_AGE = 80
ED_UNIT = "akutmottagning"


def ed_visits_80_per_1000(frames: Mapping[str, pd.DataFrame], ctx: Context) -> Parts:
    visits = frames.get("ed_visits")
    if visits is None or frames.get("population") is None:
        return Parts.unavailable()
    day = day_numbers(visits["arrival_time"])
    keep = (
        (visits["unit"] == ED_UNIT).to_numpy()
        & (visits["age"].to_numpy(dtype="float64", na_value=np.nan) >= MIN_AGE)
        & ctx.in_range(day)
    )
    sub = visits.loc[keep]
    return Parts(
        units_frame(
            sub["municipality_code"], ctx.pidx_of_days(day[keep]), sub["sex"], numerator=np.ones(len(sub))
        )
    )


INDICATOR_FUNCTIONS = {"ed_visits_80_per_1000": ed_visits_80_per_1000}
