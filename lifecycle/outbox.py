"""Reconcile the messages wanted now with the outbox as it stands: the pure half of planning.

Rules: a wanted message not in the outbox is inserted; a pending one whose content changed is
updated in place; a withdrawn one wanted again is revived; a pending one no longer wanted is
withdrawn; an invite already sent whose meaning changed (its fingerprint) is followed by an
update, and one no longer wanted by a cancellation. A sent reminder or notice is never
recalled. Reminders due before the planning window that are not wanted are left alone, so a
late dispatcher still sends them; notices (what facts set off) are planned from further back
(`facts_from`), so an unwanted pending one due since then is withdrawn (a chaser for a
variation whose last signature was recorded late); unwanted pending invites are always
withdrawn.

Every row carries a version that each writer bumps. The changes carry the state and version
each touched row was read in, so the store applies them as compare-and-set writes and a
planner that raced a sender re-reads instead of overwriting what the sender did.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from enum import StrEnum

from lifecycle.messages import Message, MessageKind


class State(StrEnum):
    """Where an outbox row is in its life."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"


FOLLOW_UP = "#"
DELIVERED = {State.SENDING, State.SENT}
# Invites are sent ahead of what they are about: one no longer wanted is withdrawn even when
# its own due instant has passed, lest a cancelled meeting's invite go out late.
ABOUT_FUTURE = {MessageKind.INVITE, MessageKind.INVITE_UPDATE}


@dataclass(frozen=True)
class Entry:
    """A row of the outbox: the message, its state, and the version every write bumps."""

    message: Message
    state: State
    version: int = 0


@dataclass
class Changes:
    """What planning one agreement changes in the outbox."""

    inserts: list[Message] = field(default_factory=list)
    updates: list[Message] = field(default_factory=list)
    revivals: list[Message] = field(default_factory=list)
    withdrawals: list[str] = field(default_factory=list)
    # The (state, version) each updated, revived or withdrawn row was read in.
    expected: dict[str, tuple[State, int]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        """Rows written."""
        return len(self.inserts) + len(self.updates) + len(self.revivals) + len(self.withdrawals)


def reconcile(
    wanted: list[Message],
    existing: list[Entry],
    window_start: dt.datetime,
    notices_from: dt.datetime | None = None,
) -> Changes:
    """The changes that make the outbox match what is wanted. `window_start` is the first
    instant the plan covers; `notices_from` (default: the same) the first instant it covers
    for notices, which are planned from further back."""
    changes = Changes()
    have = {entry.message.key: entry for entry in existing}
    want = {message.key: message for message in wanted}
    for key, message in want.items():
        entry = have.get(key)
        if entry is None:
            changes.inserts.append(message)
        elif not _same_content(entry.message, message):
            _changed(message, entry, have, changes)
        elif entry.state is State.WITHDRAWN:
            changes.revivals.append(message)
    for key, entry in have.items():
        if key in want or FOLLOW_UP in key:
            continue
        if entry.state is State.PENDING and _covered(
            entry.message, window_start, notices_from or window_start
        ):
            changes.withdrawals.append(key)
        elif entry.state in DELIVERED and entry.message.kind is MessageKind.INVITE:
            cancel = _follow_up(entry.message, MessageKind.INVITE_CANCEL, "cancel")
            if cancel.key not in have:
                changes.inserts.append(cancel)
    _withdraw_stale_follow_ups(want, have, changes)
    for key in [
        *(m.key for m in changes.updates),
        *(m.key for m in changes.revivals),
        *changes.withdrawals,
    ]:
        changes.expected[key] = (have[key].state, have[key].version)
    return changes


def _covered(message: Message, window_start: dt.datetime, notices_from: dt.datetime) -> bool:
    """True when the plan would have wanted the message had it still been due: an unwanted
    pending row the plan covers is withdrawn, one it does not cover is left to be sent."""
    if message.kind in ABOUT_FUTURE:
        return True
    start = notices_from if message.kind is MessageKind.NOTICE else window_start
    return message.due_at >= start


def _same_content(stored: Message, wanted: Message) -> bool:
    """True when the stored row already says exactly what is wanted (nothing to write)."""
    return (
        stored.fingerprint == wanted.fingerprint
        and stored.due_at == wanted.due_at
        and stored.subject == wanted.subject
        and stored.payload == wanted.payload
    )


def _changed(message: Message, entry: Entry, have: dict[str, Entry], changes: Changes) -> None:
    """A wanted message differs from its row: rewrite a row not yet sent; follow a sent
    invite or notice up only when its meaning (fingerprint) changed, never for wording."""
    if entry.state is State.PENDING or entry.state is State.FAILED:
        changes.updates.append(message)
    elif entry.state is State.WITHDRAWN:
        changes.revivals.append(message)
    elif entry.message.fingerprint != message.fingerprint and message.kind in (
        MessageKind.INVITE,
        MessageKind.NOTICE,
    ):
        kind = (
            MessageKind.INVITE_UPDATE
            if message.kind is MessageKind.INVITE
            else (MessageKind.NOTICE_UPDATE)
        )
        update = _follow_up(message, kind, f"update:{message.fingerprint}")
        if update.key not in have:
            changes.inserts.append(update)


def _follow_up(message: Message, kind: MessageKind, suffix: str) -> Message:
    return replace(message, key=f"{message.key}{FOLLOW_UP}{suffix}", kind=kind)


def _withdraw_stale_follow_ups(
    want: dict[str, Message], have: dict[str, Entry], changes: Changes
) -> None:
    """A pending update that no longer says what is wanted is withdrawn (a newer one replaces
    it); a pending cancellation of something wanted again is withdrawn too."""
    for key, entry in have.items():
        base, _, suffix = key.partition(FOLLOW_UP)
        if not suffix or entry.state is not State.PENDING:
            continue
        current = want.get(base)
        stale_update = suffix.startswith("update:") and (
            current is None or suffix != f"update:{current.fingerprint}"
        )
        if stale_update or (suffix == "cancel" and current is not None):
            changes.withdrawals.append(key)
