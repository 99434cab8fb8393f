"""What a calendar feed holds: its scope, its window, and the occurrences it carries.

A feed is for one holder: a contact (a board member), one agreement, or one meeting series.
What it carries is chosen here and nothing is dated here: every date comes from
`timeline.plan`, and every meeting from `series.meeting_series` (derived as the invites'
series: the same UID and dates, but over the feed's window only, and SEQUENCE 0), both given
the agreement's folded facts.

- **agreement**: everything the agreement's plan holds in the window (no reminders).
- **meeting** (`agreement:meeting`): that one series.
- **contact**: every agreement in which a contact with that id appears, and within each only
  what concerns the contact by one rule (`concerns`), the one the messages follow: the
  contact is among `Agreement.recipients(...)` of the thing's recipients (deputies
  included), so a meeting when they are invited (its attendees) and an agreement-level date
  (reviews, deadlines, the last days to serve notice, the term's end and the step deadlines
  of open procedures) when they are notified of it. Nothing from an agreement the contact is
  not party to is ever looked at. The contact's page (`/me/TOKEN`) lists `feed_items` of the
  same content, so page and feed cannot disagree.

Pure: no I/O, no clock (today is passed in).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Literal, get_args

from lifecycle.agreement import Agreement, Meeting
from lifecycle.calendar import OperationalCalendar
from lifecycle.errors import UnknownName
from lifecycle.occurrence import Occurrence, OccurrenceKind, PlanSettings
from lifecycle.series import MeetingSeries, day_of, meeting_series
from lifecycle.state import AgreementState
from lifecycle.timeline import plan

FeedKind = Literal["contact", "agreement", "meeting"]
FEED_KINDS: tuple[FeedKind, ...] = get_args(FeedKind)
DAYS_BACK = 365  # a year of history: last quarter's board and the review just held
DAYS_AHEAD = 548  # about 18 months: a term end's first reminder is 18 months ahead
EMPTY = AgreementState()

# The agreement-level dates a contact's feed carries besides the meetings they attend.
CONTACT_KINDS = frozenset(
    {
        OccurrenceKind.REVIEW,
        OccurrenceKind.DEADLINE,
        OccurrenceKind.NOTICE_DEADLINE,
        OccurrenceKind.TERM_END,
        OccurrenceKind.PROCEDURE_STEP,
    }
)


@dataclass(frozen=True)
class FeedScope:
    """Whose feed: a contact id, an agreement id, or `agreement:meeting`."""

    kind: FeedKind
    target: str

    def __str__(self) -> str:
        return f"{self.kind} {self.target}"


@dataclass(frozen=True)
class DayItem:
    """An all-day entry: a due date. `key` is its stable identity (the UID's local part):
    the agreement, the rule and the rule's own date, so a date moved by a policy or a
    recorded change stays the same entry in the subscriber's calendar."""

    key: str
    date: dt.date
    summary: str
    description: str
    agreement: str
    kind: OccurrenceKind


@dataclass(frozen=True)
class FeedItem:
    """One dated entry of a feed as a page lists it: a meeting of a series (`start` set for a
    timed one) or an all-day due date."""

    date: dt.date
    start: dt.datetime | None
    title: str
    location: str
    agreement: str
    kind: OccurrenceKind


@dataclass(frozen=True)
class FeedContent:
    """What one feed shows in its window: meeting series and all-day entries."""

    series: tuple[MeetingSeries, ...]
    days: tuple[DayItem, ...]


def feed_window(today: dt.date, calendar: OperationalCalendar) -> tuple[dt.date, dt.date]:
    """A year back to about 18 months ahead of `today`, inside the calendar's range."""
    first = max(today - dt.timedelta(days=DAYS_BACK), calendar.first)
    last = min(today + dt.timedelta(days=DAYS_AHEAD), calendar.last)
    return first, max(first, last)


def involved(scope: FeedScope, agreements: Iterable[Agreement]) -> list[Agreement]:
    """The agreements the scope may show anything of (possibly none, when the configuration
    no longer has the target)."""
    if scope.kind == "contact":
        return [a for a in agreements if any(c.id == scope.target for c in a.contacts)]
    if scope.kind == "agreement":
        return [a for a in agreements if a.id == scope.target]
    agreement_id = scope.target.partition(":")[0]
    return [a for a in agreements if a.id == agreement_id]


def check_target(scope: FeedScope, agreements: tuple[Agreement, ...]) -> None:
    """Refuse a scope whose target the configuration does not have, listing the known ones."""
    if involved(scope, agreements) and (scope.kind != "meeting" or _meeting(scope, agreements)):
        return
    if scope.kind == "contact":
        known = sorted({c.id for a in agreements for c in a.contacts})
    elif scope.kind == "agreement":
        known = [a.id for a in agreements]
    else:
        known = [f"{a.id}:{m.id}" for a in agreements for m in a.meetings]
    raise UnknownName(scope.kind, scope.target, known)


def display_name(scope: FeedScope, agreements: tuple[Agreement, ...]) -> str:
    """The calendar's name (X-WR-CALNAME): the contact's name, the agreement's or the
    meeting's title."""
    found = involved(scope, agreements)
    if scope.kind == "contact":
        names = [c.name for a in found for c in a.contacts if c.id == scope.target]
        return f"Concordat: {names[0] if names else scope.target}"
    if scope.kind == "agreement":
        return f"Concordat: {found[0].title if found else scope.target}"
    meeting = _meeting(scope, agreements)
    return f"Concordat: {meeting.title if meeting else scope.target}"


def feed_content(
    scope: FeedScope,
    agreements: tuple[Agreement, ...],
    calendar_for: Callable[[Agreement], OperationalCalendar],
    settings: PlanSettings,
    states: Mapping[str, AgreementState],
    first: dt.date,
    last: dt.date,
) -> FeedContent:
    """Everything the scope's feed shows from `first` to `last`, given each involved
    agreement's folded facts in `states`."""
    series: list[MeetingSeries] = []
    days: list[DayItem] = []
    for agreement in involved(scope, agreements):
        calendar = calendar_for(agreement)
        state = states.get(agreement.id, EMPTY)
        for meeting in _meetings(scope, agreement):
            found = meeting_series(
                only_meeting(agreement, meeting), meeting, calendar, settings, state, first, last
            )
            if found is not None:
                series.append(found)
        if scope.kind == "meeting":
            continue
        # Meetings come from their series above; the plan of the rest does not depend on
        # them, so it is made without expanding them a second time.
        rest = replace(agreement, meetings=())
        occurrences = plan(rest, calendar, settings, first, last, state=state)
        days += [
            _day(occurrence)
            for occurrence in occurrences
            if occurrence.kind is not OccurrenceKind.MEETING
            and _wanted(scope, agreement, state, occurrence)
        ]
    return FeedContent(tuple(series), tuple(days))


def feed_items(content: FeedContent, first: dt.date, last: dt.date) -> list[FeedItem]:
    """The content's meetings (each of its series' planned starts) and due dates dated from
    `first` to `last`, in date and time order."""
    items = [
        _meeting_item(one, start)
        for one in content.series
        for start, _ in one.starts()
        if first <= day_of(start) <= last
    ]
    items += [
        FeedItem(day.date, None, day.summary, "", day.agreement, day.kind)
        for day in content.days
        if first <= day.date <= last
    ]
    return sorted(items, key=_item_order)


def concerns(agreement: Agreement, references: tuple[str, ...], contact_id: str) -> bool:
    """The one rule of what concerns a contact: they are among the recipients the references
    name (an occurrence's `recipients`, a meeting's `attendees`), deputies included, exactly
    as the messages and invites resolve them (`Agreement.recipients`)."""
    return any(contact.id == contact_id for contact in agreement.recipients(references))


def only_meeting(agreement: Agreement, meeting: Meeting) -> Agreement:
    """The agreement with no clock but `meeting` and what bounds it (term, notice): its
    series is the same (a meeting's occurrences depend on nothing else), and the plan it is
    derived from is not made of every review and other meeting again."""
    return replace(agreement, meetings=(meeting,), reviews=(), deadlines=())


def _meeting(scope: FeedScope, agreements: Iterable[Agreement]) -> Meeting | None:
    agreement_id, _, meeting_id = scope.target.partition(":")
    for agreement in agreements:
        if agreement.id == agreement_id:
            return next((m for m in agreement.meetings if m.id == meeting_id), None)
    return None


def _meetings(scope: FeedScope, agreement: Agreement) -> list[Meeting]:
    """The agreement's meetings the scope shows."""
    if scope.kind == "agreement":
        return list(agreement.meetings)
    if scope.kind == "meeting":
        found = _meeting(scope, (agreement,))
        return [found] if found is not None else []
    return [m for m in agreement.meetings if concerns(agreement, m.attendees, scope.target)]


def _wanted(
    scope: FeedScope, agreement: Agreement, state: AgreementState, occurrence: Occurrence
) -> bool:
    """An all-day occurrence the scope shows: all of an agreement's; for a contact, the
    agreement-level dates they are notified of (`concerns`), and a procedure's steps only
    while its case is open."""
    if scope.kind == "agreement":
        return True
    if occurrence.kind not in CONTACT_KINDS:
        return False
    if not concerns(agreement, occurrence.recipients, scope.target):
        return False
    if occurrence.kind is OccurrenceKind.PROCEDURE_STEP:
        case = state.cases.get(occurrence.rule.split(":")[1])
        return case is not None and case.is_open
    return True


def _day(occurrence: Occurrence) -> DayItem:
    """An all-day entry for a due date; its key survives a move (the rule's own date)."""
    rule = occurrence.rule.replace(":", ".")
    key = f"{occurrence.agreement}.{rule}.{occurrence.origin_date:%Y%m%d}"
    description = occurrence.detail
    if occurrence.moved_from is not None and not description:
        description = f"moved from {occurrence.moved_from:%a %d %b %Y}"
    return DayItem(
        key,
        occurrence.date,
        occurrence.title,
        description,
        occurrence.agreement,
        occurrence.kind,
    )


def _item_order(item: FeedItem) -> tuple[dt.date, dt.time, str, str]:
    moment = item.start.time() if item.start is not None else dt.time()
    return (item.date, moment, item.agreement, item.title)


def _meeting_item(series: MeetingSeries, start: dt.datetime | dt.date) -> FeedItem:
    timed = start if isinstance(start, dt.datetime) else None
    kind = OccurrenceKind.MEETING
    return FeedItem(day_of(start), timed, series.title, series.location, series.agreement, kind)
