"""Meeting series as RFC 5545 / RFC 5546 iCalendar: invites (REQUEST, CANCEL) and feeds.

Each meeting series is ONE VEVENT with an RRULE, its EXDATEs and one override VEVENT per
moved occurrence, so a partner's calendar holds one series it can update, not hundreds of
loose events. Everything dated comes from `lifecycle.series.MeetingSeries`, itself derived
from the plan: nothing here computes a date except rendering the series' last day as UNTIL.

- UID is `<agreement>.<meeting>@<domain>`: the same on every run, reload and node, so every
  update or cancellation lands on the series the partner already holds.
- Times carry TZID=Europe/London (the site's zone) and a VTIMEZONE, so a meeting at 10:00
  stays at 10:00 local across the clock changes in every client.
- UNTIL is the end of the series' last day in UTC, as RFC 5545 requires when DTSTART has a
  TZID; for an all-day series it is that DATE.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from typing import Literal, NamedTuple

from icalendar import Calendar, Event, vCalAddress, vRecur, vText

from lifecycle.feeds import DayItem
from lifecycle.series import MeetingSeries, Moment, day_of

PRODID = "-//Concordat//Meeting series//EN"
ROLES = frozenset({"CHAIR", "REQ-PARTICIPANT", "OPT-PARTICIPANT", "NON-PARTICIPANT"})
END_OF_DAY = dt.time(23, 59, 59)
Method = Literal["REQUEST", "CANCEL"]
_END = b"END:VCALENDAR\r\n"
CRLF = b"\r\n"
FOLD = 75
_BREAK = re.compile("\r\n?|[\u2028\u2029\x85]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class Attendee(NamedTuple):
    """Someone invited: name, address and RFC 5545 role (REQ-PARTICIPANT unless chairing)."""

    name: str
    email: str
    role: str = "REQ-PARTICIPANT"


def uid(series: MeetingSeries, domain: str) -> str:
    """The series' UID: stable across runs and nodes, distinct per agreement and meeting."""
    return f"{series.agreement}.{series.meeting}@{domain}"


def invite(
    series: MeetingSeries,
    *,
    method: Method,
    sequence: int,
    organizer: str,
    attendees: Sequence[tuple[str, str, str]],
    domain: str,
    stamp: dt.datetime,
    cancel_occurrence: Moment | None = None,
) -> bytes:
    """An iTIP message for the series: a REQUEST (the series with its overrides), a CANCEL
    of the whole series (STATUS:CANCELLED), or with `cancel_occurrence` (a raw start of the
    series) a CANCEL of that one occurrence by its RECURRENCE-ID."""
    if method == "REQUEST" and cancel_occurrence is not None:
        raise ValueError("cancel_occurrence goes with method CANCEL")
    people = [Attendee(*attendee) for attendee in attendees]
    calendar = _calendar(method)
    common = _Common(uid(series, domain), _utc(stamp), sequence, organizer, people)
    if cancel_occurrence is not None:
        calendar.add_component(_cancelled_occurrence(series, common, cancel_occurrence))
    elif method == "CANCEL":
        calendar.add_component(_master(series, common, status="CANCELLED"))
    else:
        calendar.add_component(_master(series, common, status="CONFIRMED"))
        for override in _overrides(series, common, status="CONFIRMED"):
            calendar.add_component(override)
    return _finish(calendar, series)


