"""accounts' verification tier (issue 14)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 01:40:00

An account says how its phone number was proved (``verification``; NULL: not at all, or a
staff account), an election may count only evidence of a minimum tier
(``min_verification``), and a web-registered voter can prove the number later through a
trusted gateway (``intake_verifications``: keyed hashes of a challenge and a code).
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("intake_accounts", sa.Column("verification", sa.String(length=24)))
    op.add_column("intake_settings", sa.Column("min_verification", sa.String(length=24)))
    op.create_table(
        "intake_verifications",
        sa.Column("challenge_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("tier", sa.String(length=24), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["intake_accounts.id"],
            name=op.f("fk_intake_verifications_account_id_intake_accounts"),
        ),
        sa.PrimaryKeyConstraint("challenge_hash", name=op.f("pk_intake_verifications")),
    )
    op.create_index(
        "ix_intake_verifications_account", "intake_verifications", ["account_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_intake_verifications_account", table_name="intake_verifications")
    op.drop_table("intake_verifications")
    with op.batch_alter_table("intake_settings") as batch:
        batch.drop_column("min_verification")
    with op.batch_alter_table("intake_accounts") as batch:
        batch.drop_column("verification")
