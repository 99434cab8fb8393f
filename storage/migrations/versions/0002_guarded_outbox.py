"""Guarded outbox and ordered facts: row versions, retry times and transport replies on the
outbox; a per-agreement sequence number, unique, on the fact log.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("reply", sa.Text(), nullable=True))
    with op.batch_alter_table("fact") as batch:
        batch.add_column(sa.Column("seq", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE fact SET seq = (SELECT COUNT(*) FROM fact AS earlier "
        "WHERE earlier.agreement = fact.agreement AND earlier.id <= fact.id)"
    )
    with op.batch_alter_table("fact") as batch:
        batch.alter_column("seq", existing_type=sa.Integer(), nullable=False)
    op.create_index("ux_fact_agreement_seq", "fact", ["agreement", "seq"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_fact_agreement_seq", "fact")
    with op.batch_alter_table("fact") as batch:
        batch.drop_column("seq")
    with op.batch_alter_table("outbox") as batch:
        for column in ("reply", "next_attempt_at", "version"):
            batch.drop_column(column)
