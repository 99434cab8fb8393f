"""Clean refusals: each bad input gets one `error:` line, no traceback, the documented exit code,
and leaves nothing behind (no database, folder or lock file created)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = str(ROOT / "config" / "examples")
REFUSED, INVALID, DATABASE = 1, 2, 3


def run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CONCORDAT_")}
    return subprocess.run(
        [sys.executable, "-m", "concordat", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**clean, **env},
        timeout=120,
        check=False,
    )


def refused(result: subprocess.CompletedProcess[str], code: int, text: str) -> None:
    """Exit `code`, one `error:` line naming `text`, no traceback."""
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    assert text in result.stderr


@pytest.mark.parametrize(
    ("url", "code", "text"),
    [
        ("postgresql+psycopg://postgres@127.0.0.1:1/x", DATABASE, "Connection refused"),
        ("mysql://u@h/db", INVALID, "'mysql' is not supported"),
        ("foo://", INVALID, "'foo' is not supported"),
        ("", INVALID, "it is empty"),
        ("postgresql://u@host:abc/db", INVALID, "cannot use the database URL"),
        ("postgresql://u@[::1/db", INVALID, "cannot use the database URL"),
        ("sqlite:///x.db?timeout=abc", INVALID, "could not convert"),
    ],
)
def test_db_upgrade_refuses_an_unusable_url(url: str, code: int, text: str, tmp_path: Path) -> None:
    refused(run("db", "upgrade", "--db", url, cwd=tmp_path), code, text)
    assert os.listdir(tmp_path) == []


def test_db_upgrade_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("hello\n", encoding="utf-8")
    result = run("db", "upgrade", "--db", f"sqlite:///{target}", cwd=tmp_path)
    refused(result, DATABASE, "file is not a database")
    assert os.listdir(tmp_path) == ["notes.txt"]
    assert target.read_text(encoding="utf-8") == "hello\n"


def test_a_db_folder_that_does_not_exist_is_not_created(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'typo' / 'c.db'}"
    refused(run("db", "upgrade", "--db", url, cwd=tmp_path), INVALID, "does not exist")
    assert os.listdir(tmp_path) == []


def test_the_default_data_folder_is_created(tmp_path: Path) -> None:
    result = run("db", "upgrade", cwd=tmp_path, CONCORDAT_DATA=str(tmp_path / "d"))
    assert result.returncode == 0, result.stderr
    assert os.listdir(tmp_path / "d") == ["concordat.db"]


def test_reading_the_default_database_creates_no_folder(tmp_path: Path) -> None:
    data = tmp_path / "d"
    result = run("outbox", cwd=tmp_path, CONCORDAT_DATA=str(data))
    refused(result, DATABASE, f"no database at {data / 'concordat.db'}")
    assert os.listdir(tmp_path) == []


def test_concurrent_upgrades_leave_no_lock_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    args = [sys.executable, "-m", "concordat", "db", "upgrade", "--db", url]
    processes = [
        subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.PIPE, text=True) for _ in range(4)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    assert sum("upgraded from empty" in out for out in outputs) == 1
    assert os.listdir(tmp_path) == ["c.db"]


@pytest.mark.parametrize(
    "window",
    [
        ("--from", "0001-01-01", "--to", "2024-01-01"),
        ("--from", "2024-01-01", "--to", "9999-01-01"),
    ],
)
def test_plan_refuses_days_outside_the_calendar(window: tuple[str, ...], tmp_path: Path) -> None:
    result = run("plan", "--config", EXAMPLES, *window, cwd=tmp_path)
    refused(result, INVALID, "outside the operational calendar (1990-01-01 to 2100-12-31)")


READERS = [
    ("history", "--agreement", "sefton-partnership"),
    ("outbox",),
    ("plan", "--from", "2024-01-01", "--to", "2024-02-01"),
]


@pytest.mark.parametrize("command", READERS)
def test_reading_commands_never_create_a_database(command: tuple[str, ...], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    result = run(*command, "--config", EXAMPLES, "--db", url, cwd=tmp_path)
    refused(result, DATABASE, f"no database at {tmp_path / 'c.db'}; run `concordat db upgrade`")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("command", READERS)
def test_reading_commands_never_migrate(command: tuple[str, ...], tmp_path: Path) -> None:
    import sqlite3

    database = tmp_path / "c.db"
    sqlite3.connect(database).close()  # an empty database: no tables, no revision
    result = run(*command, "--config", EXAMPLES, "--db", f"sqlite:///{database}", cwd=tmp_path)
    refused(result, DATABASE, "run `concordat db upgrade`")
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT name FROM sqlite_master").fetchall() == []
    connection.close()


@pytest.mark.parametrize(
    "command",
    [
        ("history", "--agreement", "nope"),
        ("outbox", "--agreement", "nope"),
        ("plan", "--agreement", "nope", "--from", "2024-01-01", "--to", "2024-02-01"),
        ("notice", "withdraw", "--agreement", "nope", "--on", "2024-01-01"),
    ],
)
def test_an_unknown_agreement_exits_one_from_every_command(
    command: tuple[str, ...], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    result = run(*command, "--config", EXAMPLES, "--db", url, cwd=tmp_path)
    refused(result, REFUSED, "unknown agreement 'nope' (known: cambs-peterborough-s75")


@pytest.mark.parametrize(
    ("option", "text"),
    [
        (("--state", "bogus"), "one of pending, sending, sent, failed, withdrawn"),
        (("--limit", "-1"), "at least 1"),
        (("--limit", "0"), "at least 1"),
        (("--offset", "-1"), "at least 0"),
    ],
)
def test_outbox_refuses_bad_options(option: tuple[str, ...], text: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    refused(run("outbox", *option, "--db", url, cwd=tmp_path), INVALID, text)
    assert os.listdir(tmp_path) == []


def test_outbox_lists_every_agreement_a_page_at_a_time(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    planned = run(
        "replan", "--config", EXAMPLES, "--db", url, "--today", "2024-10-01", cwd=tmp_path
    )
    assert planned.returncode == 0, planned.stderr
    total = int(planned.stdout.split("outbox: ")[1].split(" added")[0])
    first = run("outbox", "--config", EXAMPLES, "--db", url, "--limit", "3", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert f"3 of {total} row(s); next page: --offset 3" in first.stdout
    last = run("outbox", "--db", url, "--offset", str(total - 2), cwd=tmp_path)
    assert f"2 of {total} row(s) from row {total - 1}" in last.stdout
    assert "next page" not in last.stdout
    agreements = {"sefton-partnership", "nottinghamshire-healthy-families"}
    everything = run("outbox", "--db", url, "--limit", str(total), cwd=tmp_path).stdout
    assert all(name in everything for name in agreements)
