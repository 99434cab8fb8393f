"""Transactions that lock: an agreement's unit of work and a sender's claim.

PostgreSQL: a transaction-scoped advisory lock per agreement (released by commit or rollback,
so a crashed process never leaves one behind); the outbox's own rows are claimed with
`FOR UPDATE SKIP LOCKED`. SQLite has one writer at a time: a unit of work starts with
`BEGIN IMMEDIATE`, which takes the database's write lock at once instead of at the first
write, so two processes cannot both read the same state and then both write.

Python's sqlite3 driver begins transactions itself, late and deferred; as SQLAlchemy's
documentation advises, the driver is put in autocommit mode and the `begin` event issues
`BEGIN` (or `BEGIN IMMEDIATE`, when the connection asks for it) instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine

IMMEDIATE = "concordat_immediate"
AGREEMENT_LOCK_SPACE = 0x436F6E64  # "Cond": apart from the migration lock's key
LOCK_TIMEOUT_S = 60  # as long as SQLite's busy timeout


def install(engine: Engine) -> None:
    """Make `engine`'s SQLite transactions explicit (idempotent; nothing for PostgreSQL)."""
    if engine.dialect.name == "sqlite" and not event.contains(engine, "begin", _begin):
        event.listen(engine, "begin", _begin)


def _begin(connection: Connection) -> None:
    dbapi: Any = connection.connection.dbapi_connection
    if dbapi.isolation_level is not None:
        dbapi.isolation_level = None  # the driver stops beginning transactions of its own
    immediate = connection.get_execution_options().get(IMMEDIATE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def writing(engine: Engine, agreement: str | Sequence[str] | None = None) -> Iterator[Connection]:
    """A transaction that writes: committed when the block ends, rolled back when it raises.
    With `agreement` (one, or several for a batch), no other writer of those agreements runs
    until it ends. A batch's locks are taken in the order of their keys, the same for every
    batch, so two batches never wait for each other in a cycle."""
    agreements = [agreement] if isinstance(agreement, str) else list(agreement or ())
    with engine.connect() as connection:
        connection.execution_options(**{IMMEDIATE: True})
        with connection.begin():
            if agreements and engine.dialect.name == "postgresql":
                # A writer stuck holding the lock makes others fail after this, not hang.
                connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_S}s'")
                keys = sorted({lock_key(name) for name in agreements})
                if len(keys) == 1:
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:space, :key)"),
                        {"space": AGREEMENT_LOCK_SPACE, "key": keys[0]},
                    )
                else:  # one driver call, still one lock after another in key order
                    connection.exec_driver_sql(
                        "SELECT pg_advisory_xact_lock(%(space)s, %(key)s)",
                        [{"space": AGREEMENT_LOCK_SPACE, "key": key} for key in keys],
                    )
            yield connection


def lock_key(agreement: str) -> int:
    """A stable signed 32-bit key for the agreement's advisory lock."""
    return int.from_bytes(hashlib.sha256(agreement.encode()).digest()[:4], "big", signed=True)
