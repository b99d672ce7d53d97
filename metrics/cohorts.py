"""Målgrupper: the workshop's target groups (proactive cohorts) as indicators.

The six definitions of ``shared/spec/indicators.md``, section "Målgrupper",
exactly as written there (see also ``docs/methods.md``):

* ``mal_mangsokare_ej_inskrivna`` — persons who on the reference day d are
  frequent attenders (≥ 3 ``primary_care_contacts`` in d−29 … d, or ≥ 4
  ``ed_visits`` with unit ``akutmottagning`` in d−364 … d), aged ≥ 75 on d
  and not enrolled on d. Municipality: of their latest primary care contact
  or ED visit (any unit) up to d (same time: the contact, then the higher id).
* ``mal_akut_ej_inlagd`` — persons with ≥ 1 ``akutmottagning`` visit in the
  period, ``admitted`` false, aged ≥ 75 at arrival.
* ``mal_samsa_ej_inskrivna`` — persons with ≥ 1 stay discharged in the period
  to ``hem``, aged ≥ 75 at admission, ``care_plan_complete`` true, and not
  enrolled on any day of x … x+14 (x = discharge date); a discharge with
  x+14 after the end date is not yet counted.
* ``mal_korttid_ej_inskrivna`` — persons with ≥ 1 ``short_term_stays`` row
  ending (x = end_date) in the period, ``discharge_to`` ``hem``, aged ≥ 75 on
  x, not enrolled on any day of x … x+14 (same rule for the tail).
* ``mal_akuta_insatser_hemma`` — persons aged ≥ 75 at arrival with ≥ 1
  ``ed_visits`` row in the period whose unit is ``MALT`` or arrival_mode
  ``ambulans``.
* ``mal_fangade_60d`` — of the persons who *enter*
  ``mal_mangsokare_ej_inskrivna`` on a day x of the period (in it on x, not
  on x−1; first entry in the period), the share with a SIP held or an
  enrolment starting in x … x+60; entries with x+60 after the end date are
  not yet counted.

Common rules: ages are ``year(day) − birth year`` with the person-level
birth year of :mod:`metrics._persons`; a person of unknown birth year is not
counted but reported in ``n_unassessed`` (one per person and period, where
the other criteria hold); sex is the person-level sex (unknown: ``T`` only).
The four period cohorts count each person once per period, in the
municipality of the latest event (time, then id) that puts them in it.
Values are persons per 1 000 inhabitants 75+, not annualised
(``value_kind = "rate_point"``); ``mal_fangade_60d`` is a proportion.

The same building blocks serve :mod:`metrics.worklist` (one day, person by
person). Everything is vectorised: the days on which a person is in the
frequent-attender cohort are found with one sweep over (person, day)
boundary events (frequent-attender intervals, enrolments, the 75th birth
year), never with a loop over persons or days.
"""

from __future__ import annotations

import contextvars
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from metrics._events import EventIndex, explode_intervals, id_rank, person_day_key
from metrics._persons import PERSON_TABLES, Persons, resolve
from metrics._tidy import Context, Parts, units_frame
from metrics.discharges import municipalities_filling
from metrics.frequent_attenders import ED_MIN, ED_WINDOW, PCC_MIN, PCC_WINDOW, _qualifying_days
from metrics.periods import NAT_DAY, day_numbers

MIN_AGE = 75
FOLLOW_DAYS = 14  # "enrolled within 14 days after x": any day of x … x+14
REACH_DAYS = 60  # mal_fangade_60d: SIP or enrolment start in x … x+60
ED_UNIT = "akutmottagning"
MALT_UNIT = "MALT"
AMBULANCE = "ambulans"
HOME = "hem"
OPEN_END = 1_000_000  # day number of "still enrolled" (year 4707; fits the (person, day) key)
UNKNOWN_AGE_DAY = -150_000  # age criterion "always met" (persons of unknown birth year, flagged)

