"""Reconcile the messages wanted now with the outbox as it stands: the pure half of planning.

Rules: a wanted message not in the outbox is inserted; a pending one whose content changed is
updated in place; a withdrawn one wanted again is revived; a pending one no longer wanted is
withdrawn. Once an invite or notice has reached its recipient, what they hold is the last of
it and its follow-ups delivered; when what is wanted means something else (another
fingerprint, or for an invite no longer wanted, a cancellation), one follow-up row says so,
keyed `<key>#<n>:update:<fingerprint>` or `<key>#<n>:cancel` with n one past the last
delivered, so a meeting moved away and back again is followed up each time. A sent reminder
or notice is never recalled. Reminders due before the planning window that are not wanted
are left alone, so a late dispatcher still sends them; notices (what facts set off) are
planned from further back (`facts_from`), so an unwanted pending one due since then is
withdrawn (a chaser for a variation whose last signature was recorded late); unwanted
pending invites are always withdrawn.

The outbox holds what is due up to `window_end` (the planner's send horizon), not everything
the plan wants: a wanted message due after it is written only when its row is already
pending within the window (it moved later: not sent at its old time), and a pending row due
after it is left as it is until the window reaches it, whether wanted or not (the plan may
not have built it), except an invite, whose messages the plan always builds whole.

Every row carries a version that each writer bumps. The changes carry the state and version
each touched row was read in, so the store applies them as compare-and-set writes and a
planner that raced a sender re-reads instead of overwriting what the sender did.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from enum import StrEnum

from lifecycle.ids import OutboxKey, follow_up_key, split_follow_up
from lifecycle.kinds import FAMILIES, MessageKind
from lifecycle.messages import Message
from lifecycle.series import Moment, day_of, payload_series


class State(StrEnum):
    """Where an outbox row is in its life."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"
    MISSED = "missed"  # came due while nobody sent it and is no use any more


DELIVERED = {State.SENDING, State.SENT}
# The families followed up once delivered (`lifecycle.kinds.FAMILIES` declares how).
FOLLOWED = {kind: rule.updated_by for kind, rule in FAMILIES.items() if rule.updated_by}
CANCELLED = "cancelled"  # what the recipient holds after a cancellation
# Sent ahead of what they are about (invites): one no longer wanted is withdrawn even when
# its own due instant has passed, lest a cancelled meeting's invite go out late.
ABOUT_FUTURE = {kind for kind, rule in FAMILIES.items() if rule.ahead}
CANCELLING = {rule.cancelled_by for rule in FAMILIES.values() if rule.cancelled_by}


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
    today: dt.date | None = None,
    window_end: dt.datetime | None = None,
) -> Changes:
    """The changes that make the outbox match what is wanted. `window_start` is the first
    instant the plan covers; `notices_from` (default: the same) the first instant it covers
    for notices, which are planned from further back; `today` (default: `window_start`'s
    date) the planning day, before which a meeting is over and is never cancelled;
    `window_end` (default: none) the last instant the outbox holds rows for."""
    changes = Changes()
    have = {entry.message.key: entry for entry in existing}
    want = {message.key: message for message in wanted}
    for key, message in want.items():
        entry = have.get(key)
        if _not_yet(message, entry, window_end):
            continue
        if entry is None:
            changes.inserts.append(message)
        elif entry.state is State.WITHDRAWN:
            changes.revivals.append(message)
        elif entry.state in (State.PENDING, State.FAILED) and not _same_content(
            entry.message, message
        ):
            changes.updates.append(message)
    for key, entry in have.items():
        if key in want or split_follow_up(key)[1]:
            continue
        if entry.state is State.PENDING and _covered(
            entry.message, window_start, notices_from or window_start, window_end
        ):
            changes.withdrawals.append(key)
    over = (today or window_start.date()).isoformat()
    for base, rows in _followed(have).items():
        _follow_up(want.get(base), base, rows, (over, window_start), changes, window_end)
    for key in [
        *(m.key for m in changes.updates),
        *(m.key for m in changes.revivals),
        *changes.withdrawals,
    ]:
        changes.expected[key] = (have[key].state, have[key].version)
    return changes


def _covered(
    message: Message,
    window_start: dt.datetime,
    notices_from: dt.datetime,
    window_end: dt.datetime | None = None,
) -> bool:
    """True when the plan would have wanted the message had it still been due: an unwanted
    pending row the plan covers is withdrawn, one it does not cover is left to be sent (or,
    after `window_end`, left until the window reaches it)."""
    if message.kind in ABOUT_FUTURE:
        return True
    if window_end is not None and message.due_at > window_end:
        return False
    start = notices_from if message.kind is MessageKind.NOTICE else window_start
    return message.due_at >= start


