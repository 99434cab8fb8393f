"""Migrations: idempotent, and safe when several nodes start at once."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

import storage.tables  # noqa: F401  (registers the tables on the metadata)
from storage.engine import make_engine
from storage.migrate import is_current, upgrade
from storage.store import SqlStore

HEAD = "0005"

ROOT = Path(__file__).resolve().parents[2]
TABLES = {"fact", "outbox", "audit", "plan_stamp", "feed_tokens", "alembic_version"}


def test_upgrade_creates_the_tables_once(pg_admin_url: str, tmp_path: Path) -> None:
    for url in (f"sqlite:///{tmp_path / 'a.db'}", _blank_pg(pg_admin_url)):
        engine = make_engine(url)
        assert upgrade(engine) == (None, HEAD)
        assert upgrade(engine) == (HEAD, HEAD)
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


def test_the_migrations_build_exactly_the_tables_the_code_declares(
    pg_admin_url: str, tmp_path: Path
) -> None:
    """A column, index or constraint in `storage/tables.py` that no migration creates (or
    the reverse) is a difference here, on both databases."""
    for url in (f"sqlite:///{tmp_path / 'c.db'}", _blank_pg(pg_admin_url)):
        engine = make_engine(url)
        upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": False}
            )
            differences = compare_metadata(context, SQLModel.metadata)
        engine.dispose()
        assert differences == [], (url.split(":")[0], differences)


def test_upgrading_from_0001_keeps_facts_in_order_per_agreement(tmp_path: Path) -> None:
    """Facts recorded before sequence numbers existed get them in the order recorded."""
    from alembic import command

    from storage.migrate import alembic_config

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        for agreement, day in (("a", 1), ("b", 2), ("a", 3)):
            connection.execute(
                text(
                    "INSERT INTO fact (agreement, type, payload, happened_on, recorded_at,"
                    " recorded_by) VALUES (:a, 'notice_withdrawn', :p, :d, :r, 'x')"
                ),
                {
                    "a": agreement,
                    "p": json.dumps({}),
                    "d": dt.date(2024, 1, day),
                    "r": "2024-01-05 10:00:00.000000",
                },
            )
        _old_outbox_rows(connection)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
    _assert_outbox_rows_upgraded(engine)
    with engine.begin() as connection:
        _series_invite_row(connection)
        stamps = "INSERT INTO plan_stamp (agreement, inputs, planned_at) VALUES (:a, :i, :at)"
        at = "2024-10-01 09:00:00.000000"
        for agreement, inputs in (("gone", "abc"), ("retired", "removed")):
            connection.execute(text(stamps), {"a": agreement, "i": inputs, "at": at})
    assert upgrade(engine) == ("0003", HEAD)
    # 0004: per-meeting invites (plain text, no calendar data) leave; series invites stay.
    assert [e.message.key for e in SqlStore(engine).all_outbox()] == [SERIES]
    # stamps are invalidated, not forgotten: an agreement removed meanwhile is still retired
    assert SqlStore(engine).stamps() == {"gone": "", "retired": "removed"}
    history = SqlStore(engine).history("a")
    assert [item.fact.on.day for item in history] == [1, 3]
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT agreement, seq FROM fact ORDER BY id")).all()
    assert [tuple(row) for row in rows] == [("a", 1), ("b", 1), ("a", 2)]
    engine.dispose()


OLD_PAYLOAD = {"rule": "meeting:m", "date": "2024-11-12", "start": "2024-11-12T14:00:00+00:00",
               "end": "2024-11-12T15:00:00+00:00", "location": "Hall", "for_date": None,
               "lead": None, "title": "Board", "recipient_name": "A"}  # fmt: skip
INVITE = "invite:a:meeting:m:2024-11-12:a#b@example.org"


def _old_outbox_rows(connection: Connection) -> None:
    """An invite sent and its pending cancellation, as revision 0001's code keyed them."""
    for key, kind, state in ((INVITE, "invite", "sent"), (f"{INVITE}#cancel", "invite_cancel",
                                                          "pending")):  # fmt: skip
        connection.execute(
            text(
                "INSERT INTO outbox (key, agreement, kind, recipient, due_at, state, attempts,"
                " message_id, subject, payload, fingerprint, created_at, updated_at) VALUES"
                " (:k, 'a', :kind, 'a#b@example.org', '2024-10-15 09:00:00.000000', :s, 0, 'm',"
                " 'Board', :p, 'old', '2024-10-01 09:00:00.000000', '2024-10-01 09:00:00.000000')"
            ),
            {"k": key, "kind": kind, "s": state, "p": json.dumps(OLD_PAYLOAD)},
        )


SERIES = "invite:a:meeting:m:series:a#b@example.org"


def _series_invite_row(connection: Connection) -> None:
    connection.execute(
        text(
            "INSERT INTO outbox (key, agreement, kind, recipient, due_at, state, attempts,"
            " message_id, subject, payload, fingerprint, created_at, updated_at, version)"
            " VALUES (:k, 'a', 'invite', 'a#b@example.org', '2024-10-15 09:00:00.000000',"
            " 'sent', 1, 'm', 'Board', :p, 'f', '2024-10-01 09:00:00.000000',"
            " '2024-10-01 09:00:00.000000', 1)"
        ),
        {"k": SERIES, "p": json.dumps(OLD_PAYLOAD)},
    )


def _assert_outbox_rows_upgraded(engine: Engine) -> None:
    """Fingerprints of meaning as the code computes them, numbered follow-up keys."""
    from lifecycle.messages import MessageKind, _fingerprint

    rows = {e.message.key: e for e in SqlStore(engine).all_outbox()}
    assert sorted(rows) == [INVITE, f"{INVITE}#1:cancel"]
    expected = _fingerprint(MessageKind.INVITE, OLD_PAYLOAD)
    assert {e.message.fingerprint for e in rows.values()} == {expected}
    assert rows[INVITE].version == 0


def _blank_pg(admin_url: str) -> str:
    from sqlalchemy import text

    import tests.conftest as conftest

    name = f"blank_{next(conftest._numbers)}"
    admin = make_engine(admin_url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"
