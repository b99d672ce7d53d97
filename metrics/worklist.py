"""The worklist (arbetslista) of the Målgrupper cohorts: one row per person on a chosen day d.

::

    wl = worklist(frames, day=dt.date(2026, 10, 31))
    changes = worklist_changes(wl, worklist(frames, day=month_before(dt.date(2026, 10, 31))))

Pure: ``frames`` as for :func:`metrics.compute.compute_all` (contract dtypes,
a missing table means "not delivered"); no I/O, no access control (the page
that shows the list decides who may see it; ``person_id`` is the
pseudonymous key of the delivery).

Who is on the list: every person (of known birth year) in at least one of
the five person cohorts of :data:`metrics.cohorts.PERSON_COHORTS` on day d,
with the definitions of :mod:`metrics.cohorts` and the data as they stood
at the end of d (:func:`metrics.compute.as_of`: later rows and outcomes are
not yet known):

* ``mal_mangsokare_ej_inskrivna``: in the cohort on d itself;
* the four period cohorts (``mal_akut_ej_inlagd``, ``mal_samsa_ej_inskrivna``,
  ``mal_korttid_ej_inskrivna``, ``mal_akuta_insatser_hemma``): the window
  d−29 … d (30 days) plays the role of the period. For the two cohorts with a
  14-day follow-up the rule of the tail applies as of d: a discharge or end
  of short-term stay x counts once x+14 ≤ d, so these persons were discharged
  in d−29 … d−14.

``mal_fangade_60d`` is a share, not a group of persons, and has no rows of
its own; its denominator is the persons entering the frequent-attender cohort,
whose entry day is the column ``mangsokare_entry_date``.

A cohort whose source tables are missing contributes nobody (as it is
``saknar_underlag`` in the indicator table); persons of unknown birth year
are never listed (they are not counted; the indicator table reports their
number as ``n_unassessed``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from data_access.contract import TABLES
from metrics import cohorts as co
from metrics._events import EventIndex, id_rank
from metrics._persons import PERSON_TABLES, Persons, resolve
from metrics.periods import NAT_DAY, date_to_day, day_numbers, days_to_datetime64

WINDOW_DAYS = 30  # the period cohorts: d−29 … d
PCC_DAYS, ED_DAYS, ED_NOT_ADMITTED_DAYS = 30, 365, 90

WORKLIST_COLUMNS: tuple[str, ...] = (
    "person_id",
    "age",
    "sex",
    "municipality_code",
    "care_centre",
    "pcc_contacts_30d",
    "ed_visits_365d",
    "ed_not_admitted_90d",
    "latest_discharge_date",
    "latest_cfs_score",
    "latest_cfs_date",
    "latest_sip_date",
    "enrolled",
    "cohorts",
    "mangsokare_entry_date",
)
# Swedish column headings for the page and downloads.
COLUMN_LABELS_SV: dict[str, str] = {
    "person_id": "Person-id (pseudonym)",
    "age": "Ålder",
    "sex": "Kön",
    "municipality_code": "Kommun",
    "care_centre": "Vårdcentral (senaste kontakt)",
    "pcc_contacts_30d": "Vårdcentralskontakter senaste 30 dagarna",
    "ed_visits_365d": "Akutbesök senaste 365 dagarna",
    "ed_not_admitted_90d": "Akutbesök utan inläggning senaste 90 dagarna",
    "latest_discharge_date": "Senaste utskrivning",
    "latest_cfs_score": "Senaste CFS",
    "latest_cfs_date": "Datum för senaste CFS",
    "latest_sip_date": "Senaste SIP",
    "enrolled": "Inskriven i kommunal primärvård",
    "cohorts": "Målgrupper",
    "mangsokare_entry_date": "Mångsökare sedan",
    "change": "Förändring",
}
CHANGE_COLUMN = "change"
CHANGE_NEW = "ny sedan förra månaden"
CHANGE_STAYED = "kvar"
CHANGE_LEFT = "lämnat listan"
COHORT_SEPARATOR = ","


def month_before(day: dt.date) -> dt.date:
    """The same day one month earlier (the last day of that month when it is shorter): 2026-03-31 → 2026-02-28."""
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    first_next = dt.date(year + (month == 12), month % 12 + 1, 1)
    return dt.date(year, month, min(day.day, (first_next - dt.timedelta(days=1)).day))


def in_cohort(table: pd.DataFrame, cohort_id: str) -> pd.Series:
    """Mask of the worklist rows whose ``cohorts`` include ``cohort_id``."""
    if cohort_id not in co.COHORT_IDS:
        raise ValueError(f"unknown cohort {cohort_id!r}; known: {', '.join(co.COHORT_IDS)}")
    return table["cohorts"].map(lambda text: cohort_id in str(text).split(COHORT_SEPARATOR)).astype(bool)


def empty_worklist() -> pd.DataFrame:
    return _frame(
        {
            "person_id": np.zeros(0, dtype=object),
            "age": np.zeros(0),
            "sex": np.zeros(0, dtype=object),
            "municipality_code": np.zeros(0, dtype=object),
            "care_centre": np.zeros(0, dtype=object),
            "pcc_contacts_30d": np.zeros(0, dtype="int64"),
            "ed_visits_365d": np.zeros(0, dtype="int64"),
            "ed_not_admitted_90d": np.zeros(0, dtype="int64"),
            "latest_discharge_date": np.zeros(0, dtype="int64"),
            "latest_cfs_score": np.zeros(0),
            "latest_cfs_date": np.zeros(0, dtype="int64"),
            "latest_sip_date": np.zeros(0, dtype="int64"),
            "enrolled": np.zeros(0, dtype=bool),
            "cohorts": np.zeros(0, dtype=object),
            "mangsokare_entry_date": np.zeros(0, dtype="int64"),
        }
    )


def _frame(data: dict[str, np.ndarray]) -> pd.DataFrame:
    """Worklist columns in order and dtype; day numbers → dates (``NAT_DAY`` → NaT)."""
    out = {}
    for col in WORKLIST_COLUMNS:
        v = data[col]
        if col in ("person_id", "sex", "municipality_code", "care_centre", "cohorts"):
            out[col] = pd.array(np.asarray(v, dtype=object), dtype="str")
        elif col in ("age", "latest_cfs_score"):
            out[col] = pd.array(np.asarray(v, dtype="float64"), dtype="Float64").astype("Int64")
        elif col.endswith("_date"):
            days = np.asarray(v, dtype="int64")
            dates = days_to_datetime64(np.where(days == NAT_DAY, 0, days))
            dates[days == NAT_DAY] = np.datetime64("NaT")
            out[col] = dates.astype("datetime64[us]")
        elif col == "enrolled":
            out[col] = np.asarray(v, dtype=bool)
        else:
            out[col] = np.asarray(v, dtype="int64")
    return pd.DataFrame(out)


# ------------------------------------------------------------------ candidates


def _window(frame: pd.DataFrame, column: str, lo: int, hi: int) -> np.ndarray:
    days = day_numbers(frame[column])
    return (days != NAT_DAY) & (days >= lo) & (days <= hi)


def _ids(frame: pd.DataFrame, mask: np.ndarray, min_count: int = 1) -> np.ndarray:
    """person_ids with at least ``min_count`` rows where ``mask``."""
    counts = frame["person_id"][mask].value_counts(sort=False)
    return counts.index[(counts >= min_count).to_numpy()].to_numpy(dtype=object)


def _isin(series: pd.Series, values: np.ndarray) -> np.ndarray:
    """``series.isin(values)`` as a numpy mask, through pyarrow's hash set (pandas' isin loops in Python)."""
    try:
        arr = pa.array(series, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # pragma: no cover - non-text ids
        return series.isin(values).to_numpy(dtype=bool)
    mask = pc.is_in(arr, value_set=pa.array(values, type=pa.string()))
    return mask.fill_null(False).to_numpy(zero_copy_only=False).astype(bool)


def _available(frames: Mapping[str, pd.DataFrame]) -> dict[str, bool]:
    has = {t: frames.get(t) is not None for t in TABLES}
    stays = frames.get("hospital_stays")
    return {
        "mal_mangsokare_ej_inskrivna": has["primary_care_contacts"]
        and has["ed_visits"]
        and has["home_care_enrolments"],
        "mal_akut_ej_inlagd": has["ed_visits"],
        "mal_samsa_ej_inskrivna": has["hospital_stays"]
        and has["home_care_enrolments"]
        and "care_plan_complete" in stays.columns,
        "mal_korttid_ej_inskrivna": has["short_term_stays"] and has["home_care_enrolments"],
        "mal_akuta_insatser_hemma": has["ed_visits"],
    }


def _candidates(frames: Mapping[str, pd.DataFrame], d: int, available: Mapping[str, bool]) -> np.ndarray:
    """person_ids that may be in a cohort on d (a superset: age and enrolment are checked later)."""
    lo = d - (WINDOW_DAYS - 1)
    found = []
    if available["mal_mangsokare_ej_inskrivna"]:
        pcc, ed = frames["primary_care_contacts"], frames["ed_visits"]
        found.append(_ids(pcc, _window(pcc, "contact_time", d - (co.PCC_WINDOW - 1), d), co.PCC_MIN))
        akut = (ed["unit"] == co.ED_UNIT).to_numpy(dtype=bool, na_value=False)
        found.append(_ids(ed, akut & _window(ed, "arrival_time", d - (co.ED_WINDOW - 1), d), co.ED_MIN))
    if available["mal_akut_ej_inlagd"] or available["mal_akuta_insatser_hemma"]:
        ed = frames["ed_visits"]
        recent = _window(ed, "arrival_time", lo, d)
        found.append(_ids(ed, recent & (ed["unit"] == co.ED_UNIT).to_numpy(dtype=bool, na_value=False)))
        found.append(_ids(ed, recent & ~(ed["unit"] == co.ED_UNIT).to_numpy(dtype=bool, na_value=False)))
        if "arrival_mode" in ed.columns:
            amb = (ed["arrival_mode"] == co.AMBULANCE).to_numpy(dtype=bool, na_value=False)
            found.append(_ids(ed, recent & amb))
    if available["mal_samsa_ej_inskrivna"]:
        stays = frames["hospital_stays"]
        found.append(_ids(stays, _window(stays, "discharge_time", lo, d - co.FOLLOW_DAYS)))
    if available["mal_korttid_ej_inskrivna"]:
        sts = frames["short_term_stays"]
        found.append(_ids(sts, _window(sts, "end_date", lo, d - co.FOLLOW_DAYS)))
    if not found:
        return np.zeros(0, dtype=object)
    return np.unique(np.concatenate([f.astype(object) for f in found]).astype(str))


# ------------------------------------------------------------------ membership


def _members(events: co.Events | None, persons: Persons, lo: int, d: int):
    """(person, municipality, time) per person with a qualifying event in lo … d (the latest event)."""
    if events is None:
        return None
    events = events.take((events.day >= lo) & (events.day <= d))
    qualifies, _unknown = co.age_status(events, persons)
    events = events.take(qualifies)
    pick = co.latest_per_person(
        events.person, np.zeros(len(events.person), dtype="int64"), events.time, events.rank
    )
    return events.person[pick], events.muni[pick], events.time[pick]


def _latest_row(
    person: np.ndarray, day: np.ndarray, query: np.ndarray, d: int, *tiebreak: np.ndarray
) -> np.ndarray:
    """Row of each queried person's latest event on or before d (−1 if none); rows with a missing day ignored."""
    ok = day != NAT_DAY
    rows = np.flatnonzero(ok)
    index = EventIndex(person[ok], day[ok], *(t[ok] for t in tiebreak))
    found = index.latest_at_or_before(query, np.full(len(query), d))
    return np.where(found >= 0, rows[np.clip(found, 0, None)] if len(rows) else 0, -1)


