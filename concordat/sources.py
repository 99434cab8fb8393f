"""Where the App gets its configuration and its store, each loaded or opened on first use.

The configuration source reloads parsing only the files that changed (by their bytes), so a
long-running service can reload whenever its directory changes. The store source opens the
database in one of two ways: for writing (migrated under the migration lock, the default data
folder created) or for reading (it must exist and be current: a command that only reads never
creates or migrates).
"""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from config.issues import ConfigIssue, ConfigurationError
from config.loader import Configuration, LoadCache, load_configuration
from storage.errors import DatabaseError, NoDatabase

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from jobs.ports import Store
    from notifications.templating import Templates
    from storage.store import SqlStore

# SQLAlchemy, alembic and jinja2 are imported by the methods that use them: a command that
# opens no database and renders no message (validate, plan, calc) never loads them.


class AnotherServiceRunning(DatabaseError, BlockingIOError):
    """Raised when `concordat run` starts on a SQLite file another service is serving: SQLite
    allows one service; several nodes need PostgreSQL."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"another `concordat run` is already serving {path}: one service per SQLite "
            "database (stop it first, or run several nodes on PostgreSQL)"
        )


@dataclass(frozen=True)
class ConfigChange:
    """What a reload found: the agreements added or changed (their file, or the site file
    they all depend on), and those removed. Empty when nothing changed."""

    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    templates: bool = False  # a template override changed

    def __bool__(self) -> bool:
        return bool(self.changed or self.removed or self.templates)

    def __str__(self) -> str:
        parts = []
        if self.changed:
            parts.append(f"{len(self.changed)} changed ({_some(self.changed)})")
        if self.removed:
            parts.append(f"{len(self.removed)} removed ({_some(self.removed)})")
        if self.templates:
            parts.append("templates changed")
        return "; ".join(parts) or "nothing changed"


class ConfigSource:
    """A configuration directory, loaded once and reloaded when its files change. Each
    reload parses only the files whose bytes changed (`LoadCache`); an invalid new
    configuration raises `ConfigurationError` and the last good one stays in force."""

    def __init__(self, directory: Path, cache_dir: Path | None = None) -> None:
        self.directory = directory
        self._cache = LoadCache(disk=cache_dir)  # cache_dir: the on-disk agreement cache
        self._loaded: Configuration | None = None
        # the override files' digest, and the checked templates once made (see `_prepared`)
        self._templates: tuple[str, Templates | None] | None = None

    def configuration(self) -> Configuration:
        """The validated configuration; raises `ConfigurationError` listing every issue
        (a template override that cannot render its kind among them)."""
        if self._loaded is None:
            loaded = load_configuration(self.directory, self._cache)
            self._templates = _prepared(loaded.mail.templates)
            self._loaded = loaded
        return self._loaded

    def templates(self) -> Templates:
        """The message templates, the site's overrides checked."""
        loaded = self.configuration()
        assert self._templates is not None
        digest, templates = self._templates
        if templates is None:  # the shipped ones, made on first use (see `_prepared`)
            digest, templates = _checked_templates(loaded.mail.templates)
            self._templates = digest, templates
        return templates

    def reload(self) -> ConfigChange:
        """Load again, parsing only the files that changed; says which agreements changed
        and whether the template overrides did."""
        before = self.configuration().digests
        loaded = load_configuration(self.directory, self._cache)
        templates = self._templates
        digest = _templates_digest(loaded.mail.templates)
        if templates is None or templates[0] != digest:
            templates = _prepared(loaded.mail.templates)
        after = loaded.digests
        change = ConfigChange(
            changed=tuple(sorted(i for i, digest in after.items() if before.get(i) != digest)),
            removed=tuple(sorted(set(before) - set(after))),
            templates=self._templates is None or templates[0] != self._templates[0],
        )
        if change:  # every digest covers the site file too, so any change shows here
            self._loaded, self._templates = loaded, templates
        return change

    @property
    def files_parsed(self) -> int:
        """Agreement files the last load parsed (the others came from the cache)."""
        return self._cache.parsed


def _prepared(overrides: Path | None) -> tuple[str, Templates | None]:
    """The digest of the site's overrides and the templates checked with them, or, when the
    site overrides none, the digest alone: the shipped templates render every kind (their
    tests say so), so making them waits until a command renders a message, and `validate` or
    `plan` never loads jinja2."""
    if overrides is None:
        return _templates_digest(None), None
    return _checked_templates(overrides)


def _checked_templates(overrides: Path | None) -> tuple[str, Templates]:
    """The templates with the site's overrides, each kind rendered once against its sample;
    `ConfigurationError` naming every template that fails. Returned with the digest of the
    override files, so a reload knows when they changed."""
    from notifications.samples import samples
    from notifications.templating import Templates

    templates = Templates(overrides)
    problems = templates.check(samples())
    if problems:
        issues = [ConfigIssue(p.template, None, "", p.reason) for p in problems]
        raise ConfigurationError(issues)
    return _templates_digest(overrides), templates


