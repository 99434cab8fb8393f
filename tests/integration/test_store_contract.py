"""The store contract: the in-memory fake, SQLite and PostgreSQL all behave the same.

Writers of an agreement work in a unit (locked, all or nothing); senders claim, mark and
release rows they hold; the planner's writes are compare-and-set, so a race with a sender,
driven here step by step, ends in `OutboxConflict` and never in a lost or repeated send.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from jobs.ports import Claim, OutboxConflict, Store
from lifecycle.facts import MeetingMoved, NoticeServed, ProcedureStarted
from lifecycle.messages import Message, MessageKind
from lifecycle.outbox import Changes, State, reconcile
from lifecycle.reports import SITE, configuration_report, failure_report
from storage.store import SqlStore

AT = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)
DUE = dt.datetime(2024, 3, 5, 9, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(minutes=5)


def message(
    key: str,
    agreement: str = "a",
    fingerprint: str = "f1",
    due: dt.datetime = DUE,
    kind: MessageKind = MessageKind.REMINDER,
) -> Message:
    return Message(
        key,
        agreement,
        kind,
        "x@example.org",
        due,
        "Subject £ ✓",
        {"title": "T", "date": "2024-03-05"},
        fingerprint,
    )


def plan(store: Store, agreement: str, wanted: list[Message], inputs: str = "d") -> Changes:
    """Reconcile and apply in one unit, as the planner does."""
    with store.unit(agreement) as unit:
        changes = reconcile(wanted, unit.outbox(), AT)
        unit.apply_plan(changes, inputs, "planner", AT)
    return changes


def states(store: Store) -> dict[str, State]:
    return {entry.message.key: entry.state for entry in store.all_outbox()}


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
        with any_store.unit(fact.agreement) as unit:
            unit.append_fact(fact, "alex", AT)
    history = any_store.history("a")
    assert [item.fact for item in history] == [first, moved]
    assert [item.id for item in history] == [1, 2]  # numbered within the agreement
    assert [item.id for item in any_store.history("b")] == [1]
    assert history[0].recorded_by == "alex"
    assert history[0].recorded_at == AT
    assert any_store.facts_by_agreement() == {"a": [first, moved], "b": [other]}
    assert any_store.audit_count() == 3


def test_a_unit_that_raises_leaves_nothing_behind(any_store: Store) -> None:
    fact = NoticeServed("a", dt.date(2024, 1, 2), "council", dt.date(2025, 3, 31))

    def fail_after_writing() -> None:
        with any_store.unit("a") as unit:
            unit.append_fact(fact, "alex", AT)
            unit.apply_plan(Changes(inserts=[message("k1")]), "d1", "planner", AT)
            raise RuntimeError("the planner failed after writing")

    with pytest.raises(RuntimeError):
        fail_after_writing()
    assert any_store.history("a") == []
    assert any_store.all_outbox() == []
    assert any_store.stamps() == {}
    assert any_store.audit_count() == 0


def test_a_unit_cannot_record_for_another_agreement(any_store: Store) -> None:
    fact = NoticeServed("b", dt.date(2024, 1, 2), "council", dt.date(2025, 3, 31))
    with pytest.raises(ValueError, match="cannot record"), any_store.unit("a") as unit:
        unit.append_fact(fact, "alex", AT)
    assert any_store.history("b") == []


def test_apply_plan_inserts_updates_and_withdraws(any_store: Store) -> None:
    plan(any_store, "a", [message("k1"), message("k2"), message("k3")], "digest-1")
    assert any_store.stamps() == {"a": "digest-1"}
    assert [e.message.key for e in any_store.all_outbox()] == ["k1", "k2", "k3"]
    assert any_store.all_outbox()[0].message == message("k1")
    assert any_store.all_outbox()[0].message.payload == {"title": "T", "date": "2024-03-05"}
    plan(any_store, "a", [message("k1"), message("k2", fingerprint="f2")], "digest-2")
    rows = {e.message.key: e for e in any_store.outbox("a")}
    assert rows["k2"].message.fingerprint == "f2"
    assert rows["k3"].state is State.WITHDRAWN
    assert rows["k1"].state is State.PENDING
    assert rows["k2"].version == rows["k3"].version == 1
    assert rows["k1"].version == 0
    plan(any_store, "a", [message("k1"), message("k2", fingerprint="f2"), message("k3")], "d3")
    assert states(any_store)["k3"] is State.PENDING
    assert any_store.stamps() == {"a": "d3"}


def test_outbox_is_per_agreement_and_empty_changes_audit_nothing(any_store: Store) -> None:
    plan(any_store, "a", [message("ka")])
    plan(any_store, "b", [message("kb", agreement="b")])
    assert [e.message.key for e in any_store.outbox("b")] == ["kb"]
    before = any_store.audit_count()
    with any_store.unit("a") as unit:
        unit.apply_plan(Changes(), "d2", "planner", AT)
        assert unit.stamp() == "d2"
    assert any_store.audit_count() == before
    assert any_store.stamps() == {"a": "d2", "b": "d"}


def test_claim_takes_due_rows_soonest_first_under_a_lease(any_store: Store) -> None:
    later = DUE + dt.timedelta(hours=1)
    plan(any_store, "a", [message("late", due=later), message("soon"), message("future",
         due=DUE + dt.timedelta(days=9))])  # fmt: skip
    claims = any_store.claim("node-1", later, LEASE, limit=10)
    assert [c.message.key for c in claims] == ["soon", "late"]
    assert all(c.attempts == 1 and c.lease_until == later + LEASE for c in claims)
    assert claims[0].message == message("soon")
    assert any_store.claim("node-2", later, LEASE, limit=10) == []
    assert states(any_store) == {"late": State.SENDING, "soon": State.SENDING,
                                 "future": State.PENDING}  # fmt: skip


def test_claim_respects_the_limit(any_store: Store) -> None:
    plan(any_store, "a", [message(f"k{i}") for i in range(5)])
    assert len(any_store.claim("n1", DUE, LEASE, limit=2)) == 2
    assert len(any_store.claim("n2", DUE, LEASE, limit=10)) == 3


def held(store: Store, owner: str, now: dt.datetime = DUE) -> dict[str, Claim]:
    """Claim every due row for `owner`, by key."""
    return {c.message.key: c for c in store.claim(owner, now, LEASE, limit=100)}


def test_a_sender_moves_only_rows_it_holds(any_store: Store) -> None:
    plan(any_store, "a", [message("k1"), message("k2"), message("k3"), message("k4")])
    claims = held(any_store, "n1")
    stranger = replace(claims["k1"], owner="someone-else")
    assert not any_store.mark_sent(stranger, DUE, "250 ok")
    assert any_store.mark_sent(claims["k1"], DUE, "250 2.0.0 queued")
    assert not any_store.mark_sent(claims["k1"], DUE, "250 again")  # not held any more
    assert any_store.mark_failed(claims["k2"], DUE, "550 no such user")
    assert any_store.release(claims["k3"], DUE)
    retry_at = DUE + dt.timedelta(minutes=10)
    assert any_store.mark_retry(claims["k4"], DUE, retry_at, "421 try later")
    assert states(any_store) == {"k1": State.SENT, "k2": State.FAILED, "k3": State.PENDING,
                                 "k4": State.PENDING}  # fmt: skip
    soon = any_store.claim("n2", DUE + dt.timedelta(minutes=1), LEASE, limit=10)
    assert [c.message.key for c in soon] == ["k3"]  # k4 waits for its next attempt
    assert soon[0].attempts == 2
    again = any_store.claim("n2", retry_at, LEASE, limit=10)
    assert [(c.message.key, c.attempts) for c in again] == [("k4", 2)]


def test_a_failure_queues_its_report_once_and_only_with_the_failure(any_store: Store) -> None:
    plan(any_store, "a", [message("k1"), message("k2")])
    claims = held(any_store, "n1")
    failed = claims["k1"].message
    report = failure_report(failed, "550 no such user", 1, DUE, "admin@example.org")
    assert report is not None
    stranger = replace(claims["k1"], owner="someone-else")
    assert not any_store.mark_failed(stranger, DUE, "550", report)
    assert report.key not in states(any_store)  # no failure recorded: nothing reported
    assert any_store.mark_failed(claims["k1"], DUE, "550 no such user", report)
    same = failure_report(claims["k2"].message, "550", 1, DUE, "admin@example.org")
    assert same is not None
    assert same.key != report.key  # one report per failed message
    rows = {entry.message.key: entry for entry in any_store.all_outbox()}
    assert rows[report.key].state is State.PENDING
    assert rows[report.key].message.recipient == "admin@example.org"
    assert rows[report.key].message.payload["failed_key"] == "k1"
    assert rows[report.key].message.agreement == SITE
    # the same report again (a failure recorded twice) is not a second row, nor an error
    assert any_store.mark_failed(claims["k2"], DUE, "550", report)
    assert len(any_store.all_outbox()) == 3
    assert [c.message.key for c in any_store.claim("n2", DUE, LEASE, 10)] == [report.key]
    plan(any_store, "a", [message("k1"), message("k2")], inputs="again")
    assert states(any_store)[report.key] is State.SENDING  # no plan touches a report


def test_a_queued_report_is_added_once_and_sent_like_any_row(any_store: Store) -> None:
    report = configuration_report(["site.toml: bad"], DUE, "admin@example.org")
    audits = any_store.audit_count()
    assert any_store.queue(report, DUE)
    assert not any_store.queue(report, DUE)  # the same errors again: no second report
    assert states(any_store) == {report.key: State.PENDING}
    assert any_store.audit_count() == audits + 1
    (claim,) = any_store.claim("n1", DUE, LEASE, 10)
    assert claim.message.payload["errors"] == ["site.toml: bad"]


def test_counts_by_state_and_the_latest_of_each_newest_first(any_store: Store) -> None:
    plan(any_store, "a", [message(f"k{i}") for i in range(5)])
    assert any_store.state_counts() == {**dict.fromkeys(State, 0), State.PENDING: 5}
    claims = held(any_store, "n1")
    assert any_store.mark_sent(claims["k0"], DUE, "250 first")
    assert any_store.mark_sent(claims["k1"], DUE + dt.timedelta(minutes=1), "250 second")
    assert any_store.mark_failed(claims["k2"], DUE, "550 no such user")
    assert any_store.mark_missed(claims["k3"], DUE, "already past")
    counts = any_store.state_counts()
    assert counts[State.SENT] == 2
    assert counts[State.SENDING] == 1
    assert sum(counts.values()) == 5
    latest = any_store.recent(State.SENT, 1)
    assert [(a.message.key, a.detail, a.at) for a in latest] == [
        ("k1", "250 second", DUE + dt.timedelta(minutes=1))
    ]
    assert [a.message.key for a in any_store.recent(State.SENT, 10)] == ["k1", "k0"]
    assert [(a.message.key, a.detail) for a in any_store.recent(State.FAILED, 10)] == [
        ("k2", "550 no such user")
    ]
    assert [a.detail for a in any_store.recent(State.MISSED, 10)] == ["already past"]


def test_expired_leases_are_reclaimed_by_anyone(any_store: Store) -> None:
    plan(any_store, "a", [message("k1"), message("k2")])
    (first,) = any_store.claim("crashed-node", DUE, LEASE, limit=1)
    assert any_store.reclaim_expired(DUE + LEASE - dt.timedelta(seconds=1)) == 0
    assert any_store.reclaim_expired(DUE + LEASE + dt.timedelta(seconds=1)) == 1
    claims = any_store.claim("n2", DUE + LEASE + dt.timedelta(seconds=2), LEASE, limit=10)
    assert [(c.message.key, c.attempts) for c in claims] == [("k1", 2), ("k2", 1)]
    assert not any_store.mark_sent(first, DUE, "late answer")
    assert any_store.mark_sent(claims[0], DUE, "250 ok")


def test_a_claim_reclaimed_by_another_worker_of_the_same_owner_is_fenced(any_store: Store) -> None:
    """Worker A of node-1 claims a row, its lease runs out, worker B of node-1 claims it
    again: A's late answer moves nothing, B's does."""
    plan(any_store, "a", [message("k1")])
    (worker_a,) = any_store.claim("node-1", DUE, LEASE, limit=1)
    any_store.reclaim_expired(DUE + 2 * LEASE)
    (worker_b,) = any_store.claim("node-1", DUE + 2 * LEASE, LEASE, limit=1)
    assert not any_store.mark_sent(worker_a, DUE, "250 late")
    assert any_store.mark_retry(worker_b, DUE, DUE + 3 * LEASE, "421 busy")
    assert states(any_store) == {"k1": State.PENDING}


def test_a_row_given_back_unsent_makes_its_agreement_planned_again(any_store: Store) -> None:
    """The planner planned around a row a sender held (as if on its way); when the sender
    gives it back unsent, the agreement's plan stamp goes, so the next plan looks again."""
    plan(any_store, "a", [message("k1"), message("k2"), message("k3")])
    plan(any_store, "b", [message("kb", agreement="b")])
    claims = held(any_store, "n1")
    assert any_store.mark_sent(claims["k1"], DUE, "250 ok")
    assert any_store.stamps() == {"a": "d", "b": "d"}
    assert any_store.release(claims["k2"], DUE)
    assert any_store.stamps() == {"b": "d"}
    plan(any_store, "a", [message("k1"), message("k2"), message("k3")])
    assert any_store.mark_failed(claims["k3"], DUE, "550")
    assert any_store.stamps() == {"b": "d"}
    plan(any_store, "a", [message("k1"), message("k2"), message("k3")])
    any_store.reclaim_expired(DUE + 2 * LEASE)
    assert any_store.stamps() == {"a": "d"}  # kb's lease ran out