def _count(
    person: np.ndarray, day: np.ndarray, mask: np.ndarray, query: np.ndarray, lo: int, d: int
) -> np.ndarray:
    ok = (day != NAT_DAY) & mask
    index = EventIndex(person[ok], day[ok])
    return index.count_between(query, np.full(len(query), lo), np.full(len(query), d)).astype("int64")


def worklist(frames: Mapping[str, pd.DataFrame], *, day: dt.date) -> pd.DataFrame:
    """One row per person in any cohort on ``day``; columns :data:`WORKLIST_COLUMNS` (see module docstring).

    Sorted by municipality, then person_id. ``cohorts`` lists the person's
    cohort ids in registry order, separated by ``","``; ``municipality_code``
    is that of the cohort whose placing event is the latest (the latest
    contact or ED visit up to d for the frequent-attender cohort, the latest
    qualifying event of the window for the others).
    """
    from metrics.compute import as_of  # local: compute imports metrics.cohorts

    d = date_to_day(day)
    frames = {k: v for k, v in frames.items() if v is not None and k in TABLES}
    frames = as_of(frames, d)
    available = _available(frames)
    candidates = _candidates(frames, d, available)
    if len(candidates) == 0:
        return empty_worklist()
    sub = {
        t: (f.loc[_isin(f["person_id"], candidates)].reset_index(drop=True) if t in PERSON_TABLES else f)
        for t, f in frames.items()
    }
    persons = resolve(sub)
    enrolments = co.Enrolments(sub.get("home_care_enrolments"), persons.codes.get("home_care_enrolments"))
    lo = d - (WINDOW_DAYS - 1)

    members: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    entry = np.full(persons.n, NAT_DAY, dtype="int64")
    if available["mal_mangsokare_ej_inskrivna"]:
        runs = co.mangsokare_runs(sub, persons, enrolments)
        runs = runs.take(runs.known & (runs.entry <= d) & (runs.exit > d))
        muni, time = co.LatestPlace(sub, persons).at(runs.person, np.full(len(runs.person), d))
        members["mal_mangsokare_ej_inskrivna"] = (runs.person, muni, time)
        entry[runs.person] = runs.entry
    if available["mal_akut_ej_inlagd"]:
        members["mal_akut_ej_inlagd"] = _members(co.akut_ej_inlagd_events(sub, persons), persons, lo, d)
    if available["mal_samsa_ej_inskrivna"]:
        members["mal_samsa_ej_inskrivna"] = _members(
            co.samsa_events(sub, persons, enrolments, d), persons, lo, d
        )
    if available["mal_korttid_ej_inskrivna"]:
        members["mal_korttid_ej_inskrivna"] = _members(
            co.korttid_events(sub, persons, enrolments, d), persons, lo, d
        )
    if available["mal_akuta_insatser_hemma"]:
        members["mal_akuta_insatser_hemma"] = _members(co.akuta_insatser_events(sub, persons), persons, lo, d)

    # Per person: cohorts (registry order) and the municipality of the latest placing event.
    n = persons.n
    in_any = np.zeros(n, dtype=bool)
    best_time = np.full(n, np.iinfo(np.int64).min, dtype="int64")
    muni = np.full(n, None, dtype=object)
    labels = np.full(n, "", dtype=object)
    for cohort in co.PERSON_COHORTS:  # registry order: an earlier cohort wins a tie in time
        if members.get(cohort) is None:
            continue
        p, m, t = members[cohort]
        t = np.asarray(t, dtype="int64")
        later = (~in_any[p]) | (t > best_time[p])
        muni[p[later]] = m[later]
        best_time[p[later]] = t[later]
        labels[p] = np.where(in_any[p] & (labels[p] != ""), labels[p] + COHORT_SEPARATOR + cohort, cohort)
        in_any[p] = True
    people = np.flatnonzero(in_any)
    if len(people) == 0:
        return empty_worklist()
    details = _details(sub, persons, enrolments, people, d)
    data = {
        "person_id": persons.ids[people],
        "age": co.age_on(persons.birth_year[people], np.full(len(people), d)),
        "sex": persons.sex[people],
        "municipality_code": muni[people],
        "cohorts": labels[people],
        "mangsokare_entry_date": entry[people],
        **details,
    }
    out = _frame(data)
    return out.sort_values(["municipality_code", "person_id"], kind="stable").reset_index(drop=True)


