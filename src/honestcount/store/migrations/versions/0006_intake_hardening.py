"""intake hardening (issue 13)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 23:00:00

Tokens expire; staff accounts carry their second admin's approval; audit entries get their
leaf number in the transparency log's Merkle tree; signed tree heads are kept. Tokens issued
before this revision expire 45 days after it; accounts that exist are taken as approved.
Idempotency keys stored in clear before it are dropped (a retry of such an old submission
is then treated as new, and refused as a duplicate where a duplicate matters).
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("intake_tokens", sa.Column("expires_at", sa.DateTime(timezone=True)))
    op.add_column("intake_accounts", sa.Column("approved_by", sa.Integer()))
    op.add_column("intake_accounts", sa.Column("approved_at", sa.DateTime(timezone=True)))
    op.add_column("intake_audit", sa.Column("leaf", sa.Integer()))
    op.create_index("ux_intake_audit_leaf", "intake_audit", ["leaf"], unique=True)
    op.create_index("ix_intake_audit_hash", "intake_audit", ["hash"], unique=False)
    op.create_table(
        "intake_log_heads",
        sa.Column("tree_size", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("root_hash", sa.String(length=64), nullable=False),
        sa.Column("timestamp", sa.String(length=40), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("tree_size", name=op.f("pk_intake_log_heads")),
    )
    tokens = sa.table("intake_tokens", sa.column("expires_at", sa.DateTime(timezone=True)))
    accounts = sa.table(
        "intake_accounts",
        sa.column("approved_at", sa.DateTime(timezone=True)),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    import datetime as dt

    soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=45)
    op.execute(tokens.update().values(expires_at=soon))
    op.execute(accounts.update().values(approved_at=accounts.c.created_at))
    op.execute(sa.text("DELETE FROM intake_idempotency"))


def downgrade() -> None:
    op.drop_table("intake_log_heads")
    op.drop_index("ix_intake_audit_hash", table_name="intake_audit")
    op.drop_index("ux_intake_audit_leaf", table_name="intake_audit")
    with op.batch_alter_table("intake_audit") as batch:
        batch.drop_column("leaf")
    with op.batch_alter_table("intake_accounts") as batch:
        batch.drop_column("approved_at")
        batch.drop_column("approved_by")
    with op.batch_alter_table("intake_tokens") as batch:
        batch.drop_column("expires_at")