# Registry order. The five cohorts of persons (the worklist's cohorts) and the share.
PERSON_COHORTS: tuple[str, ...] = (
    "mal_mangsokare_ej_inskrivna",
    "mal_akut_ej_inlagd",
    "mal_samsa_ej_inskrivna",
    "mal_korttid_ej_inskrivna",
    "mal_akuta_insatser_hemma",
)
COHORT_IDS: tuple[str, ...] = (*PERSON_COHORTS, "mal_fangade_60d")
FA_COVERAGE = (("primary_care_contacts", PCC_WINDOW - 1), ("ed_visits", ED_WINDOW - 1))


# ------------------------------------------------------------------ small helpers


def year_of_days(days: np.ndarray) -> np.ndarray:
    """Calendar year of day numbers."""
    return (
        np.asarray(days, dtype="int64").astype("datetime64[D]").astype("datetime64[Y]").astype("int64") + 1970
    )


def first_day_of_year(years: np.ndarray) -> np.ndarray:
    """Day number of 1 January of each (integer) year."""
    return (
        (np.asarray(years, dtype="int64") - 1970)
        .astype("datetime64[Y]")
        .astype("datetime64[D]")
        .astype("int64")
    )


def age_on(birth_year: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Age on day d = year(d) − birth year (float; NaN where the birth year is unknown)."""
    return year_of_days(days) - birth_year


def _micros(series: pd.Series) -> np.ndarray:
    return series.to_numpy(dtype="datetime64[us]").astype("int64")


# ------------------------------------------------------------------ enrolments


class Enrolments:
    """Enrolment intervals per person, for "enrolled on some day of lo … hi" and "an enrolment starts in lo … hi".

    An enrolment covers start_date … end_date (both included; an empty end
    date is open). Enrolments of any municipality count.
    """

    def __init__(self, frame: pd.DataFrame | None, codes: np.ndarray | None):
        if frame is None or codes is None or len(frame) == 0:
            person = start = end = np.zeros(0, dtype="int64")
        else:
            start = day_numbers(frame["start_date"])
            end = day_numbers(frame["end_date"])
            ok = start != NAT_DAY
            person, start, end = codes[ok], start[ok], end[ok]
            end = np.where(end == NAT_DAY, OPEN_END, end)
        order = np.lexsort((start, person))
        self.person = person[order]
        self.start = start[order]
        self.end = end[order]
        self._start_key = person_day_key(self.person, self.start)
        # Within a person (sorted by start), the largest end so far: the person's keys exceed every
        # earlier person's, so a plain running maximum of the (person, end) key stays within the person.
        self._max_end_key = (
            np.maximum.accumulate(person_day_key(self.person, self.end)) if len(order) else order
        )
        self.starts = EventIndex(self.person, self.start)

    def __len__(self) -> int:
        return len(self.person)

    def enrolled_between(self, person: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """True where the person has an enrolment with start ≤ hi and end ≥ lo (enrolled on a day of lo … hi)."""
        person = np.asarray(person, dtype="int64")
        if len(self.person) == 0:
            return np.zeros(len(person), dtype=bool)
        pos = np.searchsorted(self._start_key, person_day_key(person, hi), side="right") - 1
        safe = np.clip(pos, 0, None)
        return (
            (pos >= 0)
            & (self.person[safe] == person)
            & (self._max_end_key[safe] >= person_day_key(person, lo))
        )

    def enrolled_on(self, person: np.ndarray, day: np.ndarray) -> np.ndarray:
        return self.enrolled_between(person, day, day)

    def starting_between(self, person: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        return self.starts.any_between(person, lo, hi)


# ------------------------------------------------------------------ events of the four period cohorts


@dataclass(frozen=True)
class Events:
    """Rows that put a person in a period cohort, before the age criterion.

    ``day`` places the row in a period (or the worklist's window),
    ``age_day`` is the day the age is taken on, ``time``/``rank`` order rows
    for "the latest event" (µs, then the rank of the row's id).
    """

    person: np.ndarray
    day: np.ndarray
    age_day: np.ndarray
    time: np.ndarray
    rank: np.ndarray
    muni: np.ndarray

    def take(self, mask: np.ndarray) -> Events:
        return Events(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))


def _events(
    frame: pd.DataFrame, codes: np.ndarray, keep: np.ndarray, day, age_day, time_col, id_col
) -> Events:
    keep = np.asarray(keep, dtype=bool)
    return Events(
        person=codes[keep],
        day=np.asarray(day)[keep],
        age_day=np.asarray(age_day)[keep],
        time=_micros(frame[time_col])[keep],
        rank=id_rank(frame[id_col])[keep],
        muni=frame["municipality_code"].to_numpy(dtype=object)[keep],
    )


def _bool(frame: pd.DataFrame, column: str, value: bool) -> np.ndarray:
    """True where ``column`` is exactly ``value`` (missing is neither)."""
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    s = frame[column]
    return (s.notna() & (s == value)).to_numpy(dtype=bool, na_value=False)


def akut_ej_inlagd_events(frames: Mapping[str, pd.DataFrame], persons: Persons) -> Events | None:
    ed = frames.get("ed_visits")
    if ed is None:
        return None
    day = day_numbers(ed["arrival_time"])
    keep = (day != NAT_DAY) & (ed["unit"] == ED_UNIT).to_numpy(dtype=bool, na_value=False)
    keep &= _bool(ed, "admitted", False)
    return _events(ed, persons.codes["ed_visits"], keep, day, day, "arrival_time", "visit_id")


def akuta_insatser_events(frames: Mapping[str, pd.DataFrame], persons: Persons) -> Events | None:
    ed = frames.get("ed_visits")
    if ed is None:
        return None
    day = day_numbers(ed["arrival_time"])
    malt = (ed["unit"] == MALT_UNIT).to_numpy(dtype=bool, na_value=False).copy()
    if "arrival_mode" in ed.columns:
        malt |= (ed["arrival_mode"] == AMBULANCE).to_numpy(dtype=bool, na_value=False)
    keep = (day != NAT_DAY) & malt
    return _events(ed, persons.codes["ed_visits"], keep, day, day, "arrival_time", "visit_id")


def samsa_events(
    frames: Mapping[str, pd.DataFrame], persons: Persons, enrolments: Enrolments, end_day: int
) -> Events | None:
    stays = frames.get("hospital_stays")
    if (
        stays is None
        or "care_plan_complete" not in stays.columns
        or frames.get("home_care_enrolments") is None
    ):
        return None
    dis = day_numbers(stays["discharge_time"])
    adm = day_numbers(stays["admission_time"])
    keep = (dis != NAT_DAY) & (adm != NAT_DAY) & (dis + FOLLOW_DAYS <= end_day)
    keep &= (stays["discharge_to"] == HOME).to_numpy(dtype=bool, na_value=False)
    keep &= _bool(stays, "care_plan_complete", True)
    codes = persons.codes["hospital_stays"]
    rows = np.flatnonzero(keep)
    enrolled = enrolments.enrolled_between(codes[rows], dis[rows], dis[rows] + FOLLOW_DAYS)
    keep[rows[enrolled]] = False
    return _events(stays, codes, keep, dis, adm, "discharge_time", "stay_id")


def korttid_events(
    frames: Mapping[str, pd.DataFrame], persons: Persons, enrolments: Enrolments, end_day: int
) -> Events | None:
    sts = frames.get("short_term_stays")
    if sts is None or frames.get("home_care_enrolments") is None:
        return None
    end = day_numbers(sts["end_date"])
    keep = (end != NAT_DAY) & (end + FOLLOW_DAYS <= end_day)
    keep &= (sts["discharge_to"] == HOME).to_numpy(dtype=bool, na_value=False)
    codes = persons.codes["short_term_stays"]
    rows = np.flatnonzero(keep)
    enrolled = enrolments.enrolled_between(codes[rows], end[rows], end[rows] + FOLLOW_DAYS)
    keep[rows[enrolled]] = False
    return _events(sts, codes, keep, end, end, "end_date", "stay_id")


def age_status(events: Events, persons: Persons) -> tuple[np.ndarray, np.ndarray]:
    """(qualifies: known birth year and aged ≥ 75 on age_day, unknown: birth year unknown)."""
    by = persons.birth_year[events.person]
    unknown = np.isnan(by)
    with np.errstate(invalid="ignore"):
        qualifies = ~unknown & (age_on(by, events.age_day) >= MIN_AGE)
    return qualifies, unknown


def latest_per_person(
    person: np.ndarray, group: np.ndarray, time: np.ndarray, rank: np.ndarray
) -> np.ndarray:
    """Positions of the latest row (time, then rank) per (person, group)."""
    order = np.lexsort((rank, time, group, person))
    p, g = person[order], group[order]
    last = np.ones(len(order), dtype=bool)
    last[:-1] = (p[1:] != p[:-1]) | (g[1:] != g[:-1])
    return order[last]


# ------------------------------------------------------------------ the frequent-attender cohort over time


@dataclass(frozen=True)
class Runs:
    """Maximal runs of days in ``mal_mangsokare_ej_inskrivna``: ``entry`` … ``exit − 1`` per person.

    ``known`` is False for persons of unknown birth year, whose runs ignore
    the age criterion (they are reported as ``n_unassessed``, never counted).
    """

    person: np.ndarray
    entry: np.ndarray
    exit: np.ndarray
    known: np.ndarray

    def take(self, mask: np.ndarray) -> Runs:
        return Runs(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))


def frequent_attender_intervals(frames: Mapping[str, pd.DataFrame], persons: Persons):
    """(person, first day, last day) of every interval on which the person is a frequent attender."""
    pcc, ed = frames["primary_care_contacts"], frames["ed_visits"]
    day_p = day_numbers(pcc["contact_time"])
    ok_p = day_p != NAT_DAY
    day_e = day_numbers(ed["arrival_time"])
    ok_e = (day_e != NAT_DAY) & (ed["unit"] == ED_UNIT).to_numpy(dtype=bool, na_value=False)
    qp = _qualifying_days(persons.codes["primary_care_contacts"][ok_p], day_p[ok_p], PCC_MIN, PCC_WINDOW)
    qe = _qualifying_days(persons.codes["ed_visits"][ok_e], day_e[ok_e], ED_MIN, ED_WINDOW)
    return tuple(np.concatenate([a, b]).astype("int64") for a, b in zip(qp, qe, strict=True))


def mangsokare_runs(frames: Mapping[str, pd.DataFrame], persons: Persons, enrolments: Enrolments) -> Runs:
    """Runs of days in the cohort: frequent attender, aged ≥ 75 (year-based), not enrolled.

    A sweep over boundary events per (person, day): +1/−1 at the start and
    the day after the end of each frequent-attender interval and each
    enrolment, +1 on 1 January of the year the person turns 75. After all
    events of a day the person is in the cohort iff (frequent-attender count
    > 0, enrolment count = 0, age count > 0); a run starts where that turns
    true and ends (exclusive) where it turns false.
    """
    fa_p, fa_lo, fa_hi = frequent_attender_intervals(frames, persons)
    empty = np.zeros(0, dtype="int64")
    if len(fa_p) == 0:
        return Runs(empty, empty, empty, np.zeros(0, dtype=bool))
    who = np.unique(fa_p)
    by = persons.birth_year[who]
    known = ~np.isnan(by)
    age_day = np.where(known, first_day_of_year(np.where(known, by, 1970) + MIN_AGE), UNKNOWN_AGE_DAY)
    mine = np.isin(enrolments.person, who)
    e_p, e_s, e_e = enrolments.person[mine], enrolments.start[mine], enrolments.end[mine]
    closes = e_e < OPEN_END
    n_fa, n_en = len(fa_p), len(e_p)
    person = np.concatenate([fa_p, fa_p, e_p, e_p[closes], who])
    day = np.concatenate([fa_lo, fa_hi + 1, e_s, e_e[closes] + 1, age_day])
    d_fa = np.concatenate([np.ones(n_fa), -np.ones(n_fa), np.zeros(n_en + closes.sum() + len(who))])
    d_en = np.concatenate([np.zeros(2 * n_fa), np.ones(n_en), -np.ones(closes.sum()), np.zeros(len(who))])
    d_age = np.concatenate([np.zeros(2 * n_fa + n_en + closes.sum()), np.ones(len(who))])
    key = person_day_key(person, day)
    order = np.argsort(key, kind="stable")
    key, person, day = key[order], person[order], day[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = person[1:] != person[:-1]
    block = np.cumsum(first) - 1  # block number of each row's person
    starts = np.flatnonzero(first)

    def running(delta: np.ndarray) -> np.ndarray:
        cs = np.cumsum(delta[order])
        before = np.concatenate(([0.0], cs))[starts]  # sum over earlier persons
        return cs - before[block]

    fa, en, age = running(d_fa), running(d_en), running(d_age)
    last = np.ones(len(key), dtype=bool)
    last[:-1] = key[1:] != key[:-1]  # the state after every event of that (person, day)
    p, d = person[last], day[last]
    state = (fa[last] > 0.5) & (en[last] < 0.5) & (age[last] > 0.5)
    new_person = np.ones(len(p), dtype=bool)
    new_person[1:] = p[1:] != p[:-1]
    prev = np.concatenate(([False], state[:-1])) & ~new_person
    begins = np.flatnonzero(state & ~prev)
    ends = np.flatnonzero(~state & prev)  # every run ends: a person's last event closes an interval
    run_person = p[begins]
    run_known = ~np.isnan(persons.birth_year[run_person])
    return Runs(run_person, d[begins], d[ends], run_known)


class LatestPlace:
    """Municipality of a person's latest primary care contact or ED visit (any unit) up to a day.

    Same time: the contact, then the higher id.
    """

    def __init__(self, frames: Mapping[str, pd.DataFrame], persons: Persons):
        pcc, ed = frames["primary_care_contacts"], frames["ed_visits"]
        day = np.concatenate([day_numbers(pcc["contact_time"]), day_numbers(ed["arrival_time"])])
        ok = day != NAT_DAY
        person = np.concatenate([persons.codes["primary_care_contacts"], persons.codes["ed_visits"]])
        time = np.concatenate([_micros(pcc["contact_time"]), _micros(ed["arrival_time"])])
        prio = np.concatenate([np.ones(len(pcc), dtype="int64"), np.zeros(len(ed), dtype="int64")])
        rank = np.concatenate([id_rank(pcc["contact_id"]), id_rank(ed["visit_id"])])
        muni = np.concatenate(
            [pcc["municipality_code"].to_numpy(dtype=object), ed["municipality_code"].to_numpy(dtype=object)]
        )
        self.rows = np.flatnonzero(ok)
        self.muni = muni
        self.time = time
        self.index = EventIndex(person[ok], day[ok], time[ok], prio[ok], rank[ok])

    def at(self, person: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(municipality, time in µs) of the latest event up to ``day``; (None, min int) where none."""
        found = self.index.latest_at_or_before(person, day)
        row = np.where(found >= 0, self.rows[np.clip(found, 0, None)] if len(self.rows) else 0, -1)
        safe = np.clip(row, 0, None)
        if len(self.muni) == 0:
            return np.full(len(row), None, dtype=object), np.full(len(row), np.iinfo(np.int64).min)
        return (
            np.where(row >= 0, self.muni[safe], None),
            np.where(row >= 0, self.time[safe], np.iinfo(np.int64).min),
        )


# ------------------------------------------------------------------ shared work of one computation


class Shared:
    """What several cohorts need from the same frames, computed at most once (lazily)."""

    def __init__(self, frames: Mapping[str, pd.DataFrame]):
        self._frames = frames

    @cached_property
    def persons(self) -> Persons:
        return resolve(self._frames)

    @cached_property
    def enrolments(self) -> Enrolments:
        return Enrolments(
            self._frames.get("home_care_enrolments"), self.persons.codes.get("home_care_enrolments")
        )

    @cached_property
    def runs(self) -> Runs:
        return mangsokare_runs(self._frames, self.persons, self.enrolments)

    @cached_property
    def place(self) -> LatestPlace:
        return LatestPlace(self._frames, self.persons)


_SHARED: dict[int, tuple] = {}
# Inside sharing(): Shared work per frames (the person tables' identities), whatever the context.
_SCOPE: contextvars.ContextVar[dict | None] = contextvars.ContextVar("cohort_sharing", default=None)


@contextmanager
def sharing() -> Iterator[None]:
    """Within this block, :func:`shared` work is kept per frames for every context (period type).

    None of the shared work depends on the period type, so
    :func:`metrics.compute.compute_grains` computes it once for month,
    quarter and year. It is dropped when the block ends.
    """
    token = _SCOPE.set({})
    try:
        yield
    finally:
        _SCOPE.reset(token)


def shared(frames: Mapping[str, pd.DataFrame], ctx: Context) -> Shared:
    """The :class:`Shared` work for ``frames``, kept while ``ctx`` lives (one ``compute_all`` call).

    The six cohort functions of one computation get the same context and
    frames; the person resolution, enrolment index and frequent-attender
    runs are then computed once, not six times. The entry is dropped when
    the context is garbage-collected, and is not reused for other frames.
    Inside :func:`sharing`, the work is kept per frames across contexts.
    """
    tables = tuple(frames.get(t) for t in PERSON_TABLES)
    scope = _SCOPE.get()
    if scope is not None:
        key = tuple(None if f is None else id(f) for f in tables)
        hit = scope.get(key)
        if hit is not None and all(a is b for a, b in zip(hit[0], tables, strict=True)):
            return hit[1]
        work = Shared(frames)
        scope[key] = (tables, work)  # strong references: the ids cannot be reused while the block lasts
        return work
    key = id(ctx)
    hit = _SHARED.get(key)
    if hit is not None:
        ctx_ref, frame_refs, work = hit
        if ctx_ref() is ctx and all(
            (r is None) if f is None else (r is not None and r() is f)
            for r, f in zip(frame_refs, tables, strict=True)
        ):
            return work
    work = Shared(frames)
    refs = tuple(None if f is None else weakref.ref(f) for f in tables)
    _SHARED[key] = (weakref.ref(ctx, lambda _ref, k=key: _SHARED.pop(k, None)), refs, work)
    return work


# ------------------------------------------------------------------ indicator functions


def _has(frames: Mapping[str, pd.DataFrame], *tables: str) -> bool:
    return all(frames.get(t) is not None for t in tables)


def _units(ctx: Context, persons: Persons, person, pidx, muni, **columns) -> pd.DataFrame:
    return units_frame(muni, pidx, persons.sex[person], **columns)


def _period_units(events: Events, persons: Persons, ctx: Context) -> pd.DataFrame:
    """One unit per (person, period): municipality of the latest qualifying event; unknown birth year → unassessed."""
    events = events.take(ctx.in_range(events.day))
    qualifies, unknown = age_status(events, persons)
    events, unknown = events.take(qualifies | unknown), unknown[qualifies | unknown]
    pidx = ctx.pidx_of_days(events.day)
    pick = latest_per_person(events.person, pidx, events.time, events.rank)
    unknown = unknown[pick]
    return _units(
        ctx,
        persons,
        events.person[pick],
        pidx[pick],
        events.muni[pick],
        numerator=(~unknown).astype("float64"),
        unassessed=unknown.astype("float64"),
    )


def mal_akut_ej_inlagd(frames: Mapping[str, pd.DataFrame], ctx: Context) -> Parts:
    if not _has(frames, "ed_visits", "population"):
        return Parts.unavailable()
    persons = shared(frames, ctx).persons
    return Parts(_period_units(akut_ej_inlagd_events(frames, persons), persons, ctx))


def mal_akuta_insatser_hemma(frames: Mapping[str, pd.DataFrame], ctx: Context) -> Parts:
    if not _has(frames, "ed_visits", "population"):
        return Parts.unavailable()
    persons = shared(frames, ctx).persons
    units = _period_units(akuta_insatser_events(frames, persons), persons, ctx)
    # Ambulance arrivals can only be seen where arrival_mode is delivered (rule 3 of the status).
    return Parts(units, present=municipalities_filling(frames["ed_visits"], "arrival_mode"))


def mal_samsa_ej_inskrivna(frames: Mapping[str, pd.DataFrame], ctx: Context) -> Parts:
    stays = frames.get("hospital_stays")
    if not _has(frames, "hospital_stays", "home_care_enrolments", "population") or (
        "care_plan_complete" not in stays.columns
    ):
        return Parts.unavailable()
    work = shared(frames, ctx)
    persons = work.persons
    events = samsa_events(frames, persons, work.enrolments, ctx.end_day)
    return Parts(
        _period_units(events, persons, ctx),
        present=municipalities_filling(stays, "care_plan_complete"),
        coverage=(("hospital_stays", 0),),
    )


def mal_korttid_ej_inskrivna(frames: Mapping[str, pd.DataFrame], ctx: Context) -> Parts:
    if not _has(frames, "short_term_stays", "home_care_enrolments", "population"):
        return Parts.unavailable()
    work = shared(frames, ctx)
    persons = work.persons
    events = korttid_events(frames, persons, work.enrolments, ctx.end_day)
    return Parts(_period_units(events, persons, ctx), coverage=(("short_term_stays", 0),))


def mal_mangsokare_ej_inskrivna(frames: Mapping[str, pd.DataFrame], ctx: Context) -> Parts:
    if not _has(frames, "primary_care_contacts", "ed_visits", "home_care_enrolments", "population"):
        return Parts.unavailable()
    work = shared(frames, ctx)
    persons, runs = work.persons, work.runs
    rows, pos = explode_intervals(ctx.ref_days, runs.entry, runs.exit - 1)
    person, ref = runs.person[rows], ctx.ref_days[pos]
    muni, _ = work.place.at(person, ref)
    unknown = ~runs.known[rows]
    units = _units(
        ctx,
        persons,
        person,
        ctx.pidx_at(pos),
        muni,
        numerator=(~unknown).astype("float64"),
        unassessed=unknown.astype("float64"),
    )
    return Parts(units, coverage=FA_COVERAGE)


def mal_fangade_60d(frames: Mapping[str, pd.DataFrame], ctx: Context) -> Parts:
    if not _has(frames, "primary_care_contacts", "ed_visits", "home_care_enrolments", "sip"):
        return Parts.unavailable()
    work = shared(frames, ctx)
    persons, enrolments = work.persons, work.enrolments
    runs = work.runs
    runs = runs.take(ctx.in_range(runs.entry) & (runs.entry + REACH_DAYS <= ctx.end_day))
    pidx = ctx.pidx_of_days(runs.entry)
    # The first entry per person and period: the latest by "−entry".
    pick = latest_per_person(runs.person, pidx, -runs.entry, np.zeros(len(pidx), dtype="int64"))
    runs, pidx = runs.take(pick), pidx[pick]
    sip = frames["sip"]
    sip_day = day_numbers(sip["sip_date"])
    ok = sip_day != NAT_DAY
    sips = EventIndex(persons.codes["sip"][ok], sip_day[ok])
    x = runs.entry
    reached = sips.any_between(runs.person, x, x + REACH_DAYS) | enrolments.starting_between(
        runs.person, x, x + REACH_DAYS
    )
    muni, _ = work.place.at(runs.person, x)
    known = runs.known
    units = _units(
        ctx,
        persons,
        runs.person,
        pidx,
        muni,
        numerator=(reached & known).astype("float64"),
        denominator=known.astype("float64"),
        unassessed=(~known).astype("float64"),
    )
    return Parts(units, coverage=(*FA_COVERAGE, ("sip", 0)))


INDICATOR_FUNCTIONS = {
    "mal_mangsokare_ej_inskrivna": mal_mangsokare_ej_inskrivna,
    "mal_akut_ej_inlagd": mal_akut_ej_inlagd,
    "mal_samsa_ej_inskrivna": mal_samsa_ej_inskrivna,
    "mal_korttid_ej_inskrivna": mal_korttid_ej_inskrivna,
    "mal_akuta_insatser_hemma": mal_akuta_insatser_hemma,
    "mal_fangade_60d": mal_fangade_60d,
}
