"""Seed the default targets of shared/spec/indicators.md.

A snapshot, on purpose: a migration must not change meaning when the
registry changes later. Administrators edit targets in the store.

Revision ID: 0002
Revises: 0001
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# indicator_id, kind, operator, value, change, baseline_period
DEFAULTS = [
    ("readmission_30d_65", "relative", "<=", None, -0.20, "2024"),
    ("ed_visits_80_per_1000", "relative", "<=", None, -0.20, "2024"),
    ("sip_coverage_home_care", "absolute", ">=", 70.0, None, None),
    ("sip_followup_90d", "absolute", ">=", 90.0, None, None),
    ("cfs56_with_sip", "absolute", ">=", 70.0, None, None),
    ("home_visit_median_hours_day", "absolute", "<", 24.0, None, None),
    ("home_visit_median_hours_offhours", "absolute", "<", 8.0, None, None),
    ("home_visit_within_24h_day", "absolute", ">=", 80.0, None, None),
    ("home_visit_within_8h_offhours", "absolute", ">=", 60.0, None, None),
    ("discharge_care_plan_75", "absolute", ">=", 90.0, None, None),
    ("discharge_followup_72h_75", "absolute", ">=", 85.0, None, None),
    ("acute_bed_days_75_per_1000", "relative", "<=", None, -0.20, "2024"),
]


def upgrade() -> None:
    targets = sa.table(
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
    now = dt.datetime(2026, 11, 25)
    op.bulk_insert(
        targets,
        [
            {
                "indicator_id": i, "municipality_code": None, "kind": k, "operator": o, "value": v,
                "change": c, "baseline_period": b, "updated_by": "migration 0002", "updated_at": now,
            }
            for i, k, o, v, c, b in DEFAULTS
        ],
    )


def downgrade() -> None:
    op.execute("DELETE FROM targets WHERE updated_by = 'migration 0002'")
