"""Migrations: idempotent, and safe when several nodes start at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import inspect

from storage.engine import make_engine
from storage.migrate import is_current, upgrade

ROOT = Path(__file__).resolve().parents[2]
TABLES = {"fact", "outbox", "audit", "plan_stamp", "alembic_version"}


def test_upgrade_creates_the_tables_once(pg_admin_url: str, tmp_path: Path) -> None:
    for url in (f"sqlite:///{tmp_path / 'a.db'}", _blank_pg(pg_admin_url)):
        engine = make_engine(url)
        assert upgrade(engine) == (None, "0001")
        assert upgrade(engine) == ("0001", "0001")
        assert is_current(engine)
        assert set(inspect(engine).get_table_names()) >= TABLES
        engine.dispose()


def test_nodes_starting_together_do_not_race(pg_admin_url: str, tmp_path: Path) -> None:
    for url in (f"sqlite:///{tmp_path / 'b.db'}", _blank_pg(pg_admin_url)):
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "concordat", "db", "upgrade", "--db", url],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(4)
        ]
        results = [process.communicate(timeout=120) for process in processes]
        assert [process.returncode for process in processes] == [0, 0, 0, 0], results
        outputs = sorted(out for out, _ in results)
        assert sum("upgraded from empty" in out for out in outputs) == 1
        assert sum("already at revision" in out for out in outputs) == 3


def _blank_pg(admin_url: str) -> str:
    from sqlalchemy import text

    import tests.conftest as conftest

    name = f"blank_{next(conftest._numbers)}"
    admin = make_engine(admin_url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"