def _templates_digest(overrides: Path | None) -> str:
    """A digest of the override files' names and bytes ("" without overrides)."""
    if overrides is None or not overrides.is_dir():
        return ""
    digest = hashlib.sha256()
    for path in sorted(overrides.glob("*.j2")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _some(ids: tuple[str, ...], shown: int = 3) -> str:
    """A few ids, and how many more."""
    more = len(ids) - shown
    return ", ".join(ids[:shown]) + (f" and {more} more" if more > 0 else "")


class StoreSource(Protocol):
    """Gives the App a store: migrated for writing, or checked and untouched for reading."""

    def writer(self) -> Store:
        """The store, migrated to the newest revision first."""
        ...

    def reader(self) -> Store:
        """The store, refused unless it exists at the newest revision; never changed."""
        ...

    @property
    def local(self) -> bool:
        """Whether a read is a look into this machine's file or memory (SQLite, the fake),
        never a wait on a network or a lock: cheap enough to make on the event loop."""
        ...

    def upgrade(self) -> tuple[str | None, str]:
        """Migrate; (revision before, revision after)."""
        ...

    def close(self) -> None:
        """Release the connections."""
        ...

    def serve_alone(self) -> AbstractContextManager[None]:
        """Hold what makes this process the only service on a database that allows one
        (SQLite); refuses with `AnotherServiceRunning` when another holds it."""
        ...


class SqlStores:
    """The SQL database at `url`. `data_dir` is the default folder, the only one that may
    be created (a mistyped `--db` path must not grow folders)."""

    def __init__(self, url: str, data_dir: Path | None = None) -> None:
        self.url = url
        self.data_dir = data_dir
        self._engine: Engine | None = None
        self._checked: SqlStore | None = None

    @property
    def local(self) -> bool:
        return self.url.startswith("sqlite")  # WAL: a reader never waits for a writer

    def writer(self) -> Store:
        from storage.store import SqlStore

        if self._checked is None:
            self.upgrade()
            self._checked = SqlStore(self.engine())
        return self._checked

    def reader(self) -> Store:
        from storage.engine import shown
        from storage.migrate import require_current
        from storage.store import SqlStore

        if self._checked is None:
            self._require_file()
            require_current(self.engine(), shown(self.url))
            self._checked = SqlStore(self.engine())
        return self._checked

    def upgrade(self) -> tuple[str | None, str]:
        from storage.migrate import upgrade

        if self.data_dir is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        return upgrade(self.engine())

    def close(self) -> None:
        """Close the database's connections (a service stopping; a test ending)."""
        if self._engine is not None:
            self._engine.dispose()
        self._engine, self._checked = None, None

    @contextmanager
    def serve_alone(self) -> Iterator[None]:
        """SQLite is one machine's database and its dispatcher claims without leases that
        others could see, so one service per file: an exclusive `flock` on the database file
        itself (independent of SQLite's own POSIX locks, and no file is left behind).
        PostgreSQL takes any number of services."""
        from storage.engine import is_sqlite, sqlite_path

        path = sqlite_path(self.url) if is_sqlite(self.url) else None
        if path is None:
            yield
            return
        with open(path, "rb") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as error:
                raise AnotherServiceRunning(path) from error
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def engine(self) -> Engine:
        """The engine, made on first use (the URL is checked then)."""
        from storage.engine import make_engine

        if self._engine is None:
            self._engine = make_engine(self.url)
        return self._engine

    def _require_file(self) -> None:
        """Refuse a missing SQLite file before connecting, since connecting creates it."""
        from storage.engine import is_sqlite, sqlite_path

        path = sqlite_path(self.url) if is_sqlite(self.url) else None
        if path is not None and not path.is_file():
            if self.data_dir is None:
                self.engine()  # a missing folder in a given URL is a mistake, said as such
            raise NoDatabase(path)


def checked_url(text: str) -> str:
    """`storage.engine.checked_url`, SQLAlchemy loaded only when a URL is given."""
    from storage.engine import checked_url as checked

    return checked(text)


class GivenStore:
    """A store built elsewhere (the in-memory fake in tests, say), used as it is."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @property
    def local(self) -> bool:
        return True

    def writer(self) -> Store:
        return self.store

    def reader(self) -> Store:
        return self.store

    def upgrade(self) -> tuple[str | None, str]:
        return ("", "")

    def close(self) -> None:
        pass

    @contextmanager
    def serve_alone(self) -> Iterator[None]:
        yield
