"""Reference values computed elsewhere (``indicator_values``: Kolada, regional reports).

Aggregated figures, shown beside the computed ones with their source and
never mixed into computed numerators. Nation (0000) and region (00LL) codes
are visible to every viewer; municipality rows follow the viewer's scope.
Each row has a ``sex``: ``T`` (everyone), ``K`` or ``M``; callers pick the one the sex filter shows.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, or_, select

from data_access.access import AccessContext
from data_access.db import get_engine
from data_access.models import IndicatorValue
from data_access.queries import _municipality_filter


def load_reference_values(
    *, access: AccessContext, indicator_id: str | None = None, engine: Engine | None = None
) -> pd.DataFrame:
    engine = engine or get_engine()
    m = IndicatorValue
    cols = ["indicator_id", "indicator_name", "municipality_code", "period", "numerator", "denominator", "value",
            "source", "sex"]
    stmt = select(*[getattr(m, c) for c in cols])
    if indicator_id is not None:
        stmt = stmt.where(m.indicator_id == indicator_id)
    muni = _municipality_filter(m, access, None)
    if muni is not None:
        stmt = stmt.where(or_(muni, m.municipality_code.like("00%")))
    with engine.connect() as conn:
        rows = conn.execute(stmt.order_by(m.indicator_id, m.period, m.municipality_code, m.sex)).all()
    return pd.DataFrame(rows, columns=cols)
