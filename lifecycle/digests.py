"""Weekly digests: for a contact who opts in (`digest = "also"` or `"instead"` in the TOML),
one message on the first operational day of each week, at the site's send time, listing the
coming 14 days of everything that concerns them in the agreement: meetings, reviews,
deadlines, term ends, last days to serve notice, procedure steps.

Digests are made from the plan's own occurrences (one truth for dates). With `"instead"` the
contact's optional reminders (meetings, reviews, deadlines: the kinds `lifecycle.kinds`
marks optional) are folded into the digest and not sent on their own; notices, escalation
steps, invites and the reminders that guard a notice or a term end are never folded.
Only the digests whose day falls in the next two weeks are planned; the daily re-plan tops
them up, so a digest lists the plan as it stands a fortnight ahead, not a year ahead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from lifecycle.agreement import Agreement, Contact
from lifecycle.calendar import OperationalCalendar
from lifecycle.ids import OutboxKey
from lifecycle.kinds import MessageKind
from lifecycle.messages import Message, kind_of
from lifecycle.occurrence import Occurrence, OccurrenceKind, PlanSettings
from lifecycle.timeline import send_instant

SPAN = dt.timedelta(days=14)
AHEAD = dt.timedelta(days=14)  # digests planned this far ahead of today
LISTED = {
    OccurrenceKind.MEETING,
    OccurrenceKind.REVIEW,
    OccurrenceKind.DEADLINE,
    OccurrenceKind.TERM_END,
    OccurrenceKind.NOTICE_DEADLINE,
    OccurrenceKind.PROCEDURE_STEP,
}


def digest_messages(
    agreement: Agreement,
    occurrences: Iterable[Occurrence],
    calendar: OperationalCalendar,
    settings: PlanSettings,
    today: dt.date,
) -> list[Message]:
    """Each opted-in contact's digests whose day is within the next two weeks; none for a
    placeholder address (`Contact.placeholder`), whatever its `digest` says."""
    readers = [
        contact
        for contact in agreement.contacts
        if contact.digest != "none" and not contact.placeholder
    ]
    if not readers:
        return []
    listed = sorted(
        (o for o in occurrences if o.kind in LISTED), key=lambda o: (o.date, o.start or o.date)
    )
    audience = {o.recipients: set(agreement.recipients(o.recipients)) for o in listed}
    messages: list[Message] = []
    for day in _digest_days(today, calendar):
        window = [o for o in listed if day <= o.date < day + SPAN]
        for contact in readers:
            items = [o for o in window if contact in audience[o.recipients]]
            if items:
                messages.append(_digest(agreement, contact, day, items, settings))
    return messages


def without_folded(agreement: Agreement, messages: list[Message]) -> list[Message]:
    """The messages less the optional reminders of contacts who take digests instead."""
    instead = {c.email for c in agreement.contacts if c.digest == "instead"}
    return [
        m
        for m in messages
        if not (m.recipient in instead and m.kind is MessageKind.REMINDER and kind_of(m).optional)
    ]


def _digest_days(today: dt.date, calendar: OperationalCalendar) -> list[dt.date]:
    """The first operational day of each week, from this week's to two weeks ahead."""
    monday = today - dt.timedelta(days=today.weekday())
    days = []
    for week in range(3):
        start = monday + dt.timedelta(weeks=week)
        day = calendar.next_on_or_after(start)
        if today <= day <= today + AHEAD and day < start + dt.timedelta(days=7):
            days.append(day)
    return days


def _digest(
    agreement: Agreement,
    contact: Contact,
    day: dt.date,
    items: list[Occurrence],
    settings: PlanSettings,
) -> Message:
    payload: dict[str, Any] = {
        "agreement": agreement.id,
        "rule": "digest",
        "kind": "digest",
        "template": "weekly_digest",
        "title": f"Your next two weeks: {agreement.title}",
        "date": day.isoformat(),
        "for_date": day.isoformat(),
        "agreement_title": agreement.title,
        "recipient_name": contact.name,
        "items": [_item(o) for o in items],
    }
    key = str(OutboxKey("reminder", agreement.id, f"digest:{day}", contact.email))
    subject = f"{agreement.title}: the two weeks from {day:%a %d %b %Y}"
    return Message(
        key, agreement.id, MessageKind.REMINDER, contact.email, send_instant(day, settings),
        subject, payload, f"digest:{day}",
    )  # fmt: skip


def _item(occurrence: Occurrence) -> dict[str, str]:
    """One line of a digest: the day (and time), the kind and the title."""
    time = f" {occurrence.start:%H:%M}" if occurrence.start is not None else ""
    return {
        "when": f"{occurrence.date:%a %d %b}{time}",
        "what": occurrence.kind.value.replace("_", " "),
        "title": occurrence.title,
    }
