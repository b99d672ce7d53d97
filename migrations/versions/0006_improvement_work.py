"""Improvement work (issue 8): improvement areas, PDSA cycles, SPC phases and their audit trail.

See ``data_access/pdsa_models.py`` and ``docs/pdsa.md``.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _stamps() -> list[sa.Column]:
    return [
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "improvement_areas",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("municipality_code", sa.String(length=4), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("indicator_ids", sa.Text(), server_default="[]", nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_improvement_areas")),
    )
    op.create_index(
        op.f("ix_improvement_areas_municipality_code"),
        "improvement_areas",
        ["municipality_code"],
        unique=False,
    )

    op.create_table(
        "pdsa_cycles",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("cycle_number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("aim", sa.Text(), nullable=True),
        sa.Column("measures", sa.Text(), nullable=True),
        sa.Column("change_idea", sa.Text(), nullable=True),
        sa.Column("questions", sa.Text(), nullable=True),
        sa.Column("predictions", sa.Text(), nullable=True),
        sa.Column("plan_who", sa.Text(), nullable=True),
        sa.Column("plan_what", sa.Text(), nullable=True),
        sa.Column("plan_when", sa.Text(), nullable=True),
        sa.Column("plan_where", sa.Text(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("do_observations", sa.Text(), nullable=True),
        sa.Column("study", sa.Text(), nullable=True),
        sa.Column("act", sa.String(length=16), nullable=True),
        sa.Column("act_date", sa.Date(), nullable=True),
        sa.Column("act_notes", sa.Text(), nullable=True),
        sa.Column("next_cycle_id", sa.Integer(), nullable=True),
        sa.Column("indicator_ids", sa.Text(), server_default="[]", nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        *_stamps(),
        sa.ForeignKeyConstraint(
            ["area_id"], ["improvement_areas.id"], name=op.f("fk_pdsa_cycles_area_id_improvement_areas")
        ),
        sa.ForeignKeyConstraint(
            ["next_cycle_id"], ["pdsa_cycles.id"], name=op.f("fk_pdsa_cycles_next_cycle_id_pdsa_cycles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pdsa_cycles")),
        sa.UniqueConstraint("area_id", "cycle_number", name=op.f("uq_pdsa_cycles_area_id")),
    )
    op.create_index(op.f("ix_pdsa_cycles_area_id"), "pdsa_cycles", ["area_id"], unique=False)

    op.create_table(
        "spc_phases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("municipality_code", sa.String(length=4), nullable=False),
        sa.Column("indicator_id", sa.String(length=100), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("cycle_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["pdsa_cycles.id"], name=op.f("fk_spc_phases_cycle_id_pdsa_cycles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spc_phases")),
    )
    op.create_index(op.f("ix_spc_phases_cycle_id"), "spc_phases", ["cycle_id"], unique=False)
    op.create_index(
        "ix_spc_phases_muni_indicator", "spc_phases", ["municipality_code", "indicator_id"], unique=False
    )

    op.create_table(
        "pdsa_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("municipality_code", sa.String(length=4), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("changed_by", sa.String(length=64), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pdsa_audit")),
    )
    op.create_index(op.f("ix_pdsa_audit_changed_at"), "pdsa_audit", ["changed_at"], unique=False)
    op.create_index("ix_pdsa_audit_entity", "pdsa_audit", ["entity", "entity_id"], unique=False)


def downgrade() -> None:
    op.drop_table("pdsa_audit")
    op.drop_table("spc_phases")
    op.drop_table("pdsa_cycles")
    op.drop_table("improvement_areas")
