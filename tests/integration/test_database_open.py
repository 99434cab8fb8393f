"""Opening a database: URLs checked first, typed errors instead of driver tracebacks, reading
never creates or migrates, and migrating leaves no lock file behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text

from concordat.sources import SqlStores
from storage.engine import (
    DatabaseUnavailable,
    DatabaseUrlError,
    NoDatabase,
    checked_url,
    make_engine,
)
from storage.migrate import DatabaseNotCurrent, upgrade
from tests.conftest import new_pg_database


@pytest.mark.parametrize("url", ["", "  ", "mysql://u@h/db", "foo://", "postgresql+psycopg2://h/d"])
def test_unsupported_urls_are_refused(url: str) -> None:
    with pytest.raises(DatabaseUrlError):
        checked_url(url)


def test_a_bare_postgresql_url_gets_psycopg() -> None:
    assert checked_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"


def test_a_password_is_not_shown_in_a_refusal() -> None:
    with pytest.raises(DatabaseUrlError) as raised:
        checked_url("mysql://u:secret@h/db")
    assert "secret" not in str(raised.value)


def test_a_missing_folder_is_refused_not_created(tmp_path: Path) -> None:
    with pytest.raises(DatabaseUrlError, match="does not exist"):
        make_engine(f"sqlite:///{tmp_path / 'no' / 'such' / 'c.db'}")
    assert not (tmp_path / "no").exists()


def test_upgrade_leaves_no_lock_file(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    upgrade(engine)
    engine.dispose()
    assert os.listdir(tmp_path) == ["c.db"]


def test_a_file_that_is_not_a_database_is_refused_untouched(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("hello\n", encoding="utf-8")
    engine = make_engine(f"sqlite:///{target}")
    with pytest.raises(DatabaseUnavailable, match="not a database"):
        upgrade(engine)
    engine.dispose()
    assert target.read_text(encoding="utf-8") == "hello\n"
    assert os.listdir(tmp_path) == ["notes.txt"]


def test_reading_a_missing_file_does_not_create_it(tmp_path: Path) -> None:
    with pytest.raises(NoDatabase, match="db upgrade"):
        SqlStores(f"sqlite:///{tmp_path / 'c.db'}").reader()
    assert os.listdir(tmp_path) == []


def test_reading_an_older_revision_is_refused_and_not_migrated(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    stores = SqlStores(url)
    with pytest.raises(DatabaseNotCurrent, match=r"revision 0000.*concordat db upgrade"):
        stores.reader()
    stores.close()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            "0000"
        )
    engine.dispose()


def test_reading_an_empty_postgresql_database_is_refused(pg_admin_url: str) -> None:
    url = new_pg_database(pg_admin_url)
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
    engine.dispose()
    stores = SqlStores(url)
    with pytest.raises(DatabaseNotCurrent, match="no Concordat tables"):
        stores.reader()
    stores.close()


def test_writing_creates_only_the_default_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    stores = SqlStores(f"sqlite:///{data / 'concordat.db'}", data)
    stores.writer()
    stores.close()
    assert (data / "concordat.db").is_file()
    with pytest.raises(DatabaseUrlError):
        SqlStores(f"sqlite:///{tmp_path / 'other' / 'c.db'}").writer()
