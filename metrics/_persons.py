"""Person-level facts for the Målgrupper cohorts: one code, birth year and sex per person.

The conventions of ``shared/spec/indicators.md`` (section "Målgrupper"):

* *Birth year*: the ``birth_year`` most often given for the person in
  ``home_care_enrolments``, ``cfs_assessments``, ``short_term_stays`` and
  ``primary_care_contacts``, over all their rows. Ties: the value of the
  latest row, by the row's own date or time (enrolment and short-term stay:
  ``start_date``; assessment: ``assessment_date``; contact:
  ``contact_time``; a date is midnight, so a contact at 10:00 is later than
  an enrolment starting that day); still tied (same count, same latest
  instant): the higher birth year, so that the result never depends on row
  order. Without any: ``year(arrival or admission) − age`` of the person's
  latest ``ed_visits`` or ``hospital_stays`` row (latest by time; same time:
  the higher value). Otherwise unknown (``NaN``).
* *Sex*: likewise the value most often given over all the person's rows in
  every table that carries sex (``hospital_stays``, ``ed_visits``,
  ``home_care_enrolments``, ``primary_care_contacts``,
  ``short_term_stays``); ties: the latest row's; same instant: ``M`` before
  ``K`` (the higher code). Unknown: ``None``.

Everything is vectorised: a mode with tie-breaks is one ``np.lexsort`` over
(person, value) groups, never a loop over persons.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data_access.contract import SEXES

# (table, column that dates the row) for each person-level fact.
BIRTH_YEAR_SOURCES: tuple[tuple[str, str], ...] = (
    ("home_care_enrolments", "start_date"),
    ("cfs_assessments", "assessment_date"),
    ("short_term_stays", "start_date"),
    ("primary_care_contacts", "contact_time"),
)
AGE_SOURCES: tuple[tuple[str, str], ...] = (
    ("ed_visits", "arrival_time"),
    ("hospital_stays", "admission_time"),
)
SEX_SOURCES: tuple[tuple[str, str], ...] = (
    ("hospital_stays", "admission_time"),
    ("ed_visits", "arrival_time"),
    ("home_care_enrolments", "start_date"),
    ("primary_care_contacts", "contact_time"),
    ("short_term_stays", "start_date"),
)
# Every table whose rows the cohorts look at per person.
PERSON_TABLES: tuple[str, ...] = (
    "primary_care_contacts",
    "ed_visits",
    "hospital_stays",
    "home_care_enrolments",
    "short_term_stays",
    "cfs_assessments",
    "sip",
)
_NO_TIME = np.iinfo(np.int64).min


@dataclass(frozen=True)
class Persons:
    """Integer person codes per table, and birth year and sex per code.

    ``codes[table]`` is aligned with the rows of ``frames[table]``;
    ``ids[code]`` is the ``person_id``; ``birth_year`` is float (``NaN``
    unknown); ``sex`` holds ``"K"``, ``"M"`` or ``None``.
    """

    ids: np.ndarray
    codes: Mapping[str, np.ndarray]
    birth_year: np.ndarray
    sex: np.ndarray

    @property
    def n(self) -> int:
        return len(self.ids)


def _times(series: pd.Series) -> np.ndarray:
    """µs since the epoch; missing → the smallest int64 (never the latest)."""
    a = series.to_numpy(dtype="datetime64[us]")
    out = a.astype("int64")
    out[np.isnat(a)] = _NO_TIME
    return out


def _mode_latest(person: np.ndarray, value: np.ndarray, time: np.ndarray, n: int) -> np.ndarray:
    """Per person code 0 … n−1: the most frequent value; ties: latest row, then higher value. NaN if none.

    ``value`` holds whole numbers as float, without NaN (filter first).
    """
    out = np.full(n, np.nan)
    if len(person) == 0:
        return out
    v = value.astype("int64")
    vmin = int(v.min())
    span = int(v.max()) - vmin + 1
    key = person.astype("int64") * span + (v - vmin)  # one group per (person, value)
    order = np.argsort(key)
    k = key[order]
    starts = np.flatnonzero(np.concatenate(([True], k[1:] != k[:-1])))
    counts = np.diff(np.concatenate((starts, [len(k)])))
    latest = np.maximum.reduceat(time[order], starts)
    gp, gv = k[starts] // span, k[starts] % span + vmin
    best = np.lexsort((gv, latest, counts, gp))  # per person: count, then latest row, then value
    gp, gv = gp[best], gv[best]
    final = np.ones(len(gp), dtype=bool)
    final[:-1] = gp[1:] != gp[:-1]
    out[gp[final]] = gv[final]
    return out


def _latest(person: np.ndarray, value: np.ndarray, time: np.ndarray, n: int) -> np.ndarray:
    """Per person code: the value of the latest row (same time: the higher value); NaN if none."""
    out = np.full(n, np.nan)
    if len(person) == 0:
        return out
    order = np.lexsort((value, time, person))
    p, v = person[order], value[order]
    final = np.ones(len(p), dtype=bool)
    final[:-1] = p[1:] != p[:-1]
    out[p[final]] = v[final]
    return out


def _collect(frames, codes, sources, column, convert):
    people, values, times = [], [], []
    for table, time_col in sources:
        frame = frames.get(table)
        if frame is None or column not in frame.columns or len(frame) == 0:
            continue
        v = convert(frame[column])
        ok = ~np.isnan(v)
        people.append(codes[table][ok])
        values.append(v[ok])
        times.append(_times(frame[time_col])[ok])
    if not people:
        return np.zeros(0, dtype="int64"), np.zeros(0), np.zeros(0, dtype="int64")
    return np.concatenate(people), np.concatenate(values), np.concatenate(times)


def _as_float(series: pd.Series) -> np.ndarray:
    return series.to_numpy(dtype="float64", na_value=np.nan)


def _sex_code(series: pd.Series) -> np.ndarray:
    """0, 1 … for the sexes of the contract (K, M); NaN for missing or anything else."""
    out = np.full(len(series), np.nan)
    for i, sex in enumerate(SEXES):
        out[(series == sex).to_numpy(dtype=bool, na_value=False)] = float(i)
    return out


def resolve(frames: Mapping[str, pd.DataFrame]) -> Persons:
    """Codes, birth years and sexes of every person in the :data:`PERSON_TABLES` present in ``frames``."""
    present = [t for t in PERSON_TABLES if frames.get(t) is not None and "person_id" in frames[t].columns]
    lengths = [len(frames[t]) for t in present]
    if sum(lengths):
        joined = pd.concat(
            [frames[t]["person_id"].reset_index(drop=True) for t in present], ignore_index=True
        )
        all_codes, uniques = pd.factorize(joined)
        ids = np.asarray(uniques, dtype=object)
    else:
        all_codes, ids = np.zeros(0, dtype="int64"), np.zeros(0, dtype=object)
    codes: dict[str, np.ndarray] = {}
    start = 0
    for t, n in zip(present, lengths, strict=True):
        codes[t] = np.asarray(all_codes[start : start + n], dtype="int64")
        start += n
    n = len(ids)

    by = _mode_latest(*_collect(frames, codes, BIRTH_YEAR_SOURCES, "birth_year", _as_float), n)
    p, age, t = _collect(frames, codes, AGE_SOURCES, "age", _as_float)
    if len(p):
        has_time = t != _NO_TIME
        p, age, t = p[has_time], age[has_time], t[has_time]
        year = t.astype("datetime64[us]").astype("datetime64[Y]").astype("int64") + 1970
        fallback = _latest(p, year - age, t, n)
        by = np.where(np.isnan(by), fallback, by)

    sex_code = _mode_latest(*_collect(frames, codes, SEX_SOURCES, "sex", _sex_code), n)
    sexes = np.array([*SEXES, None], dtype=object)
    sex = sexes[np.where(np.isnan(sex_code), len(SEXES), np.nan_to_num(sex_code)).astype("int64")]
    return Persons(ids=ids, codes=codes, birth_year=by, sex=sex)
