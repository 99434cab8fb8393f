"""The SQLModel tables. Kept apart from the domain dataclasses; `storage.store` converts.

Instants are aware UTC datetimes: SQLModel's column type refuses naive ones and returns UTC
(PostgreSQL keeps `timestamptz`; SQLite keeps the UTC text).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Index, Integer, Text, text
from sqlmodel import Field, SQLModel


class FactRecord(SQLModel, table=True):
    """The fact log: append-only, one row per thing that happened."""

    __tablename__ = "fact"
    __table_args__ = (Index("ux_fact_agreement_seq", "agreement", "seq", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    agreement: str = Field(index=True, max_length=64)
    seq: int  # 1, 2, 3... within the agreement: two writers can never append the same one
    type: str = Field(max_length=40)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    happened_on: dt.date
    recorded_at: dt.datetime
    recorded_by: str = Field(max_length=200)


class OutboxRecord(SQLModel, table=True):
    """One row per message to send, keyed by the message's stable key. Every write bumps
    `version`, so planners write compare-and-set on what they read."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_state_due", "state", "due_at"),
        Index("ix_outbox_state_next_attempt", "state", "next_attempt_at"),
        Index("ix_outbox_state_updated", "state", "updated_at"),
    )

    key: str = Field(primary_key=True, max_length=512)
    agreement: str = Field(index=True, max_length=64)
    kind: str = Field(max_length=20)
    recipient: str = Field(max_length=320)
    due_at: dt.datetime
    state: str = Field(max_length=12)
    attempts: int = 0
    version: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default=text("0"))
    )
    next_attempt_at: dt.datetime | None = None
    reply: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    lease_owner: str | None = Field(default=None, max_length=100)
    lease_until: dt.datetime | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    sent_at: dt.datetime | None = None
    message_id: str = Field(max_length=100)
    subject: str = Field(sa_column=Column(Text, nullable=False))
    payload: str = Field(sa_column=Column(Text, nullable=False))
    fingerprint: str = Field(max_length=40)
    created_at: dt.datetime
    updated_at: dt.datetime


class AuditRecord(SQLModel, table=True):
    """Every change and every send, with who or what made it."""

    __tablename__ = "audit"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime
    actor: str = Field(max_length=200)
    action: str = Field(max_length=40)
    agreement: str = Field(index=True, max_length=64)
    subject: str = Field(max_length=600)
    detail: str = Field(sa_column=Column(Text, nullable=False))


class PlanStamp(SQLModel, table=True):
    """The inputs an agreement was last planned from, so an unchanged re-plan is skipped."""

    __tablename__ = "plan_stamp"

    agreement: str = Field(primary_key=True, max_length=64)
    inputs: str = Field(max_length=64)
    planned_at: dt.datetime


class FeedToken(SQLModel, table=True):
    """A calendar feed handed out. The token is derived from the site's secret, the random
    salt made at issue (kept across rotations), the id, the generation and the scope; only its
    SHA-256 is kept, so a copy of the database opens no feed, and another database with the
    same secret never hands out the same token."""

    __tablename__ = "feed_tokens"
    __table_args__ = (
        Index("ix_feed_tokens_scope", "kind", "target"),
        {"sqlite_autoincrement": True},  # ids are never reused: a token names its id
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)
    target: str = Field(max_length=200)
    label: str = Field(max_length=200)
    generation: int = 0
    salt: str = Field(max_length=32)
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None
