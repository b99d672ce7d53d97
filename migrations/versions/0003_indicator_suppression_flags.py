"""Suppression flags on the persisted indicator table.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("indicator_results") as batch:
        batch.add_column(sa.Column("suppressed", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("suppression", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("indicator_results") as batch:
        batch.drop_column("suppression")
        batch.drop_column("suppressed")
