"""The storage errors and the default database's name, without a database driver.

The command line maps these errors to exit codes and names the default SQLite file before it
knows whether a command opens a database at all; importing them from here costs nothing,
where `storage.engine` (which re-exports them) loads SQLAlchemy.
"""

from __future__ import annotations

from pathlib import Path

from lifecycle.errors import ConcordatError

DEFAULT_DATA_DIR = "data"
DATABASE_FILE = "concordat.db"
UPGRADE_HINT = "run `concordat db upgrade` or record a fact first"


class DatabaseError(ConcordatError):
    """Raised when the database cannot be used; the root of the storage errors."""


class DatabaseUrlError(DatabaseError, ValueError):
    """Raised when a database URL is empty, malformed, names a database Concordat does not
    support, or names a SQLite file in a folder that does not exist."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        super().__init__(f"cannot use the database URL {url!r}: {reason}")


class DatabaseUnavailable(DatabaseError, ConnectionError):
    """Raised when the database cannot be reached or opened (server down, refused login, a
    file that is not a SQLite database)."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"cannot open the database {url}: {reason}")


class NoDatabase(DatabaseError, FileNotFoundError):
    """Raised when a command that only reads names a SQLite file that does not exist:
    connecting would create an empty database, which reading must never do."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(f"no database at {path}; {UPGRADE_HINT}")


def default_url(data_dir: Path) -> str:
    """The SQLite file Concordat uses when given no URL: `concordat.db` in `data_dir`."""
    return f"sqlite:///{data_dir / DATABASE_FILE}"
