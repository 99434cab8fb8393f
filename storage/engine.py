"""Database engines: SQLite by default (WAL, busy timeout), PostgreSQL by URL.

A URL is checked before any engine is made, so an unsupported scheme or a missing folder is
refused with the reason instead of a driver's traceback, and no folder or file is created for
a mistyped path. Errors a driver raises on connecting are translated into `DatabaseError`s.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlmodel import create_engine

from storage import transactions
from storage.errors import (  # defined without SQLAlchemy; re-exported for existing imports
    DATABASE_FILE,
    DEFAULT_DATA_DIR,
    UPGRADE_HINT,
    DatabaseError,
    DatabaseUnavailable,
    DatabaseUrlError,
    NoDatabase,
    default_url,
)

__all__ = [
    "DATABASE_FILE",
    "DEFAULT_DATA_DIR",
    "UPGRADE_HINT",
    "DatabaseError",
    "DatabaseUnavailable",
    "DatabaseUrlError",
    "NoDatabase",
    "checked_url",
    "default_url",
    "is_sqlite",
    "make_engine",
    "shown",
    "sqlite_path",
    "unavailable_on_failure",
]

BUSY_TIMEOUT_MS = 60_000  # a writer waits this long for another to finish its unit
CONNECT_TIMEOUT_S = 10
# The drivers Concordat is built and tested with; a bare "postgresql://" means psycopg 3.
DRIVERS = {"sqlite": "pysqlite", "postgresql": "psycopg"}
EXAMPLE_URLS = "sqlite:///path/to/concordat.db or postgresql+psycopg://user@host/dbname"


def checked_url(text: str) -> str:
    """`text` as a URL Concordat can open: refused when empty, malformed or not SQLite or
    PostgreSQL (psycopg); a bare `postgresql://` gets the psycopg driver."""
    if not text.strip():
        raise DatabaseUrlError(text, f"it is empty (give {EXAMPLE_URLS})")
    try:
        url = make_url(text)
        url.port  # noqa: B018  (a port that is not a number fails here, not at connect)
    except (ArgumentError, ValueError) as error:
        raise DatabaseUrlError(text, f"{error} (expected {EXAMPLE_URLS})") from error
    backend, _, driver = url.drivername.partition("+")
    if backend not in DRIVERS or driver not in ("", DRIVERS[backend]):
        reason = f"{url.drivername!r} is not supported (use {EXAMPLE_URLS})"
        raise DatabaseUrlError(url.render_as_string(), reason)
    if backend == "postgresql":
        url = url.set(drivername=f"postgresql+{DRIVERS[backend]}")
    return url.render_as_string(hide_password=False)


def shown(url: str) -> str:
    """The URL as printed in messages: without its password."""
    return make_url(url).render_as_string(hide_password=True)


def is_sqlite(url: str) -> bool:
    """True for a SQLite URL."""
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, or None for an in-memory database."""
    database = make_url(url).database
    return Path(database) if database and database != ":memory:" else None


def make_engine(url: str) -> Engine:
    """An engine for `url` (see `checked_url`); a SQLite file's folder must exist already, so
    a mistyped path is refused rather than created. SQLite gets WAL mode and a busy timeout,
    PostgreSQL a connect timeout."""
    url = checked_url(url)
    if not is_sqlite(url):
        # READ COMMITTED whatever the server's default: a unit of work must see the facts
        # the previous holder of the agreement's lock committed while it waited.
        options = {"connect_timeout": CONNECT_TIMEOUT_S}
        return _create(url, pool_pre_ping=True, isolation_level="READ COMMITTED",
                       connect_args=options)  # fmt: skip
    path = sqlite_path(url)
    if path is not None and not path.parent.is_dir():
        raise DatabaseUrlError(url, f"the folder {path.parent} does not exist (create it first)")
    engine = _create(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _sqlite_pragmas)
    transactions.install(engine)
    return engine


def _create(url: str, **options: Any) -> Engine:
    """`create_engine`, with a query option the driver cannot take (`?timeout=abc`) refused
    as a bad URL."""
    try:
        return create_engine(url, **options)
    except (ArgumentError, ValueError, TypeError) as error:
        raise DatabaseUrlError(shown(url), str(error)) from error


@contextmanager
def unavailable_on_failure(engine: Engine) -> Iterator[None]:
    """Turn a driver's error (cannot connect, not a database) into `DatabaseUnavailable`
    with its first line, so that callers map one typed error instead of a traceback."""
    try:
        yield
    except DBAPIError as error:
        reason = str(error.orig or error).strip().splitlines()[0]
        raise DatabaseUnavailable(engine.url.render_as_string(), reason) from error


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
