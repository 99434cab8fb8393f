"""SIGTERM while a batch is at the mail server: the service finishes and records the batch in
flight, claims nothing more, and exits 0; nothing is lost and nothing is left held."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

from lifecycle.outbox import State
from storage.engine import make_engine
from storage.store import SqlStore
from tests.e2e.test_reload import running_service, stop
from tests.e2e.test_run import config_with_smtp, free_port
from tests.integration.test_smtp import Recorder

PER_MESSAGE = 0.4  # seconds the server takes to accept each message


class SlowRecorder(Recorder):
    """Accepts every message, each after a pause, so a batch takes a while."""

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:  # noqa: N802
        await asyncio.sleep(PER_MESSAGE)
        return await super().handle_DATA(server, session, envelope)


def test_sigterm_during_a_batch_finishes_it_and_holds_nothing(tmp_path: Path) -> None:
    recorder, port = SlowRecorder(), free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    db = f"sqlite:///{tmp_path / 'c.db'}"
    config = config_with_smtp(tmp_path, port)
    args = ("--batch", "4", "--config", str(config), "--db", db)
    try:
        with running_service(tmp_path, *args) as (service, lines):
            lines.wait_for(" sent")  # the first of a batch of four was accepted
            stop(service, lines)
    finally:
        controller.stop()
    assert service.returncode == 0
    store = SqlStore(make_engine(db))
    rows = store.all_outbox()
    store.engine.dispose()
    states = Counter(entry.state for entry in rows)
    assert states[State.SENDING] == 0  # nothing held
    sent = {e.message.key for e in rows if e.state is State.SENT}
    arrived = Counter(str(m["X-Concordat-Key"]) for m in recorder.messages())
    assert set(arrived) == sent  # the batch in flight was finished and recorded
    assert set(arrived.values()) == {1}
    assert len(sent) == 4  # the whole batch in flight, and nothing claimed after the signal
    now = dt.datetime.now(dt.UTC)
    now_due = [e for e in rows if e.state is State.PENDING and e.message.due_at <= now]
    assert now_due, "what was not sent stays pending, for the next start"
