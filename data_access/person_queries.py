"""Person-level and per-care-centre queries: the frequent-attender list and its trend counts.

The raw events never leave this module. :func:`frequent_attender_list`
returns pseudonymous persons only to viewers with the
``frequent_attender_list`` permission, narrows the events to the viewer's
care centres in SQL, filters the result by care centre again, and writes
every call to the access log (who, when, what, how many rows).
:func:`frequent_attender_trends` returns counts per care centre, suppressed
for every viewer not entitled to small numbers, filtered by the viewer's
municipalities or care centres.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Iterable

import pandas as pd
from sqlalchemy import Engine, bindparam, func, select, text

from data_access.access import AccessContext, check_viewer, require
from data_access.contract import TABLES, coerce_frame
from data_access.db import get_engine, rows_frame
from data_access.models import (
    EdVisit,
    HospitalStay,
    ImportLog,
    IndicatorResult,
    PrimaryCareContact,
    ShortTermStay,
)
from data_access.settings import get_settings
from data_access.users import log_access

WHAT_LIST = "mångsökare"
ACTION_VIEW = "visning"
ACTION_EXPORT = "export"
ED_UNIT = "akutmottagning"
ED_DAYS = 365


def _scope(access: AccessContext, care_centres: Iterable[str] | None) -> frozenset[str] | None:
    """The care centres to list: those asked for within the viewer's (None = every one)."""
    wanted = frozenset(care_centres) if care_centres is not None else None
    if access.care_centres is not None:
        wanted = access.care_centres if wanted is None else wanted & access.care_centres
    return wanted


def _detail(day: dt.date, scope: frozenset[str] | None) -> str:
    where = "alla vårdcentraler" if scope is None else ", ".join(sorted(scope)) or "ingen vårdcentral"
    return f"dag {day.isoformat()}; {where}"


def _frame(conn, model, table: str, stmt) -> pd.DataFrame:
    cols = TABLES[table].column_names
    rows = conn.execute(stmt).all()
    return coerce_frame(rows_frame(rows, cols), table)


def _events_for_list(engine: Engine, day: dt.date, scope: frozenset[str] | None) -> dict[str, pd.DataFrame]:
    """Contacts up to ``day`` and ED visits in the 365 days up to it, of persons seen at the scope's care centres."""
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time())
    pcc, ed = PrimaryCareContact, EdVisit
    pcc_cols = [getattr(pcc, c) for c in TABLES["primary_care_contacts"].column_names]
    ed_cols = [getattr(ed, c) for c in TABLES["ed_visits"].column_names]
    pcc_stmt = select(*pcc_cols).where(pcc.contact_time < end)
    ed_stmt = select(*ed_cols).where(
        ed.unit == ED_UNIT, ed.arrival_time < end, ed.arrival_time >= end - dt.timedelta(days=ED_DAYS)
    )
    if scope is not None:
        seen = select(pcc.person_id).where(pcc.care_centre.in_(sorted(scope)), pcc.contact_time < end).distinct()
        pcc_stmt = pcc_stmt.where(pcc.person_id.in_(seen))
        ed_stmt = ed_stmt.where(ed.person_id.in_(seen))
    with engine.connect() as conn:
        return {
            "primary_care_contacts": _frame(conn, pcc, "primary_care_contacts", pcc_stmt),
            "ed_visits": _frame(conn, ed, "ed_visits", ed_stmt),
        }


def frequent_attender_list(
    *,
    access: AccessContext,
    day: dt.date,
    care_centres: Iterable[str] | None = None,
    engine: Engine | None = None,
) -> pd.DataFrame:
    """Pseudonymous frequent attenders on ``day`` at the viewer's care centres (logged as a view).

    ``care_centres`` narrows the list (a value outside the viewer's scope
    simply selects nothing). Columns: those of
    :data:`metrics.frequent_attender_list.COLUMNS`.
    """
    from metrics.frequent_attender_list import COLUMNS, frequent_attender_persons

    require(access, "frequent_attender_list")
    engine = engine or get_engine()
    scope = _scope(access, care_centres)
    if scope is not None and not scope:
        rows = pd.DataFrame(columns=list(COLUMNS))
    else:
        rows = frequent_attender_persons(_events_for_list(engine, day, scope), day=day)
        if scope is not None:
            rows = rows.loc[rows["care_centre"].isin(sorted(scope))].reset_index(drop=True)
    log_access(engine, access=access, action=ACTION_VIEW, what=WHAT_LIST, rows=len(rows), detail=_detail(day, scope))
    return rows


