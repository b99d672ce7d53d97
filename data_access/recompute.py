"""Recompute the persisted indicator table from the store.

Pages read ``indicator_results``; they never compute from raw events. This
runs after every import that changed something (and on demand:
``python -m metrics compute --db``). Values are stored unsuppressed;
suppression is applied per viewer when they are read
(:func:`data_access.queries.load_indicator_results`).
"""

from __future__ import annotations

import datetime as dt
import time

import pandas as pd
from sqlalchemy import Engine, delete, insert

from data_access.access import SYSTEM
from data_access.db import ensure_schema, get_engine
from data_access.models import IndicatorResult
from data_access.queries import load_frames
from data_access.settings import get_settings

PERIOD_TYPES = ("month", "quarter", "year")
RESULT_COLUMNS = [c.name for c in IndicatorResult.__table__.columns]


def compute_results(frames: dict[str, pd.DataFrame], *, end_date: dt.date | None = None) -> pd.DataFrame:
    """The tidy table for every period type, in the shape of ``indicator_results``."""
    from metrics.compute import compute_all

    parts = []
    for period_type in PERIOD_TYPES:
        table = compute_all(frames, period=period_type, end_date=end_date)
        parts.append(table.assign(period_type=period_type))
    out = pd.concat(parts, ignore_index=True)
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


def _records(frame: pd.DataFrame) -> list[dict]:
    clean = frame.astype(object).where(frame.notna(), None)
    return clean.to_dict("records")


def write_results(engine: Engine, results: pd.DataFrame) -> None:
    """Replace the stored indicator table in one transaction."""
    with engine.begin() as conn:
        conn.execute(delete(IndicatorResult))
        if len(results):
            conn.execute(insert(IndicatorResult), _records(results))


def recompute_store(*, engine: Engine | None = None, period: str | None = None, end_date: dt.date | None = None) -> str:
    """Recompute everything from the store; returns a one-line Swedish summary.

    ``period`` is accepted for the CLI's sake; all period types are always
    computed so that every page view finds its grain.
    """
    engine = engine or get_engine()
    ensure_schema(engine)
    t0 = time.perf_counter()
    frames = load_frames(access=SYSTEM, engine=engine)
    results = compute_results(frames, end_date=end_date)
    write_results(engine, results)
    return f"Indikatorerna är omräknade: {len(results)} värden på {time.perf_counter() - t0:.1f} s."
