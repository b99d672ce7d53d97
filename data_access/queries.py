"""Read API for pages, the CLI and recompute. Returns DataFrames, never ORM objects.

Every function takes the viewer's :class:`~data_access.access.AccessContext`
and filters by it in SQL, so a page cannot ask for more than the viewer may
see.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd
from sqlalchemy import Engine, and_, func, select

from data_access.access import AccessContext, AccessDenied
from data_access.contract import TABLES
from data_access.db import contract_frame, contract_select, fetch_rows, get_engine, rows_frame
from data_access.models import CONTRACT_MODELS, ImportLog, IndicatorResult

# The column that places an event in time, per table (used by date filters).
EVENT_TIME: dict[str, str] = {
    "hospital_stays": "admission_time",
    "ed_visits": "arrival_time",
    "home_care_enrolments": "start_date",
    "sip": "sip_date",
    "cfs_assessments": "assessment_date",
    "home_visits": "requested_time",
    "primary_care_contacts": "contact_time",
    "short_term_stays": "start_date",
}


def _municipality_filter(model, access: AccessContext, municipalities: Iterable[str] | None):
    wanted = set(municipalities) if municipalities is not None else None
    if access.municipalities is not None:
        wanted = set(access.municipalities) if wanted is None else wanted & set(access.municipalities)
    if wanted is None:
        return None
    return model.municipality_code.in_(sorted(wanted))


def load_table(
    table: str,
    *,
    access: AccessContext,
    municipalities: Iterable[str] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    engine: Engine | None = None,
) -> pd.DataFrame:
    """Rows of a contract table as a frame in the contract's in-memory dtypes.

    ``start``/``end`` (inclusive dates) filter on the table's event time
    column; population and indicator_values are filtered by year/period
    only through ``municipalities``. Person-level tables need
    ``access.person_level``.
    """
    if table not in TABLES:
        raise KeyError(table)
    if TABLES[table].person_column and not access.person_level:
        raise AccessDenied(f"person-level table {table} refused")  # no user name: messages reach the logs
    model = CONTRACT_MODELS[table]
    engine = engine or get_engine()
    stmt = contract_select(table, engine.dialect.name)
    conds = []
    muni = _municipality_filter(model, access, municipalities)
    if muni is not None:
        conds.append(muni)
    time_col = EVENT_TIME.get(table)
    if time_col is not None:
        col = getattr(model, time_col)
        if start is not None:
            conds.append(col >= dt.datetime.combine(start, dt.time()))
        if end is not None:
            conds.append(col < dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))
    if conds:
        stmt = stmt.where(and_(*conds))
    with engine.connect() as conn:
        return contract_frame(fetch_rows(conn, stmt), table)


def load_frames(*, access: AccessContext, engine: Engine | None = None, **filters) -> dict[str, pd.DataFrame]:
    """Every non-empty contract table (an empty table is left out: 'saknar underlag')."""
    engine = engine or get_engine()
    counts = row_counts(engine=engine)
    return {
        name: load_table(name, access=access, engine=engine, **filters)
        for name in TABLES
        if counts.get(name, 0) > 0
    }


def row_counts(*, engine: Engine | None = None) -> dict[str, int]:
    engine = engine or get_engine()
    with engine.connect() as conn:
        return {name: conn.execute(select(func.count()).select_from(m)).scalar_one() for name, m in CONTRACT_MODELS.items()}


def store_is_empty(engine: Engine | None = None) -> bool:
    return sum(row_counts(engine=engine).values()) == 0


def loaded_summary(*, access: AccessContext, engine: Engine | None = None) -> pd.DataFrame:
    """Rows per table and municipality with the date span: what is loaded (aggregated, no persons)."""
    engine = engine or get_engine()
    parts = []
    with engine.connect() as conn:
        for name, model in CONTRACT_MODELS.items():
            if name == "indicator_values":
                continue
            time_col = getattr(model, EVENT_TIME.get(name, "year"))
            stmt = select(
                model.municipality_code,
                func.count().label("rows"),
                func.min(time_col).label("first"),
                func.max(time_col).label("last"),
            ).group_by(model.municipality_code)
            muni = _municipality_filter(model, access, None)
            if muni is not None:
                stmt = stmt.where(muni)
            for code, rows, first, last in conn.execute(stmt):
                parts.append({"table": name, "municipality_code": code, "rows": rows, "first": first, "last": last})
    frame = pd.DataFrame(parts, columns=["table", "municipality_code", "rows", "first", "last"])
    for c in ("first", "last"):
        frame[c] = frame[c].astype(str).str.slice(0, 10)
    return frame


def import_history(*, access: AccessContext, engine: Engine | None = None, limit: int = 200) -> pd.DataFrame:
    if "admin" not in access.roles:
        raise AccessDenied("the import history is for administrators")
    engine = engine or get_engine()
    stmt = select(ImportLog).order_by(ImportLog.id.desc()).limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(stmt).mappings().all()
    return pd.DataFrame([dict(r) for r in rows])


SUPPRESSED_VALUE_COLUMNS = ("numerator", "denominator", "value", "ci_low", "ci_high", "n_unassessed")


def load_indicator_results(
    *,
    access: AccessContext,
    period_type: str,
    indicator_ids: Iterable[str] | None = None,
    municipalities: Iterable[str] | None = None,
    sexes: Iterable[str] | None = None,
    engine: Engine | None = None,
) -> pd.DataFrame:
    """The persisted tidy indicator table (pages read this, never raw events).

    For a viewer not entitled to small numbers, the numbers of every row
    flagged at recompute time (primary or secondary suppression) come back
    empty, so nothing downstream (charts, tables, exports) can show them.
    The area total ``ALL`` is returned only to viewers of every municipality.
    """
    engine = engine or get_engine()
    m = IndicatorResult
    cols = [c.name for c in m.__table__.columns]
    stmt = select(*[getattr(m, c) for c in cols]).where(m.period_type == period_type)
    if indicator_ids is not None:
        stmt = stmt.where(m.indicator_id.in_(list(indicator_ids)))
    if sexes is not None:
        stmt = stmt.where(m.sex.in_(list(sexes)))
    muni = _municipality_filter(m, access, municipalities)
    if muni is not None:
        stmt = stmt.where(muni)
    with engine.connect() as conn:
        rows = conn.execute(stmt.order_by(m.indicator_id, m.municipality_code, m.sex, m.period)).all()
    frame = rows_frame(rows, cols)
    if not access.entitled_small_numbers and len(frame):
        hidden = frame["suppressed"].astype(bool)
        for c in SUPPRESSED_VALUE_COLUMNS:
            frame[c] = frame[c].astype("float64").mask(hidden)
    return frame


def load_targets(*, access: AccessContext, engine: Engine | None = None) -> pd.DataFrame:
    """Targets as a frame of :data:`metrics.targets.TARGET_COLUMNS` (general rows and the viewer's municipalities)."""
    from data_access.models import Target

    engine = engine or get_engine()
    cols = ["indicator_id", "municipality_code", "kind", "operator", "value", "change", "baseline_period"]
    stmt = select(*[getattr(Target, c) for c in cols])
    if access.municipalities is not None:
        stmt = stmt.where(
            Target.municipality_code.is_(None) | Target.municipality_code.in_(sorted(access.municipalities))
        )
    with engine.connect() as conn:
        rows = conn.execute(stmt.order_by(Target.indicator_id, Target.id)).all()
    frame = rows_frame(rows, cols)
    for c in ("value", "change"):
        frame[c] = frame[c].astype("float64")
    return frame


def last_computed_at(*, engine: Engine | None = None) -> dt.datetime | None:
    """When the stored indicator table was last recomputed (cache key for the pages)."""
    engine = engine or get_engine()
    with engine.connect() as conn:
        return conn.execute(select(func.max(IndicatorResult.computed_at))).scalar_one()
