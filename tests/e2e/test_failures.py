"""A message the server refuses for good: the row is failed, the site's administrator gets a
report of it (once), and `concordat status` lists it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from lifecycle.messages import MessageKind
from lifecycle.outbox import State
from storage.engine import make_engine
from storage.store import SqlStore
from tests.e2e.test_run import concordat, config_with_smtp, smtp
from tests.integration.test_smtp import Recorder

__all__ = ["smtp"]  # the fixture, imported for pytest
ADMIN = "it-support@council.example.org"


def test_a_refused_message_fails_and_the_administrator_is_told_once(
    smtp: tuple[Recorder, int], tmp_path: Path
) -> None:
    recorder, port = smtp
    config = config_with_smtp(tmp_path, port)
    with (config / "site.toml").open("a", encoding="utf-8") as site:
        site.write(f'admin = "{ADMIN}"\n')  # into the [mail] table written last
    db = f"sqlite:///{tmp_path / 'c.db'}"
    planned = concordat("replan", "--config", str(config), "--db", db, cwd=tmp_path)
    assert planned.returncode == 0, planned.stderr
    store = SqlStore(make_engine(db))
    now = dt.datetime.now(dt.UTC)
    due = [e.message for e in store.all_outbox() if e.state is State.PENDING
           and e.message.due_at <= now]  # fmt: skip
    assert due, "the examples have messages due today"
    refused = due[0].recipient
    recorder.rcpt_answers[refused] = "550 5.1.1 no such user"

    first = concordat("run", "--once", "--config", str(config), "--db", db, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    rows = {e.message.key: e for e in store.all_outbox()}
    failed = [e.message for e in rows.values() if e.state is State.FAILED]
    assert failed
    assert {m.recipient for m in failed} == {refused}
    reports = [e for e in rows.values() if e.message.kind is MessageKind.ADMIN_REPORT]
    assert sorted(r.message.payload["failed_key"] for r in reports) == sorted(m.key for m in failed)
    assert {r.state for r in reports} == {State.SENT}
    told = [m for m in recorder.messages() if str(m["To"]) == ADMIN]
    assert len(told) == len(failed)
    body = told[0].get_body(("plain",))
    assert body is not None
    assert "5.1.1 no such user" in body.get_content(), body.get_content()
    assert "failed" in first.stdout

    again = concordat("run", "--once", "--config", str(config), "--db", db, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert len([m for m in recorder.messages() if str(m["To"]) == ADMIN]) == len(failed)
    status = concordat("status", "--config", str(config), "--db", db, cwd=tmp_path)
    assert f"failed: {len(failed)}" in status.stdout
    assert "latest failed" in status.stdout
    assert "5.1.1 no such user" in status.stdout
    store.engine.dispose()
