"""Vectorised person × day look-ups shared by the indicator families.

Questions like "does this person have a SIP within d−364 … d?" or "which
was the person's latest contact up to d?" are answered with one sort and two
``np.searchsorted`` calls over a combined ``(person, day)`` integer key,
never with a loop over events.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DAY_OFFSET = 200_000  # added to day numbers so that every date after year 1423 is positive
DAY_SPAN = 1 << 21  # room for 2 097 152 days per person in the key


def person_codes(*columns: pd.Series) -> list[np.ndarray]:
    """Integer codes of ``person_id`` columns from several tables, consistent across them."""
    lengths = [len(c) for c in columns]
    if sum(lengths) == 0:
        return [np.zeros(0, dtype="int64") for _ in columns]
    joined = pd.concat([c.reset_index(drop=True) for c in columns], ignore_index=True)
    codes, _ = pd.factorize(joined)
    out, start = [], 0
    for n in lengths:
        out.append(codes[start : start + n].astype("int64"))
        start += n
    return out


def person_day_key(person: np.ndarray, day: np.ndarray) -> np.ndarray:
    return np.asarray(person, dtype="int64") * DAY_SPAN + (np.asarray(day, dtype="int64") + DAY_OFFSET)


class EventIndex:
    """Events of persons, sorted by (person, day[, tiebreak]) for window queries.

    ``person`` and ``day`` must not contain missing values (filter first).
    ``tiebreak`` arrays (e.g. the timestamp in microseconds, then the rank of
    the row's id) order events within a day, most significant first, so that
    :meth:`latest_at_or_before` returns the latest one whatever the row order.
    """

    def __init__(self, person: np.ndarray, day: np.ndarray, *tiebreak: np.ndarray):
        key = person_day_key(person, day)
        if not tiebreak:
            order = np.argsort(key, kind="stable")
        else:
            order = np.lexsort((*(np.asarray(t) for t in reversed(tiebreak)), key))
        self.order = order
        self.keys = key[order]
        self.person = np.asarray(person, dtype="int64")[order]

    def __len__(self) -> int:
        return len(self.keys)

    def count_between(self, person: np.ndarray, lo_day: np.ndarray, hi_day: np.ndarray) -> np.ndarray:
        """Number of the person's events with lo_day ≤ day ≤ hi_day (inclusive)."""
        lo = np.searchsorted(self.keys, person_day_key(person, lo_day), side="left")
        hi = np.searchsorted(self.keys, person_day_key(person, hi_day), side="right")
        return np.maximum(hi - lo, 0)

    def any_between(self, person: np.ndarray, lo_day: np.ndarray, hi_day: np.ndarray) -> np.ndarray:
        return self.count_between(person, lo_day, hi_day) > 0

    def latest_at_or_before(self, person: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Row (in the original order) of the person's latest event on or before ``day``; −1 if none."""
        pos = np.searchsorted(self.keys, person_day_key(person, day), side="right") - 1
        safe = np.clip(pos, 0, max(len(self.keys) - 1, 0))
        if len(self.keys) == 0:
            return np.full(len(pos), -1, dtype="int64")
        ok = (pos >= 0) & (self.person[safe] == np.asarray(person, dtype="int64"))
        return np.where(ok, self.order[safe], -1)


def id_rank(ids: pd.Series) -> np.ndarray:
    """Rank of each id in sorted order (a deterministic tie-break independent of row order)."""
    if len(ids) == 0:
        return np.zeros(0, dtype="int64")
    return ids.rank(method="dense").to_numpy(dtype="int64", na_value=0)


def explode_intervals(
    ref_days: np.ndarray, lo_day: np.ndarray, hi_day: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (row, period position) for every reference day inside [lo_day, hi_day] of each row.

    ``ref_days`` must be increasing (the reference days of the period table).
    Returns the row numbers of the input intervals and the positions of the
    matching periods, both int64 arrays of the same length.
    """
    first = np.searchsorted(ref_days, lo_day, side="left")
    stop = np.searchsorted(ref_days, hi_day, side="right")
    counts = np.maximum(stop - first, 0)
    total = int(counts.sum())
    rows = np.repeat(np.arange(len(counts), dtype="int64"), counts)
    within = np.arange(total, dtype="int64") - np.repeat(np.cumsum(counts) - counts, counts)
    positions = np.repeat(first, counts) + within
    return rows, positions.astype("int64")


def previous_in_person(person_sorted: np.ndarray, values_sorted: np.ndarray, k: int, fill) -> np.ndarray:
    """For rows sorted by person, the value ``k`` rows earlier for the same person (else ``fill``)."""
    n = len(person_sorted)
    out = np.full(n, fill, dtype=values_sorted.dtype)
    if n > k:
        same = person_sorted[k:] == person_sorted[:-k]
        out[k:] = np.where(same, values_sorted[:-k], fill)
    return out
