"""Messages: what the service must send, each with a stable key, derived from occurrences.

The key names what a message is about, never when it is due, so that re-planning the same
inputs gives the same keys; what the recipient would act on is summarised by its fingerprint
(`MEANING`: the date, the times, the place, the step, the date it is about, the lead), so that
a moved meeting or an escalated dispute is a change of the same message, while a reworded
title or a corrected contact name is not: that only rewrites rows not yet sent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from lifecycle.agreement import Agreement, Contact
from lifecycle.calendar import OperationalCalendar
from lifecycle.ids import OutboxKey
from lifecycle.kinds import KINDS, MessageKind
from lifecycle.occurrence import Occurrence, OccurrenceKind, PlanSettings
from lifecycle.timeline import reminder_send_day, send_instant

__all__ = ["MEANING", "Message", "MessageKind", "messages_for", "occurrence_payload"]
# What facts set off and is sent as a notice (`lifecycle.kinds` declares which).
NOTIFYING = {
    kind.occurrence
    for kind in KINDS
    if kind.family is MessageKind.NOTICE and kind.occurrence is not None
}


@dataclass(frozen=True)
class Message:
    """One message to one recipient, due at one instant (UTC)."""

    key: str
    agreement: str
    kind: MessageKind
    recipient: str
    due_at: dt.datetime
    subject: str
    payload: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    fingerprint: str = ""

    @property
    def message_id(self) -> str:
        """The RFC 5322 Message-ID: derived from the key, so a resend repeats it."""
        digest = hashlib.sha256(self.key.encode()).hexdigest()[:32]
        return f"<{digest}@concordat.invalid>"


def messages_for(
    agreement: Agreement,
    occurrences: Iterable[Occurrence],
    calendar: OperationalCalendar,
    settings: PlanSettings,
) -> list[Message]:
    """Every message the occurrences ask for, one per recipient."""
    messages: list[Message] = []
    resolved: dict[tuple[str, ...], tuple[Contact, ...]] = {}  # a few reference lists recur
    clauses: dict[str, str] = {}
    for occurrence in occurrences:
        references = occurrence.recipients
        if references not in resolved:
            resolved[references] = agreement.recipients(references)
        if occurrence.rule not in clauses:
            clauses[occurrence.rule] = agreement.clause_of(occurrence.rule)
        clause = clauses[occurrence.rule]
        for contact in resolved[references]:
            messages.extend(_messages(occurrence, contact, clause, calendar, settings))
    return messages


def _messages(
    occurrence: Occurrence,
    contact: Contact,
    clause: str,
    calendar: OperationalCalendar,
    settings: PlanSettings,
) -> Iterator[Message]:
    email, agreement = contact.email, occurrence.agreement
    if occurrence.kind is OccurrenceKind.REMINDER and occurrence.send_at is not None:
        subject_day = occurrence.about or occurrence.for_date
        about = f"{occurrence.rule}:{subject_day}:{occurrence.lead}"
        key = str(OutboxKey("reminder", agreement, about, email))
        yield _message(key, MessageKind.REMINDER, occurrence, contact, clause, occurrence.send_at)
    elif occurrence.kind is OccurrenceKind.MEETING:
        about = f"{occurrence.rule}:{occurrence.origin_date}"
        key = str(OutboxKey("invite", agreement, about, email))
        earliest = min(occurrence.origin_date, occurrence.date)  # moved earlier: invite earlier
        day = reminder_send_day(earliest, settings.invite_lead, calendar)
        due = send_instant(day, settings)
        yield _message(key, MessageKind.INVITE, occurrence, contact, clause, due)
    elif occurrence.kind in NOTIFYING:
        key = str(OutboxKey("notice", agreement, _notice_about(occurrence), email))
        day = calendar.previous_on_or_before(occurrence.date)
        due = send_instant(day, settings)
        yield _message(key, MessageKind.NOTICE, occurrence, contact, clause, due)


def _notice_about(occurrence: Occurrence) -> str:
    """Steps are identified by their case and step (their day may move on escalation); chasers
    and notices by their day as well."""
    if occurrence.kind is OccurrenceKind.PROCEDURE_STEP:
        return occurrence.rule
    return f"{occurrence.rule}:{occurrence.date}"


def _message(
    key: str,
    kind: MessageKind,
    occurrence: Occurrence,
    contact: Contact,
    clause: str,
    due: dt.datetime,
) -> Message:
    payload = occurrence_payload(occurrence)
    payload["recipient_name"] = contact.name
    if clause:
        payload["clause"] = clause
    subject = f"{occurrence.title} ({occurrence.date:%a %d %b %Y})"
    if kind is MessageKind.REMINDER and occurrence.for_date is not None:
        subject = f"{occurrence.title} ({occurrence.for_date:%a %d %b %Y})"
    fingerprint = _fingerprint(kind, payload)
    return Message(
        key, occurrence.agreement, kind, contact.email, due, subject, payload, fingerprint
    )


def occurrence_payload(occurrence: Occurrence) -> dict[str, Any]:
    """The occurrence as JSON-ready values, for rendering the message later."""

    def iso(value: dt.date | None) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "agreement": occurrence.agreement,
        "rule": occurrence.rule,
        "kind": occurrence.kind.value,
        "title": occurrence.title,
        "date": occurrence.date.isoformat(),
        "start": iso(occurrence.start),
        "end": iso(occurrence.end),
        "moved_from": iso(occurrence.moved_from),
        "for_date": iso(occurrence.for_date),
        "lead": occurrence.lead,
        "location": occurrence.location,
        "detail": occurrence.detail,
    }


# What a recipient acts on: a change of any of these in a message already sent is followed up
# (an invite update, a notice update); a change of anything else (title, wording, a contact's
# name, the send time) is not.
MEANING = ("rule", "date", "start", "end", "location", "for_date", "lead")


def _fingerprint(kind: MessageKind, payload: dict[str, Any]) -> str:
    meaning = [kind.value, *(payload[name] for name in MEANING)]
    return hashlib.sha256(json.dumps(meaning).encode()).hexdigest()[:20]
