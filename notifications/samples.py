"""One sample message of every kind, with every field its templates may use filled in: what
`concordat validate` renders each template against (so an override that uses a misspelt or
missing variable fails there, not at 09:00 on the day), and what `concordat preview` shows
for a kind the plan holds none of."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from lifecycle.kinds import CALENDAR_FAMILIES, KINDS, Kind, MessageKind
from lifecycle.messages import Message, occurrence_payload
from lifecycle.occurrence import Occurrence, OccurrenceKind
from lifecycle.reports import SITE, failure_report
from lifecycle.series import MeetingSeries

LONDON = ZoneInfo("Europe/London")
AGREEMENT = "sample-partnership"
RECIPIENT = "alex.lead@council.example.org"
DUE = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 3, 16)


def samples() -> dict[str, Message]:
    """A sample message for every declared kind, by kind name."""
    return {kind.name: sample(kind) for kind in KINDS}


def sample(kind: Kind) -> Message:
    """A message of `kind` about a made-up agreement, every field set."""
    if kind.family is MessageKind.ADMIN_REPORT:
        failed = sample(next(k for k in KINDS if k.name == "meeting_reminder"))
        report = failure_report(failed, "550 5.1.1 no such user", 1, DUE, "it@council.example.org")
        assert report is not None
        return report
    occurrence = _occurrence(kind)
    payload: dict[str, Any] = occurrence_payload(occurrence) | {
        "recipient_name": "Alex Lead",
        "template": kind.name,
        "agreement_title": "Sample partnership agreement",
        "clause": "cl. 8.2",
        "told": ["Sam Chair (Sample NHS Trust)", "Kim Finance (Sample Council)"],
        "operational_days": 10,
        "items": [
            {"when": "Tue 17 Mar 10:00", "what": "meeting", "title": "Partnership board"},
            {"when": "Mon 23 Mar", "what": "deadline", "title": "Annual report due"},
        ],
    }
    if kind.family in CALENDAR_FAMILIES:
        payload |= _series_payload()
    subject = f"{occurrence.title} ({occurrence.date:%a %d %b %Y})"
    key = f"{kind.family.value}:{AGREEMENT}:{occurrence.rule}:{DAY}:{RECIPIENT}"
    return Message(key, AGREEMENT, kind.family, RECIPIENT, DUE, subject, payload, "sample")


def _series_payload() -> dict[str, Any]:
    """A monthly board on the second Tuesday at 10:00, with one meeting moved."""
    first = dt.datetime(2026, 1, 13, 10, 0, tzinfo=LONDON)
    moved = dt.datetime(2026, 4, 14, 10, 0, tzinfo=LONDON)
    series = MeetingSeries(
        agreement=AGREEMENT,
        meeting="board",
        title="Partnership board",
        location="Committee Room 1, Town Hall",
        rule="FREQ=MONTHLY;BYDAY=2TU",
        first=first,
        duration=dt.timedelta(hours=1),
        until=dt.date(2027, 3, 31),
        through=dt.date(2027, 3, 31),
        exdates=(),
        overrides=((moved, (moved + dt.timedelta(days=2), moved + dt.timedelta(days=2, hours=1))),),
    )
    return {
        "series": series.to_payload(),
        "timezone": "Europe/London",
        "attendees": [["Alex Lead", RECIPIENT, "REQ-PARTICIPANT"],
                      ["Sam Chair", "sam.chair@trust.example.org", "CHAIR"]],
    }  # fmt: skip


def _occurrence(kind: Kind) -> Occurrence:
    start = dt.datetime.combine(DAY, dt.time(10, 0), tzinfo=LONDON)
    rule = {
        OccurrenceKind.PROCEDURE_STEP: f"case:{AGREEMENT}.dispute.1:dispute:discussion",
        OccurrenceKind.PROCEDURE_CLOSED: f"case:{AGREEMENT}.dispute.1:closed",
        OccurrenceKind.VARIATION_CHASER: f"variation:{AGREEMENT}.variation.1:chase",
        OccurrenceKind.VARIATION_EFFECTIVE: f"variation:{AGREEMENT}.variation.1:effective",
        OccurrenceKind.NOTICE_SERVED: "notice:served",
    }.get(kind.occurrence or OccurrenceKind.MEETING, f"{kind.reminds_of or 'meeting'}:board")
    if kind.reminds_of == "case":
        rule = f"case:{AGREEMENT}.dispute.1:dispute:discussion"
    timed = kind.occurrence is OccurrenceKind.MEETING or kind.family in (
        MessageKind.INVITE_UPDATE,
        MessageKind.INVITE_CANCEL,
    )
    return Occurrence(
        AGREEMENT if kind.family is not MessageKind.ADMIN_REPORT else SITE,
        rule,
        kind.occurrence or OccurrenceKind.MEETING,
        f"Sample {kind.summary}",
        DAY,
        start if timed else None,
        start + dt.timedelta(hours=1) if timed else None,
        for_date=DAY + dt.timedelta(days=14) if kind.occurrence else None,
        lead="10 operational days" if kind.family is MessageKind.REMINDER else None,
        location="Committee Room 1, Town Hall" if timed else "",
        detail="Sample detail line",
    )
