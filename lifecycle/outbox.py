"""Reconcile the messages wanted now with the outbox as it stands: the pure half of planning.

Rules: a wanted message not in the outbox is inserted; a pending one whose content changed is
updated in place; a withdrawn one wanted again is revived; a pending one no longer wanted is
withdrawn; an invite already sent whose content changed is followed by an update, and one no
longer wanted by a cancellation. A sent reminder or notice is never recalled. Reminders and
notices due before the planning window that are not wanted are left alone, so a late
dispatcher still sends them; unwanted pending invites are always withdrawn.
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
    """A row of the outbox: the message and its state."""

    message: Message
    state: State


@dataclass
class Changes:
    """What planning one agreement changes in the outbox."""

    inserts: list[Message] = field(default_factory=list)
    updates: list[Message] = field(default_factory=list)
    revivals: list[Message] = field(default_factory=list)
    withdrawals: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        """Rows written."""
        return len(self.inserts) + len(self.updates) + len(self.revivals) + len(self.withdrawals)


def reconcile(wanted: list[Message], existing: list[Entry], window_start: dt.datetime) -> Changes:
    """The changes that make the outbox match what is wanted."""
    changes = Changes()
    have = {entry.message.key: entry for entry in existing}
    want = {message.key: message for message in wanted}
    for key, message in want.items():
        entry = have.get(key)
        if entry is None:
            changes.inserts.append(message)
        elif entry.message.fingerprint != message.fingerprint:
            _changed(message, entry, have, changes)
        elif entry.state is State.WITHDRAWN:
            changes.revivals.append(message)
    for key, entry in have.items():
        if key in want or FOLLOW_UP in key:
            continue
        if entry.state is State.PENDING and (
            entry.message.due_at >= window_start or entry.message.kind in ABOUT_FUTURE
        ):
            changes.withdrawals.append(key)
        elif entry.state in DELIVERED and entry.message.kind is MessageKind.INVITE:
            cancel = _follow_up(entry.message, MessageKind.INVITE_CANCEL, "cancel")
            if cancel.key not in have:
                changes.inserts.append(cancel)
    _withdraw_stale_follow_ups(want, have, changes)
    return changes


def _changed(message: Message, entry: Entry, have: dict[str, Entry], changes: Changes) -> None:
    if entry.state is State.PENDING or entry.state is State.FAILED:
        changes.updates.append(message)
    elif entry.state is State.WITHDRAWN:
        changes.revivals.append(message)
    elif message.kind in (MessageKind.INVITE, MessageKind.NOTICE):
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
