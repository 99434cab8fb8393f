"""Shared fixtures: real databases (SQLite files, a throwaway PostgreSQL cluster), stores,
the example configuration and a fixed clock."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from config.loader import Configuration, load_configuration
from jobs.clock import FixedClock
from jobs.handlers import Outcome, Services, handle
from jobs.memory import MemoryStore
from jobs.ports import Store
from lifecycle.commands import Command
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.store import SqlStore
from tests import pg

EXAMPLES = Path(__file__).resolve().parents[1] / "config" / "examples"
TEMPLATE = "concordat_template"
_numbers = itertools.count()


@pytest.fixture(scope="session")
def examples() -> Configuration:
    return load_configuration(EXAMPLES)


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """A PostgreSQL server: $CONCORDAT_TEST_PG_URL, or a throwaway cluster started here."""
    given = os.environ.get("CONCORDAT_TEST_PG_URL")
    if given:
        yield given
        return
    with pg.cluster() as url:
        admin = make_engine(url)
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f"CREATE DATABASE {TEMPLATE}"))
        template = make_engine(url.rsplit("/", 1)[0] + f"/{TEMPLATE}")
        upgrade(template)
        template.dispose()
        admin.dispose()
        yield url


def new_pg_database(admin_url: str) -> str:
    """A fresh, migrated database cloned from the template; returns its URL."""
    name = f"t_{os.getpid()}_{next(_numbers)}"
    admin = make_engine(admin_url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}"))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'concordat.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'concordat.db'}"
    return new_pg_database(request.getfixturevalue("pg_admin_url"))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sql_store(engine: Engine) -> SqlStore:
    return SqlStore(engine)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Every store: the fake and both real databases; the shared contract runs on each."""
    if request.param == "memory":
        yield MemoryStore()
        return
    url = (
        f"sqlite:///{tmp_path / 'c.db'}"
        if request.param == "sqlite"
        else new_pg_database(request.getfixturevalue("pg_admin_url"))
    )
    engine = make_engine(url)
    upgrade(engine)
    yield SqlStore(engine)
    engine.dispose()


def run_command(
    configuration: Configuration, store: Store, command: Command, today: dt.date
) -> Outcome:
    """Handle `command` as if it were 10:00 UTC on `today`, planning from `today`."""
    clock = FixedClock(dt.datetime.combine(today, dt.time(10), tzinfo=dt.UTC))
    return handle(command, Services(configuration, store, clock, "tester", today=today))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2022, 9, 12, 10, 0, tzinfo=dt.UTC))
