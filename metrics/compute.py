"""The one entry point: every indicator of the registry as one tidy table.

::

    table = compute_all(frames, period="month")

``frames`` maps a table name of the data contract to its loaded DataFrame
(dtype convention of :mod:`data_access.contract`); a missing key means the
file was not delivered, and its indicators get ``saknar_underlag``.

Steps (each a small function):

1. :func:`event_day_range` — first and last day of any event; the end date
   defaults to the last.
2. :func:`as_of` — the data as they stood at the end of the end date:
   events after it are dropped, and later outcomes (discharge, assessment,
   follow-up, enrolment end) are treated as not yet happened.
3. :func:`build_context` — periods, municipalities, the municipalities and
   date span of each table.
4. For each indicator of the registry, its family function returns units,
   and :func:`metrics._tidy.finish` makes the tidy rows.

No file I/O happens here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from data_access.contract import TABLES
from metrics import (
    bed_days,
    cohorts,
    discharges,
    ed_visits,
    frequent_attenders,
    home_visits,
    readmissions,
    sip_frailty,
)
from metrics._tidy import OUTPUT_COLUMNS, Context, Parts, empty_table, finish
from metrics.periods import NAT_DAY, check_kind, date_to_day, day_numbers, period_table
from metrics.registry import INDICATORS

IndicatorFunction = Callable[[Mapping[str, pd.DataFrame], Context], Parts]

FUNCTIONS: dict[str, IndicatorFunction] = {
    **readmissions.INDICATOR_FUNCTIONS,
    **ed_visits.INDICATOR_FUNCTIONS,
    **sip_frailty.INDICATOR_FUNCTIONS,
    **home_visits.INDICATOR_FUNCTIONS,
    **discharges.INDICATOR_FUNCTIONS,
    **bed_days.INDICATOR_FUNCTIONS,
    **frequent_attenders.INDICATOR_FUNCTIONS,
    **cohorts.INDICATOR_FUNCTIONS,
}

# Tables that describe events (everything but the population and external values).
NON_EVENT_TABLES = frozenset({"population", "indicator_values"})
# Dates that describe a state rather than an event: not used for the default
# period range and end date (unless nothing else is dated).
STATE_COLUMNS = frozenset({("home_care_enrolments", "start_date"), ("home_care_enrolments", "end_date")})

# Per event table: the column that dates the row (a row dated after the end
# date did not exist yet), and the columns recording later outcomes that are
# blanked when they fall after the end date (groups blanked together).
AS_OF_RULES: dict[str, tuple[str, tuple[tuple[str, tuple[str, ...]], ...]]] = {
    "hospital_stays": (
        "admission_time",
        (
            (
                "discharge_time",
                ("discharge_time", "discharge_to", "care_plan_complete", "followup_call_time"),
            ),
            ("followup_call_time", ("followup_call_time",)),
        ),
    ),
    "ed_visits": ("arrival_time", ()),
    "home_care_enrolments": ("start_date", (("end_date", ("end_date",)),)),
    "sip": ("sip_date", (("followup_date", ("followup_date",)),)),
    "cfs_assessments": ("assessment_date", ()),
    "home_visits": ("requested_time", (("assessed_time", ("assessed_time",)),)),
    "primary_care_contacts": ("contact_time", ()),
    "short_term_stays": ("start_date", (("end_date", ("end_date", "discharge_to")),)),
}


@dataclass(frozen=True)
class Overrides:
    """Facts of the *whole* data, for computing from frames cut to a recent window (incremental recompute).

    The frames then hold only the rows that can affect the recent periods;
    these make the periods, municipalities, per-table municipalities and
    date spans (``ctx.coverage``, as of the end day) and the person-level
    birth year and sex (``person_facts``: indexed by ``person_id``, columns
    ``birth_year``, ``sex``) those of the whole data. Day numbers as in
    :mod:`metrics.periods`.
    """

    first_day: int
    end_day: int
    municipalities: frozenset[str]
    table_munis: Mapping[str, frozenset[str]] = field(default_factory=dict)
    coverage: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    person_facts: pd.DataFrame | None = None


def _date_columns(table: str) -> list[str]:
    return [c.name for c in TABLES[table].columns if c.type in ("date", "timestamp")]


def event_day_range(frames: Mapping[str, pd.DataFrame], *, states: bool = True) -> tuple[int, int] | None:
    """(first, last) day number over the date/timestamp columns of the event tables; None without any.

    ``states=False`` leaves out the columns in :data:`STATE_COLUMNS`
    (enrolment start and end: a long-standing enrolment is no event of the
    period, and an end date may be planned).
    """
    lo, hi = None, None
    for name, frame in frames.items():
        if name in NON_EVENT_TABLES or name not in TABLES or frame is None or len(frame) == 0:
            continue
        for col in _date_columns(name):
            if col not in frame.columns or (not states and (name, col) in STATE_COLUMNS):
                continue
            s = frame[col]
            first, last = s.min(), s.max()
            if pd.isna(first):
                continue
            d0, d1 = date_to_day(first.date()), date_to_day(last.date())
            lo = d0 if lo is None else min(lo, d0)
            hi = d1 if hi is None else max(hi, d1)
    return None if lo is None else (lo, hi)


def as_of(frames: Mapping[str, pd.DataFrame], end_day: int) -> dict[str, pd.DataFrame]:
    """The frames as they stood at the end of ``end_day`` (see module docstring)."""
    out: dict[str, pd.DataFrame] = {}
    for name, frame in frames.items():
        if frame is None:
            continue
        rule = AS_OF_RULES.get(name)
        if rule is None or len(frame) == 0:
            out[name] = frame
            continue
        dating, later = rule
        keep = day_numbers(frame[dating]) <= end_day
        if not keep.all():
            frame = frame.loc[keep].reset_index(drop=True)
        for col, blanked in later:
            if col not in frame.columns:
                continue
            days = day_numbers(frame[col])
            after = (days != NAT_DAY) & (days > end_day)
            if after.any():
                frame = frame.assign(**{b: frame[b].mask(after) for b in blanked if b in frame.columns})
        out[name] = frame
    return out


def build_context(
    frames: Mapping[str, pd.DataFrame],
    *,
    period: str,
    first_day: int,
    end_day: int,
    municipalities: Iterable[str],
) -> Context:
    table_munis: dict[str, frozenset[str]] = {}
    coverage: dict[str, tuple[int, int]] = {}
    for name, frame in frames.items():
        if name not in TABLES or frame is None or "municipality_code" not in frame.columns:
            continue
        table_munis[name] = frozenset(frame["municipality_code"].dropna().unique().tolist())
        if name not in NON_EVENT_TABLES:
            span = event_day_range({name: frame})
            if span is not None:
                coverage[name] = span
    return Context(
        kind=period,
        end_day=end_day,
        periods=period_table(period, first_day, end_day),
        municipalities=tuple(sorted(set(municipalities))),
        table_munis=table_munis,
        coverage=coverage,
        population=frames.get("population"),
    )


@dataclass(frozen=True)
class Prepared:
    """The frames as of the end date and what every period type's context is built from."""

    frames: dict[str, pd.DataFrame]
    first_day: int
    end_day: int
    municipalities: frozenset[str]
    overrides: Overrides | None = None

    def context(self, period: str) -> Context:
        check_kind(period)
        ctx = build_context(
            self.frames, period=period, first_day=self.first_day, end_day=self.end_day,
            municipalities=self.municipalities,
        )
        o = self.overrides
        if o is None:
            return ctx
        present = [t for t in self.frames if t in TABLES]
        return Context(
            kind=ctx.kind,
            end_day=ctx.end_day,
            periods=ctx.periods,
            municipalities=ctx.municipalities,
            table_munis={t: o.table_munis.get(t, frozenset()) for t in present if t in ctx.table_munis},
            coverage={t: o.coverage[t] for t in present if t in o.coverage},
            population=ctx.population,
        )


