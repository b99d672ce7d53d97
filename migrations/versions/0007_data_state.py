"""The data version of the store and the version the indicator table was computed from (issue 21, item 4).

One row. An existing store starts at version 1 if it holds imported data; its results count as
current when they were computed at or after the newest import that changed a computed table (a
recompute killed after an import leaves them older: then they start out behind, and the next start
or import recomputes them).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The state of an existing store: version 1 if a table the indicators are computed from was ever
# imported; results current if they were computed at or after the newest such import.
_SEED = """
INSERT INTO data_state (id, data_version, results_version, data_changed_at)
SELECT 1,
       CASE WHEN last IS NULL THEN 0 ELSE 1 END,
       CASE WHEN last IS NULL THEN 0
            WHEN (SELECT max(computed_at) FROM indicator_results) >= last THEN 1
            ELSE 0 END,
       last
FROM (SELECT max(imported_at) AS last FROM import_log
      WHERE outcome = 'ok' AND table_name <> 'indicator_values') AS newest
"""


def upgrade() -> None:
    op.create_table(
        "data_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data_version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("results_version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("data_changed_at", sa.DateTime(), nullable=True),
        sa.Column("recompute_started_at", sa.DateTime(), nullable=True),
        sa.Column("recompute_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_state")),
    )
    op.execute(_SEED)


def downgrade() -> None:
    op.drop_table("data_state")