def record_export(
    *,
    access: AccessContext,
    day: dt.date,
    care_centres: Iterable[str] | None,
    rows: int,
    engine: Engine | None = None,
) -> None:
    """Write an export of the frequent-attender list to the access log."""
    require(access, "frequent_attender_list")
    scope = _scope(access, care_centres)
    log_access(engine or get_engine(), access=access, action=ACTION_EXPORT, what=WHAT_LIST, rows=rows,
               detail=_detail(day, scope))


def list_care_centres(*, access: AccessContext, engine: Engine | None = None) -> list[str]:
    """The care centres whose list the viewer may read (those present in the data)."""
    require(access, "frequent_attender_list")
    pcc = PrimaryCareContact
    stmt = select(pcc.care_centre).distinct().order_by(pcc.care_centre)
    if access.care_centres is not None:
        stmt = stmt.where(pcc.care_centre.in_(sorted(access.care_centres)))
    with (engine or get_engine()).connect() as conn:
        return list(conn.execute(stmt).scalars())


def care_centre_names(*, access: AccessContext, engine: Engine | None = None) -> list[str]:
    """Every care centre named in the data (administrators choose scopes from these; no person data)."""
    require(access, "admin")
    pcc = PrimaryCareContact
    with (engine or get_engine()).connect() as conn:
        return [c for c in conn.execute(select(pcc.care_centre).distinct().order_by(pcc.care_centre)).scalars() if c]


def latest_event_day(*, access: AccessContext, engine: Engine | None = None) -> dt.date | None:
    """The last day with a primary care contact or ED visit (the default day of the list)."""
    if not check_viewer(access).frequent_attender_list:
        require(access, "care_centre_trends")
    with (engine or get_engine()).connect() as conn:
        last = [
            conn.execute(select(func.max(PrimaryCareContact.contact_time))).scalar_one(),
            conn.execute(select(func.max(EdVisit.arrival_time))).scalar_one(),
        ]
    last = [pd.Timestamp(t) for t in last if t is not None]
    return max(last).date() if last else None


TREND_COLUMNS = ["care_centre", "municipality_code", "sex", "period", "period_start", "period_end", "numerator",
                 "status", "suppressed"]


def _suppressed_trends(engine: Engine, period: str, entitled: bool) -> pd.DataFrame:
    """The whole per-care-centre table, suppressed once (cached until the next import or recompute).

    The care centres of a municipality add up to its ``frequent_attenders``
    value in the stored indicator table, which the same viewers see beside
    this table (Jämför, Trender, downloads). Secondary suppression therefore
    takes those values, with the flags the recompute gave them, as fixed
    totals (``metrics.suppression.suppress(totals=...)``): no hidden care
    centre is a shown municipal total minus its shown care centres.
    """
    from metrics.frequent_attenders import by_care_centre
    from metrics.suppression import suppress

    with engine.connect() as conn:
        stamp = (
            conn.execute(select(func.max(ImportLog.id))).scalar_one(),
            conn.execute(select(func.max(IndicatorResult.computed_at))).scalar_one(),
        )
    cache = _TRENDS.setdefault(engine, {})
    key = (stamp, period, entitled)
    if key in cache:
        return cache[key]
    pcc, ed = PrimaryCareContact, EdVisit
    with engine.connect() as conn:
        frames = {
            "primary_care_contacts": _frame(
                conn, pcc, "primary_care_contacts",
                select(*[getattr(pcc, c) for c in TABLES["primary_care_contacts"].column_names]),
            ),
            "ed_visits": _frame(
                conn, ed, "ed_visits",
                select(*[getattr(ed, c) for c in TABLES["ed_visits"].column_names]).where(ed.unit == ED_UNIT),
            ),
        }
        totals = _stored_totals(conn, period)
    table = pd.DataFrame(columns=TREND_COLUMNS)
    if not (frames["primary_care_contacts"].empty and frames["ed_visits"].empty):
        computed = by_care_centre(frames, period=period)
        if not computed.empty:
            table = suppress(computed, entitled=entitled, threshold=get_settings().suppression_threshold,
                             totals=totals)  # fmt: skip
            table = table[TREND_COLUMNS]
    if len(cache) >= 4:
        cache.clear()
    cache[key] = table
    return table


