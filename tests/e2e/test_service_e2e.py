"""The background service end to end, against real parts: `concordat run` and `concordat
simulate` as subprocesses on a real PostgreSQL or SQLite, a real aiosmtpd server on
127.0.0.1; and the dispatcher with a real SMTP transport to a server that is down, then up."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from config.loader import load_configuration
from jobs.clock import FixedClock, SystemClock
from jobs.dispatcher import Dispatcher, DispatchPolicy
from jobs.mailer import TransportMailer
from jobs.planner import REMOVED
from jobs.ports import Delivery, OnDelivery, Outcome
from jobs.simulation import SimulatedClock
from lifecycle.messages import Message, MessageKind
from lifecycle.outbox import Changes, Entry
from notifications.smtp import SmtpTransport
from storage.engine import make_engine
from storage.store import AUDIT, OUTBOX, SqlStore
from tests.conftest import EXAMPLES, new_pg_database
from tests.e2e.test_run import concordat, config_with_smtp, free_port, smtp
from tests.integration.test_smtp import Recorder

__all__ = ["smtp"]  # the fixture, imported so that the tests here can ask for it


def outbox(db: str) -> list[Entry]:
    store = SqlStore(make_engine(db))
    try:
        return store.all_outbox()
    finally:
        store.engine.dispose()


def received_keys(recorder: Recorder) -> Counter[str]:
    """How many times each outbox key reached the server."""
    return Counter(str(m["X-Concordat-Key"]).strip() for m in recorder.messages())


def start(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "concordat", *args], cwd=cwd,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_three_simulations_at_once_on_one_postgresql_send_each_row_once(
    smtp: tuple[Recorder, int], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Three `simulate` processes over the same quarter, on one database, started together:
    they share the rows between them (claims under lease, SKIP LOCKED), and every row due in
    the quarter that was sent reached the server exactly once."""
    recorder, port = smtp
    db = new_pg_database(request.getfixturevalue("pg_admin_url"))
    window = ("--from", "2025-01-01", "--to", "2025-03-31")
    where = ("--config", str(EXAMPLES), "--db", db, "--smtp", f"127.0.0.1:{port}")
    nodes = [start("simulate", *window, *where, cwd=tmp_path) for _ in range(3)]
    results = [node.communicate(timeout=300) for node in nodes]
    assert [node.returncode for node in nodes] == [0, 0, 0], results
    end = dt.datetime(2025, 4, 1, tzinfo=dt.UTC)
    due = {e.message.key: e.state.value for e in outbox(db) if e.message.due_at < end}
    sent = {key for key, state in due.items() if state == "sent"}
    received = received_keys(recorder)
    assert len(sent) > 100, due  # a quarter of the examples is a few hundred messages
    assert set(due.values()) <= {"sent", "withdrawn"}, Counter(due.values())
    assert sum(received.values()) == len(received)  # no key twice
    assert set(received) == sent
    assert "sending" not in {e.state.value for e in outbox(db)}
    reported = [int(err.rsplit(": ", 1)[1].split(" sent")[0]) if " sent" in err else 0
                for _, err in results]  # fmt: skip
    assert sum(reported) == len(sent), results
    assert sum(1 for count in reported if count) >= 2, reported  # they did share the work


