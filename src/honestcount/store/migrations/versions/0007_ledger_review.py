"""ledger review decisions (issue 19)

Reviewers' decisions are kept in ``ledger_links`` (status confirmed/rejected, decided_by,
decided_at) and every review, decision, case read and purge in ``ledger_access``; this adds
the index an organisation's audit of one reviewer needs (actor, time).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 23:00:00
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_ledger_access_actor_at", "ledger_access", ["actor", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_ledger_access_actor_at", table_name="ledger_access")
