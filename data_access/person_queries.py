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
from sqlalchemy import Engine, func, select

from data_access.access import AccessContext, check_viewer, require
from data_access.contract import TABLES, coerce_frame
from data_access.db import get_engine
from data_access.models import EdVisit, ImportLog, PrimaryCareContact
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
    return coerce_frame(pd.DataFrame(rows, columns=cols), table)


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
    """The whole per-care-centre table, suppressed once (cached until the next import)."""
    from metrics.frequent_attenders import by_care_centre
    from metrics.suppression import suppress

    with engine.connect() as conn:
        stamp = conn.execute(select(func.max(ImportLog.id))).scalar_one()
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
    table = pd.DataFrame(columns=TREND_COLUMNS)
    if not (frames["primary_care_contacts"].empty and frames["ed_visits"].empty):
        computed = by_care_centre(frames, period=period)
        if not computed.empty:
            table = suppress(computed, entitled=entitled, threshold=get_settings().suppression_threshold)
            table = table[TREND_COLUMNS]
    if len(cache) >= 4:
        cache.clear()
    cache[key] = table
    return table


# Per engine (one per store): (latest import, period, entitled) → the suppressed table of every care centre.
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
