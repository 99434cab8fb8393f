"""The store contract: the in-memory fake, SQLite and PostgreSQL all behave the same."""

from __future__ import annotations

import datetime as dt

from jobs.ports import Store
from lifecycle.facts import MeetingMoved, NoticeServed, ProcedureStarted
from lifecycle.messages import Message, MessageKind
from lifecycle.outbox import Changes, State

AT = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)


def message(key: str, agreement: str = "a", fingerprint: str = "f1") -> Message:
    return Message(
        key,
        agreement,
        MessageKind.REMINDER,
        "x@example.org",
        dt.datetime(2024, 3, 5, 9, 0, tzinfo=dt.UTC),
        "Subject £ ✓",
        {"title": "T", "date": "2024-03-05"},
        fingerprint,
    )


def test_facts_come_back_in_order_and_equal(any_store: Store) -> None:
    first = NoticeServed("a", dt.date(2024, 1, 2), "council", dt.date(2025, 3, 31))
    moved = MeetingMoved(
        "a",
        dt.date(2024, 1, 3),
        "m",
        dt.date(2024, 1, 9),
        dt.datetime(2024, 1, 10, 14, 0, tzinfo=dt.UTC),
    )
    other = ProcedureStarted("b", dt.date(2024, 1, 4), "b.dispute.1", "dispute", "trust", "x")
    for fact in (first, moved, other):
        any_store.append_fact(fact, "alex", AT)
    history = any_store.history("a")
    assert [item.fact for item in history] == [first, moved]
    assert history[0].id < history[1].id
    assert history[0].recorded_by == "alex"
    assert history[0].recorded_at == AT
    assert any_store.facts_by_agreement() == {"a": [first, moved], "b": [other]}
    assert any_store.audit_count() == 3


def test_apply_plan_inserts_updates_and_withdraws(any_store: Store) -> None:
    any_store.apply_plan(
        "a",
        Changes(inserts=[message("k1"), message("k2"), message("k3")]),
        "digest-1",
        "planner",
        AT,
    )
    assert any_store.stamp("a") == "digest-1"
    assert [e.message.key for e in any_store.all_outbox()] == ["k1", "k2", "k3"]
    assert any_store.all_outbox()[0].message == message("k1")
    assert any_store.all_outbox()[0].message.payload == {"title": "T", "date": "2024-03-05"}
    changed = message("k2", fingerprint="f2")
    any_store.apply_plan(
        "a", Changes(updates=[changed], withdrawals=["k3"]), "digest-2", "planner", AT
    )
    rows = {e.message.key: e for e in any_store.outbox("a")}
    assert rows["k2"].message.fingerprint == "f2"
    assert rows["k3"].state is State.WITHDRAWN
    assert rows["k1"].state is State.PENDING
    any_store.apply_plan("a", Changes(revivals=[message("k3")]), "digest-3", "planner", AT)
    assert {e.message.key: e.state for e in any_store.outbox("a")}["k3"] is State.PENDING
    assert any_store.stamp("a") == "digest-3"


def test_outbox_is_per_agreement_and_empty_changes_audit_nothing(any_store: Store) -> None:
    any_store.apply_plan("a", Changes(inserts=[message("ka")]), "d", "planner", AT)
    any_store.apply_plan("b", Changes(inserts=[message("kb", agreement="b")]), "d", "planner", AT)
    assert [e.message.key for e in any_store.outbox("b")] == ["kb"]
    before = any_store.audit_count()
    any_store.apply_plan("a", Changes(), "d2", "planner", AT)
    assert any_store.audit_count() == before
    assert any_store.stamp("a") == "d2"
    assert any_store.stamp("c") is None
    assert any_store.stamps() == {"a": "d2", "b": "d"}