def _stored_totals(conn, period: str) -> pd.DataFrame:
    """The stored ``frequent_attenders`` rows of one period type (unsuppressed counts, with their flags)."""
    r = IndicatorResult
    stmt = select(r.indicator_id, r.municipality_code, r.sex, r.period, r.numerator, r.suppressed).where(
        r.indicator_id == "frequent_attenders", r.period_type == period
    )
    rows = conn.execute(stmt).all()
    frame = pd.DataFrame(rows, columns=["indicator_id", "municipality_code", "sex", "period", "numerator",
                                        "suppressed"])  # fmt: skip
    frame["suppressed"] = frame["suppressed"].astype(bool)
    return frame


# Per engine (one per store): ((latest import, latest recompute), period, entitled) → the suppressed table of every care centre.
_TRENDS: weakref.WeakKeyDictionary[Engine, dict[tuple, pd.DataFrame]] = weakref.WeakKeyDictionary()


def frequent_attender_trends(
    *,
    access: AccessContext,
    period: str = "month",
    engine: Engine | None = None,
) -> pd.DataFrame:
    """Frequent attenders per care centre × municipality (and ``ALL``) × sex × period, for the viewer.

    Suppression (primary and secondary) is decided over the whole table
    before any row is filtered; numbers of hidden rows are empty. A viewer
    sees the rows of their municipalities, the ``ALL`` rows only if they see
    every municipality, and every row of care centres whose list they may
    read.
    """
    require(access, "care_centre_trends")
    table = _suppressed_trends(engine or get_engine(), period, access.entitled_small_numbers)
    if table.empty:
        return table.copy()
    muni = table["municipality_code"]
    if access.municipalities is None:
        keep = pd.Series(True, index=table.index)
    else:
        keep = muni.isin(sorted(access.municipalities)) & (muni != "ALL")
    if access.frequent_attender_list and access.care_centres is None:
        keep[:] = True
    elif access.frequent_attender_list:
        keep |= table["care_centre"].isin(sorted(access.care_centres))
    out = table.loc[keep].reset_index(drop=True)
    out["numerator"] = out["numerator"].astype("float64")
    return out


# --- the Målgrupper worklist (arbetslista) --------------------------------------

WHAT_WORKLIST = "arbetslista"
# Per engine (one per store): (latest import, day) → (list on day, list a month before), whole area.
_WORKLISTS: weakref.WeakKeyDictionary[Engine, dict[tuple, tuple[pd.DataFrame, pd.DataFrame]]] = (
    weakref.WeakKeyDictionary()
)