def prepare_frames(
    frames: Mapping[str, pd.DataFrame],
    *,
    end_date: dt.date | None = None,
    overrides: Overrides | None = None,
) -> Prepared | None:
    """The part of :func:`prepare` that does not depend on the period type; None: nothing to compute."""
    frames = {k: v for k, v in frames.items() if v is not None}
    unknown = sorted(set(frames) - set(TABLES))
    if unknown:
        raise ValueError(f"unknown table(s): {', '.join(unknown)}; known: {', '.join(TABLES)}")
    if overrides is not None:
        end_day = date_to_day(end_date) if end_date is not None else overrides.end_day
        return Prepared(as_of(frames, end_day), min(overrides.first_day, end_day), end_day,
                        frozenset(overrides.municipalities), overrides)
    span = event_day_range(frames, states=False) or event_day_range(frames)
    if end_date is None and span is None:
        return None
    end_day = date_to_day(end_date) if end_date is not None else span[1]
    first_day = span[0] if span is not None else end_day
    municipalities: set[str] = set()
    for name, frame in frames.items():
        if name != "indicator_values" and "municipality_code" in frame.columns:
            municipalities.update(frame["municipality_code"].dropna().unique().tolist())
    return Prepared(as_of(frames, end_day), min(first_day, end_day), end_day, frozenset(municipalities))


def prepare(
    frames: Mapping[str, pd.DataFrame],
    *,
    period: str,
    end_date: dt.date | None = None,
    overrides: Overrides | None = None,
) -> tuple[dict[str, pd.DataFrame], Context | None]:
    """Frames as of the end date, and the context; ``(frames, None)`` when there is nothing to compute.

    ``overrides``: the frames are a window of the data; periods, municipalities and spans come from it.
    """
    check_kind(period)
    prepared = prepare_frames(frames, end_date=end_date, overrides=overrides)
    if prepared is None:
        return {k: v for k, v in frames.items() if v is not None}, None
    return prepared.frames, prepared.context(period)