def _not_yet(message: Message, entry: Entry | None, window_end: dt.datetime | None) -> bool:
    """True when a wanted message is due after the window and has no row pending within it
    to move: it is written once the window reaches it."""
    if window_end is None or message.due_at <= window_end:
        return False
    return entry is None or entry.state is State.WITHDRAWN or entry.message.due_at > window_end


def _same_content(stored: Message, wanted: Message) -> bool:
    """True when the stored row already says exactly what is wanted (nothing to write)."""
    return (
        stored.fingerprint == wanted.fingerprint
        and stored.due_at == wanted.due_at
        and stored.subject == wanted.subject
        and stored.payload == wanted.payload
        and stored.kind is wanted.kind
    )


def _followed(have: dict[str, Entry]) -> dict[str, dict[str, Entry]]:
    """Invites and notices that reached their recipient or have follow-ups, each with its
    rows by key (the message itself and its follow-ups)."""
    groups: dict[str, dict[str, Entry]] = {}
    for key, entry in have.items():
        base, number, _ = split_follow_up(key)
        if number:
            groups.setdefault(base, {})[key] = entry
        elif entry.state in DELIVERED and entry.message.kind in FOLLOWED:
            groups.setdefault(key, {})[key] = entry
    return groups


def _follow_up(
    wanted: Message | None,
    base: str,
    rows: dict[str, Entry],
    over: tuple[str, dt.datetime],
    changes: Changes,
    window_end: dt.datetime | None = None,
) -> None:
    """Make sure the one follow-up that brings the recipient up to date, if any is needed,
    is pending (once it is due within the window); withdraw every other pending follow-up."""
    needed = _needed_follow_up(wanted, base, rows, over)
    for key, entry in rows.items():
        if key != base and entry.state is State.PENDING and (needed is None or key != needed.key):
            changes.withdrawals.append(key)
    if needed is None:
        return
    row = rows.get(needed.key)
    if _not_yet(needed, row, window_end):
        return
    if row is None:
        changes.inserts.append(needed)
    elif row.state is State.WITHDRAWN:
        changes.revivals.append(needed)
    elif row.state in (State.PENDING, State.FAILED) and not _same_content(row.message, needed):
        changes.updates.append(needed)


def _needed_follow_up(
    wanted: Message | None, base: str, rows: dict[str, Entry], over: tuple[str, dt.datetime]
) -> Message | None:
    """The follow-up the recipient needs: none when nothing reached them yet or what they
    hold already means what is wanted; else an update, or a cancellation of an invite whose
    meeting, as they hold it, is not over. `over` is (today as an ISO day, the instant an
    invite's update goes "at once": today's send time)."""
    today, at_once = over
    delivered = sorted((split_follow_up(k)[1], k) for k, e in rows.items() if e.state in DELIVERED)
    if not delivered:
        return None
    number, last_key = delivered[-1]
    last = rows[last_key].message
    holds = CANCELLED if last.kind in CANCELLING else last.fingerprint
    kind = rows[base].message.kind if base in rows else _base_kind(last.kind)
    if wanted is not None:
        if wanted.fingerprint == holds:
            return None
        update = follow_up_key(base, number + 1, f"update:{wanted.fingerprint}")
        # An invite's update goes at once: the recipient holds the series already, and the
        # change may be to the very next meeting (called off, moved later).
        due = min(wanted.due_at, at_once) if FAMILIES[kind].ahead else wanted.due_at
        return replace(wanted, key=update, kind=FOLLOWED[kind], due_at=due)
    cancelled_by = FAMILIES[kind].cancelled_by
    if cancelled_by is None or holds == CANCELLED:
        return None  # a notice once sent is never recalled
    if last.payload.get("date", today) < today:
        return None  # the meeting took place: it left the plan, it was not called off
    ended = _ended_series(last, today, at_once)
    if ended is not None:  # keep the meetings already held in the recipient's calendar
        return replace(ended, key=follow_up_key(base, number + 1, f"update:{ended.fingerprint}"))
    cancel = replace(last, kind=cancelled_by)
    return replace(cancel, key=follow_up_key(base, number + 1, "cancel"))


