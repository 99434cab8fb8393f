"""What the timeline produces: occurrences, their kinds, and the settings that shape them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple
from zoneinfo import ZoneInfo

from lifecycle.periods import Period, Unit


class OccurrenceKind(StrEnum):
    """What an occurrence is."""

    TERM_START = "term_start"
    MEETING = "meeting"
    REVIEW = "review"
    DEADLINE = "deadline"
    TERM_END = "term_end"
    NOTICE_DEADLINE = "notice_deadline"
    NOTICE_SERVED = "notice_served"
    PROCEDURE_STEP = "procedure_step"
    PROCEDURE_CLOSED = "procedure_closed"
    VARIATION_CHASER = "variation_chaser"
    VARIATION_EFFECTIVE = "variation_effective"
    REMINDER = "reminder"


class Occurrence(NamedTuple):
    """One dated thing: a meeting, a due date, a step of a procedure, or a reminder.

    `start`/`end` are aware local datetimes for timed meetings and None for all-day things;
    `moved_from` is the rule's own date when a non-operational-day policy or a recorded move
    changed it; reminders carry `send_at` (UTC), the date of the thing they remind about in
    `for_date`, and their lead time in `lead`. `detail` is a short extra line for people.
    A named tuple rather than a frozen dataclass: as immutable, and several times cheaper to
    build, which matters when a plan makes millions of them.
    """

    agreement: str
    rule: str
    kind: OccurrenceKind
    title: str
    date: dt.date
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    moved_from: dt.date | None = None
    send_at: dt.datetime | None = None
    for_date: dt.date | None = None
    recipients: tuple[str, ...] = ("all",)
    lead: str | None = None
    location: str = ""
    detail: str = ""
    about: dt.date | None = None  # a reminder's subject's own rule date: part of its identity

    def sort_key(self) -> tuple[dt.date, dt.time, str, str, str, dt.date, str]:
        """Chronological, then stable by agreement, rule, kind and lead."""
        moment = self.start.time() if self.start else dt.time()
        return (
            self.date,
            moment,
            self.agreement,
            self.rule,
            self.kind,  # a StrEnum: compares as its text
            self.for_date or self.date,
            self.lead or "",
        )

    @property
    def origin_date(self) -> dt.date:
        """The date the rule itself gave, before any policy or recorded move."""
        return self.moved_from or self.date


ONE_WEEK = Period(7, Unit.DAYS)
FOUR_WEEKS = Period(28, Unit.DAYS)


@dataclass(frozen=True)
class PlanSettings:
    """Site-wide settings the timeline needs: time zone, send time and default lead times."""

    timezone: ZoneInfo
    send_time: dt.time = dt.time(9, 0)
    meeting_reminders: tuple[Period, ...] = ()
    review_reminders: tuple[Period, ...] = ()
    deadline_reminders: tuple[Period, ...] = ()
    term_reminders: tuple[Period, ...] = ()
    notice_reminders: tuple[Period, ...] = ()
    window_reminders: tuple[Period, ...] = ()  # before a procedure step's window closes
    variation_chase: Period = ONE_WEEK
    invite_lead: Period = FOUR_WEEKS


class Due(NamedTuple):
    """An occurrence and the lead times of the reminders it wants."""

    occurrence: Occurrence
    leads: tuple[Period, ...] = ()
    listed: bool = True  # False: only its reminders are wanted (a window's close)
