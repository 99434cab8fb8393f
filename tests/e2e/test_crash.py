"""Crash safety: `concordat run` killed with SIGKILL at random points while it dispatches, 20
times, then run to the end. Every message reaches the SMTP server at least once; a repeat
carries the same Message-ID; each message is recorded as it is accepted, so even with five
messages per batch a kill repeats at most one."""

from __future__ import annotations

import datetime as dt
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import Envelope, Session

from jobs.planner import REMOVED
from lifecycle.messages import Message, MessageKind
from lifecycle.outbox import Changes
from storage.engine import make_engine
from storage.store import SqlStore
from tests.e2e.test_run import concordat, config_with_smtp
from tests.integration.test_smtp import Recorder

TRIALS = 20
MESSAGES = 150


class SlowRecorder(Recorder):
    """Takes a moment over each message, as a real server does, so kills land mid-dispatch."""

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:  # noqa: N802
        time.sleep(0.01)
        return await super().handle_DATA(server, session, envelope)


def seed_outbox(db: str) -> list[Message]:
    """Notices due now for an agreement the planner has retired (so it leaves them alone)."""
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    messages = [
        Message(f"notice:crash:case:c.dispute.{n}:dispute:discuss:p{n}@example.org", "crash",
                MessageKind.NOTICE, f"p{n}@example.org", now, f"Step {n}",
                {"date": now.date().isoformat()}, f"{n:04x}")
        for n in range(MESSAGES)
    ]  # fmt: skip
    store = SqlStore(make_engine(db))
    with store.unit("crash") as unit:
        unit.apply_plan(Changes(inserts=messages), REMOVED, "test", now)
    store.engine.dispose()
    return messages


def test_sigkill_during_dispatch_never_drops_and_repeats_at_most_once_per_kill(
    tmp_path: Path,
) -> None:
    from aiosmtpd.controller import Controller

    from tests.e2e.test_run import free_port

    recorder, port = SlowRecorder(), free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        config = config_with_smtp(tmp_path, port)
        db = f"sqlite:///{tmp_path / 'crash.db'}"
        assert concordat("db", "upgrade", "--db", db, cwd=tmp_path).returncode == 0
        messages = seed_outbox(db)
        run = [sys.executable, "-m", "concordat", "run", "--once", "--batch", "5",
               "--lease", "1", "--config", str(config), "--db", db]  # fmt: skip
        rng, kills = random.Random(20261127), 0
        for _ in range(TRIALS):
            node = subprocess.Popen(run, cwd=tmp_path, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)  # fmt: skip
            time.sleep(rng.uniform(0.8, 2.5))
            if node.poll() is None:
                node.kill()
                kills += 1
            node.wait(timeout=60)
            time.sleep(1.1)  # the killed node's lease runs out
        final = concordat(*run[3:], cwd=tmp_path)
        assert final.returncode == 0, final.stderr
    finally:
        controller.stop()
    received = recorder.messages()
    keys = Counter(str(m["X-Concordat-Key"]).strip() for m in received)
    expected = {m.key: m.message_id for m in messages}
    assert set(keys) >= set(expected)  # nothing dropped
    for email in received:
        key = str(email["X-Concordat-Key"]).strip()
        if key in expected:
            assert email["Message-ID"] == expected[key]  # a repeat is the same message
    repeats = sum(keys[key] - 1 for key in expected)
    assert kills > 0
    assert repeats <= kills, (repeats, kills)
    store = SqlStore(make_engine(db))
    states = {e.state.value for e in store.outbox("crash")}
    store.engine.dispose()
    assert states == {"sent"}
