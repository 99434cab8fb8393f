"""The dispatcher on the in-memory store with a scripted mailer: what it sends, retries,
fails and misses, and that it never leaves a row held. (Real SMTP: tests/integration.)"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import pytest

from jobs.backoff import backoff
from jobs.clock import FixedClock
from jobs.dispatcher import Dispatcher, DispatchPolicy, Event
from jobs.memory import MemoryStore
from jobs.ports import Delivery, OnDelivery, Outcome
from lifecycle.catch_up import missed_reason
from lifecycle.messages import Message, MessageKind
from lifecycle.outbox import Changes, State
from lifecycle.reports import failure_report

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2024, 11, 4, 9, 0, tzinfo=dt.UTC)


def message(key: str, kind: MessageKind = MessageKind.NOTICE, **payload: str) -> Message:
    due = NOW - dt.timedelta(minutes=1)
    return Message(key, "ag", kind, f"{key}@example.org", due, f"About {key}", payload, "f")


class ScriptedMailer:
    """Answers each recipient as scripted (default: sent) and remembers every batch."""

    def __init__(self, answers: dict[str, Outcome] | None = None) -> None:
        self.answers = answers or {}
        self.batches: list[list[str]] = []

    async def deliver(
        self, messages: Sequence[Message], settle: OnDelivery | None = None
    ) -> list[Delivery]:
        self.batches.append([m.key for m in messages])
        return [
            Delivery(self.answers.get(m.key, Outcome.SENT), f"answer for {m.key}") for m in messages
        ]

    def describe(self) -> str:
        return "scripted"


def setup(*messages: Message) -> MemoryStore:
    store = MemoryStore()
    with store.unit("ag") as unit:
        unit.apply_plan(Changes(inserts=list(messages)), "d", "planner", NOW)
    return store


def dispatcher(
    store: MemoryStore, mailer: ScriptedMailer, events: list[Event], **policy: object
) -> Dispatcher:
    return Dispatcher(store, mailer, FixedClock(NOW), "node-1", LONDON,
                      DispatchPolicy(**policy), events.append, random.Random(7))  # type: ignore[arg-type]  # fmt: skip


def states(store: MemoryStore) -> dict[str, State]:
    return {key: entry.state for key, entry in store.rows.items()}


async def test_due_rows_are_sent_in_batches_and_marked() -> None:
    store = setup(*(message(f"k{i}") for i in range(5)))
    mailer = ScriptedMailer()
    events: list[Event] = []
    report = await dispatcher(store, mailer, events, batch=2).dispatch_due()
    assert [len(batch) for batch in mailer.batches] == [2, 2, 1]
    assert report.counts == {"sent": 5}
    assert set(states(store).values()) == {State.SENT}
    assert [e.action for e in events] == ["sent"] * 5


async def test_temporary_failures_retry_with_backoff_then_fail() -> None:
    store = setup(message("flaky"), message("bad"))
    mailer = ScriptedMailer({"flaky": Outcome.TEMPORARY, "bad": Outcome.PERMANENT})
    events: list[Event] = []
    report = await dispatcher(store, mailer, events, max_attempts=2).dispatch_due()
    assert report.counts == {"retry": 1, "failed": 1}
    assert states(store) == {"flaky": State.PENDING, "bad": State.FAILED}
    wait = store.next_due()
    assert wait is not None
    assert dt.timedelta(seconds=30) <= wait - NOW <= dt.timedelta(minutes=1)
    later = Dispatcher(store, mailer, FixedClock(wait), "node-1", LONDON,
                       DispatchPolicy(max_attempts=2), events.append)  # fmt: skip
    again = await later.dispatch_due()
    assert again.counts == {"failed": 1}  # second attempt of two: given up, and said so
    assert states(store)["flaky"] is State.FAILED
    assert "gave up after 2 attempts" in store.tables.held["flaky"].error


async def test_what_a_batch_missed_is_reported_to_the_administrator_in_one_message() -> None:
    past = message("r-past", MessageKind.REMINDER, for_date="2024-11-01")
    old_invite = message("i-past", MessageKind.INVITE, date="2024-11-03")
    store = setup(past, old_invite, message("step", MessageKind.NOTICE, date="2024-10-01"))
    events: list[Event] = []
    admin = "admin@example.org"
    report = await dispatcher(store, ScriptedMailer(), events, report_to=admin).dispatch_due()
    assert report.counts == {"missed": 2, "sent": 2}  # the step, and the one report
    (told,) = [e.message for e in store.all_outbox() if e.message.recipient == admin]
    assert told.kind is MessageKind.ADMIN_REPORT
    assert len(told.payload["missed"]) == 2
    assert any(
        line.startswith("ag -> r-past@example.org: About r-past") for line in told.payload["missed"]
    )
    assert states(store)[told.key] is State.SENT


async def test_a_failed_message_is_reported_to_the_administrator_in_the_same_round() -> None:
    store = setup(message("bad"), message("good"))
    mailer = ScriptedMailer({"bad": Outcome.PERMANENT})
    events: list[Event] = []
    report = await dispatcher(store, mailer, events, report_to="admin@example.org").dispatch_due()
    assert report.counts == {"failed": 1, "sent": 2}
    told = [e for e in events if e.recipient == "admin@example.org"]
    assert [e.action for e in told] == ["sent"]
    row = next(
        entry for entry in store.all_outbox() if entry.message.recipient == told[0].recipient
    )
    assert row.message.kind is MessageKind.ADMIN_REPORT
    assert row.message.payload["failed_key"] == "bad"
    assert row.message.payload["reason"] == "answer for bad"


async def test_a_report_that_fails_is_not_reported_again() -> None:
    store = setup(message("bad"))
    admin = "admin@example.org"
    reports = failure_report(store.rows["bad"].message, "550", 1, NOW, admin)
    assert reports is not None
    mailer = ScriptedMailer({"bad": Outcome.PERMANENT, reports.key: Outcome.PERMANENT})
    events: list[Event] = []
    report = await dispatcher(store, mailer, events, report_to=admin).dispatch_due()
    assert report.counts == {"failed": 2}
    assert len(store.rows) == 2  # the message and one report, both failed


async def test_without_an_administrator_a_failure_is_only_logged() -> None:
    store = setup(message("bad"))
    events: list[Event] = []
    mailer = ScriptedMailer({"bad": Outcome.PERMANENT})
    report = await dispatcher(store, mailer, events).dispatch_due()
    assert report.counts == {"failed": 1}
    assert list(store.rows) == ["bad"]


async def test_reminders_of_what_is_past_are_missed_notices_are_sent_late() -> None:
    past = message("r-past", MessageKind.REMINDER, for_date="2024-11-01")
    ahead = message("r-ahead", MessageKind.REMINDER, for_date="2024-11-08")
    old_invite = message("i-past", MessageKind.INVITE, date="2024-11-03")
    step = message("step", MessageKind.NOTICE, date="2024-10-01")
    store = setup(past, ahead, old_invite, step)
    mailer = ScriptedMailer()
    events: list[Event] = []
    report = await dispatcher(store, mailer, events).dispatch_due()
    assert report.counts == {"missed": 2, "sent": 2}
    assert states(store) == {"r-past": State.MISSED, "r-ahead": State.SENT,
                             "i-past": State.MISSED, "step": State.SENT}  # fmt: skip
    assert mailer.batches == [["r-ahead", "step"]]


async def test_a_stop_between_batches_leaves_nothing_held() -> None:
    store = setup(*(message(f"k{i}") for i in range(4)))
    stop = asyncio.Event()
    events: list[Event] = []

    class StoppingMailer(ScriptedMailer):
        async def deliver(
            self, messages: Sequence[Message], settle: OnDelivery | None = None
        ) -> list[Delivery]:
            stop.set()  # SIGTERM arrives while the first batch is at the mail server
            return await super().deliver(messages, settle)

    report = await dispatcher(store, StoppingMailer(), events, batch=2).dispatch_due(stop)
    assert report.counts == {"sent": 2}
    assert sorted(states(store).values()) == [State.PENDING] * 2 + [State.SENT] * 2


@pytest.mark.parametrize("attempts", [1, 2, 3, 10, 1000])
def test_backoff_doubles_up_to_its_cap_with_jitter(attempts: int) -> None:
    base, cap = dt.timedelta(minutes=1), dt.timedelta(hours=6)
    ceiling = min(cap, base * 2 ** min(attempts - 1, 30))
    for seed in range(20):
        wait = backoff(attempts, base, cap, random.Random(seed))
        assert ceiling / 2 <= wait <= ceiling


def test_what_is_missed_and_what_is_not() -> None:
    today = dt.date(2024, 11, 4)
    reminder = message("r", MessageKind.REMINDER, for_date="2024-11-03")
    assert missed_reason(reminder, today) == "reminder about 2024-11-03, already past on 2024-11-04"
    assert missed_reason(message("r", MessageKind.REMINDER, for_date="2024-11-04"), today) is None
    assert missed_reason(message("c", MessageKind.INVITE_CANCEL, date="2024-11-01"), today)
    assert missed_reason(message("n", MessageKind.NOTICE, date="2020-01-01"), today) is None


async def test_a_mailer_that_breaks_leaves_nothing_held() -> None:
    store = setup(message("k1"), message("k2"))

    class BrokenMailer(ScriptedMailer):
        async def deliver(
            self, messages: Sequence[Message], settle: OnDelivery | None = None
        ) -> list[Delivery]:
            raise RuntimeError("template exploded")

    events: list[Event] = []
    report = await dispatcher(store, BrokenMailer(), events).dispatch_due()
    assert report.counts == {"retry": 2}
    assert set(states(store).values()) == {State.PENDING}
    assert "RuntimeError: template exploded" in events[0].detail


async def test_each_message_is_recorded_before_the_next_goes() -> None:
    """With a mailer that answers message by message, a row is marked sent before the next
    message of its batch is handed over: a crash can then repeat at most one message."""
    store = setup(*(message(f"k{i}") for i in range(4)))
    seen: list[list[State]] = []

    class SettlingMailer(ScriptedMailer):
        async def deliver(
            self, messages: Sequence[Message], settle: OnDelivery | None = None
        ) -> list[Delivery]:
            answers = []
            for index, sending in enumerate(messages):
                seen.append([store.rows[m.key].state for m in messages[:index]])
                answers.append(Delivery(Outcome.SENT, f"250 {sending.key}"))
                assert settle is not None
                await settle(index, answers[-1])
            return answers

    report = await dispatcher(store, SettlingMailer(), [], batch=4).dispatch_due()
    assert report.counts == {"sent": 4}  # each recorded once, not again at the end
    assert seen == [[], [State.SENT], [State.SENT] * 2, [State.SENT] * 3]