def _details(
    sub, persons: Persons, enrolments: co.Enrolments, people: np.ndarray, d: int
) -> dict[str, np.ndarray]:
    """The descriptive columns of the listed persons (counts, latest events, enrolment on d)."""
    k = len(people)
    nat = np.full(k, NAT_DAY, dtype="int64")
    out: dict[str, np.ndarray] = {
        "care_centre": np.full(k, None, dtype=object),
        "pcc_contacts_30d": np.zeros(k, dtype="int64"),
        "ed_visits_365d": np.zeros(k, dtype="int64"),
        "ed_not_admitted_90d": np.zeros(k, dtype="int64"),
        "latest_discharge_date": nat,
        "latest_cfs_score": np.full(k, np.nan),
        "latest_cfs_date": nat.copy(),
        "latest_sip_date": nat.copy(),
        "enrolled": enrolments.enrolled_on(people, np.full(k, d)),
    }
    pcc = sub.get("primary_care_contacts")
    if pcc is not None:
        p, day = persons.codes["primary_care_contacts"], day_numbers(pcc["contact_time"])
        time = pcc["contact_time"].to_numpy(dtype="datetime64[us]").astype("int64")
        row = _latest_row(p, day, people, d, time, id_rank(pcc["contact_id"]))
        centre = pcc["care_centre"].to_numpy(dtype=object)
        out["care_centre"] = np.where(row >= 0, centre[np.clip(row, 0, None)] if len(centre) else None, None)
        out["pcc_contacts_30d"] = _count(p, day, np.ones(len(p), dtype=bool), people, d - (PCC_DAYS - 1), d)
    ed = sub.get("ed_visits")
    if ed is not None:
        p, day = persons.codes["ed_visits"], day_numbers(ed["arrival_time"])
        akut = (ed["unit"] == co.ED_UNIT).to_numpy(dtype=bool, na_value=False)
        out["ed_visits_365d"] = _count(p, day, akut, people, d - (ED_DAYS - 1), d)
        not_admitted = akut & co._bool(ed, "admitted", False)
        out["ed_not_admitted_90d"] = _count(p, day, not_admitted, people, d - (ED_NOT_ADMITTED_DAYS - 1), d)
    stays = sub.get("hospital_stays")
    if stays is not None:
        day = day_numbers(stays["discharge_time"])
        row = _latest_row(persons.codes["hospital_stays"], day, people, d)
        out["latest_discharge_date"] = np.where(
            row >= 0, day[np.clip(row, 0, None)] if len(day) else 0, NAT_DAY
        )
    cfs = sub.get("cfs_assessments")
    if cfs is not None:
        day = day_numbers(cfs["assessment_date"])
        row = _latest_row(persons.codes["cfs_assessments"], day, people, d, id_rank(cfs["assessment_id"]))
        score = cfs["cfs_score"].to_numpy(dtype="float64", na_value=np.nan)
        safe = np.clip(row, 0, None)
        out["latest_cfs_score"] = np.where(row >= 0, score[safe] if len(score) else np.nan, np.nan)
        out["latest_cfs_date"] = np.where(row >= 0, day[safe] if len(day) else 0, NAT_DAY)
    sip = sub.get("sip")
    if sip is not None:
        day = day_numbers(sip["sip_date"])
        row = _latest_row(persons.codes["sip"], day, people, d)
        out["latest_sip_date"] = np.where(row >= 0, day[np.clip(row, 0, None)] if len(day) else 0, NAT_DAY)
    return out


def worklist_changes(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """``current`` with a column ``change``, plus the persons of ``previous`` who are no longer listed.

    ``change``: ``"ny sedan förra månaden"`` (on the current list, not on the
    previous one), ``"kvar"`` (on both) or ``"lämnat listan"`` (only on the
    previous one; such rows carry their values from the previous list).
    Rows: the current list in its order, then those who left, in theirs.
    Typically ``previous = worklist(frames, day=month_before(day))``.
    """
    before = set(previous["person_id"].astype(str))
    now = set(current["person_id"].astype(str))
    cur = current.copy()
    cur[CHANGE_COLUMN] = np.where(cur["person_id"].astype(str).isin(before), CHANGE_STAYED, CHANGE_NEW)
    left = previous[~previous["person_id"].astype(str).isin(now)].copy()
    left[CHANGE_COLUMN] = CHANGE_LEFT
    out = pd.concat([cur, left], ignore_index=True) if len(left) else cur.reset_index(drop=True)
    out[CHANGE_COLUMN] = out[CHANGE_COLUMN].astype("str")
    return out
