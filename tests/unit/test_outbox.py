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
    assert update.key == "inv#1:update:b"
    assert update.message_id != changed.message_id
    again = reconcile([changed], [sent, Entry(update, State.PENDING)], WINDOW)
    assert again.count == 0


def test_a_newer_change_replaces_a_pending_update() -> None:
    sent = Entry(msg("inv", MessageKind.INVITE), State.SENT)
    first = Entry(
        replace(msg("inv", MessageKind.INVITE_UPDATE, "b"), key="inv#1:update:b"), State.PENDING
    )
    changes = reconcile([msg("inv", MessageKind.INVITE, "c")], [sent, first], WINDOW)
    assert [m.key for m in changes.inserts] == ["inv#1:update:c"]
    assert changes.withdrawals == ["inv#1:update:b"]


def test_sent_invite_no_longer_wanted_is_cancelled_once() -> None:
    sent = Entry(msg("inv", MessageKind.INVITE), State.SENT)
    changes = reconcile([], [sent], WINDOW)
    (cancel,) = changes.inserts
    assert (cancel.key, cancel.kind) == ("inv#1:cancel", MessageKind.INVITE_CANCEL)
    assert reconcile([], [sent, Entry(cancel, State.SENT)], WINDOW).count == 0


def test_sent_reminder_is_never_recalled_or_repeated() -> None:
    sent = Entry(msg("r"), State.SENT)
    assert reconcile([], [sent], WINDOW).count == 0
    assert reconcile([msg("r", fingerprint="z")], [sent], WINDOW).count == 0


def test_a_meeting_moved_away_and_back_is_followed_up_each_time() -> None:
    """Invite sent (a), update to b sent, moved back to a: the recipient holds b, so a second
    update says a; the first update's key cannot be reused, it went out already."""
    sent = Entry(msg("inv", MessageKind.INVITE), State.SENT)
    to_b = Entry(replace(msg("inv", MessageKind.INVITE_UPDATE, "b"), key="inv#1:update:b"),
                 State.SENT)  # fmt: skip
    changes = reconcile([msg("inv", MessageKind.INVITE, "a")], [sent, to_b], WINDOW)
    assert [(m.key, m.kind) for m in changes.inserts] == [
        ("inv#2:update:a", MessageKind.INVITE_UPDATE)
    ]


def test_a_cancellation_withdrawn_then_needed_again_is_revived() -> None:
    sent = Entry(msg("inv", MessageKind.INVITE), State.SENT)
    cancel = replace(msg("inv", MessageKind.INVITE_CANCEL), key="inv#1:cancel")
    wanted_again = reconcile([msg("inv", MessageKind.INVITE)], [sent, Entry(cancel, State.PENDING)],
                             WINDOW)  # fmt: skip
    assert wanted_again.withdrawals == ["inv#1:cancel"]
    unwanted_again = reconcile([], [sent, Entry(cancel, State.WITHDRAWN, 1)], WINDOW)
    assert [m.key for m in unwanted_again.revivals] == ["inv#1:cancel"]
    assert unwanted_again.expected == {"inv#1:cancel": (State.WITHDRAWN, 1)}


def test_a_cancelled_invite_wanted_again_is_sent_as_an_update() -> None:
    sent = Entry(msg("inv", MessageKind.INVITE), State.SENT)
    cancel = replace(msg("inv", MessageKind.INVITE_CANCEL), key="inv#1:cancel")
    changes = reconcile([msg("inv", MessageKind.INVITE)], [sent, Entry(cancel, State.SENT)], WINDOW)
    assert [m.key for m in changes.inserts] == ["inv#2:update:a"]


def test_a_reworded_invite_already_sent_is_not_followed_up() -> None:
    sent = Entry(msg("inv", MessageKind.INVITE), State.SENT)
    reworded = replace(msg("inv", MessageKind.INVITE), subject="New title")
    assert reconcile([reworded], [sent], WINDOW).count == 0


def test_a_pending_row_takes_new_wording_without_a_new_fingerprint() -> None:
    pending = Entry(msg("r"), State.PENDING)
    reworded = replace(msg("r"), subject="New title")
    assert [m.subject for m in reconcile([reworded], [pending], WINDOW).updates] == ["New title"]


def test_unwanted_notice_since_the_facts_window_is_withdrawn() -> None:
    """A chaser dated before today but inside the window facts are planned from is withdrawn
    when it is no longer wanted (the last signature was recorded late)."""
    chaser = msg("chase", MessageKind.NOTICE, due=WINDOW - dt.timedelta(days=10))
    facts_from = WINDOW - dt.timedelta(days=31)
    assert reconcile([], [Entry(chaser, State.PENDING)], WINDOW, facts_from).withdrawals == [
        "chase"
    ]
    older = msg("old", MessageKind.NOTICE, due=facts_from - dt.timedelta(days=1))
    assert reconcile([], [Entry(older, State.PENDING)], WINDOW, facts_from).count == 0


def test_an_invite_for_a_meeting_that_took_place_is_not_cancelled() -> None:
    """Meetings before the planning day leave the plan because they are over, not because
    they were called off: an invite sent for one gets no cancellation."""
    past = replace(msg("inv", MessageKind.INVITE), payload={"date": "2024-10-30"})
    assert reconcile([], [Entry(past, State.SENT)], WINDOW).count == 0
    today = replace(msg("inv", MessageKind.INVITE), payload={"date": "2024-11-01"})
    assert [m.kind for m in reconcile([], [Entry(today, State.SENT)], WINDOW).inserts] == [
        MessageKind.INVITE_CANCEL
    ]
    moved_back = replace(msg("inv", MessageKind.INVITE_UPDATE, "b"), key="inv#1:update:b",
                         payload={"date": "2024-10-31"})  # fmt: skip
    rows = [Entry(today, State.SENT), Entry(moved_back, State.SENT)]
    assert reconcile([], rows, WINDOW, today=dt.date(2024, 11, 1)).count == 0


def test_a_failed_follow_up_is_rewritten_when_what_it_says_changes() -> None:
    sent = Entry(msg("inv", MessageKind.INVITE), State.SENT)
    failed = Entry(replace(msg("inv", MessageKind.INVITE_UPDATE, "b"), key="inv#1:update:b"),
                   State.FAILED, 2)  # fmt: skip
    reworded = replace(msg("inv", MessageKind.INVITE, "b"), subject="New title")
    changes = reconcile([reworded], [sent, failed], WINDOW)
    assert [(m.key, m.subject) for m in changes.updates] == [("inv#1:update:b", "New title")]
    assert changes.expected == {"inv#1:update:b": (State.FAILED, 2)}
