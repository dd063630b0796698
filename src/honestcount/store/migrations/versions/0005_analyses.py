"""stored analyses

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 22:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analyses",
        sa.Column("election_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("parameters_digest", sa.String(length=64), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("evidence_digest", sa.String(length=64), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["elections.id"],
            name=op.f("fk_analyses_election_id_elections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "election_id", "kind", "parameters_digest", name=op.f("pk_analyses")
        ),
    )
    op.create_index(
        "ix_analyses_latest", "analyses", ["election_id", "kind", "computed_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_analyses_latest", table_name="analyses")
    op.drop_table("analyses")
