"""Before a dispute step's window closes, its recipients are reminded with the operational
days left (site `[reminders] procedures`, default 5 operational days); an escalation or a
resolution before then withdraws the reminder."""

from __future__ import annotations

import datetime as dt

from config.loader import Configuration
from jobs.clock import FixedClock
from jobs.handlers import Services, handle
from jobs.memory import MemoryStore
from lifecycle import commands as c
from lifecycle.ids import CaseId
from lifecycle.messages import Message, kind_of
from lifecycle.outbox import State

SEFTON = "sefton-partnership"
RAISED = dt.date(2022, 9, 12)


def services(examples: Configuration, store: MemoryStore, today: dt.date) -> Services:
    now = dt.datetime.combine(today, dt.time(10), tzinfo=dt.UTC)
    return Services(examples, store, FixedClock(now), "tester", today)


def closing(store: MemoryStore) -> list[Message]:
    return [e.message for e in store.rows.values()
            if kind_of(e.message).name == "dispute_window_closing"
            and e.state is State.PENDING]  # fmt: skip


def test_the_first_windows_close_is_announced_five_operational_days_ahead(
    examples: Configuration,
) -> None:
    store = MemoryStore()
    handle(c.StartProcedure(SEFTON, "dispute", "council", RAISED, "Data sharing"),
           services(examples, store, RAISED))  # fmt: skip
    first = [m for m in closing(store) if m.payload["for_date"] == "2022-10-11"]
    assert first  # 20 operational days from 12 Sep 2022 close on 11 Oct (README's calc)
    assert {m.due_at.date() for m in first} == {dt.date(2022, 10, 4)}
    assert {m.payload["operational_days"] for m in first} == {5}


def test_escalating_or_resolving_first_withdraws_the_reminder(examples: Configuration) -> None:
    store = MemoryStore()
    handle(c.StartProcedure(SEFTON, "dispute", "council", RAISED, "Data sharing"),
           services(examples, store, RAISED))  # fmt: skip
    case = CaseId.parse(f"{SEFTON}.dispute.1")
    escalated = dt.date(2022, 9, 20)
    handle(c.EscalateCase(case, escalated), services(examples, store, escalated))
    assert not [m for m in closing(store) if m.payload["for_date"] == "2022-10-11"]
    resolved = dt.date(2022, 9, 22)
    handle(c.CloseCase(case, resolved, "Agreed"), services(examples, store, resolved))
    assert closing(store) == []
