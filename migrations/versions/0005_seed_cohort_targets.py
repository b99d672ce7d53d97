"""Seed the default target of the Målgrupper cohorts (shared/spec/indicators.md, section "Målgrupper").

Only ``mal_fangade_60d`` has a target (≥ 50 %); the five cohort rates have
none. A snapshot, like 0002: it must not change meaning when the registry
changes later. An area-wide target that already exists for the indicator
(entered by an administrator) is left alone.

Revision ID: 0005
Revises: 0004
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# indicator_id, kind, operator, value, change, baseline_period
DEFAULTS = [
    ("mal_fangade_60d", "absolute", ">=", 50.0, None, None),
]
UPDATED_BY = "migration 0005"


def _targets() -> sa.TableClause:
    return sa.table(
        "targets",
        sa.column("indicator_id", sa.String),
        sa.column("municipality_code", sa.String),
        sa.column("kind", sa.String),
        sa.column("operator", sa.String),
        sa.column("value", sa.Float),
        sa.column("change", sa.Float),
        sa.column("baseline_period", sa.String),
        sa.column("updated_by", sa.String),
        sa.column("updated_at", sa.DateTime),
    )


def upgrade() -> None:
    targets = _targets()
    bind = op.get_bind()
    now = dt.datetime(2026, 11, 25)
    rows = []
    for i, k, o, v, c, b in DEFAULTS:
        exists = bind.execute(
            sa.select(sa.func.count())
            .select_from(targets)
            .where(targets.c.indicator_id == i, targets.c.municipality_code.is_(None))
        ).scalar()
        if exists:
            continue
        rows.append(
            {
                "indicator_id": i, "municipality_code": None, "kind": k, "operator": o, "value": v,
                "change": c, "baseline_period": b, "updated_by": UPDATED_BY, "updated_at": now,
            }
        )  # fmt: skip
    if rows:
        op.bulk_insert(targets, rows)


def downgrade() -> None:
    op.execute(f"DELETE FROM targets WHERE updated_by = '{UPDATED_BY}'")
