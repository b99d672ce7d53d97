"""Readmissions: ``readmission_30d_65`` (Oplanerad återinskrivning inom 30 dagar, 65+).

Rules (see the registry text and ``docs/methods.md``):

* A stay is a *transfer* (not an index stay) if it ends in ``annat_sjukhus``,
  or if another stay of the same person is admitted on its discharge date
  (day 0) after its own admission time. Following such chains to their end
  is implicit: the last stay of a chain is the one that is not a transfer,
  and it is the index stay if it qualifies (discharged alive, not
  ``avliden``; age ≥ 65 at its own admission). Its municipality and sex count.
* Readmission: an ``akut`` admission of the same person whose admission date
  minus the index discharge date is 1 … 30 calendar days (any stay, also
  one that is itself part of a transfer chain or still ongoing).
* Period: that of the index discharge date; ``ofullstandig_period`` while
  period end + 30 days is after the data's end date.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from metrics._events import EventIndex, person_codes, person_day_key
from metrics._tidy import Context, Parts, units_frame
from metrics.periods import NAT_DAY, day_numbers

MIN_AGE = 65
WINDOW_DAYS = (1, 30)
NOT_INDEX_DISCHARGE = ("avliden", "annat_sjukhus")


def transfer_out(stays: pd.DataFrame, person: np.ndarray) -> np.ndarray:
    """True where another stay of the same person starts on this stay's discharge date, after its admission."""
    adm_day = day_numbers(stays["admission_time"])
    dis_day = day_numbers(stays["discharge_time"])
    adm_us = stays["admission_time"].to_numpy(dtype="datetime64[us]").astype("int64")
    key = person_day_key(person, adm_day)
    order = np.lexsort((adm_us, key))
    keys_sorted, adm_sorted = key[order], adm_us[order]
    discharged = dis_day != NAT_DAY
    q = person_day_key(person, np.where(discharged, dis_day, 0))
    pos = np.searchsorted(keys_sorted, q, side="right") - 1
    safe = np.clip(pos, 0, max(len(keys_sorted) - 1, 0))
    same_day = (pos >= 0) & (keys_sorted[safe] == q) if len(keys_sorted) else np.zeros(len(q), bool)
    latest_that_day = np.where(same_day, adm_sorted[safe], np.iinfo(np.int64).min)
    return discharged & same_day & (latest_that_day > adm_us)


def readmission_30d_65(frames: Mapping[str, pd.DataFrame], ctx: Context) -> Parts:
    stays = frames.get("hospital_stays")
    if stays is None:
        return Parts.unavailable()
    (person,) = person_codes(stays["person_id"])
    adm_day = day_numbers(stays["admission_time"])
    dis_day = day_numbers(stays["discharge_time"])
    discharge_to = stays["discharge_to"]
    discharged = dis_day != NAT_DAY

    index = (
        discharged
        & ~discharge_to.isin(NOT_INDEX_DISCHARGE).to_numpy()
        & ~transfer_out(stays, person)
        & (stays["age"].to_numpy(dtype="float64", na_value=np.nan) >= MIN_AGE)
        & ctx.in_range(np.where(discharged, dis_day, 0))
    )
    akut = (stays["admission_type"] == "akut").to_numpy()
    readmissions = EventIndex(person[akut], adm_day[akut])
    ip = person[index]
    idd = dis_day[index]
    readmitted = readmissions.any_between(ip, idd + WINDOW_DAYS[0], idd + WINDOW_DAYS[1])
    sub = stays.loc[index]
    units = units_frame(
        sub["municipality_code"],
        ctx.pidx_of_days(idd),
        sub["sex"],
        numerator=readmitted.astype("float64"),
        denominator=np.ones(len(sub)),
    )
    return Parts(units)


INDICATOR_FUNCTIONS = {"readmission_30d_65": readmission_30d_65}