def compute_all(
    frames: Mapping[str, pd.DataFrame],
    *,
    period: Literal["month", "quarter", "year"],
    end_date: dt.date | None = None,
    indicators: Iterable[str] | None = None,
    overrides: Overrides | None = None,
) -> pd.DataFrame:
    """Every indicator (or those in ``indicators``) × municipality (+ ``ALL``) × sex × period.

    Columns: :data:`metrics._tidy.OUTPUT_COLUMNS`. Periods run from that of
    the earliest event in any table to the one containing ``end_date``
    (default: the latest event). ``suppressed`` is always False here; apply
    :func:`metrics.suppression.suppress` before showing the table.
    ``overrides``: see :class:`Overrides` (the incremental recompute).
    """
    return compute_grains(frames, periods=(period,), end_date=end_date, indicators=indicators,
                          overrides=overrides)[period]


def compute_grains(
    frames: Mapping[str, pd.DataFrame],
    *,
    periods: Iterable[str],
    end_date: dt.date | None = None,
    indicators: Iterable[str] | None = None,
    overrides: Overrides | None = None,
) -> dict[str, pd.DataFrame]:
    """:func:`compute_all` for several period types, keyed by period type.

    The work that does not depend on the period type is done once: the
    frames as of the end date, and the cohorts' person resolution,
    enrolment index, frequent-attender runs and places
    (:func:`metrics.cohorts.sharing`). Each table equals ``compute_all`` of
    that period type.
    """
    periods = list(dict.fromkeys(periods))
    for period in periods:
        check_kind(period)
    ids = list(INDICATORS) if indicators is None else list(dict.fromkeys(indicators))
    unknown = [i for i in ids if i not in INDICATORS]
    if unknown:
        raise ValueError(f"unknown indicator(s): {', '.join(unknown)}; known: {', '.join(INDICATORS)}")
    prepared = prepare_frames(frames, end_date=end_date, overrides=overrides)
    if prepared is None:
        return {period: empty_table() for period in periods}
    out = {}
    with cohorts.sharing():
        for period in periods:
            ctx = prepared.context(period)
            if overrides is not None and overrides.person_facts is not None:
                _use_person_facts(prepared.frames, ctx, overrides.person_facts)
            tables = [finish(INDICATORS[i], FUNCTIONS[i](prepared.frames, ctx), ctx) for i in ids]
            table = pd.concat(tables, ignore_index=True) if tables else empty_table()
            out[period] = table[list(OUTPUT_COLUMNS)]
    return out


def person_facts(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Birth year and sex per ``person_id`` (:func:`metrics._persons.resolve`) of (slim) frames as of the end."""
    from metrics._persons import resolve

    p = resolve(frames)
    return pd.DataFrame(
        {"birth_year": p.birth_year, "sex": p.sex}, index=pd.Index(p.ids, dtype=object, name="person_id")
    )


def _use_person_facts(prepared: Mapping[str, pd.DataFrame], ctx: Context, facts: pd.DataFrame) -> None:
    """Make the cohorts of this computation use person facts of the whole data, not of the window.

    The cohorts resolve birth year and sex over all of a person's rows
    (:mod:`metrics._persons`); a window of the rows could give another
    answer, so the resolved persons of this computation's shared work get the
    whole data's facts (persons absent from ``facts`` keep their own).
    """
    from metrics import cohorts
    from metrics._persons import Persons, resolve

    work = cohorts.shared(prepared, ctx)
    if work.__dict__.get("_person_facts") is facts:  # shared across period types: done already
        return
    p = resolve(prepared)
    pos = facts.index.get_indexer(pd.Index(p.ids, dtype=object))
    found = pos >= 0
    safe = np.clip(pos, 0, None)
    by = facts["birth_year"].to_numpy(dtype="float64")
    sex = facts["sex"].to_numpy(dtype=object)
    birth_year = np.where(found, by[safe] if len(by) else np.nan, p.birth_year)
    sexes = np.where(found, sex[safe] if len(sex) else None, p.sex).astype(object)
    work.__dict__["persons"] = Persons(ids=p.ids, codes=p.codes, birth_year=birth_year, sex=sexes)
    work.__dict__["_person_facts"] = facts


def _check_functions() -> None:
    missing = set(INDICATORS) - set(FUNCTIONS)
    extra = set(FUNCTIONS) - set(INDICATORS)
    if missing or extra:
        raise RuntimeError(
            f"registry and functions disagree: missing {sorted(missing)}, extra {sorted(extra)}"
        )


_check_functions()
