"""`concordat run` as an administrator starts it: a subprocess, real SQLite or PostgreSQL, and
a real aiosmtpd server on 127.0.0.1 (or the embedded Maildir)."""

from __future__ import annotations

import asyncio
import mailbox
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

from storage.engine import make_engine
from storage.store import SqlStore
from tests.conftest import EXAMPLES, new_pg_database
from tests.integration.test_smtp import Recorder

ROOT = Path(__file__).resolve().parents[2]


def concordat(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "concordat", *args],
        cwd=cwd, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, int]]:
    recorder, port = Recorder(), free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    yield recorder, port
    controller.stop()


def config_with_smtp(tmp_path: Path, port: int) -> Path:
    directory = tmp_path / "config"
    shutil.copytree(EXAMPLES, directory)
    with (directory / "site.toml").open("a", encoding="utf-8") as site:
        site.write(f'\n[mail]\nsmtp_host = "127.0.0.1"\nsmtp_port = {port}\nsecurity = "none"\n'
                   'sender = "concordat@council.example.org"\n')  # fmt: skip
    return directory


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_run_once_sends_every_due_row_once_over_smtp(
    kind: str, smtp: tuple[Recorder, int], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    recorder, port = smtp
    config = config_with_smtp(tmp_path, port)
    db = (f"sqlite:///{tmp_path / 'c.db'}" if kind == "sqlite"
          else new_pg_database(request.getfixturevalue("pg_admin_url")))  # fmt: skip
    first = concordat("run", "--once", "--config", str(config), "--db", db, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "mail: SMTP 127.0.0.1" in first.stdout
    store = SqlStore(make_engine(db))
    sent = {e.message.key: e.message for e in store.all_outbox() if e.state.value == "sent"}
    assert sent, "the examples have messages due today"
    arrived = recorder.messages()
    assert sorted(str(m["X-Concordat-Key"]).strip() for m in arrived) == sorted(sent)
    assert {m["Message-ID"] for m in arrived} == {m.message_id for m in sent.values()}
    again = concordat("run", "--once", "--config", str(config), "--db", db, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert len(recorder.messages()) == len(arrived)  # nothing sent twice
    store.engine.dispose()


def test_run_with_no_smtp_delivers_to_the_maildir_and_says_where(tmp_path: Path) -> None:
    result = concordat("run", "--once", "--config", str(EXAMPLES), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "mail: Maildir data/maildir" in result.stdout
    box = mailbox.Maildir(tmp_path / "data" / "maildir", create=False)
    keys = {message["X-Concordat-Key"] for message in box}
    assert keys
    assert len(keys) == result.stdout.count(" sent")
    status = concordat("status", "--config", str(EXAMPLES), cwd=tmp_path)
    assert f"sent: {len(keys)}" in status.stdout


def test_a_second_service_on_one_sqlite_file_is_refused_and_sigterm_stops_cleanly(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    service = subprocess.Popen(
        [sys.executable, "-m", "concordat", "run", "--no-web", "--config", str(EXAMPLES)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert service.stdout is not None
        banner = [service.stdout.readline() for _ in range(5)]
        assert any("stop with Ctrl-C or SIGTERM" in line for line in banner), banner
        second = concordat("run", "--once", "--config", str(EXAMPLES), cwd=tmp_path)
        assert second.returncode == 3
        assert "another `concordat run` is already serving" in second.stderr
        time.sleep(0.5)
        service.send_signal(signal.SIGTERM)
        out, err = service.communicate(timeout=60)
    finally:
        if service.poll() is None:
            service.kill()
            service.communicate()
    assert service.returncode == 0, err
    assert "stopped; nothing held" in out
    status = concordat("status", "--config", str(EXAMPLES), cwd=tmp_path)
    assert "sending: 0" in status.stdout


def test_three_nodes_on_one_postgresql_deliver_every_row_exactly_once(
    smtp: tuple[Recorder, int], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Three `run --once` processes started together on one database, small batches so they
    interleave: every due row reaches the SMTP server once, none twice."""
    recorder, port = smtp
    config = config_with_smtp(tmp_path, port)
    db = new_pg_database(request.getfixturevalue("pg_admin_url"))
    assert concordat("replan", "--config", str(config), "--db", db, cwd=tmp_path).returncode == 0
    nodes = [
        subprocess.Popen(
            [sys.executable, "-m", "concordat", "run", "--once", "--batch", "2", "--config",
             str(config), "--db", db],
            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for _ in range(3)
    ]  # fmt: skip
    results = [node.communicate(timeout=300) for node in nodes]
    assert [node.returncode for node in nodes] == [0, 0, 0], results
    store = SqlStore(make_engine(db))
    sent = {e.message.key for e in store.all_outbox() if e.state.value == "sent"}
    keys = [str(m["X-Concordat-Key"]).strip() for m in recorder.messages()]
    assert sent
    assert sorted(keys) == sorted(sent)  # each once: no key twice, none missing
    assert sum(out.count(" sent") for out, _ in results) == len(sent)
    store.engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_simulated_month_delivers_exactly_what_the_planner_put_in_the_outbox(
    kind: str, smtp: tuple[Recorder, int], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Every row due in the window that was not withdrawn reaches the SMTP server once (none
    is missed: the simulated service is never down); a second run sends nothing more."""
    import datetime as dt

    recorder, port = smtp
    db = (f"sqlite:///{tmp_path / 'c.db'}" if kind == "sqlite"
          else new_pg_database(request.getfixturevalue("pg_admin_url")))  # fmt: skip
    window = ("--from", "2025-01-01", "--to", "2025-01-31")
    args = ("simulate", *window, "--config", str(EXAMPLES), "--db", db)
    first = concordat(*args, "--smtp", f"127.0.0.1:{port}", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    store = SqlStore(make_engine(db))
    end = dt.datetime(2025, 2, 1, tzinfo=dt.UTC)
    due = {e.message.key: e.state.value for e in store.all_outbox() if e.message.due_at < end}
    assert set(due.values()) <= {"sent", "withdrawn"}, due
    delivered = [str(m["X-Concordat-Key"]).strip() for m in recorder.messages()]
    assert sorted(delivered) == sorted(k for k, state in due.items() if state == "sent")
    assert {m["Date"][:16] for m in recorder.messages()} <= {
        f"{day:%a, %d %b %Y}" for day in (dt.date(2025, 1, d) for d in range(1, 32))
    }  # dated on the simulated clock
    again = concordat(*args, "--smtp", f"127.0.0.1:{port}", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "nothing due" in again.stderr
    assert len(recorder.messages()) == len(delivered)
    store.engine.dispose()


@pytest.mark.parametrize(
    "args",
    [
        ("simulate", "--from", "0001-01-01", "--to", "0001-01-02"),
        ("simulate", "--from", "2100-12-30", "--to", "2100-12-31"),
        ("simulate", "--from", "2025-01-02", "--to", "2025-01-01"),
        ("simulate", "--from", "2025-01-01", "--to", "2025-01-02", "--smtp", "127.0.0.1:99999"),
        ("run", "--once", "--lease", "1e300"),
        ("run", "--once", "--log-format", "xml"),
    ],
)
def test_bad_service_options_are_refused_with_one_line(
    args: tuple[str, ...], tmp_path: Path
) -> None:
    result = concordat(*args, "--config", str(EXAMPLES), cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data" / "maildir").exists()


class StallingRecorder(Recorder):
    """A mail server that takes its time over every message."""

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:  # noqa: N802
        await asyncio.sleep(5)
        return await super().handle_DATA(server, session, envelope)


def test_a_second_signal_aborts_a_batch_stuck_at_the_server(tmp_path: Path) -> None:
    recorder, port = StallingRecorder(), free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        config = config_with_smtp(tmp_path, port)
        service = subprocess.Popen(
            [sys.executable, "-m", "concordat", "run", "--no-web", "--batch", "1", "--config",
             str(config)],
            cwd=tmp_path, env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert service.stdout is not None
        [service.stdout.readline() for _ in range(5)]  # the banner
        time.sleep(1.0)  # the first message is at the server
        service.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        service.send_signal(signal.SIGTERM)
        started = time.monotonic()
        _, err = service.communicate(timeout=30)
    finally:
        controller.stop()
    assert service.returncode == 1, err
    assert time.monotonic() - started < 4  # did not wait for the stalled server
    assert "aborted by a second signal" in err


def test_commands_and_replans_while_three_nodes_dispatch(
    smtp: tuple[Recorder, int], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Three services on one PostgreSQL, polling every second, while disputes are raised and
    resolved, a meeting is cancelled and the outbox re-planned: every row sent reaches the
    server exactly once, and no sent row is flipped back."""
    import datetime as dt
    from collections import Counter
    from zoneinfo import ZoneInfo

    recorder, port = smtp
    config = config_with_smtp(tmp_path, port)
    db = new_pg_database(request.getfixturevalue("pg_admin_url"))
    where = ("--config", str(config), "--db", db)
    nodes = [
        subprocess.Popen(
            [sys.executable, "-m", "concordat", "run", "--no-web", "--batch", "2", "--poll", "1",
             *where],
            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for _ in range(3)
    ]  # fmt: skip
    try:
        yesterday = (dt.datetime.now(ZoneInfo("Europe/London")).date()
                     - dt.timedelta(days=1)).isoformat()  # fmt: skip
        for n in range(3):
            raised = concordat("dispute", "raise", "--agreement", "sefton-partnership", "--by",
                               "council", "--on", yesterday, "--summary", f"m{n}", *where,
                               cwd=tmp_path)  # fmt: skip
            assert raised.returncode == 0, raised.stderr
        resolved = concordat("dispute", "resolve", "sefton-partnership.dispute.1", "--on",
                             yesterday, "--outcome", "agreed", *where, cwd=tmp_path)  # fmt: skip
        assert resolved.returncode == 0, resolved.stderr
        assert concordat("replan", *where, cwd=tmp_path).returncode == 0
        time.sleep(4)
    finally:
        for node in nodes:
            node.send_signal(signal.SIGTERM)
        results = [node.communicate(timeout=60) for node in nodes]
    assert [node.returncode for node in nodes] == [0, 0, 0], results
    store = SqlStore(make_engine(db))
    rows = {e.message.key: e.state.value for e in store.all_outbox()}
    store.engine.dispose()
    received = Counter(str(m["X-Concordat-Key"]).strip() for m in recorder.messages())
    assert received
    assert [key for key, count in received.items() if count > 1] == []
    assert {key for key, state in rows.items() if state == "sent"} == set(received)
    assert "sending" not in rows.values()  # nothing left held
    assert any(":case:" in key for key in received)  # the disputes' notices went out


def test_replan_says_how_far_ahead_it_queued(tmp_path: Path) -> None:
    """`replan` looks 400 days ahead but queues only the send horizon's rows; its summary
    says both, so nobody reads "over 400 days" as a year of queued mail."""
    db = f"sqlite:///{tmp_path / 'c.db'}"
    done = concordat("replan", "--config", str(EXAMPLES), "--db", db, "--today", "2024-11-01",
                     cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "over 400 days, queueing what is due within 42 days (" in done.stdout
