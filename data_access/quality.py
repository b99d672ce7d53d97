"""Data freshness and quality per source table and municipality (aggregated SQL, no persons).

So that a low value can be told from missing reporting: the share of rows
with each optional field an indicator needs, the months without any row,
and the last event date ("data t.o.m.").
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, func, select

from data_access.access import AccessContext
from data_access.db import get_engine, rows_frame
from data_access.models import CONTRACT_MODELS
from data_access.queries import EVENT_TIME, _municipality_filter

# Tables whose rows are states with a start date far back, not monthly events.
STATE_TABLES = frozenset({"home_care_enrolments"})

# (table, column, Swedish description, condition restricting the rows where the field is expected)
OPTIONAL_FIELDS = (
    ("hospital_stays", "care_plan_complete", "vårdplan registrerad vid utskrivning", "discharged"),
    ("hospital_stays", "followup_call_time", "uppföljningssamtal registrerat (utskrivna till hem)", "home"),
    ("ed_visits", "arrival_mode", "ankomstsätt registrerat", None),
    ("sip", "followup_date", "uppföljningsdatum registrerat", None),
    ("home_visits", "assessed_time", "bedömningstid registrerad", None),
    ("primary_care_contacts", "birth_year", "födelseår registrerat", None),
    ("primary_care_contacts", "sex", "kön registrerat", None),
)


def completeness(*, access: AccessContext, engine: Engine | None = None) -> pd.DataFrame:
    """Share of rows with each optional field filled in, per municipality."""
    engine = engine or get_engine()
    out = []
    with engine.connect() as conn:
        for table, column, label, condition in OPTIONAL_FIELDS:
            m = CONTRACT_MODELS[table]
            stmt = select(m.municipality_code, func.count(), func.count(getattr(m, column))).group_by(m.municipality_code)
            if condition == "discharged":
                stmt = stmt.where(m.discharge_time.is_not(None))
            elif condition == "home":
                stmt = stmt.where(m.discharge_to == "hem")
            muni = _municipality_filter(m, access, None)
            if muni is not None:
                stmt = stmt.where(muni)
            for code, rows, filled in conn.execute(stmt):
                out.append({"table": table, "column": column, "field": label, "municipality_code": code,
                            "rows": rows, "filled": filled, "share": filled / rows * 100 if rows else None})
    return pd.DataFrame(out, columns=["table", "column", "field", "municipality_code", "rows", "filled", "share"])


def months_without_rows(*, access: AccessContext, engine: Engine | None = None) -> pd.DataFrame:
    """Per table and municipality: the months inside the table's overall span that have no row at all."""
    engine = engine or get_engine()
    out = []
    with engine.connect() as conn:
        for table, time_col in EVENT_TIME.items():
            if table in STATE_TABLES:
                continue
            m = CONTRACT_MODELS[table]
            col = getattr(m, time_col)
            month = func.substr(func.cast(col, CONTRACT_MODELS[table].__table__.c.person_id.type), 1, 7)
            stmt = select(m.municipality_code, month, func.count()).group_by(m.municipality_code, month)
            muni = _municipality_filter(m, access, None)
            if muni is not None:
                stmt = stmt.where(muni)
            frame = rows_frame(conn.execute(stmt).all(), ["municipality_code", "month", "rows"])
            if frame.empty:
                continue
            span = pd.period_range(frame["month"].min(), frame["month"].max(), freq="M").astype(str)
            for code, group in frame.groupby("municipality_code"):
                missing = sorted(set(span) - set(group["month"]))
                out.append({"table": table, "municipality_code": code, "months_in_span": len(span),
                            "months_without_rows": len(missing), "missing": ", ".join(missing)})
    return pd.DataFrame(out, columns=["table", "municipality_code", "months_in_span", "months_without_rows", "missing"])