def feed(
    series_list: Iterable[MeetingSeries],
    *,
    domain: str,
    stamp: dt.datetime,
    days: Iterable[DayItem] = (),
    name: str | None = None,
) -> bytes:
    """A calendar feed of many series and all-day entries (no METHOD, organizer or
    attendees): for subscription, where the client polls rather than being invited.

    Deterministic: the same inputs give the same bytes (DTSTAMP is `stamp`, the time the
    inputs last changed, never "now"), so its hash is a strong ETag. Clients are asked to
    poll hourly (REFRESH-INTERVAL, and X-PUBLISHED-TTL for Outlook). Text is escaped by
    icalendar (a CR or LF in a title becomes `\\n`, never a new property)."""
    calendar = _calendar(None)
    if name is not None:
        calendar.add("x-wr-calname", vText(safe_text(name)))  # escaped like SUMMARY
    calendar.add("refresh-interval", dt.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    everything = list(series_list)
    for series in everything:
        common = _Common(uid(series, domain), _utc(stamp), 0, None, [])
        calendar.add_component(_master(series, common, status="CONFIRMED"))
        for override in _overrides(series, common, status="CONFIRMED"):
            calendar.add_component(override)
    if everything:
        first = min(day_of(series.first) for series in everything)
        last = max(series.through for series in everything)
        calendar.add_missing_timezones(_tz_first(first), _tz_last(last))
    text: bytes = calendar.to_ical()
    if not text.endswith(_END):
        raise ValueError("icalendar did not end the calendar with END:VCALENDAR")
    entries = b"".join(_day_event(item, domain, _utc(stamp)) for item in days)
    return text.removesuffix(_END) + entries + _END


def day_uid(item: DayItem, domain: str) -> str:
    """An all-day entry's UID: its stable key on the same domain as the series' UIDs."""
    return f"{item.key}@{domain}"


def domain_of(sender: str) -> str:
    """The domain UIDs are made on: the sender's (`[mail] sender`), else "localhost". One
    function for invites and feeds, so a series has the same UID in both."""
    return sender.rpartition("@")[2] or "localhost"


def safe_text(text: str) -> str:
    """Text for a TEXT property: every line break (CR LF, CR, LF) one LF, which icalendar
    writes escaped as `\\n`, and every other control character a space, so no value can
    end its line and start a property of its own."""
    return _CONTROL.sub(" ", _BREAK.sub("\n", text))


def _day_event(item: DayItem, domain: str, stamp: dt.datetime) -> bytes:
    """A VEVENT for one due date, all day (VALUE=DATE) and shown as free time.

    Written line by line rather than through icalendar's components: a feed holds hundreds
    of these, and building each as a component costs several times more than the whole
    rest of the feed. The text values are still escaped by icalendar (`vText`), and every
    line is folded at 75 octets as RFC 5545 asks."""
    lines = [
        "BEGIN:VEVENT",
        f"UID:{_escaped(day_uid(item, domain))}",
        f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}",
        f"DTSTART;VALUE=DATE:{item.date:%Y%m%d}",
        f"DTEND;VALUE=DATE:{item.date + dt.timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{_escaped(item.summary)}",
        *([f"DESCRIPTION:{_escaped(item.description)}"] if item.description else []),
        f"CATEGORIES:{_escaped(item.kind.value)}",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]
    return b"".join(_folded(line.encode()) for line in lines)


def _escaped(text: str) -> str:
    """A TEXT value escaped by icalendar (backslash, `;`, `,` and line breaks)."""
    value: bytes = vText(safe_text(text)).to_ical()
    return value.decode()


def _folded(line: bytes) -> bytes:
    """One content line with CRLF, folded into lines of at most 75 octets (continuations
    start with a space), never inside a UTF-8 character."""
    if len(line) <= FOLD:
        return line + CRLF
    parts, start, limit = [], 0, FOLD
    while len(line) - start > limit:
        end = start + limit
        while end > start and (line[end] & 0xC0) == 0x80:  # a continuation byte
            end -= 1
        parts.append(line[start:end])
        start, limit = end, FOLD - 1
    parts.append(line[start:])
    return b"\r\n ".join(parts) + CRLF


class _Common(NamedTuple):
    """What every VEVENT of one message shares."""

    uid: str
    stamp: dt.datetime
    sequence: int
    organizer: str | None
    attendees: list[Attendee]


