"""photo jobs and shared rate limits (issue 17)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 23:40:00

A photo row is written when the upload is accepted (status "processing") and filled in by
the photo worker, so what the worker computes is empty until then. Rate-limit buckets move
into the database, so that every app process and host counts against the same limits.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

FILLED_LATER = (
    ("storage_key", sa.String(length=128)),
    ("sha256", sa.String(length=64)),
    ("dhash", sa.String(length=16)),
    ("dh0", sa.Integer()),
    ("dh1", sa.Integer()),
    ("dh2", sa.Integer()),
    ("dh3", sa.Integer()),
    ("width", sa.Integer()),
    ("height", sa.Integer()),
    ("size_bytes", sa.Integer()),
    ("original_format", sa.String(length=8)),
)


def upgrade() -> None:
    with op.batch_alter_table("intake_photos") as batch:
        for name, type_ in FILLED_LATER:
            batch.alter_column(name, existing_type=type_, nullable=True)
    op.create_table(
        "intake_rate_limits",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("tat", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_intake_rate_limits")),
    )
    op.create_index("ix_intake_rate_limits_tat", "intake_rate_limits", ["tat"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_intake_rate_limits_tat", table_name="intake_rate_limits")
    op.drop_table("intake_rate_limits")
    op.execute("DELETE FROM intake_photos WHERE status = 'processing'")
    with op.batch_alter_table("intake_photos") as batch:
        for name, type_ in FILLED_LATER:
            batch.alter_column(name, existing_type=type_, nullable=False)
