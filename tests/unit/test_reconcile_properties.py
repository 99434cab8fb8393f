"""Properties of planning against the outbox, over generated histories of plans and sends:

- reconcile is idempotent: once a plan is applied, planning the same wanted messages again
  changes nothing;
- it commutes with a sender: a planner that read the outbox, lost a race with a sender that
  sent some rows, and re-read after the conflict ends where planning after the send would;
- a row once sent stays sent, whatever is planned afterwards.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.memory import MemoryStore
from jobs.ports import OutboxConflict
from lifecycle.messages import Message, MessageKind
from lifecycle.outbox import State, reconcile

WINDOW = dt.datetime(2024, 11, 1, 9, tzinfo=dt.UTC)
AT = dt.datetime(2024, 11, 1, 8, tzinfo=dt.UTC)
KINDS = {
    "m1": MessageKind.INVITE,
    "m2": MessageKind.INVITE,
    "r1": MessageKind.REMINDER,
    "n1": MessageKind.NOTICE,
}
DUES = (WINDOW - dt.timedelta(days=2), WINDOW + dt.timedelta(days=3))


def message(key: str, fingerprint: str, due: dt.datetime, subject: str) -> Message:
    return Message(key, "ag", KINDS[key], "x@example.org", due, subject, {}, fingerprint)


wanted_sets = st.dictionaries(
    st.sampled_from(sorted(KINDS)),
    st.tuples(st.sampled_from("abc"), st.sampled_from(DUES), st.sampled_from(["s", "t"])),
).map(lambda chosen: [message(key, *value) for key, value in sorted(chosen.items())])
steps = st.lists(
    st.one_of(
        st.tuples(st.just("plan"), wanted_sets),
        st.tuples(st.just("send"), st.sets(st.integers(0, 7))),
    ),
    max_size=8,
)


def apply(store: MemoryStore, wanted: list[Message]) -> None:
    with store.unit("ag") as unit:
        unit.apply_plan(reconcile(wanted, unit.outbox(), WINDOW), "d", "planner", AT)


def send(store: MemoryStore, picks: set[int]) -> set[str]:
    """Send the picked pending rows (by position among the pending keys)."""
    pending = sorted(k for k, e in store.rows.items() if e.state is State.PENDING)
    chosen = {pending[i] for i in picks if i < len(pending)}
    for key in chosen:
        store.mark(key, State.SENT)
    return chosen


def replay(history: list[tuple[str, object]]) -> MemoryStore:
    store = MemoryStore()
    for action, argument in history:
        if action == "plan":
            apply(store, argument)  # type: ignore[arg-type]
        else:
            send(store, argument)  # type: ignore[arg-type]
    return store


def snapshot(store: MemoryStore) -> dict[str, tuple[State, Message]]:
    return {key: (entry.state, entry.message) for key, entry in store.rows.items()}


@settings(max_examples=300, deadline=None)
@given(steps, wanted_sets)
def test_planning_twice_changes_nothing(
    history: list[tuple[str, object]], wanted: list[Message]
) -> None:
    store = replay(history)
    apply(store, wanted)
    again = reconcile(wanted, list(store.rows.values()), WINDOW)
    assert again.count == 0, again


@settings(max_examples=300, deadline=None)
@given(steps, wanted_sets, st.sets(st.integers(0, 7)))
def test_a_planner_that_lost_a_race_to_a_sender_ends_where_planning_after_it_would(
    history: list[tuple[str, object]], wanted: list[Message], picks: set[int]
) -> None:
    raced, calm = replay(history), replay(history)
    stale = list(raced.rows.values())
    sent = send(raced, picks)
    try:
        with raced.unit("ag") as unit:
            unit.apply_plan(reconcile(wanted, stale, WINDOW), "d", "planner", AT)
    except OutboxConflict:
        apply(raced, wanted)  # re-read, as the planner's retry does
    send(calm, picks)
    apply(calm, wanted)
    assert snapshot(raced) == snapshot(calm)
    assert all(raced.rows[key].state is State.SENT for key in sent)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_a_sent_row_stays_sent(history: list[tuple[str, object]]) -> None:
    store = MemoryStore()
    sent: set[str] = set()
    for action, argument in history:
        if action == "plan":
            apply(store, argument)  # type: ignore[arg-type]
        else:
            sent |= send(store, argument)  # type: ignore[arg-type]
        assert all(store.rows[key].state is State.SENT for key in sent)