def test_planner_that_read_before_a_send_conflicts_instead_of_unsending(any_store: Store) -> None:
    """Planner reads a pending row; a sender claims and sends it; the planner's update (the
    content changed) and its withdrawal both fail, and the row stays sent."""
    plan(any_store, "a", [message("k1"), message("k2")])
    stale = any_store.outbox("a")
    any_store.mark_sent(held(any_store, "n1")["k1"], DUE, "250 ok")
    for wanted in ([message("k1", fingerprint="f2"), message("k2")], [message("k2")]):
        changes = reconcile(wanted, stale, AT)
        with pytest.raises(OutboxConflict) as caught, any_store.unit("a") as unit:
            unit.apply_plan(changes, "d2", "planner", AT)
        assert caught.value.keys == ["k1"]
    assert states(any_store)["k1"] is State.SENT
    assert any_store.stamps() == {"a": "d"}  # the failed unit wrote nothing
    changes = plan(any_store, "a", [message("k2")])  # re-read: nothing to undo
    assert changes.withdrawals == []
    assert states(any_store)["k1"] is State.SENT


def test_planner_never_rewrites_a_row_a_sender_holds(any_store: Store) -> None:
    plan(any_store, "a", [message("inv", kind=MessageKind.INVITE)])
    claims = held(any_store, "n1")
    changes = plan(any_store, "a", [message("inv", kind=MessageKind.INVITE, fingerprint="f2")])
    assert changes.updates == []
    assert changes.withdrawals == []
    assert [m.kind for m in changes.inserts] == [MessageKind.INVITE_UPDATE]
    assert states(any_store)["inv"] is State.SENDING
    assert any_store.mark_sent(claims["inv"], DUE, "250 ok")


