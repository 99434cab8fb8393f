"""Apply migrations under a lock, so that several nodes starting together do not race.

PostgreSQL: a transaction-scoped advisory lock. SQLite: the migration runs in a
`BEGIN IMMEDIATE` transaction (`storage.transactions.writing`), which takes SQLite's own
writer lock on the database file at once; a second process waits on the busy timeout, then
finds the database current. Neither leaves a
file behind (an earlier design kept a `<db>.migrate-lock` file beside any target).

Read-only commands never migrate: `require_current` refuses a database that is empty or at an
older revision, naming the command that upgrades it.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from storage.engine import UPGRADE_HINT, DatabaseError, unavailable_on_failure
from storage.transactions import writing

MIGRATIONS = Path(__file__).parent / "migrations"
ADVISORY_LOCK_KEY = 0x436F6E63  # "Conc"


class DatabaseNotCurrent(DatabaseError, LookupError):
    """Raised when a command that only reads finds a database without Concordat's tables or
    at another revision than this version's; reading it would fail or mislead."""

    def __init__(self, where: str, revision: str | None, head: str) -> None:
        self.revision = revision
        self.head = head
        if revision is None:
            message = f"no Concordat tables in the database {where}; {UPGRADE_HINT}"
        else:
            message = (
                f"the database {where} is at revision {revision}, this version needs {head}; "
                "run `concordat db upgrade`"
            )
        super().__init__(message)


def alembic_config() -> Config:
    """Alembic's configuration, pointing at our migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest revision this version knows."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head() or ""


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the database to the newest revision; returns (revision before, revision after).
    Raises `DatabaseUnavailable` when the database cannot be opened."""
    config = alembic_config()
    head = head_revision()
    with unavailable_on_failure(engine), writing(engine) as connection:
        _lock(connection)
        before = current_revision(connection)
        if before != head:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    return before, head


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at, or None when it has none."""
    return MigrationContext.configure(connection).get_current_revision()


def is_current(engine: Engine) -> bool:
    """True when the database is at the newest revision."""
    with unavailable_on_failure(engine), engine.connect() as connection:
        return current_revision(connection) == head_revision()


def require_current(engine: Engine, where: str) -> None:
    """Refuse (`DatabaseNotCurrent`) a database that is not at the newest revision, without
    changing it; `where` names it in the message."""
    with unavailable_on_failure(engine), engine.connect() as connection:
        revision = current_revision(connection)
    head = head_revision()
    if revision != head:
        raise DatabaseNotCurrent(where, revision, head)


def _lock(connection: Connection) -> None:
    """Hold the migration lock until the transaction ends; the revision is read after it, so
    only the first of several concurrent upgrades migrates."""
    if connection.dialect.name == "postgresql":  # SQLite's writing() holds its write lock
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
