"""Recompute the persisted indicator table from the store.

Pages read ``indicator_results``; they never compute from raw events. This
runs after every import that changed something (and on demand:
``python -m metrics compute --db``). Values are stored unsuppressed;
suppression is applied per viewer when they are read
(:func:`data_access.queries.load_indicator_results`).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import OperationalError

from data_access.access import SYSTEM
from data_access.contract import TABLES
from data_access.db import ensure_schema, fetch_rows, get_engine, rows_frame
from data_access.models import CONTRACT_MODELS, DataState, IndicatorResult
from data_access.queries import load_frames
from data_access.settings import get_settings
from metrics.cohorts import INDICATOR_FUNCTIONS as cohort_functions
from metrics.cohorts import MIN_AGE
from metrics.periods import date_to_day, day_to_date, period_index_of_days, period_start_days
from metrics.registry import INDICATORS

log = logging.getLogger(__name__)

PERIOD_TYPES = ("month", "quarter", "year")
RESULT_COLUMNS = [c.name for c in IndicatorResult.__table__.columns]


def compute_results(frames: dict[str, pd.DataFrame], *, end_date: dt.date | None = None) -> pd.DataFrame:
    """The tidy table for every period type, in the shape of ``indicator_results``."""
    from metrics.compute import compute_grains

    tables = compute_grains(frames, periods=PERIOD_TYPES, end_date=end_date)
    out = pd.concat([tables[p].assign(period_type=p) for p in PERIOD_TYPES], ignore_index=True)
    out = _with_suppression_flags(out)
    out["computed_at"] = dt.datetime.now().replace(microsecond=0)
    for c in ("period_start", "period_end"):
        out[c] = pd.to_datetime(out[c]).dt.date
    return out[RESULT_COLUMNS]


def _with_suppression_flags(table: pd.DataFrame) -> pd.DataFrame:
    """Decide suppression once, over the whole table, for non-entitled viewers.

    Secondary suppression must see every municipality and sex of a group;
    deciding it per query would let two differently filtered views reveal a
    hidden cell. The values themselves are kept; readers blank them.
    """
    from metrics.suppression import suppress

    flags = suppress(table, entitled=False, threshold=get_settings().suppression_threshold)
    return table.assign(suppressed=flags["suppressed"].to_numpy(), suppression=flags["suppression"].to_numpy())


def _column_values(s: pd.Series, sqlite: bool) -> list:
    """One result column as Python values for the driver (None for missing).

    SQLite gets what SQLAlchemy itself stores there: ISO text for dates and
    times, 0/1 for booleans.
    """
    values = s.astype(object).where(s.notna(), None).tolist()
    if s.name in ("period_start", "period_end", "computed_at"):
        if sqlite:
            if s.name == "computed_at":
                return [None if v is None else v.isoformat(sep=" ", timespec="microseconds") for v in values]
            return [None if v is None else v.isoformat()[:10] for v in values]
        return [None if v is None else (v.to_pydatetime() if isinstance(v, pd.Timestamp) else v) for v in values]
    if s.name == "suppressed":
        return [None if v is None else (int(v) if sqlite else bool(v)) for v in values]
    return values


def insert_results(conn, frame: pd.DataFrame) -> None:
    """Insert result rows in bulk: one executemany of plain tuples on SQLite, COPY on PostgreSQL.

    Building a dict per row and letting SQLAlchemy bind each one cost more
    than the computation at region scale. The stored values match what
    SQLAlchemy itself writes.
    """
    if not len(frame):
        return
    sqlite = conn.dialect.name == "sqlite"
    rows = list(zip(*(_column_values(frame[c], sqlite) for c in RESULT_COLUMNS), strict=True))
    columns = ", ".join(RESULT_COLUMNS)
    table = IndicatorResult.__tablename__
    if sqlite:
        marks = ", ".join("?" * len(RESULT_COLUMNS))
        conn.exec_driver_sql(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
        return
    cursor = conn.connection.dbapi_connection.cursor()
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def write_results(engine: Engine, results: pd.DataFrame, *, version: int | None = None) -> None:
    """Replace the stored indicator table in one transaction, with the data version it was computed from.

    ``version`` None: the results are taken to match the data as stored now.
    """
    with engine.begin() as conn:
        conn.execute(delete(IndicatorResult))
        insert_results(conn, results)
        set_results_version(conn, version)


def recompute_store(
    *,
    engine: Engine | None = None,
    period: str | None = None,
    end_date: dt.date | None = None,
    touched: Mapping | None = None,
    incremental: bool | None = None,
    data_versions: tuple[int, int] | None = None,
) -> str:
    """Recompute the stored indicator table; returns a one-line Swedish summary.

    ``period`` is accepted for the CLI's sake; all period types are always
    computed so that every page view finds its grain. ``touched`` (an
    import's :attr:`~data_access.importer.ImportResult.touched`): recompute
    only the periods the import can have affected, falling back to a full
    recompute when the cheap guards say the whole history may change (see
    ``docs/recompute.md``). ``touched=None`` (or an explicit ``end_date``)
    recomputes everything. ``incremental`` (default: the
    ``INCREMENTAL_RECOMPUTE`` setting, off) chooses the incremental path at
    all; without it ``touched`` only tells whether anything computed changed.

    The results are written with the data version they were computed from (``data_state``, read
    before the store is); when they are behind the data (a recompute after an earlier import was
    killed), an empty ``touched`` still recomputes, and the incremental path is used only when
    ``touched`` holds every change since the stored results: ``data_versions`` is the import's
    (before, after) (:attr:`~data_access.importer.ImportResult.base_version`, ``data_version``).
    """
    engine = engine or get_engine()
    ensure_schema(engine)
    t0 = time.perf_counter()
    state = results_state(engine=engine)
    if touched is not None and end_date is None:
        if not touched and not state.behind:
            return "Indikatorerna behövde inte räknas om: inga tabeller som ingår i beräkningen ändrades."
        use_incremental = get_settings().incremental_recompute if incremental is None else incremental
        if touched and use_incremental and _touched_is_all(state, data_versions):
            with _running(engine):
                done = recompute_incremental(engine, dict(touched), t0=t0, version=(
                    data_versions[1] if data_versions is not None else state.data_version))
            if done is not None:
                return done[0]
    with _running(engine):
        frames = load_frames(access=SYSTEM, engine=engine)
        results = compute_results(frames, end_date=end_date)
        write_results(engine, results, version=state.data_version)
    return f"Indikatorerna är omräknade: {len(results)} värden på {time.perf_counter() - t0:.1f} s."


def _touched_is_all(state: ResultsState, data_versions: tuple[int, int] | None) -> bool:
    """Do the stored results miss only the import whose ``touched`` is passed (so that the incremental
    path may recompute its periods alone)? ``data_versions``: that import's (before, after); without them,
    when the results are at most one import behind."""
    if data_versions is None:
        return state.results_version >= state.data_version - 1
    return data_versions[0] is not None and state.results_version == data_versions[0]


# --- incremental recompute -----------------------------------------------------

# How far a changed day can reach back into earlier periods: SIP follow-up 90 days, readmission 30 days,
# the 60-day reach of mal_fangade_60d, the 14-day tails of the cohorts, the 72-hour call; with margin.
REACH_BACK_DAYS = 120
# How far back from the start of a recomputed period an indicator looks at rows: the 365-day windows (ED
# visits of frequent attenders, SIP and CFS valid 365 days, d−364 … d) plus the day before an entry into
# mal_mangsokare_ej_inskrivna (its state on x−1); with margin. See docs/recompute.md.
LOOKBACK_DAYS = 400
# Tables whose rows feed the person-level birth year and sex of the cohorts (metrics._persons).
_FACT_COLUMNS: dict[str, tuple[str, ...]] = {
    "home_care_enrolments": ("birth_year", "sex", "start_date"),
    "cfs_assessments": ("birth_year", "assessment_date"),
    "short_term_stays": ("birth_year", "sex", "start_date"),
    "primary_care_contacts": ("birth_year", "sex", "contact_time"),
    "ed_visits": ("age", "sex", "arrival_time"),
    "hospital_stays": ("age", "sex", "admission_time"),
}
KEY_COLUMNS = ["indicator_id", "municipality_code", "sex", "period_type", "period"]
# The indicators that use person-level birth year and sex (metrics.cohorts), and the rest.
COHORT_INDICATORS: tuple[str, ...] = tuple(cohort_functions)
OTHER_INDICATORS: tuple[str, ...] = tuple(i for i in INDICATORS if i not in COHORT_INDICATORS)


def _date_cols(table: str) -> list[str]:
    return [c.name for c in TABLES[table].columns if c.type in ("date", "timestamp")]


def _bound(model, column: str, day: dt.date):
    """A bound value comparable with ``column``: a date for Date columns, midnight for DateTime."""
    col = getattr(model, column)
    return dt.datetime.combine(day, dt.time()) if isinstance(col.type, DateTime) else day


def _as_day(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        value = value.date()
    return date_to_day(value)


@dataclass
class StoreFacts:
    """What the whole store says, in SQL: row counts, municipalities, date spans as of the end day."""

    counts: dict[str, int]
    first_day: int | None  # first day of the periods (events; enrolments only if nothing else is dated)
    end_day: int | None
    municipalities: frozenset[str]
    table_munis: dict[str, frozenset[str]]
    coverage: dict[str, tuple[int, int]]
    all_munis: dict[str, frozenset[str]]  # per table, whatever the dates (the importer's "before" set)


def store_facts(conn) -> StoreFacts:
    from metrics.compute import AS_OF_RULES, NON_EVENT_TABLES, STATE_COLUMNS

    counts = {name: conn.execute(select(func.count()).select_from(m)).scalar_one() for name, m in CONTRACT_MODELS.items()}
    present = [t for t in TABLES if counts.get(t, 0) > 0]
    spans: dict[tuple[str, str], tuple[int, int]] = {}
    for t in present:
        if t in NON_EVENT_TABLES:
            continue
        model = CONTRACT_MODELS[t]
        cols = _date_cols(t)
        row = conn.execute(select(*[f(getattr(model, c)) for c in cols for f in (func.min, func.max)])).one()
        for i, c in enumerate(cols):
            lo, hi = _as_day(row[2 * i]), _as_day(row[2 * i + 1])
            if lo is not None:
                spans[(t, c)] = (lo, hi)

    def span(keep) -> tuple[int, int] | None:
        chosen = [v for k, v in spans.items() if keep(k)]
        return (min(v[0] for v in chosen), max(v[1] for v in chosen)) if chosen else None

    overall = span(lambda k: k not in STATE_COLUMNS) or span(lambda k: True)
    end_day = overall[1] if overall else None
    first_day = overall[0] if overall else None
    munis: set[str] = set()
    all_munis: dict[str, frozenset[str]] = {}
    table_munis: dict[str, frozenset[str]] = {}
    coverage: dict[str, tuple[int, int]] = {}
    for t in present:
        model = CONTRACT_MODELS[t]
        all_munis[t] = frozenset(r[0] for r in conn.execute(select(model.municipality_code).distinct()))
        if t != "indicator_values":
            munis.update(all_munis[t])
        if end_day is None:
            continue
        # As of the end day (metrics.compute.as_of): rows dated after it do not exist yet, later outcomes
        # are blank. Only enrolment dates can lie after the end day (every other date defines it).
        end_next = day_to_date(end_day) + dt.timedelta(days=1)
        rule = AS_OF_RULES.get(t)
        where = getattr(model, rule[0]) < _bound(model, rule[0], end_next) if rule else None
        stmt = select(model.municipality_code).distinct()
        table_munis[t] = frozenset(r[0] for r in conn.execute(stmt if where is None else stmt.where(where)))
        if t in NON_EVENT_TABLES:
            continue
        cols = _date_cols(t)
        exprs = []
        for c in cols:
            col = getattr(model, c)
            ok = case((col < _bound(model, c, end_next), col), else_=None)
            exprs += [func.min(ok), func.max(ok)]
        stmt = select(*exprs)
        row = conn.execute(stmt if where is None else stmt.where(where)).one()
        days = [d for d in (_as_day(v) for v in row) if d is not None]
        if days:
            coverage[t] = (min(days), max(days))
    return StoreFacts(counts, first_day, end_day, frozenset(munis), table_munis, coverage, all_munis)


def window_frames(frames: Mapping[str, pd.DataFrame], since: dt.date) -> dict[str, pd.DataFrame]:
    """The rows that can affect periods from ``since`` + the look-back on, per table.

    An event table keeps a row when any of its dates is on or after ``since``
    or its "still open" date is empty; population is kept whole. Besides,
    per municipality and optional column, one row that has the column filled
    in (the "never filled in → saknar underlag" rule looks at the whole
    table; such a row lies before ``since`` and so cannot change a
    recomputed period). ``frames`` are the whole store's (``load_frames``):
    one fast read, cut in memory, instead of filtered queries per window.
    """
    from data_access.importer import OPEN_END_COLUMNS

    bound = pd.Timestamp(since)
    out: dict[str, pd.DataFrame] = {}
    for t, frame in frames.items():
        if t == "indicator_values":
            continue
        dates = _date_cols(t)
        if not dates:
            out[t] = frame
            continue
        keep = np.zeros(len(frame), dtype=bool)
        for c in dates:
            keep |= (frame[c] >= bound).fillna(False).to_numpy(dtype=bool)
        if t in OPEN_END_COLUMNS:
            keep |= frame[OPEN_END_COLUMNS[t]].isna().to_numpy()
        key = TABLES[t].key
        optional = [c.name for c in TABLES[t].columns if not c.required]
        if optional and len(key) == 1:
            for c in optional:
                filled = np.flatnonzero(frame[c].notna().to_numpy())
                if len(filled):
                    munis = frame["municipality_code"].to_numpy(dtype=object)[filled]
                    _, first = np.unique(munis, return_index=True)
                    keep[filled[first]] = True
        out[t] = frame.loc[keep].reset_index(drop=True)
    return out


def fact_rows(frames: Mapping[str, pd.DataFrame], end_day: int) -> dict[str, pd.DataFrame]:
    """Slim frames of every row that feeds person-level birth year and sex, as of the end day."""
    out: dict[str, pd.DataFrame] = {}
    end_next = pd.Timestamp(day_to_date(end_day) + dt.timedelta(days=1))
    for t, cols in _FACT_COLUMNS.items():
        names = [TABLES[t].key[0], "person_id", *cols]
        frame = frames.get(t)
        if frame is None:
            frame = pd.DataFrame({n: pd.Series(dtype=object) for n in names})
        elif t == "home_care_enrolments":
            frame = frame.loc[(frame["start_date"] < end_next).to_numpy()]
        out[t] = _slim(frame[names].reset_index(drop=True), t)
    return out


def _slim(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """The columns of a slim fact frame in the contract's in-memory dtypes."""
    out = {}
    for c in frame.columns:
        col = TABLES[table].column_map[c]
        s = frame[c]
        if col.type in ("date", "timestamp"):
            s = pd.to_datetime(s, errors="coerce").astype("datetime64[us]")
        elif col.type == "int":
            s = pd.to_numeric(s, errors="coerce").astype("Int64")
        else:
            s = s.astype(object).where(s.notna(), None).astype("str")
        out[c] = s
    return pd.DataFrame(out, index=frame.index)


def _facts_before(facts_rows: dict[str, pd.DataFrame], touched: dict) -> dict[str, pd.DataFrame]:
    """The fact rows as they were before the import: new row versions out, old versions of replaced rows in."""
    out = {}
    for t, frame in facts_rows.items():
        tt = touched.get(t)
        if tt is None:
            out[t] = frame
            continue
        key = TABLES[t].key[0]
        kept = frame.loc[~frame[key].isin(tt.new_keys)]
        if tt.old_rows is not None and len(tt.old_rows):
            kept = pd.concat([kept, _slim(tt.old_rows[list(frame.columns)], t)], ignore_index=True)
        out[t] = kept
    return out


def _first_days_of_persons(facts_rows: dict[str, pd.DataFrame], persons: set[str]) -> dict[str, int]:
    """The first dated fact row of each person (any table that feeds birth year or sex)."""
    firsts: dict[str, int] = {}
    for frame in facts_rows.values():
        mine = frame.loc[frame["person_id"].isin(persons)]
        for c in mine.columns:
            if str(mine[c].dtype).startswith("datetime64") and mine[c].notna().any():
                for pid, when in mine.groupby("person_id")[c].min().dropna().items():
                    day = date_to_day(when.date())
                    firsts[pid] = min(day, firsts.get(pid, day))
    return firsts


def _first_affected_day(
    before: pd.DataFrame, after: pd.DataFrame, persons: set[str], facts_rows: dict[str, pd.DataFrame],
    data_first_day: int, data_end_day: int,
) -> tuple[int | None, bool]:
    """The first day on which the birth year or sex of one of ``persons`` changed in a way that can change
    a cohort value (``before``/``after``: :func:`metrics.compute.person_facts` of the fact rows).

    Returns (day, unbounded): ``unbounded`` when a changed person has no dated row (recompute in
    full); ``day`` None when no change matters. A changed sex, or a birth year that became known or
    unknown, matters from the person's first row (every sex row and ``n_unassessed`` of theirs). A
    birth year that changed between two known values matters only where "aged ≥ 75 on d" differs:
    age is year-based (``metrics.cohorts.age_on``), so that is 1 January of min + 75 up to (not
    including) 1 January of max + 75, intersected with the data's days from the person's first row
    on (the cohorts look at a person's age only on their events and on days of a run that starts
    at one). For a person of 85 whose derived birth year moves by one with a new visit, that lies
    years before the data.
    """
    idx = pd.Index(sorted(persons), dtype=object)
    b, a = before.reindex(idx), after.reindex(idx)
    by_b, by_a = b["birth_year"].to_numpy(dtype="float64"), a["birth_year"].to_numpy(dtype="float64")
    sex_b = b["sex"].astype(object).where(b["sex"].notna(), None).to_numpy(dtype=object)
    sex_a = a["sex"].astype(object).where(a["sex"].notna(), None).to_numpy(dtype=object)
    sex_or_known = (sex_b != sex_a) | (np.isnan(by_b) != np.isnan(by_a))
    year = ~sex_or_known & ~np.isnan(by_b) & (by_b != by_a)
    changed = sex_or_known | year
    firsts = _first_days_of_persons(facts_rows, set(idx[changed]))
    days = []
    for pid, y0, y1, whole in zip(idx[changed], by_b[changed], by_a[changed], sex_or_known[changed], strict=True):
        first = firsts.get(pid)
        if first is None:
            return None, True
        if whole:
            days.append(first)
            continue
        lo = date_to_day(dt.date(int(min(y0, y1)) + MIN_AGE, 1, 1))
        hi = date_to_day(dt.date(int(max(y0, y1)) + MIN_AGE, 1, 1))  # exclusive
        if hi <= max(data_first_day, first) or lo > data_end_day:  # age is never looked at before a first row
            continue
        days.append(max(lo, first))
    return (min(days) if days else None), False


def _period_start_day(day: int, kind: str) -> int:
    pidx = period_index_of_days(np.array([day], dtype="int64"), kind)
    return int(period_start_days(pidx, kind)[0])


def _plan(touched: dict, facts: StoreFacts, last_stored_start: int | None) -> tuple[int | None, str]:
    """The first day of the window to recompute, or None with the reason for a full recompute."""
    if last_stored_start is None:
        return None, "inga sparade värden"
    if facts.end_day is None or facts.first_day is None:
        return None, "inga händelser"
    lo = None
    hi = None
    for t, tt in touched.items():
        if tt.first_load:
            return None, f"{t} laddades för första gången"
        if tt.municipalities_before != facts.all_munis.get(t, frozenset()):
            return None, f"kommunerna i {t} ändrades"
        if tt.first_day is not None:
            if t in facts.coverage and date_to_day(tt.first_day) <= facts.coverage[t][0]:
                return None, f"{t} har nu eller hade en tidigaste dag som ändrades"
            d0 = date_to_day(tt.first_day)
            lo = d0 if lo is None else min(lo, d0)
        if tt.last_day is not None:
            d1 = date_to_day(tt.last_day)
            hi = d1 if hi is None else max(hi, d1)
        if tt.open_ended:
            hi = facts.end_day
    if lo is None:
        return None, "okänd ändring"
    start = lo
    if hi is not None and hi >= last_stored_start:  # the end date may have moved: its tail changes status
        start = min(start, last_stored_start)
    start -= REACH_BACK_DAYS
    if start <= facts.first_day:
        return None, "ändringen når datans början"
    return start, ""


def _stored(conn) -> pd.DataFrame:
    return rows_frame(fetch_rows(conn, select(*[getattr(IndicatorResult, c) for c in RESULT_COLUMNS])), RESULT_COLUMNS)




def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows as plain Python values (None for missing), dates as dates, for exact comparison."""
    out = frame[RESULT_COLUMNS].copy()
    for c in ("period_start", "period_end"):
        out[c] = pd.to_datetime(out[c]).dt.date
    for c in ("numerator", "denominator", "value", "ci_low", "ci_high", "n_unassessed"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64")
    out["suppressed"] = out["suppressed"].astype(bool)
    for c in ("indicator_id", "municipality_code", "sex", "period_type", "period", "status", "suppression", "note"):
        out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out


def _differs(a: pd.DataFrame, b: pd.DataFrame) -> np.ndarray:
    """Row by row (aligned frames): does any column but ``computed_at`` differ?"""
    diff = np.zeros(len(a), dtype=bool)
    for c in RESULT_COLUMNS:
        if c == "computed_at":
            continue
        x, y = a[c].to_numpy(), b[c].to_numpy()
        if c in ("numerator", "denominator", "value", "ci_low", "ci_high", "n_unassessed"):
            x, y = x.astype("float64"), y.astype("float64")
            diff |= ~((x == y) | (np.isnan(x) & np.isnan(y)))
        else:
            diff |= np.array([u != v for u, v in zip(x, y, strict=True)], dtype=bool)
    return diff


def recompute_incremental(
    engine: Engine, touched: dict, *, t0: float | None = None, version: int | None = None
) -> tuple[str, dict] | None:
    """Recompute only the periods an import can have affected; None when a full recompute is needed.

    Returns (Swedish summary, details) where details has ``since`` (dict grain → first recomputed
    period), ``cohorts_since`` (the same for the Målgrupper cohorts, earlier when a person's birth
    year or sex changed where it matters), ``written`` (rows deleted or inserted) and ``changed`` (values that differ).
    ``version``: the data version the results then reflect (None: the store's current one).
    """
    from metrics.compute import Overrides, compute_grains, person_facts

    t0 = time.perf_counter() if t0 is None else t0
    with engine.connect() as conn:
        facts = store_facts(conn)
        last = conn.execute(
            select(func.max(IndicatorResult.period_start)).where(IndicatorResult.period_type == "month")
        ).scalar_one()
        last_stored_start = _as_day(last)
        start, reason = _plan(touched, facts, last_stored_start)
        if start is None:
            return None
        firsts = {k: _period_start_day(start, k) for k in PERIOD_TYPES}
        since = day_to_date(min(firsts.values()) - LOOKBACK_DAYS)
        stored = _stored(conn)
    everything = load_frames(access=SYSTEM, engine=engine)
    frames = window_frames(everything, since)
    facts_rows = fact_rows(everything, facts.end_day)
    facts_now = person_facts(facts_rows)
    # Only the Målgrupper cohorts use person-level birth year and sex: a changed person widens their
    # window alone; every other indicator keeps the window of the changed rows.
    cohort_firsts, cohort_frames = firsts, frames
    fact_touched = {t: tt for t, tt in touched.items() if t in _FACT_COLUMNS}
    if fact_touched:
        persons = set().union(*(tt.person_ids for tt in fact_touched.values()))
        facts_then = person_facts(_facts_before(facts_rows, fact_touched))
        first, unbounded = _first_affected_day(
            facts_then, facts_now, persons, facts_rows, facts.first_day, facts.end_day)
        if unbounded or (first is not None and first - REACH_BACK_DAYS <= facts.first_day):
            return None
        if first is not None and first - REACH_BACK_DAYS < start:
            cohort_firsts = {k: _period_start_day(first - REACH_BACK_DAYS, k) for k in PERIOD_TYPES}
            wide_since = day_to_date(min(cohort_firsts.values()) - LOOKBACK_DAYS)
            if wide_since < since:
                cohort_frames = window_frames(everything, wide_since)
    if cohort_firsts == firsts:
        windows = [(tuple(INDICATORS), firsts, frames)]
    else:
        windows = [(OTHER_INDICATORS, firsts, frames), (COHORT_INDICATORS, cohort_firsts, cohort_frames)]
    overrides = Overrides(
        first_day=facts.first_day,
        end_day=facts.end_day,
        municipalities=facts.municipalities,
        table_munis=facts.table_munis,
        coverage=facts.coverage,
        person_facts=facts_now,
    )
    parts = []
    for ids, window_firsts, wframes in windows:
        tables = compute_grains(wframes, periods=PERIOD_TYPES, indicators=ids, overrides=overrides)
        for period_type in PERIOD_TYPES:
            table = tables[period_type]
            first_start = pd.Timestamp(day_to_date(window_firsts[period_type]))
            table = table.loc[pd.to_datetime(table["period_start"]) >= first_start]
            parts.append(table.assign(period_type=period_type))
    fresh = pd.concat(parts, ignore_index=True)
    old = _comparable(stored) if len(stored) else _comparable(fresh.assign(suppression=None, computed_at=None).iloc[:0])
    keep_old = np.ones(len(old), dtype=bool)
    for ids, window_firsts, _ in windows:
        mine = old["indicator_id"].isin(ids).to_numpy()
        for period_type in PERIOD_TYPES:
            first = day_to_date(window_firsts[period_type])
            keep_old &= ~(mine & (old["period_type"] == period_type).to_numpy()
                          & (old["period_start"].to_numpy() >= first))
    kept = old.loc[keep_old].drop(columns=["suppressed", "suppression", "computed_at"])
    fresh = fresh.assign(period_start=pd.to_datetime(fresh["period_start"]).dt.date,
                         period_end=pd.to_datetime(fresh["period_end"]).dt.date)
    merged = pd.concat([kept, fresh[[c for c in kept.columns]]], ignore_index=True)
    merged["suppressed"] = False
    merged = _with_suppression_flags(merged)
    merged["computed_at"] = dt.datetime.now().replace(microsecond=0)
    new = _comparable(merged)
    both = new.merge(old, on=KEY_COLUMNS, how="outer", suffixes=("", "_old"), indicator=True)
    only_new = both["_merge"] == "left_only"
    only_old = both["_merge"] == "right_only"
    in_both = (both["_merge"] == "both").to_numpy()
    a = both.loc[in_both, RESULT_COLUMNS]
    b = both.loc[in_both, [c + "_old" if c not in KEY_COLUMNS else c for c in RESULT_COLUMNS]]
    b.columns = RESULT_COLUMNS
    differ = np.zeros(len(both), dtype=bool)
    differ[np.flatnonzero(in_both)] = _differs(a.reset_index(drop=True), b.reset_index(drop=True))
    to_delete = both.loc[only_old.to_numpy() | differ, KEY_COLUMNS]
    to_insert = both.loc[only_new.to_numpy() | differ, RESULT_COLUMNS]
    with engine.begin() as conn:
        if len(to_delete):
            cond = and_(*[getattr(IndicatorResult, k) == bindparam(f"k_{k}") for k in KEY_COLUMNS])
            conn.execute(
                delete(IndicatorResult).where(cond),
                [{f"k_{k}": v for k, v in zip(KEY_COLUMNS, row, strict=True)} for row in to_delete.itertuples(index=False)],
            )
        insert_results(conn, to_insert)
        set_results_version(conn, version)
    n_changed = int(differ.sum() + only_new.sum() + only_old.sum())
    month = day_to_date(firsts["month"]).strftime("%Y-%m")
    cohort_month = day_to_date(cohort_firsts["month"]).strftime("%Y-%m")
    scope = month if cohort_month == month else f"{month}, Målgrupper från {cohort_month}"
    summary = (
        f"Indikatorerna är omräknade (bara perioder från {scope}): {len(new)} värden, "
        f"varav {n_changed} ändrade, på {time.perf_counter() - t0:.1f} s."
    )
    details = {
        "since": {k: day_to_date(v) for k, v in firsts.items()},
        "cohorts_since": {k: day_to_date(v) for k, v in cohort_firsts.items()},
        "written": int(len(to_delete) + len(to_insert)),
        "changed": n_changed,
        "rows": int(len(new)),
    }
    return summary, details


# --- the data version of the results (docs/recompute.md, "Behind the data") -------------------------

# An import's own recompute starts right after its commit; the app does not step in before this.
CATCH_UP_GRACE = dt.timedelta(seconds=30)
# A recompute marked as running for longer than this is taken to be lost (killed on another host).
RECOMPUTE_LEASE = dt.timedelta(minutes=30)
# After a catch-up in the background failed, the app tries again only after this.
CATCH_UP_RETRY = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class ResultsState:
    """The row of ``data_state``: the store's data version and the version the stored results were
    computed from; behind while the second is smaller."""

    data_version: int = 0
    results_version: int = 0
    data_changed_at: dt.datetime | None = None
    recompute_started_at: dt.datetime | None = None
    recompute_by: str | None = None

    @property
    def behind(self) -> bool:
        return self.results_version < self.data_version


def results_state(*, engine: Engine | None = None) -> ResultsState:
    """Is the stored indicator table behind the data? One primary-key read: cheap enough for every page."""
    engine = engine or get_engine()
    m = DataState
    with engine.connect() as conn:
        row = conn.execute(
            select(m.data_version, m.results_version, m.data_changed_at, m.recompute_started_at, m.recompute_by)
            .where(m.id == 1)
        ).first()
    return ResultsState() if row is None else ResultsState(*row)


def set_results_version(conn: Connection, version: int | None) -> None:
    """In the transaction that writes results: they reflect data ``version`` (None: the data as stored now).

    Also ends this process's "recompute running" mark.
    """
    value = DataState.data_version if version is None else version
    done = conn.execute(update(DataState).where(DataState.id == 1).values(results_version=value))
    if done.rowcount == 0:  # the row the migration seeds is gone
        conn.execute(insert(DataState), {"id": 1, "data_version": version or 0, "results_version": version or 0})
    _clear_mark(conn)


_lock = threading.Lock()
_running_here = 0  # recomputes running in this process (any thread)
_catch_up_tried: dict[str, float] = {}  # per store: when this process last started a catch-up (monotonic)


def _me() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _clear_mark(conn: Connection) -> None:
    conn.execute(
        update(DataState).where(DataState.id == 1, DataState.recompute_by == _me())
        .values(recompute_started_at=None, recompute_by=None)
    )


@contextmanager
def _running(engine: Engine) -> Iterator[None]:
    """Mark a recompute as running (in ``data_state``, best effort, and in this process) while it runs."""
    global _running_here
    with _lock:
        _running_here += 1
    try:
        try:
            with engine.begin() as conn:
                conn.execute(update(DataState).where(DataState.id == 1).values(
                    recompute_started_at=dt.datetime.now().replace(microsecond=0), recompute_by=_me()))
        except OperationalError as exc:  # a busy SQLite store: the mark is only a hint for others
            log.warning("could not mark the recompute as running: %s", exc)
        try:
            yield
        except BaseException:
            try:
                with engine.begin() as conn:
                    _clear_mark(conn)
            except Exception:  # noqa: BLE001 - the original error matters more
                log.warning("could not clear the recompute mark", exc_info=True)
            raise
    finally:
        with _lock:
            _running_here -= 1


def recompute_running(state: ResultsState, now: dt.datetime | None = None) -> bool:
    """Is a recompute under way according to ``state``'s mark?

    A mark older than :data:`RECOMPUTE_LEASE` is lost; on this host, a mark of a process that no
    longer exists (killed) is lost at once, and this process's own mark counts while one of its
    threads is recomputing.
    """
    if state.recompute_started_at is None or not state.recompute_by:
        return False
    if (now or dt.datetime.now()) - state.recompute_started_at > RECOMPUTE_LEASE:
        return False
    host, _, pid_text = state.recompute_by.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    pid = int(pid_text)
    if pid == os.getpid():
        return _running_here > 0
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, as another user
        return True
    return True


def finish_recompute(*, engine: Engine | None = None) -> str | None:
    """Recompute in full if the stored results are behind the data and no recompute is under way.

    For the next start or import after a recompute that was killed or failed: ``python -m data_access
    load-sample`` (``make run``), an import that itself changed nothing, and the app
    (:func:`catch_up_in_background`). Returns the Swedish summary, or None when nothing was done.
    """
    engine = engine or get_engine()
    ensure_schema(engine)
    state = results_state(engine=engine)
    if not state.behind or recompute_running(state):
        return None
    summary = recompute_store(engine=engine)
    return f"Indikatorerna låg efter datan (en tidigare omräkning avbröts). {summary}"


def catch_up_in_background(engine: Engine, *, now: dt.datetime | None = None) -> bool:
    """Start :func:`finish_recompute` in a daemon thread when the results are behind; True if started.

    Not while an import's own recompute may be about to start (:data:`CATCH_UP_GRACE` after the data
    changed) or is running (:func:`recompute_running`), at most one at a time in this process, and
    after a failure only again after :data:`CATCH_UP_RETRY`. A thread killed with the process leaves
    the results behind, and the next start catches up again.
    """
    state = results_state(engine=engine)
    if not state.behind:
        return False
    now = now or dt.datetime.now()
    if state.data_changed_at is not None and now - state.data_changed_at < CATCH_UP_GRACE:
        return False
    if recompute_running(state, now):
        return False
    store = engine.url.render_as_string(hide_password=True)
    with _lock:
        last = _catch_up_tried.get(store)
        if _running_here or (last is not None and time.monotonic() - last < CATCH_UP_RETRY.total_seconds()):
            return False
        _catch_up_tried[store] = time.monotonic()
    threading.Thread(target=_catch_up, args=(engine,), name="indikatorer-omrakning", daemon=True).start()
    return True


def _catch_up(engine: Engine) -> None:
    try:
        summary = finish_recompute(engine=engine)
        if summary:
            log.info("%s", summary)
    except Exception:  # noqa: BLE001 - a background thread: log and let the next try come
        log.exception("the recompute to catch up with the data failed")