def test_an_insert_over_an_existing_key_conflicts_without_writing(any_store: Store) -> None:
    plan(any_store, "a", [message("k1")])
    with pytest.raises(OutboxConflict), any_store.unit("a") as unit:
        unit.apply_plan(Changes(inserts=[message("k2"), message("k1")]), "x", "planner", AT)
    assert list(states(any_store)) == ["k1"]


def test_next_due_is_the_soonest_claimable_instant(any_store: Store) -> None:
    assert any_store.next_due() is None
    later = DUE + dt.timedelta(hours=2)
    plan(any_store, "a", [message("k1"), message("k2", due=later)])
    assert any_store.next_due() == DUE
    (first,) = any_store.claim("n1", DUE, LEASE, limit=1)
    assert any_store.next_due() == DUE + LEASE  # its lease runs out before k2 is due
    any_store.mark_retry(first, DUE, DUE + dt.timedelta(hours=5), "421")
    assert any_store.next_due() == later
    any_store.mark_sent(any_store.claim("n1", later, LEASE, limit=1)[0], later, "250")
    assert any_store.next_due() == DUE + dt.timedelta(hours=5)


def test_a_missed_row_is_kept_and_never_claimed_again(any_store: Store) -> None:
    plan(any_store, "a", [message("k1")])
    (claim,) = any_store.claim("n1", DUE, LEASE, limit=1)
    assert any_store.mark_missed(claim, DUE, "its meeting is over")
    assert states(any_store) == {"k1": State.MISSED}
    assert any_store.claim("n1", DUE + dt.timedelta(days=1), LEASE, limit=1) == []
    assert any_store.next_due() is None


