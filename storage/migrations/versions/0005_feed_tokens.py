"""Calendar feeds: one row per feed handed out (a contact's, an agreement's or a meeting
series'). The token is derived from the site's secret, a random per-row salt (made at issue,
kept across rotations, so another database with the same secret hands out other tokens), the
id, the generation and the scope; only its SHA-256 is stored (unique, the lookup on every
request). Ids are never reused on SQLite either (AUTOINCREMENT), since a token names its id.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("salt", sa.String(32), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_feed_tokens_scope", "feed_tokens", ["kind", "target"])


def downgrade() -> None:
    op.drop_index("ix_feed_tokens_scope", table_name="feed_tokens")
    op.drop_table("feed_tokens")
