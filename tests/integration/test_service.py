"""The service with real timers (APScheduler on the running loop), the in-memory store and a
scripted mailer: it sends what is due at once, wakes itself for what comes due a moment
later, and stops cleanly with nothing held."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from zoneinfo import ZoneInfo

from jobs.alarm import Alarm
from jobs.clock import SystemClock
from jobs.dispatcher import Dispatcher
from jobs.memory import MemoryStore
from jobs.service import Service
from lifecycle.messages import Message, MessageKind
from lifecycle.outbox import Changes, State
from tests.unit.test_dispatcher import ScriptedMailer

LONDON = ZoneInfo("Europe/London")


def message(key: str, due: dt.datetime) -> Message:
    return Message(key, "ag", MessageKind.NOTICE, f"{key}@example.org", due, key, {}, "f")


async def test_the_service_wakes_at_the_next_due_instant_and_stops_cleanly() -> None:
    now = dt.datetime.now(dt.UTC)
    store = MemoryStore()
    soon = [message("now", now - dt.timedelta(seconds=1)),
            message("soon", now + dt.timedelta(seconds=1.5)),
            message("later", now + dt.timedelta(hours=1))]  # fmt: skip
    with store.unit("ag") as unit:
        unit.apply_plan(Changes(inserts=soon), "d", "planner", now)
    mailer, replans = ScriptedMailer(), []
    clock = SystemClock()
    dispatcher = Dispatcher(store, mailer, clock, "node-1", LONDON, rng=random.Random(1))
    service = Service(dispatcher, store, clock, lambda: replans.append(1), Alarm(LONDON),
                      plan_at=dt.time(3, 0), poll=dt.timedelta(seconds=30))  # fmt: skip
    running = asyncio.create_task(service.run())
    for _ in range(100):
        await asyncio.sleep(0.05)
        if store.rows["soon"].state is State.SENT:
            break
    service.stop.set()
    await asyncio.wait_for(running, timeout=10)
    assert mailer.batches == [["now"], ["soon"]]
    assert {k: e.state for k, e in store.rows.items()} == {
        "now": State.SENT,
        "soon": State.SENT,
        "later": State.PENDING,
    }
    assert replans == []


class CountingDispatcher:
    """Counts its rounds (the rows themselves do not matter here)."""

    def __init__(self) -> None:
        self.rounds = 0

    async def dispatch_due(self, stop: asyncio.Event | None = None) -> None:
        self.rounds += 1
        await asyncio.sleep(0.05)


class FallingDue:
    """`next_due` as a busy outbox answers it: a second ahead, then (a row fell due while
    the service was looking) an instant already past, then nothing."""

    def __init__(self) -> None:
        self.answers = 0

    def next_due(self) -> dt.datetime | None:
        self.answers += 1
        now = dt.datetime.now(dt.UTC)
        if self.answers == 1:
            return now + dt.timedelta(seconds=1)
        if self.answers == 2:
            return now - dt.timedelta(milliseconds=10)
        return None


async def test_a_row_falling_due_while_the_service_looks_does_not_wait_for_the_poll() -> None:
    dispatcher, store = CountingDispatcher(), FallingDue()
    service = Service(dispatcher, store, SystemClock(), lambda: None, Alarm(LONDON),  # type: ignore[arg-type]
                      plan_at=dt.time(3, 0), poll=dt.timedelta(seconds=30))  # fmt: skip
    running = asyncio.create_task(service.run())
    await asyncio.sleep(2.5)
    service.stop.set()
    await asyncio.wait_for(running, timeout=10)
    assert dispatcher.rounds == 3  # at start, at the alarm, and again for the row fallen due