def one_writer_at_a_time(store: Store) -> bool:
    """SQLite: an open unit or batch holds the database's write lock, so no sender can move a
    row inside it; a race is a plan made from a read taken before the send."""
    return isinstance(store, SqlStore) and store.engine.dialect.name == "sqlite"


def send(store: Store, key: str) -> None:
    """A sender claims and sends `key`, the first row due (a send takes no agreement's
    lock)."""
    (claim,) = store.claim("n1", DUE, LEASE, limit=1)
    assert claim.message.key == key
    assert store.mark_sent(claim, DUE, "250 ok")


def test_a_batch_reads_many_agreements_and_writes_them_together(any_store: Store) -> None:
    plan(any_store, "a", [message("k1"), message("k2")], "da")
    audits = any_store.audit_count()
    with any_store.batch(["c", "a", "b"]) as units:
        assert set(units) == {"a", "b", "c"}
        assert sorted(e.message.key for e in units["a"].outbox()) == ["k1", "k2"]
        assert units["a"].stamp() == "da"
        assert units["b"].outbox() == []
        assert units["b"].stamp() is None
        fact = NoticeServed("b", dt.date(2024, 1, 2), "council", dt.date(2025, 3, 31))
        assert units["b"].append_fact(fact, "alex", AT).id == 1
        assert [item.fact for item in units["b"].history()] == [fact]
        for name, wanted in (("a", [message("k1", fingerprint="f2")]),
                             ("b", [message("kb", agreement="b")]), ("c", [])):  # fmt: skip
            unit = units[name]
            unit.apply_plan(reconcile(wanted, unit.outbox(), AT), f"d{name}2", "planner", AT)
        # a unit sees its own plan before the batch writes it
        assert {e.message.key: e.state for e in units["a"].outbox()} == {
            "k1": State.PENDING,
            "k2": State.WITHDRAWN,
        }
        assert units["a"].stamp() == "da2"
    rows = {e.message.key: e for e in any_store.all_outbox()}
    assert {key: (e.state, e.version) for key, e in rows.items()} == {
        "k1": (State.PENDING, 1),
        "k2": (State.WITHDRAWN, 1),
        "kb": (State.PENDING, 0),
    }
    assert rows["k1"].message.fingerprint == "f2"
    assert rows["kb"].message == message("kb", agreement="b")
    assert rows["kb"].message.payload == {"title": "T", "date": "2024-03-05"}
    assert any_store.stamps() == {"a": "da2", "b": "db2", "c": "dc2"}
    assert [item.fact for item in any_store.history("b")] == [fact]
    assert any_store.audit_count() == audits + 3  # the fact, a's plan, b's plan (c: none)