class StalledRecorder(Recorder):
    """A mail server that never answers DATA: a sender is stuck with what it claimed."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        await asyncio.sleep(3600)
        return "451 never"


def held_rows(db: str) -> dict[str, tuple[str | None, dt.datetime | None]]:
    """The rows in `sending`: key -> (lease owner, lease end)."""
    engine = make_engine(db)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(OUTBOX.c.key, OUTBOX.c.lease_owner, OUTBOX.c.lease_until).where(
                    OUTBOX.c.state == "sending"
                )
            ).all()
    finally:
        engine.dispose()
    return {row.key: (row.lease_owner, row.lease_until) for row in rows}


def test_a_node_killed_while_it_holds_rows_leaves_them_to_another_after_the_lease(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A node claims a batch, gets stuck at a server that never answers, and is SIGKILLed
    with its rows in `sending`. Another node run while the lease runs sends everything else
    and leaves them alone; once the lease ran out it reclaims and delivers them: every due
    row reaches the healthy server exactly once, nothing stays held."""
    db = new_pg_database(request.getfixturevalue("pg_admin_url"))
    stalled, stalled_port = StalledRecorder(), free_port()
    controller = Controller(stalled, hostname="127.0.0.1", port=stalled_port)
    controller.start()
    try:
        config = config_with_smtp(tmp_path / "stalled", stalled_port)
        node = start("run", "--no-web", "--lease", "10", "--batch", "2", "--config", str(config),
                     "--db", db, cwd=tmp_path)  # fmt: skip
        owner = f"{os.uname().nodename}:{node.pid}"
        deadline = time.monotonic() + 30
        held: dict[str, tuple[str | None, dt.datetime | None]] = {}
        while time.monotonic() < deadline and not held:
            held = {k: v for k, v in held_rows(db).items() if v[0] == owner}
            time.sleep(0.1)
        time.sleep(0.5)  # it is at the server, stuck
        assert node.poll() is None, node.communicate()
        node.kill()
        node.communicate(timeout=30)
    finally:
        controller.stop()
    assert len(held) == 2, held  # one batch
    assert held_rows(db).keys() == held.keys()  # still held by the dead node
    assert stalled.received == []
    leases = [until for _, until in held.values()]
    assert all(until is not None for until in leases)
    expiry = min(u for u in leases if u is not None).replace(tzinfo=dt.UTC)
    healthy, port = Recorder(), free_port()
    controller = Controller(healthy, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        config = config_with_smtp(tmp_path / "healthy", port)
        run_once = ("run", "--once", "--config", str(config), "--db", db)
        early = concordat(*run_once, cwd=tmp_path)  # while the dead node's lease runs
        assert dt.datetime.now(dt.UTC) < expiry, "too slow to test the lease; raise --lease"
        assert early.returncode == 0, early.stderr
        assert held_rows(db) == held  # the lease is respected: not taken, not sent
        assert set(held).isdisjoint(received_keys(healthy))
        before = sum(received_keys(healthy).values())
        assert before > 0  # the other due rows went out meanwhile
        time.sleep(max(0.0, (expiry - dt.datetime.now(dt.UTC)).total_seconds()) + 0.5)
        second = concordat(*run_once, cwd=tmp_path)  # the lease ran out
    finally:
        controller.stop()
    assert second.returncode == 0, second.stderr
    rows = {e.message.key: e.state.value for e in outbox(db)}
    received = received_keys(healthy)
    assert set(held) <= set(received)  # what the dead node held went out from the other
    assert sum(received.values()) == before + len(held)  # and only those, the second time
    assert sum(received.values()) == len(received)  # each once
    assert set(received) == {key for key, state in rows.items() if state == "sent"}
    assert "sending" not in rows.values()
    now = dt.datetime.now(dt.UTC)
    due = {e.message.key for e in outbox(db) if e.message.due_at <= now}
    assert {rows[key] for key in due} <= {"sent", "withdrawn", "missed"}
    engine = make_engine(db)
    with engine.connect() as connection:
        reclaimed = connection.execute(
            select(AUDIT.c.detail).where(AUDIT.c.action == "reclaimed")
        ).scalars()
        keys = [key for detail in reclaimed for key in json.loads(detail)["keys"]]
    engine.dispose()
    assert sorted(keys) == sorted(held)  # taken back because the lease ran out, and only those


def outbox_rows(store: SqlStore) -> dict[str, Any]:
    """Each row's state, attempts, next attempt and last error, by key."""
    with store.engine.connect() as connection:
        rows = connection.execute(select(OUTBOX)).all()
    return {row.key: row for row in rows}


def aware(moment: dt.datetime) -> dt.datetime:
    """SQLite gives naive UTC, PostgreSQL aware."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


async def test_smtp_down_then_back_retries_with_growing_capped_backoff_then_delivers_once(
    sql_store: SqlStore,
) -> None:
    """Nobody listens on the port: every round puts the rows back to `pending` with the next
    attempt later each time (base, 2 base, 4 base... capped, with jitter between half and
    all), counts the attempts, sends nothing and fails nothing, and nothing is tried before
    its time. Then a server starts on that port: each message arrives exactly once."""
    start_at = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    clock = FixedClock(start_at)
    messages = [
        Message(f"notice:down:case:d.dispute.{n}:dispute:discuss:p{n}@example.org", "down",
                MessageKind.NOTICE, f"p{n}@example.org", start_at, f"Step {n}",
                {"date": "2026-03-09"}, f"{n:04x}")
        for n in range(5)
    ]  # fmt: skip
    with sql_store.unit("down") as unit:
        unit.apply_plan(Changes(inserts=messages), REMOVED, "test", start_at)
    port = free_port()  # nothing listens here yet
    base, cap = dt.timedelta(minutes=1), dt.timedelta(minutes=4)
    policy = DispatchPolicy(lease=dt.timedelta(seconds=30), batch=2, max_attempts=8,
                            retry_base=base, retry_cap=cap)  # fmt: skip
    mailer = TransportMailer(
        SmtpTransport("127.0.0.1", port, "none", timeout=5), "c@example.org", clock
    )
    dispatcher = Dispatcher(sql_store, mailer, clock, "node", ZoneInfo("UTC"), policy,
                            rng=random.Random(20261127))  # fmt: skip
    keys = {m.key for m in messages}
    waits: dict[str, list[dt.timedelta]] = {key: [] for key in keys}
    previous: dict[str, dt.datetime] = {}
    for attempt in range(1, 6):
        report = await dispatcher.dispatch_due()
        assert report.counts == {"retry": len(messages)}, attempt
        rows = outbox_rows(sql_store)
        assert {rows[k].state for k in keys} == {"pending"}  # not sent, not failed
        assert {rows[k].attempts for k in keys} == {attempt}
        assert all("cannot reach SMTP 127.0.0.1" in rows[k].last_error for k in keys)
        ceiling = min(cap, base * 2 ** (attempt - 1))
        for key in keys:
            following = aware(rows[key].next_attempt_at)
            wait = following - clock.now()
            assert ceiling / 2 <= wait <= ceiling, (attempt, key, wait)
            assert key not in previous or following > previous[key]  # later each time
            previous[key] = following
            waits[key].append(wait)
        earliest = min(previous.values())
        clock.moment = earliest - dt.timedelta(seconds=1)  # not yet: nothing is tried
        assert (await dispatcher.dispatch_due()).counts == {}
        assert {outbox_rows(sql_store)[k].attempts for k in keys} == {attempt}
        clock.moment = max(previous.values())
    for key in keys:  # the wait grows until the cap, then stays within it
        assert waits[key][0] <= waits[key][1] <= waits[key][2], waits[key]
        assert all(wait <= cap for wait in waits[key])
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        report = await dispatcher.dispatch_due()
        assert report.counts == {"sent": len(messages)}
        assert (await dispatcher.dispatch_due()).counts == {}
        clock.advance(dt.timedelta(days=1))
        assert (await dispatcher.dispatch_due()).counts == {}
    finally:
        controller.stop()
    received = received_keys(recorder)
    assert received == Counter(dict.fromkeys(keys, 1))
    rows = outbox_rows(sql_store)
    assert {rows[k].state for k in keys} == {"sent"}
    assert {rows[k].attempts for k in keys} == {6}
    assert {m["Message-ID"] for m in recorder.messages()} == {m.message_id for m in messages}


YEAR = ("2025-04-01", "2026-03-31")


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_simulated_year_of_the_examples_delivers_every_planned_reminder_to_each_recipient(
    kind: str, smtp: tuple[Recorder, int], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A year of every example agreement on the simulated clock, to a real SMTP server: each
    row due in the year is sent (or withdrawn), none missed, failed or left held; what was
    sent arrived once; and each reminder `concordat plan --reminders` lists for the year
    reached each of its recipients, at its send instant, about its day."""
    recorder, port = smtp
    db = (f"sqlite:///{tmp_path / 'c.db'}" if kind == "sqlite"
          else new_pg_database(request.getfixturevalue("pg_admin_url")))  # fmt: skip
    first, last = YEAR
    window = ("--from", first, "--to", last, "--config", str(EXAMPLES))
    simulated = concordat("simulate", *window, "--db", db, "--smtp", f"127.0.0.1:{port}",
                          cwd=tmp_path)  # fmt: skip
    assert simulated.returncode == 0, simulated.stderr
    zone = load_configuration(EXAMPLES).settings.timezone
    start = dt.datetime.combine(dt.date.fromisoformat(first), dt.time(0), tzinfo=zone)
    end = dt.datetime.combine(dt.date.fromisoformat(last) + dt.timedelta(days=1), dt.time(0),
                              tzinfo=zone)  # fmt: skip
    rows = outbox(db)
    due = {e.message.key: e for e in rows if start <= e.message.due_at < end}
    states = Counter(e.state.value for e in due.values())
    assert set(states) <= {"sent", "withdrawn"}, states
    assert "sending" not in {e.state.value for e in rows}
    sent = {e.message.key: e.message for e in rows if e.state.value == "sent"}
    assert f"simulated 365 day(s): {len(sent)} sent" in simulated.stderr
    early = [m for key, m in sent.items() if key not in due]
    # sent but due before the window: the invites to meetings in the window, due weeks ahead
    # of them, which the first simulated day sends late (a catch-up, not a miss)
    assert all(m.due_at < start for m in early)
    assert {m.kind for m in early} <= {MessageKind.INVITE}, early
    assert all(m.payload["date"] >= first for m in early), early
    received = received_keys(recorder)
    assert sum(received.values()) == len(received)  # none twice
    assert set(received) == set(sent)
    # what arrived, as the server saw it: the envelope recipient, the Date on the clock
    arrived: set[tuple[str, str, str, str, str, dt.datetime]] = set()
    subjects: dict[tuple[str, str, str, str, str], str] = {}
    for (_, to, _), email in zip(recorder.received, recorder.messages(), strict=True):
        message = sent[str(email["X-Concordat-Key"]).strip()]
        if message.kind is MessageKind.REMINDER:
            p = message.payload
            date = parsedate_to_datetime(str(email["Date"]))
            arrived.add((message.agreement, p["rule"], p["for_date"], p["lead"], to, date))
            about = (message.agreement, p["rule"], p["for_date"], p["lead"], to)
            subjects[about] = str(email["Subject"])
    plan = concordat("plan", *window, "--reminders", "--format", "json", cwd=tmp_path)
    assert plan.returncode == 0, plan.stderr
    reminders = [o for o in json.loads(plan.stdout) if o["kind"] == "reminder"]
    assert len(reminders) > 50, reminders  # a year of the examples has a hundred or so
    agreements = {a.id: a for a in load_configuration(EXAMPLES).agreements}
    expected = set()
    for reminder in reminders:
        contacts = agreements[reminder["agreement"]].recipients(tuple(reminder["recipients"]))
        assert contacts, reminder
        instant = dt.datetime.fromisoformat(reminder["send_at"])
        for contact in contacts:
            about = (reminder["agreement"], reminder["rule"], reminder["for_date"],
                     reminder["lead"], contact.email)  # fmt: skip
            expected.add((*about, instant))
            subject = subjects.get(about, "(never arrived)")
            assert subject.startswith(reminder["title"] + " ("), (subject, reminder)
    assert expected - arrived == set()  # every planned reminder reached every recipient
    assert arrived - expected == set()  # and no reminder the plan does not list went out


async def test_long_headers_arrive_over_smtp_as_they_were_rendered(
    smtp: tuple[Recorder, int],
) -> None:
    recorder, port = smtp
    at = dt.datetime(2025, 5, 22, 8, 0, tzinfo=dt.UTC)
    message = Message(
        "reminder:nottinghamshire-healthy-families:meeting:co-operative-partnership:"
        "2025-05-29:7 days:kate.whittaker@notts.example.org", "nottinghamshire-healthy-families",
        MessageKind.REMINDER, "kate.whittaker@notts.example.org", at,
        "Reminder (7 days ahead): Co-operative Partnership Meeting (Thu 29 May 2025)",
        {"date": "2025-05-22", "for_date": "2025-05-29"}, "f",
    )  # fmt: skip
    mailer = TransportMailer(SmtpTransport("127.0.0.1", port, "none", timeout=5),
                             "concordat@council.example.org", FixedClock(at))  # fmt: skip
    (delivery,) = await mailer.deliver([message])
    assert delivery.outcome is Outcome.SENT, delivery
    (email,) = recorder.messages()
    assert str(email["X-Concordat-Key"]) == message.key
    assert str(email["Subject"]) == message.subject


class FirstLetting(TransportMailer):
    """A mailer that, once it holds its batch, lets another dispatcher run first."""

    def __init__(self, inner: TransportMailer, other: Dispatcher) -> None:
        super().__init__(inner.transport, inner.sender, inner.clock)
        self.other = other

    async def deliver(
        self, messages: Sequence[Message], settle: OnDelivery | None = None
    ) -> list[Delivery]:
        await self.other.dispatch_due()
        return await super().deliver(messages, settle)


async def test_two_simulations_with_clocks_apart_do_not_send_a_row_twice(
    smtp: tuple[Recorder, int], request: pytest.FixtureRequest
) -> None:
    """Deterministic form of the race test 1 can only hit by chance: simulation B claims a
    row due at 08:00 on its clock; while B is at the server, simulation A, whose clock
    already reads 09:00 (it raced through the day), dispatches. Leases are in real time (as
    `concordat simulate` gives its dispatcher), so A leaves B's row alone."""
    recorder, port = smtp
    db = new_pg_database(request.getfixturevalue("pg_admin_url"))
    store = SqlStore(make_engine(db))
    at = dt.datetime(2025, 1, 6, 8, 0, tzinfo=dt.UTC)
    message = Message("notice:race:case:r.dispute.1:dispute:discuss:p@example.org", "race",
                      MessageKind.NOTICE, "p@example.org", at, "Step 1",
                      {"date": "2025-01-10"}, "f")  # fmt: skip
    with store.unit("race") as unit:
        unit.apply_plan(Changes(inserts=[message]), REMOVED, "test", at)
    zone = ZoneInfo("Europe/London")

    def mailer(clock: SimulatedClock) -> TransportMailer:
        transport = SmtpTransport("127.0.0.1", port, "none", timeout=5)
        return TransportMailer(transport, "concordat@council.example.org", clock)

    ahead = SimulatedClock(at + dt.timedelta(hours=1))
    first = Dispatcher(store, mailer(ahead), ahead, "simulator:a", zone,
                       lease_clock=SystemClock())  # fmt: skip
    behind = SimulatedClock(at)
    second = Dispatcher(store, FirstLetting(mailer(behind), first), behind, "simulator:b", zone,
                        lease_clock=SystemClock())  # fmt: skip
    try:
        await second.dispatch_due()
    finally:
        store.engine.dispose()
    assert received_keys(recorder) == Counter({message.key: 1})