def _calendar(method: Method | None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    if method is not None:
        calendar.add("method", method)
    return calendar


def _finish(calendar: Calendar, series: MeetingSeries) -> bytes:
    """Add a VTIMEZONE for every TZID used, covering the series, and serialise: CRLF line
    ends and lines folded at 75 octets, as `to_ical` writes them."""
    calendar.add_missing_timezones(_tz_first(day_of(series.first)), _tz_last(series.through))
    text: bytes = calendar.to_ical()
    return text


def _event(series: MeetingSeries, common: _Common, start: Moment, end: Moment) -> Event:
    """A VEVENT with what every one of ours carries."""
    event = Event()
    event.add("uid", common.uid)
    event.add("dtstamp", common.stamp)
    event.add("sequence", common.sequence)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", series.title)
    if series.location:
        event.add("location", series.location)
    if common.organizer is not None:
        event.add("organizer", _address(common.organizer))
    for attendee in common.attendees:
        event.add("attendee", _attendee(attendee), encode=False)
    return event


def _master(series: MeetingSeries, common: _Common, *, status: str) -> Event:
    """The series itself: first start, RRULE to the series' last day, EXDATEs."""
    event = _event(series, common, series.first, series.end_of(series.first))
    event.add("rrule", _rrule(series))
    if series.exdates:
        event.add("exdate", list(series.exdates))
    event.add("status", status)
    return event


def _overrides(series: MeetingSeries, common: _Common, *, status: str) -> list[Event]:
    """One VEVENT per moved occurrence: its raw start as RECURRENCE-ID, its new times."""
    events = []
    for raw, (start, end) in series.overrides:
        event = _event(series, common, start, end)
        event.add("recurrence-id", raw)
        event.add("status", status)
        events.append(event)
    return events


def _cancelled_occurrence(series: MeetingSeries, common: _Common, raw: Moment) -> Event:
    """A CANCEL of one occurrence, named by its raw start; its times as last planned."""
    if raw not in series.rule_starts():
        raise ValueError(f"{raw} is not an occurrence of the series {common.uid}")
    start, end = series.override_map.get(raw, (raw, series.end_of(raw)))
    event = _event(series, common, start, end)
    event.add("recurrence-id", raw)
    event.add("status", "CANCELLED")
    return event


def _rrule(series: MeetingSeries) -> vRecur:
    """The series' rule bounded by UNTIL: the end of its last day, in UTC for a timed
    series (RFC 5545: UNTIL is UTC when DTSTART has a TZID), the DATE for an all-day one."""
    rule: vRecur = vRecur.from_ical(series.rule)
    if isinstance(series.first, dt.datetime):
        end = dt.datetime.combine(series.through, END_OF_DAY, tzinfo=series.first.tzinfo)
        rule["UNTIL"] = [end.astimezone(dt.UTC)]
    else:
        rule["UNTIL"] = [series.through]
    return rule


def _address(email: str) -> vCalAddress:
    return vCalAddress(f"mailto:{email}")


def _attendee(attendee: Attendee) -> vCalAddress:
    role = attendee.role.upper()
    if role not in ROLES and not role.startswith("X-"):
        raise ValueError(f"{attendee.role!r} is not an RFC 5545 role ({', '.join(sorted(ROLES))})")
    address = _address(attendee.email)
    address.params["CN"] = attendee.name
    address.params["ROLE"] = role
    address.params["PARTSTAT"] = "NEEDS-ACTION"
    address.params["RSVP"] = "TRUE"
    return address


def _utc(stamp: dt.datetime) -> dt.datetime:
    """DTSTAMP is UTC; a naive stamp is refused rather than guessed."""
    if stamp.tzinfo is None:
        raise ValueError("the stamp must be an aware datetime")
    return stamp.astimezone(dt.UTC)


def _tz_first(first: dt.date) -> dt.date:
    """The VTIMEZONE starts a year before the series, so the first start has its offset."""
    return dt.date(first.year - 1, 1, 1)


def _tz_last(last: dt.date) -> dt.date:
    """The VTIMEZONE ends a year after the series' last day."""
    return dt.date(last.year + 2, 1, 1)
