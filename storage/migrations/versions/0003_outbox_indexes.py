"""Indexes the service reads by on every wake: pending rows waiting for a retry by their next
attempt (so `next_due` never reads every pending row), and rows by state and last change (so
`status` finds the latest sends, failures and misses without a scan).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_state_next_attempt", "outbox", ["state", "next_attempt_at"])
    op.create_index("ix_outbox_state_updated", "outbox", ["state", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_state_updated", table_name="outbox")
    op.drop_index("ix_outbox_state_next_attempt", table_name="outbox")
