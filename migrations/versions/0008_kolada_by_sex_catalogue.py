"""Reference values by sex, Kolada's KPI catalogue and the mappings made in the app (issue 19).

``indicator_values`` gets ``sex`` (``T`` for every existing row) and it joins the primary key, so
that Kolada's T, K and M values of one KPI, area and year are three rows.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_OLD_KEY = ["indicator_id", "municipality_code", "period", "source"]


def upgrade() -> None:
    with op.batch_alter_table("indicator_values", recreate="always") as batch_op:
        batch_op.add_column(sa.Column("sex", sa.String(length=1), server_default="T", nullable=False))
        batch_op.drop_constraint("pk_indicator_values", type_="primary")
        batch_op.create_primary_key("pk_indicator_values", [*_OLD_KEY, "sex"])
    op.create_table(
        "kolada_catalogue",
        sa.Column("kpi_id", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("level", sa.String(length=4), nullable=True),
        sa.Column("by_sex", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("latest_year", sa.Integer(), nullable=True),
        sa.Column("operating_area", sa.String(length=500), nullable=True),
        sa.Column("stored_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kpi_id", name=op.f("pk_kolada_catalogue")),
    )
    op.create_table(
        "kolada_mappings",
        sa.Column("kpi_id", sa.String(length=20), nullable=False),
        sa.Column("indicator_id", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("mapped_by", sa.String(length=100), nullable=False),
        sa.Column("mapped_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kpi_id", name=op.f("pk_kolada_mappings")),
    )


def downgrade() -> None:
    op.drop_table("kolada_mappings")
    op.drop_table("kolada_catalogue")
    op.execute("DELETE FROM indicator_values WHERE sex <> 'T'")
    with op.batch_alter_table("indicator_values", recreate="always") as batch_op:
        batch_op.drop_constraint("pk_indicator_values", type_="primary")
        batch_op.create_primary_key("pk_indicator_values", _OLD_KEY)
        batch_op.drop_column("sex")
