"""ledger linkage (issue 19): ``ledger_apart``, record pairs that cannot be one person

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 01:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_apart",
        sa.Column("record_l", sa.Integer(), nullable=False),
        sa.Column("record_r", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["record_l"],
            ["ledger_records.id"],
            name=op.f("fk_ledger_apart_record_l_ledger_records"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["record_r"],
            ["ledger_records.id"],
            name=op.f("fk_ledger_apart_record_r_ledger_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("record_l", "record_r", name=op.f("pk_ledger_apart")),
    )


def downgrade() -> None:
    op.drop_table("ledger_apart")
