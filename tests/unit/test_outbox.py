"""Reconciling wanted messages with the outbox: insert, update, withdraw, revive, follow up."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from lifecycle.messages import Message, MessageKind
from lifecycle.outbox import Entry, State, reconcile

WINDOW = dt.datetime(2024, 11, 1, 9, tzinfo=dt.UTC)


def msg(
    key: str,
    kind: MessageKind = MessageKind.REMINDER,
    fingerprint: str = "a",
    due: dt.datetime = dt.datetime(2024, 11, 5, 9, tzinfo=dt.UTC),
) -> Message:
    return Message(key, "ag", kind, "x@example.org", due, "s", {}, fingerprint)


def test_same_input_changes_nothing() -> None:
    wanted = [msg("r1"), msg("i1", MessageKind.INVITE)]
    existing = [Entry(m, State.PENDING) for m in wanted]
    assert reconcile(wanted, existing, WINDOW).count == 0


def test_new_changed_and_unwanted_pending_rows() -> None:
    existing = [
        Entry(msg("keep"), State.PENDING),
        Entry(msg("change"), State.PENDING),
        Entry(msg("gone"), State.PENDING),
    ]
    wanted = [msg("keep"), msg("change", fingerprint="b"), msg("new")]
    changes = reconcile(wanted, existing, WINDOW)
    assert [m.key for m in changes.inserts] == ["new"]
    assert [m.key for m in changes.updates] == ["change"]
    assert changes.withdrawals == ["gone"]


def test_withdrawn_row_wanted_again_is_revived() -> None:
    changes = reconcile([msg("r")], [Entry(msg("r"), State.WITHDRAWN)], WINDOW)
    assert [m.key for m in changes.revivals] == ["r"]


def test_unwanted_reminder_due_before_the_window_is_left_for_a_late_dispatcher() -> None:
    old = msg("late", due=WINDOW - dt.timedelta(hours=1))
    assert reconcile([], [Entry(old, State.PENDING)], WINDOW).count == 0


def test_unwanted_invite_is_withdrawn_even_when_its_send_time_has_passed() -> None:
    old = msg("inv", MessageKind.INVITE, due=WINDOW - dt.timedelta(days=3))
    assert reconcile([], [Entry(old, State.PENDING)], WINDOW).withdrawals == ["inv"]


def test_sent_invite_that_changed_gets_one_update() -> None:
    sent = Entry(msg("inv", MessageKind.INVITE), State.SENT)
    changed = msg("inv", MessageKind.INVITE, fingerprint="b")
    changes = reconcile([changed], [sent], WINDOW)
    (update,) = changes.inserts
    assert update.kind is MessageKind.INVITE_UPDATE
    assert update.key == "inv#update:b"
    assert update.message_id != changed.message_id
    again = reconcile([changed], [sent, Entry(update, State.PENDING)], WINDOW)
    assert again.count == 0


def test_a_newer_change_replaces_a_pending_update() -> None:
    sent = Entry(msg("inv", MessageKind.INVITE), State.SENT)
    first = Entry(
        replace(msg("inv", MessageKind.INVITE_UPDATE, "b"), key="inv#update:b"), State.PENDING
    )
    changes = reconcile([msg("inv", MessageKind.INVITE, "c")], [sent, first], WINDOW)
    assert [m.key for m in changes.inserts] == ["inv#update:c"]
    assert changes.withdrawals == ["inv#update:b"]


def test_sent_invite_no_longer_wanted_is_cancelled_once() -> None:
    sent = Entry(msg("inv", MessageKind.INVITE), State.SENT)
    changes = reconcile([], [sent], WINDOW)
    (cancel,) = changes.inserts
    assert (cancel.key, cancel.kind) == ("inv#cancel", MessageKind.INVITE_CANCEL)
    assert reconcile([], [sent, Entry(cancel, State.SENT)], WINDOW).count == 0


def test_sent_reminder_is_never_recalled_or_repeated() -> None:
    sent = Entry(msg("r"), State.SENT)
    assert reconcile([], [sent], WINDOW).count == 0
    assert reconcile([msg("r", fingerprint="z")], [sent], WINDOW).count == 0