def test_a_batch_that_raises_writes_nothing(any_store: Store) -> None:
    plan(any_store, "a", [message("k1")])

    def fail_after_planning() -> None:
        with any_store.batch(["a", "b"]) as units:
            units["b"].apply_plan(Changes(inserts=[message("kb", agreement="b")]), "x", "p", AT)
            units["a"].apply_plan(reconcile([], units["a"].outbox(), AT), "x", "p", AT)
            raise RuntimeError("the planner failed after planning")

    with pytest.raises(RuntimeError):
        fail_after_planning()
    assert states(any_store) == {"k1": State.PENDING}
    assert any_store.stamps() == {"a": "d"}


def test_an_insert_over_an_existing_key_aborts_the_whole_batch(any_store: Store) -> None:
    plan(any_store, "a", [message("k1")])

    def insert_again() -> None:
        with any_store.batch(["a", "b"]) as units:
            units["b"].apply_plan(Changes(inserts=[message("kb", agreement="b")]), "x", "p", AT)
            units["a"].apply_plan(Changes(inserts=[message("k1"), message("k3")]), "x", "p", AT)

    with pytest.raises(OutboxConflict) as caught:
        insert_again()
    assert caught.value.keys == ["k1"]
    assert caught.value.agreement == "a"
    assert list(states(any_store)) == ["k1"]
    assert any_store.stamps() == {"a": "d"}


def test_a_sender_between_a_batchs_read_and_write_aborts_all_of_it(any_store: Store) -> None:
    """The batch reads a's and b's rows; a sender claims and sends a's k1; the batch's
    withdrawal of k1 conflicts, and nothing of the batch (b's rows, a's k2, the stamps) is
    written, while k1 stays sent."""
    plan(any_store, "a", [message("k1"), message("k2")])
    plan(any_store, "b", [message("kb", agreement="b")])
    stale = any_store.outbox("a")
    if one_writer_at_a_time(any_store):
        send(any_store, "k1")
    audits = [any_store.audit_count()]

    def plan_while_a_sender_sends() -> None:
        with any_store.batch(["b", "a"]) as units:
            read = {name: unit.outbox() for name, unit in units.items()}
            if one_writer_at_a_time(any_store):
                read["a"] = stale
            else:
                send(any_store, "k1")
                audits.append(any_store.audit_count())
            wanted = [message("kb", agreement="b", fingerprint="f2"), message("kc", agreement="b")]
            units["b"].apply_plan(reconcile(wanted, read["b"], AT), "d2", "planner", AT)
            units["a"].apply_plan(reconcile([], read["a"], AT), "d2", "planner", AT)

    with pytest.raises(OutboxConflict) as caught:
        plan_while_a_sender_sends()
    assert caught.value.keys == ["k1"]
    assert states(any_store) == {"k1": State.SENT, "k2": State.PENDING, "kb": State.PENDING}
    assert {e.message.key: e.message.fingerprint for e in any_store.outbox("b")} == {"kb": "f1"}
    assert any_store.stamps() == {"a": "d", "b": "d"}
    assert any_store.audit_count() == audits[-1]
