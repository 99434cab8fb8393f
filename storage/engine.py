"""Database engines: SQLite by default (WAL, busy timeout), PostgreSQL by URL."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import create_engine

DEFAULT_DATA_DIR = "data"
BUSY_TIMEOUT_MS = 10_000


def default_url() -> str:
    """`$CONCORDAT_DB`, else a SQLite file in `$CONCORDAT_DATA` (default ./data)."""
    url = os.environ.get("CONCORDAT_DB")
    if url:
        return url
    data = Path(os.environ.get("CONCORDAT_DATA", DEFAULT_DATA_DIR))
    return f"sqlite:///{data / 'concordat.db'}"


def is_sqlite(url: str) -> bool:
    """True for a SQLite URL."""
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, or None for an in-memory database."""
    database = make_url(url).database
    return Path(database) if database and database != ":memory:" else None


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files get their directory, WAL mode and a busy timeout."""
    if is_sqlite(url):
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
