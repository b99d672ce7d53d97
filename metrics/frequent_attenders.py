"""Frequent attenders: ``frequent_attenders`` (Antal mångsökare).

A person is a frequent attender on day d with ≥ 3 ``primary_care_contacts``
(any contact type) in d−29 … d, or ≥ 4 ``ed_visits`` with unit
``akutmottagning`` in d−364 … d. d is the reference day of the period (its
last day, or the end date for an incomplete period).

Placement of a counted person (once per period):

* municipality: that of the latest *qualifying* event up to d — the latest
  primary care contact if the person qualifies through contacts, the latest
  ED visit if through ED visits, the later of the two if both (same
  timestamp: the contact);
* sex: that of the latest qualifying event that records sex (ED visits always
  do, contacts optionally); unknown sex counts in ``T`` only;
* care centre (:func:`by_care_centre` only): that of the person's latest
  primary care contact up to d (at any time); ``okänd`` if there is none.

The intervals of days on which a person qualifies are found without
per-person loops: sorted by person and time, the person has ≥ k events in a
w-day window ending on d exactly when d ∈ [t_i, t_{i−k+1} + w − 1] for some
event i, so only those intervals are matched to the reference days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from metrics._events import EventIndex, explode_intervals, id_rank, person_codes, previous_in_person
from metrics._tidy import Context, Parts, units_frame
from metrics.periods import NAT_DAY, day_numbers

PCC_MIN, PCC_WINDOW = 3, 30
ED_MIN, ED_WINDOW = 4, 365
ED_UNIT = "akutmottagning"
UNKNOWN_CARE_CENTRE = "okänd"
_NONE = np.iinfo(np.int64).min
# A period needs contacts within its 30-day window and ED visits within its 365 days.
COVERAGE = (("primary_care_contacts", PCC_WINDOW - 1), ("ed_visits", ED_WINDOW - 1))


def _timestamps(series: pd.Series) -> np.ndarray:
    return series.to_numpy(dtype="datetime64[us]").astype("int64")


def _qualifying_days(person: np.ndarray, day: np.ndarray, k: int, window: int):
    """(person, first day, last day) of every interval on which the person has ≥ k events in the window."""
    order = np.lexsort((day, person))
    p, d = person[order], day[order]
    earlier = previous_in_person(p, d, k - 1, _NONE)
    valid = earlier != _NONE
    lo = d[valid]
    hi = earlier[valid] + window - 1
    keep = hi >= lo
    return p[valid][keep], lo[keep], hi[keep]


def _candidates(ref_days: np.ndarray, person, lo, hi, n_periods: int) -> np.ndarray:
    rows, pos = explode_intervals(ref_days, lo, hi)
    return np.unique(person[rows] * n_periods + pos)


def _persons(frames: Mapping[str, pd.DataFrame], ctx: Context):
    """One row per counted person × period: municipality, sex, care centre (or None if inputs missing)."""
    pcc = frames.get("primary_care_contacts")
    ed = frames.get("ed_visits")
    if pcc is None or ed is None:
        return None
    ed = ed.loc[(ed["unit"] == ED_UNIT).to_numpy()]
    person_p, person_e = person_codes(pcc["person_id"], ed["person_id"])
    day_p, day_e = day_numbers(pcc["contact_time"]), day_numbers(ed["arrival_time"])
    time_p, time_e = _timestamps(pcc["contact_time"]), _timestamps(ed["arrival_time"])
    ok_p, ok_e = day_p != NAT_DAY, day_e != NAT_DAY
    n_per = max(ctx.n_periods, 1)

    qp = _candidates(ctx.ref_days, *_qualifying_days(person_p[ok_p], day_p[ok_p], PCC_MIN, PCC_WINDOW), n_per)
    qe = _candidates(ctx.ref_days, *_qualifying_days(person_e[ok_e], day_e[ok_e], ED_MIN, ED_WINDOW), n_per)
    keys = np.union1d(qp, qe)
    via_p, via_e = np.isin(keys, qp), np.isin(keys, qe)
    person, pos = keys // n_per, keys % n_per
    ref = ctx.ref_days[pos]

    idx_p = np.flatnonzero(ok_p)
    idx_e = np.flatnonzero(ok_e)
    rank_p, rank_e = id_rank(pcc["contact_id"]), id_rank(ed["visit_id"])
    pcc_index = EventIndex(person_p[idx_p], day_p[idx_p], time_p[idx_p], rank_p[idx_p])
    ed_index = EventIndex(person_e[idx_e], day_e[idx_e], time_e[idx_e], rank_e[idx_e])

    def latest(index: EventIndex, rows: np.ndarray, where: np.ndarray) -> np.ndarray:
        """Row (in the full table) of the person's latest event up to d, where ``where``; else −1."""
        if len(rows) == 0:
            return np.full(len(person), -1, dtype="int64")
        found = index.latest_at_or_before(person, ref)
        return np.where(where & (found >= 0), rows[np.clip(found, 0, None)], -1)

    last_p = latest(pcc_index, idx_p, via_p)  # row in pcc, or -1
    last_e = latest(ed_index, idx_e, via_e)  # row in ed, or -1
    t_p, t_e = _take(time_p, last_p, _NONE), _take(time_e, last_e, _NONE)
    use_p = (last_p >= 0) & (t_p >= t_e)  # same timestamp: the contact
    muni = np.where(
        use_p,
        _take(pcc["municipality_code"].to_numpy(dtype=object), last_p, None),
        _take(ed["municipality_code"].to_numpy(dtype=object), last_e, None),
    )

    # Sex: the latest qualifying event with sex recorded (a contact only within its 30-day window).
    sex_p = pcc["sex"].to_numpy(dtype=object, na_value=None)
    idx_ps = np.flatnonzero(ok_p & pd.notna(sex_p))
    last_ps = latest(
        EventIndex(person_p[idx_ps], day_p[idx_ps], time_p[idx_ps], rank_p[idx_ps]), idx_ps, via_p
    )
    last_ps = np.where(_take(day_p, last_ps, _NONE) >= ref - (PCC_WINDOW - 1), last_ps, -1)
    t_ps = _take(time_p, last_ps, _NONE)
    sex = np.where(
        (last_ps >= 0) & (t_ps >= t_e),
        _take(sex_p, last_ps, None),
        _take(ed["sex"].to_numpy(dtype=object, na_value=None), last_e, None),
    )

    # Care centre: latest contact up to d, at any time.
    any_p = latest(pcc_index, idx_p, np.ones(len(person), dtype=bool))
    centre = _take(pcc["care_centre"].to_numpy(dtype=object), any_p, UNKNOWN_CARE_CENTRE)
    return pd.DataFrame({"municipality_code": muni, "sex": sex, "care_centre": centre, "pos": pos})


