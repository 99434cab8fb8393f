"""Guarded outbox and ordered facts: row versions, retry times and transport replies on the
outbox; a per-agreement sequence number, unique, on the fact log. Rows already planned get
the fingerprint of meaning this revision introduces (so nothing sent is followed up for a
mere change of fingerprint) and follow-ups the numbered keys (`#update:<f>` becomes
`#1:update:<f>`, `#cancel` becomes `#1:cancel`); plan stamps are dropped so the next plan
compares everything once.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import hashlib
import json

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
    _refingerprint()
    op.execute("DELETE FROM plan_stamp")


# Frozen here as this revision defined them: a migration must not change with later code.
MEANING = ("rule", "date", "start", "end", "location", "for_date", "lead")
BASE_KIND = {"invite_update": "invite", "invite_cancel": "invite", "notice_update": "notice"}


def _refingerprint() -> None:
    connection = op.get_bind()
    outbox = sa.table(
        "outbox", sa.column("key"), sa.column("kind"), sa.column("payload"),
        sa.column("fingerprint"),
    )  # fmt: skip
    rows = connection.execute(sa.select(outbox)).all()
    for key, kind, payload, _ in rows:
        meaning = [BASE_KIND.get(kind, kind), *(json.loads(payload).get(n) for n in MEANING)]
        fingerprint = hashlib.sha256(json.dumps(meaning).encode()).hexdigest()[:20]
        base, mark, suffix = key.rpartition("#")
        old_follow_up = mark and (suffix == "cancel" or suffix.startswith("update:"))
        new_key = f"{base}#1:{suffix}" if old_follow_up else key
        connection.execute(
            outbox.update().where(outbox.c.key == key).values(key=new_key, fingerprint=fingerprint)
        )


def downgrade() -> None:
    op.drop_index("ux_fact_agreement_seq", "fact")
    with op.batch_alter_table("fact") as batch:
        batch.drop_column("seq")
    with op.batch_alter_table("outbox") as batch:
        for column in ("reply", "next_attempt_at", "version"):
            batch.drop_column(column)
