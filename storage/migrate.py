"""Apply migrations under a lock, so that several nodes starting together do not race.

PostgreSQL: a transaction-scoped advisory lock. SQLite: an exclusive file lock beside the
database file (SQLite is one machine's database, so a file lock covers every process).
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from storage.engine import is_sqlite, sqlite_path

MIGRATIONS = Path(__file__).parent / "migrations"
ADVISORY_LOCK_KEY = 0x436F6E63  # "Conc"


def alembic_config() -> Config:
    """Alembic's configuration, pointing at our migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the database to the newest revision; returns (revision before, revision after)."""
    config = alembic_config()
    head = ScriptDirectory.from_config(config).get_current_head() or ""
    url = engine.url.render_as_string(hide_password=False)
    with _file_lock(url), engine.begin() as connection:
        if not is_sqlite(url):
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
            )
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
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as connection:
        return current_revision(connection) == head


@contextmanager
def _file_lock(url: str) -> Iterator[None]:
    path = sqlite_path(url) if is_sqlite(url) else None
    if path is None:
        yield
        return
    with open(path.with_name(path.name + ".migrate-lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