def _ended_series(last: Message, today: str, at_once: dt.datetime) -> Message | None:
    """For a series no longer wanted whose meetings already began: the series ended the day
    before `today`, as an update (a CANCEL would take the past meetings out of calendars
    too). None when nothing of it was held yet (then a CANCEL is right) or it is no series."""
    if not isinstance(last.payload.get("series"), dict):
        return None
    yesterday = dt.date.fromisoformat(today) - dt.timedelta(days=1)
    held = payload_series(last.payload)[0]
    if day_of(held.first) > yesterday:
        return None
    ended = replace(
        held,
        until=yesterday,
        through=yesterday,
        exdates=tuple(m for m in held.exdates if day_of(m) <= yesterday),
        overrides=tuple(o for o in held.overrides if day_of(o[0]) <= yesterday),
    )
    spans = ended.starts()
    if not spans:
        return None
    payload = {**last.payload, "series": ended.to_payload(),
               "date": _day_text(spans[-1][0]), "ended_on": yesterday.isoformat()}  # fmt: skip
    return replace(last, kind=MessageKind.INVITE_UPDATE, payload=payload,
                   fingerprint=ended.fingerprint, due_at=at_once)  # fmt: skip


def _base_kind(kind: MessageKind) -> MessageKind:
    """The family a follow-up follows (a message follows none: itself)."""
    return FAMILIES[kind].follows or kind


def instance_cancels(
    wanted: list[Message], existing: list[Entry], today: dt.date, at_once: dt.datetime
) -> list[Message]:
    """METHOD:CANCEL messages for single meetings called off in a series a recipient already
    holds: for each series invite wanted, the days from `today` on that the series last
    delivered to that recipient has and the wanted series drops. Each is keyed by the
    meeting's day, describes that meeting as the recipient holds it, carries the SEQUENCE of
    the update that brings the series up to date (the delivered number plus one), is due at
    once, and is no longer wanted once that update is delivered."""
    delivered = _delivered_by_base(existing)
    kept_days: dict[str, set[str]] = {}  # by fingerprint: every attendee's copy is one series
    cancels: list[Message] = []
    for message in wanted:
        series = message.payload.get("series")
        if message.kind is not MessageKind.INVITE or not isinstance(series, dict):
            continue
        held = _held_series(delivered.get(message.key, []))
        if held is None:
            continue
        number, last = held
        if message.fingerprint not in kept_days:
            starts = payload_series(message.payload)[0].starts()
            kept_days[message.fingerprint] = {_day_text(start) for start, _ in starts}
        kept = kept_days[message.fingerprint]
        holds = payload_series(last.payload)[0]
        for raw in holds.rule_starts():
            start, end = holds.override_map.get(raw, (raw, holds.end_of(raw)))
            day = _day_text(start)
            if raw in holds.exdates or day < today.isoformat() or day in kept:
                continue
            due = min(message.due_at, at_once)
            cancels.append(_instance_cancel(message, raw, (start, end), number + 1, due))
    return cancels


def _delivered_by_base(existing: list[Entry]) -> dict[str, list[tuple[int, Message]]]:
    """The delivered rows of each message and its follow-ups, as (number, message), by the
    message's key: read once for all the invites wanted."""
    delivered: dict[str, list[tuple[int, Message]]] = {}
    for entry in existing:
        if entry.state in DELIVERED:
            base, number, _ = split_follow_up(entry.message.key)
            delivered.setdefault(base, []).append((number, entry.message))
    return delivered


def _held_series(delivered: list[tuple[int, Message]]) -> tuple[int, Message] | None:
    """The number and message of the last invite or update delivered (of one message's
    `delivered` rows), when it carries a series; None when nothing was delivered, or the
    last thing delivered was a cancellation."""
    ordered = sorted(delivered, key=lambda pair: pair[0])
    if not ordered or ordered[-1][1].kind in CANCELLING:
        return None
    number, last = ordered[-1]
    return (number, last) if isinstance(last.payload.get("series"), dict) else None


def _instance_cancel(
    message: Message, raw: Moment, span: tuple[Moment, Moment], sequence: int, due: dt.datetime
) -> Message:
    """The CANCEL of the one meeting the recipient holds at `span`, by the RECURRENCE-ID of
    its raw start `raw`."""
    start, end = span
    key = OutboxKey.parse(message.key)
    day = _day_text(start)
    about = key.about.removesuffix(":series") + f":cancel:{day}"
    title = str(message.payload.get("title", ""))
    payload = {**message.payload, "cancel_occurrence": raw.isoformat(), "sequence": sequence,
               "template": "meeting_cancellation", "date": day,
               "start": start.isoformat(), "end": end.isoformat()}  # fmt: skip
    return replace(
        message,
        key=str(OutboxKey(key.family, key.agreement, about, key.recipient)),
        kind=MessageKind.INVITE_CANCEL,
        due_at=due,
        subject=f"{title}: cancelled, {dt.date.fromisoformat(day):%a %d %b %Y}",
        payload=payload,
        fingerprint=f"cancel:{day}",
    )


def _day_text(moment: Moment) -> str:
    return day_of(moment).isoformat()