def _take(values: np.ndarray, rows: np.ndarray, fill) -> np.ndarray:
    """``values[rows]`` where rows ≥ 0, else ``fill``."""
    if len(values) == 0:
        return np.full(len(rows), fill, dtype=values.dtype if fill is not None else object)
    return np.where(rows >= 0, values[np.clip(rows, 0, None)], fill)


def frequent_attenders(frames: Mapping[str, pd.DataFrame], ctx: Context) -> Parts:
    persons = _persons(frames, ctx)
    if persons is None:
        return Parts.unavailable()
    units = units_frame(
        persons["municipality_code"],
        ctx.pidx_at(persons["pos"].to_numpy()),
        persons["sex"],
        numerator=np.ones(len(persons)),
    )
    return Parts(units, coverage=COVERAGE)


def by_care_centre(
    frames: Mapping[str, pd.DataFrame],
    *,
    period: str,
    end_date: dt.date | None = None,
) -> pd.DataFrame:
    """``frequent_attenders`` per care centre × municipality (+ ``ALL`` per care centre) × sex × period.

    Same tidy columns as :func:`metrics.compute.compute_all` plus
    ``care_centre`` (after ``municipality_code``). The grid holds every
    (care centre, municipality) pair seen in ``primary_care_contacts`` and
    every pair that has a counted person.
    """
    from metrics import compute  # local import: compute imports this module
    from metrics._tidy import empty_table, finish
    from metrics.registry import INDICATORS

    ind = INDICATORS["frequent_attenders"]
    prepared, ctx = compute.prepare(frames, period=period, end_date=end_date)
    if ctx is None:
        return empty_table(("care_centre",))
    persons = _persons(prepared, ctx)
    pcc = prepared.get("primary_care_contacts")
    if persons is None:  # a source table is missing: every known cell is saknar_underlag
        if pcc is None:
            return empty_table(("care_centre",))
        cells = pcc[["municipality_code", "care_centre"]]
        return finish(ind, Parts(pd.DataFrame(), missing=True, extra=("care_centre",), cells=cells), ctx)
    units = units_frame(
        persons["municipality_code"],
        ctx.pidx_at(persons["pos"].to_numpy()),
        persons["sex"],
        numerator=np.ones(len(persons)),
    )
    units["care_centre"] = persons["care_centre"].astype("str").to_numpy()
    cells = pd.concat(
        [pcc[["municipality_code", "care_centre"]], units[["municipality_code", "care_centre"]]],
        ignore_index=True,
    ).drop_duplicates()
    return finish(ind, Parts(units, extra=("care_centre",), cells=cells, coverage=COVERAGE), ctx)


INDICATOR_FUNCTIONS = {"frequent_attenders": frequent_attenders}
