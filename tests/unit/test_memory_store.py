"""The in-memory store's indexes: claims and the next due instant come from them, stay right
as rows change and units roll back, and stay fast with 10,000 agreements' rows. Also the
planner's batches: one that keeps losing races falls back to one agreement at a time."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import pytest

from config.loader import Configuration
from jobs import planner
from jobs.memory import MemoryBatchUnit, MemoryStore
from jobs.ports import OutboxConflict
from lifecycle.messages import Message, MessageKind
from lifecycle.outbox import Changes, State, reconcile

AT = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)
DUE = dt.datetime(2024, 3, 5, 9, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(minutes=5)


def message(key: str, agreement: str = "a", due: dt.datetime = DUE) -> Message:
    return Message(key, agreement, MessageKind.REMINDER, "x@example.org", due, "S", {}, "f")


def insert(store: MemoryStore, agreement: str, messages: list[Message]) -> None:
    with store.unit(agreement) as unit:
        unit.apply_plan(Changes(inserts=messages), "d", "planner", AT)


def test_a_row_moved_later_is_not_claimed_at_its_old_time() -> None:
    store = MemoryStore()
    insert(store, "a", [message("k1"), message("k2", due=DUE + dt.timedelta(hours=1))])
    later = message("k1", due=DUE + dt.timedelta(hours=3))
    with store.unit("a") as unit:
        wanted = [later, message("k2", due=DUE + dt.timedelta(hours=1))]
        unit.apply_plan(reconcile(wanted, unit.outbox(), AT), "d2", "planner", AT)
    assert store.next_due() == DUE + dt.timedelta(hours=1)
    assert store.claim("n", DUE + dt.timedelta(minutes=30), LEASE, 10) == []
    claimed = store.claim("n", DUE + dt.timedelta(hours=5), LEASE, 10)
    assert [c.message.key for c in claimed] == ["k2", "k1"]
    assert claimed[1].message.due_at == later.due_at


def test_claims_merge_fresh_and_retrying_rows_in_due_order() -> None:
    store = MemoryStore()
    insert(store, "a", [message(f"k{i}", due=DUE + dt.timedelta(minutes=i)) for i in range(4)])
    (first,) = store.claim("n", DUE, LEASE, 1)
    assert store.mark_retry(first, DUE, DUE + dt.timedelta(minutes=2), "421")
    now = DUE + dt.timedelta(minutes=2)
    assert [c.message.key for c in store.claim("n", now, LEASE, 2)] == ["k0", "k1"]
    assert [c.message.key for c in store.claim("n", now, LEASE, 5)] == ["k2"]
    assert store.next_due() == DUE + dt.timedelta(minutes=3)  # k3; leases expire later
    assert store.next_due(leases=True) == DUE + dt.timedelta(minutes=3)
    assert store.state_counts()[State.SENDING] == 3


def test_a_unit_that_raises_puts_the_indexes_back() -> None:
    store = MemoryStore()
    insert(store, "a", [message("k1")])
    (claim,) = store.claim("n", DUE, LEASE, 1)

    def fail_after_writing() -> None:
        with store.unit("a") as unit:
            unit.apply_plan(Changes(inserts=[message("k2"), message("k3")]), "d2", "p", AT)
            assert store.release(claim, DUE)  # in the unit: undone with it
            raise RuntimeError("the planner failed")

    with pytest.raises(RuntimeError):
        fail_after_writing()
    assert [e.message.key for e in store.outbox("a")] == ["k1"]
    assert store.state_counts()[State.SENDING] == 1
    assert store.state_counts()[State.PENDING] == 0
    assert store.next_due() == DUE + LEASE
    assert store.claim("n2", DUE, LEASE, 10) == []
    assert store.stamps() == {"a": "d"}
    assert store.mark_sent(claim, DUE, "250")


def test_ten_thousand_agreements_stay_fast() -> None:
    store = MemoryStore()
    hour = dt.timedelta(hours=1)
    for number in range(10_000):
        name = f"ag-{number}"
        insert(store, name, [message(f"{name}:{i}", name, DUE + i * hour) for i in range(20)])
    began = time.perf_counter()
    for number in range(0, 10_000, 10):
        assert len(store.outbox(f"ag-{number}")) == 20
    assert store.next_due() == DUE
    claimed = store.claim("n", DUE, LEASE, 50)
    assert len(claimed) == 50
    with store.unit("ag-5") as unit:
        unit.apply_plan(reconcile([], unit.outbox(), AT), "gone", "planner", AT)
    assert time.perf_counter() - began < 2.0  # scanning 200,000 rows per call takes minutes
    assert store.state_counts()[State.WITHDRAWN] == 20 - sum(
        c.message.agreement == "ag-5" for c in claimed
    )


class LosingBatches(MemoryStore):
    """A store whose batches of more than one agreement always lose a race."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []

    @contextmanager
    def batch(self, agreements: Sequence[str]) -> Iterator[Mapping[str, MemoryBatchUnit]]:
        self.batches.append(len(agreements))
        with super().batch(agreements) as units:
            yield units
            if len(agreements) > 1:
                raise OutboxConflict(agreements[0], ["k"])


def test_a_batch_that_keeps_losing_falls_back_to_one_agreement_at_a_time(
    examples: Configuration,
) -> None:
    store = LosingBatches()
    today, now = dt.date(2024, 11, 1), dt.datetime(2024, 11, 1, 10, tzinfo=dt.UTC)
    report = planner.replan(examples, store, today, now)
    count = len(examples.agreements)
    assert store.batches == [count] * planner.BATCH_ATTEMPTS + [1] * count
    assert report.planned == count
    assert set(store.stamps()) == {agreement.id for agreement in examples.agreements}
    expected = MemoryStore()
    planner.replan(examples, expected, today, now)
    assert store.rows == expected.rows