def _as_datetime(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def _window_rows(conn, stmt) -> pd.DataFrame:
    return rows_frame(conn.execute(stmt).all(), list(stmt.selected_columns.keys()))


def _candidate_ids(conn, present: set[str], days: Iterable[dt.date]) -> set[str]:
    """Persons who may be in a cohort on any of ``days`` (a superset of ``metrics.worklist``'s own candidates).

    The windows of ``metrics.worklist._candidates`` with the row conditions of the cohorts
    (``metrics.cohorts.*_events``), which do not depend on the person: ≥ 3 contacts in d−29…d; ≥ 4 ED
    visits at the akutmottagning in d−364…d; in d−29…d an ED visit at the akutmottagning not admitted, or
    by MALT or ambulance; in d−29…d−14 a discharge home with a complete care plan, or the end of a
    short-term stay with discharge home. Age and enrolment are left to ``metrics`` (they depend on all of
    the person's rows). One light query per table covers every day; the counting is done here.
    """
    from metrics import cohorts as co
    from metrics.worklist import WINDOW_DAYS

    days = sorted(set(days))
    first, last = days[0], days[-1]
    end = _as_datetime(last + dt.timedelta(days=1))
    pcc, ed, stays, sts = PrimaryCareContact, EdVisit, HospitalStay, ShortTermStay
    found: set[str] = set()

    def between(frame: pd.DataFrame, column: str, lo: dt.date, hi: dt.date) -> pd.Series:
        t = pd.to_datetime(frame[column])
        return (t >= pd.Timestamp(lo)) & (t < pd.Timestamp(hi + dt.timedelta(days=1)))

    def at_least(frame: pd.DataFrame, mask: pd.Series, n: int) -> set[str]:
        counts = frame.loc[mask, "person_id"].value_counts()
        return set(counts.index[counts >= n].astype(str))

    if "primary_care_contacts" in present:
        lo = first - dt.timedelta(days=co.PCC_WINDOW - 1)
        f = _window_rows(conn, select(pcc.person_id, pcc.contact_time).where(
            pcc.contact_time >= _as_datetime(lo), pcc.contact_time < end))
        for d in days:
            found |= at_least(f, between(f, "contact_time", d - dt.timedelta(days=co.PCC_WINDOW - 1), d), co.PCC_MIN)
    if "ed_visits" in present:
        lo = first - dt.timedelta(days=max(co.ED_WINDOW, WINDOW_DAYS) - 1)
        f = _window_rows(conn, select(ed.person_id, ed.arrival_time, ed.unit, ed.arrival_mode, ed.admitted).where(
            ed.arrival_time >= _as_datetime(lo), ed.arrival_time < end))
        akut = (f["unit"] == co.ED_UNIT).fillna(False)
        not_admitted = f["admitted"].map(lambda v: v is not None and v == v and not bool(v))
        acute = (akut & not_admitted) | (f["unit"] == co.MALT_UNIT).fillna(False)
        acute |= (f["arrival_mode"] == co.AMBULANCE).fillna(False)
        for d in days:
            found |= at_least(f, akut & between(f, "arrival_time", d - dt.timedelta(days=co.ED_WINDOW - 1), d),
                              co.ED_MIN)
            found |= at_least(f, acute & between(f, "arrival_time", d - dt.timedelta(days=WINDOW_DAYS - 1), d), 1)
    for table, model, column in (("hospital_stays", stays, stays.discharge_time),
                                 ("short_term_stays", sts, sts.end_date)):
        if table not in present:
            continue
        lo = first - dt.timedelta(days=WINDOW_DAYS - 1)
        hi = last - dt.timedelta(days=co.FOLLOW_DAYS)
        if table == "hospital_stays":  # discharged home with a complete care plan (SAMSA)
            where = (column >= _as_datetime(lo), column < _as_datetime(hi + dt.timedelta(days=1)),
                     stays.discharge_to == co.HOME, stays.care_plan_complete.is_(True))
        else:  # short-term stay ended with discharge home
            where = (column >= lo, column <= hi, sts.discharge_to == co.HOME)
        f = _window_rows(conn, select(model.person_id, column).where(*where))
        for d in days:
            found |= at_least(f, between(f, column.key, d - dt.timedelta(days=WINDOW_DAYS - 1),
                                         d - dt.timedelta(days=co.FOLLOW_DAYS)), 1)
    return found


def _worklist_frames(engine: Engine, days: Iterable[dt.date]) -> dict[str, pd.DataFrame]:
    """Every row of the persons who may be listed on any of ``days``, from the person-level tables.

    A table without any rows in the store is left out ("not delivered"), as in
    ``queries.load_frames``; a delivered table keeps only the candidates' rows.
    """
    from data_access.models import CONTRACT_MODELS
    from metrics._persons import PERSON_TABLES

    with engine.connect() as conn:
        present = {
            t for t in PERSON_TABLES
            if conn.execute(select(func.count()).select_from(CONTRACT_MODELS[t])).scalar_one() > 0
        }
        wanted = sorted(_candidate_ids(conn, present, days))
        frames: dict[str, pd.DataFrame] = {}
        for table in sorted(present):
            # Plain SQL text: the driver's values as they are (SQLite: timestamps as text), parsed column by
            # column in coerce_frame — far faster than SQLAlchemy's per-value result processing.
            names = TABLES[table].column_names
            stmt = text(
                f"SELECT {', '.join(names)} FROM {CONTRACT_MODELS[table].__tablename__} WHERE person_id IN :ids"
            ).bindparams(bindparam("ids", expanding=True))
            rows: list = []
            for i in range(0, len(wanted), _ID_CHUNK):
                rows.extend(conn.execute(stmt, {"ids": wanted[i:i + _ID_CHUNK]}))
            frames[table] = coerce_frame(rows_frame(rows, names), table)
    return frames


_ID_CHUNK = 5000  # person ids per IN list (well below SQLite's limit on bound parameters)


def _area_worklists(engine: Engine, day: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The whole area's worklist on ``day`` and a month before (cached until the next import). Never leaves
    this module unfiltered."""
    from metrics.worklist import month_before, worklist

    with engine.connect() as conn:
        stamp = conn.execute(select(func.max(ImportLog.id))).scalar_one()
    cache = _WORKLISTS.setdefault(engine, {})
    key = (stamp, day)
    if key not in cache:
        before = month_before(day)
        frames = _worklist_frames(engine, (day, before))
        if len(cache) >= 4:
            cache.clear()
        cache[key] = (worklist(frames, day=day), worklist(frames, day=before))
    return cache[key]


def _visible(rows: pd.DataFrame, access: AccessContext) -> pd.DataFrame:
    """The rows the viewer may see (``AccessContext.allows_worklist_row``), vectorised."""
    if access.worklist_municipalities is None or access.care_centres is None:
        return rows.reset_index(drop=True)
    keep = rows["municipality_code"].isin(sorted(access.worklist_municipalities)) | rows["care_centre"].isin(
        sorted(access.care_centres)
    )
    return rows.loc[keep.to_numpy(dtype=bool, na_value=False)].reset_index(drop=True)


def _narrow(rows: pd.DataFrame, municipalities, care_centres, cohorts) -> pd.DataFrame:
    from metrics.cohorts import COHORT_IDS
    from metrics.worklist import in_cohort

    keep = pd.Series(True, index=rows.index)
    if municipalities is not None:
        keep &= rows["municipality_code"].isin([str(m) for m in municipalities])
    if care_centres is not None:
        keep &= rows["care_centre"].isin([str(c) for c in care_centres])
    if cohorts is not None:
        known = [c for c in cohorts if c in COHORT_IDS]  # an unknown cohort id selects nobody
        any_of = pd.Series(False, index=rows.index)
        for c in known:
            any_of |= in_cohort(rows, c)
        keep &= any_of
    return rows.loc[keep.to_numpy(dtype=bool)].reset_index(drop=True)


def _worklist_detail(day: dt.date, municipalities, care_centres, cohorts) -> str:
    parts = [f"dag {day.isoformat()}"]
    for label, values in (("kommun", municipalities), ("vårdcentral", care_centres), ("målgrupp", cohorts)):
        if values is not None:
            parts.append(f"{label}: " + (", ".join(sorted(map(str, values))) or "ingen"))
    return "; ".join(parts)[:1000]


def worklist_for(
    *,
    access: AccessContext,
    day: dt.date,
    municipalities: Iterable[str] | None = None,
    care_centres: Iterable[str] | None = None,
    cohorts: Iterable[str] | None = None,
    engine: Engine | None = None,
) -> pd.DataFrame:
    """The viewer's pseudonymous worklist on ``day``, with the change against the month before (logged as a view).

    Columns: :data:`metrics.worklist.WORKLIST_COLUMNS` and ``change``
    (``"ny sedan förra månaden"`` / ``"kvar"`` / ``"lämnat listan"``). The
    change compares the viewer's own lists: a person whose latest contact
    moved from another care centre to the viewer's is new to the viewer.
    Persons who left carry their values of the month before (and are in the
    viewer's scope by those). ``municipalities``, ``care_centres`` and
    ``cohorts`` only narrow: anything outside the viewer's scope selects
    nothing. Every call writes one access-log row (who, when, day and
    filters, how many rows; never which persons).
    """
    from metrics.worklist import worklist_changes

    require(access, "worklist")
    engine = engine or get_engine()
    municipalities = None if municipalities is None else list(municipalities)
    care_centres = None if care_centres is None else list(care_centres)
    cohorts = None if cohorts is None else list(cohorts)
    current, previous = _area_worklists(engine, day)
    rows = worklist_changes(_visible(current, access), _visible(previous, access))
    rows = _narrow(rows, municipalities, care_centres, cohorts)
    log_access(engine, access=access, action=ACTION_VIEW, what=WHAT_WORKLIST, rows=len(rows),
               detail=_worklist_detail(day, municipalities, care_centres, cohorts))
    return rows


def worklist_filter_options(*, access: AccessContext, day: dt.date, engine: Engine | None = None) -> dict[str, list[str]]:
    """The municipalities and care centres on the viewer's worklist of ``day`` or the month before (no persons)."""
    require(access, "worklist")
    current, previous = _area_worklists(engine or get_engine(), day)
    both = pd.concat([_visible(current, access), _visible(previous, access)], ignore_index=True)
    return {
        "municipalities": sorted(both["municipality_code"].dropna().astype(str).unique()),
        "care_centres": sorted(both["care_centre"].dropna().astype(str).unique()),
    }


def record_worklist_export(
    *,
    access: AccessContext,
    day: dt.date,
    rows: int,
    municipalities: Iterable[str] | None = None,
    care_centres: Iterable[str] | None = None,
    cohorts: Iterable[str] | None = None,
    file_format: str = "csv",
    engine: Engine | None = None,
) -> None:
    """Write an export of the worklist (CSV or xlsx) to the access log."""
    require(access, "worklist")
    detail = _worklist_detail(day, None if municipalities is None else list(municipalities),
                              None if care_centres is None else list(care_centres),
                              None if cohorts is None else list(cohorts))
    log_access(engine or get_engine(), access=access, action=ACTION_EXPORT, what=WHAT_WORKLIST, rows=rows,
               detail=f"{detail}; {file_format}"[:1000])


_LATEST_DAY: weakref.WeakKeyDictionary[Engine, tuple[object, dt.date | None]] = weakref.WeakKeyDictionary()


def worklist_latest_day(*, access: AccessContext, engine: Engine | None = None) -> dt.date | None:
    """The last day with a primary care contact or ED visit (the default day of the worklist).

    Kept per engine until the next import (two full scans at scale 10 took a quarter of a second per run).
    """
    require(access, "worklist")
    engine = engine or get_engine()
    with engine.connect() as conn:
        stamp = conn.execute(select(func.max(ImportLog.id))).scalar_one()
        cached = _LATEST_DAY.get(engine)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        last = [
            conn.execute(select(func.max(PrimaryCareContact.contact_time))).scalar_one(),
            conn.execute(select(func.max(EdVisit.arrival_time))).scalar_one(),
        ]
    last = [pd.Timestamp(t) for t in last if t is not None]
    day = max(last).date() if last else None
    _LATEST_DAY[engine] = (stamp, day)
    return day
