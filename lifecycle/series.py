"""A meeting as one recurring series: the RRULE plus the exceptions that make its expansion
equal the plan.

Partners' calendars hold a meeting as one VEVENT with an RRULE, EXDATEs and overrides
(RECURRENCE-ID). Re-implementing the non-operational-day policy here would give a second
truth for dates, so the series is *derived from the plan*: `timeline.plan` gives the
meeting's occurrences, the raw rule is expanded over the same span, and the two are compared.
A raw date the plan has no occurrence for is an EXDATE (cancelled, or moved by the policy past
the agreement's end); a planned occurrence whose start or end differs from its raw date's is
an override. Expanding the series therefore gives back the plan, by construction.

The window. The series describes the plan between `first_day` and `last_day` (a caller
passes `series_window`: the term's start to the agreement's last day, or to a horizon of its
choosing when the agreement runs until terminated). The RRULE ends (UNTIL) at the end of
`through`, the last day the series was computed for, so nothing beyond what was compared is
ever claimed: for an open-ended agreement the series is re-issued with a later horizon.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from lifecycle.agreement import Agreement, Meeting
from lifecycle.cadence import Cadence
from lifecycle.calendar import OperationalCalendar
from lifecycle.occurrence import Occurrence, OccurrenceKind, PlanSettings
from lifecycle.state import AgreementState
from lifecycle.state import last_day as agreement_last_day
from lifecycle.timeline import plan

ONE_DAY = dt.timedelta(days=1)
DEFAULT_ZONE = "Europe/London"  # a payload written before invites named their zone

Moment = dt.datetime | dt.date
"""A start or end: an aware local datetime for a timed meeting, a date for an all-day one."""


@dataclass(frozen=True)
class MeetingSeries:
    """One meeting of one agreement as a recurrence: rule, first start, exceptions.

    `first` is the first raw-rule start of the series (a local aware datetime, or a date for
    an all-day meeting). `until` is the agreement's last day (None: it runs until
    terminated); `through` is the last day the series covers, where its RRULE ends.
    `exdates` are raw starts the plan does not have; `overrides` maps a raw start to the
    planned (start, end) that replaces it.
    """

    agreement: str
    meeting: str
    title: str
    location: str
    rule: str
    first: Moment
    duration: dt.timedelta
    until: dt.date | None
    through: dt.date
    exdates: tuple[Moment, ...]
    overrides: tuple[tuple[Moment, tuple[Moment, Moment]], ...]

    @property
    def all_day(self) -> bool:
        """True when the meeting has no time: its starts are dates."""
        return not isinstance(self.first, dt.datetime)

    @property
    def override_map(self) -> dict[Moment, tuple[Moment, Moment]]:
        """The overrides as a mapping from raw start to the new (start, end)."""
        return dict(self.overrides)

    @property
    def fingerprint(self) -> str:
        """A stable hash of everything a recipient acts on, so any change of it shows.

        The title is left out, as in `messages.MEANING`: rewording is not a new meeting.
        """
        parts = [
            self.rule,
            _text(self.first),
            str(self.until),
            self.through.isoformat(),
            str(int(self.duration.total_seconds())),
            self.location,
            ",".join(_text(moment) for moment in self.exdates),
            ",".join(
                f"{_text(raw)}>{_text(start)}/{_text(end)}" for raw, (start, end) in self.overrides
            ),
        ]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]

    def rule_days(self) -> list[dt.date]:
        """The days the rendered rule gives from `first` to `through`, before exceptions."""
        first_date = day_of(self.first)
        return _cadence(self.rule, first_date).rule_dates(first_date, self.through)

    def rule_starts(self) -> list[Moment]:
        """Every start the rendered rule gives from `first` to `through`, before exceptions."""
        days = self.rule_days()
        first = self.first
        if isinstance(first, dt.datetime):
            combine, time = dt.datetime.combine, first.timetz()
            return [combine(day, time) for day in days]
        return days

    def starts(self) -> list[tuple[Moment, Moment]]:
        """The series expanded: each raw start not excluded, replaced by its override where
        it has one. By construction, the plan's occurrences of the meeting.
        (`series_and_spans` makes the same list as it builds the series.)"""
        overrides = self.override_map
        excluded = set(self.exdates)
        end_of = self.end_of
        return [
            overrides.get(raw, (raw, end_of(raw)))
            for raw in self.rule_starts()
            if raw not in excluded
        ]

    def to_payload(self) -> dict[str, Any]:
        """The series as JSON-ready values, for an outbox row (the renderer rebuilds the
        invite from it)."""
        return {
            "agreement": self.agreement,
            "meeting": self.meeting,
            "title": self.title,
            "location": self.location,
            "rule": self.rule,
            "first": _text(self.first),
            "duration": int(self.duration.total_seconds()),
            "until": self.until.isoformat() if self.until else None,
            "through": self.through.isoformat(),
            "exdates": [_text(moment) for moment in self.exdates],
            "overrides": [[_text(raw), _text(s), _text(e)] for raw, (s, e) in self.overrides],
        }

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> MeetingSeries:
        """The series `to_payload` wrote."""
        until = data["until"]
        return cls(
            agreement=data["agreement"],
            meeting=data["meeting"],
            title=data["title"],
            location=data["location"],
            rule=data["rule"],
            first=_moment(data["first"]),
            duration=dt.timedelta(seconds=int(data["duration"])),
            until=dt.date.fromisoformat(until) if until else None,
            through=dt.date.fromisoformat(data["through"]),
            exdates=tuple(_moment(text) for text in data["exdates"]),
            overrides=tuple(
                (_moment(raw), (_moment(start), _moment(end)))
                for raw, start, end in data["overrides"]
            ),
        )

    def end_of(self, start: Moment) -> Moment:
        """The end of a raw occurrence starting at `start`."""
        if isinstance(start, dt.datetime):
            return start + self.duration
        return start + ONE_DAY


def series_window(
    agreement: Agreement, state: AgreementState, horizon: dt.date
) -> tuple[dt.date, dt.date]:
    """The span a series should describe: from the term's start to the agreement's last day
    as the facts leave it, or to `horizon` when the agreement runs until terminated."""
    ends_on = agreement_last_day(agreement, state)
    return agreement.term.start, horizon if ends_on is None else ends_on


def meeting_series(
    agreement: Agreement,
    meeting: Meeting,
    calendar: OperationalCalendar,
    settings: PlanSettings,
    state: AgreementState,
    first_day: dt.date,
    last_day: dt.date,
    window_plan: Sequence[Occurrence] | None = None,
) -> MeetingSeries | None:
    """The series whose expansion is exactly the plan's occurrences of `meeting` from
    `first_day` to `last_day`; None when the plan has none there. `window_plan`: that plan
    (without reminders), when the caller made it once for all the agreement's meetings.

    Raises ValueError if a planned occurrence's own rule date is not a date of the rule as
    rendered: the series could not then carry it, and saying so beats a silent difference.
    """
    found = series_and_spans(
        agreement, meeting, calendar, settings, state, first_day, last_day, window_plan
    )
    return None if found is None else found[0]


def series_and_spans(
    agreement: Agreement,
    meeting: Meeting,
    calendar: OperationalCalendar,
    settings: PlanSettings,
    state: AgreementState,
    first_day: dt.date,
    last_day: dt.date,
    window_plan: Sequence[Occurrence] | None = None,
) -> tuple[MeetingSeries, list[tuple[Moment, Moment]]] | None:
    """`meeting_series`, and its expansion (`starts()`), made in the same walk of the rule's
    dates that finds the exceptions: a caller that needs both (the invite's next meeting)
    does not expand the rule again."""
    if window_plan is None:
        window_plan = plan(agreement, calendar, settings, first_day, last_day, state=state)
    rule_id = f"meeting:{meeting.id}"
    planned = [o for o in window_plan if o.kind is OccurrenceKind.MEETING and o.rule == rule_id]
    if not planned:
        return None
    origins = _by_origin(planned)
    ends_on = agreement_last_day(agreement, state)
    through = _through(meeting.cadence, ends_on, last_day, max(origins))
    start_day = _first_rule_date(meeting.cadence, min([*origins, first_day]), through)
    rule = _without_end(meeting.cadence.rule)
    raw_days = _cadence(rule, start_day).rule_dates(start_day, through)
    missing = sorted(set(origins) - set(raw_days))
    if missing:
        raise ValueError(f"meeting {meeting.id}: {missing[0]} is not a date of {rule!r}")
    series = MeetingSeries(
        agreement=agreement.id,
        meeting=meeting.id,
        title=meeting.title,
        location=meeting.location,
        rule=rule,
        first=_raw_start(start_day, meeting, settings),
        duration=meeting.duration,
        until=ends_on,
        through=through,
        exdates=(),
        overrides=(),
    )
    return _with_exceptions(series, raw_days, origins, meeting, settings)


def planned_occurrences(
    agreement: Agreement,
    meeting: Meeting,
    calendar: OperationalCalendar,
    settings: PlanSettings,
    state: AgreementState,
    first_day: dt.date,
    last_day: dt.date,
) -> list[Occurrence]:
    """The plan's occurrences of this one meeting in the window: the truth a series copies."""
    rule = f"meeting:{meeting.id}"
    return [
        occurrence
        for occurrence in plan(agreement, calendar, settings, first_day, last_day, state=state)
        if occurrence.kind is OccurrenceKind.MEETING and occurrence.rule == rule
    ]


def planned_span(occurrence: Occurrence) -> tuple[Moment, Moment]:
    """An occurrence's (start, end): its times, or its day and the next for an all-day one."""
    if occurrence.start is not None and occurrence.end is not None:
        return occurrence.start, occurrence.end
    return occurrence.date, occurrence.date + ONE_DAY


def _by_origin(planned: Iterable[Occurrence]) -> dict[dt.date, Occurrence]:
    """Planned occurrences keyed by their rule's own date, which must be unique."""
    origins: dict[dt.date, Occurrence] = {}
    for occurrence in planned:
        if occurrence.origin_date in origins:
            raise ValueError(f"two occurrences from the rule date {occurrence.origin_date}")
        origins[occurrence.origin_date] = occurrence
    return origins


def _through(
    cadence: Cadence, ends_on: dt.date | None, window_last: dt.date, last_origin: dt.date
) -> dt.date:
    """The series' last day: the window's end, no later than the agreement's or the
    cadence's own end, but never before a planned occurrence's rule date (a recorded move
    can bring a later rule date into the window)."""
    bounds = [day for day in (window_last, ends_on, cadence.until) if day is not None]
    return max(min(bounds), last_origin)


def _first_rule_date(cadence: Cadence, lowest: dt.date, through: dt.date) -> dt.date:
    """The first date the cadence gives on or after `lowest`: the series' DTSTART.

    Found in a window growing from two months (the dates of a shorter window are the first
    of the longer one's), not by expanding the whole span only to keep its first date."""
    span = 62
    while True:
        end = through if (through - lowest).days <= span else lowest + dt.timedelta(days=span)
        days = cadence.rule_dates(lowest, end)
        if days:
            return days[0]
        if end >= through:
            raise ValueError(f"the rule {cadence.rule!r} gives no date from {lowest} to {through}")
        span *= 4


@functools.lru_cache(maxsize=1024)
def _cadence(rule: str, anchor: dt.date) -> Cadence:
    """The rendered rule from `anchor`, parsed once: series of many agreements share both,
    and a feed or an invite expands the same series again and again."""
    return Cadence(rule, anchor)


def _without_end(rule: str) -> str:
    """The rule without COUNT or UNTIL: the series' own UNTIL bounds it, and exceptions
    cover whatever the cadence's count would have left out."""
    text = rule.strip().removeprefix("RRULE:")
    parts = [
        part
        for part in text.split(";")
        if part and not part.upper().startswith(("COUNT=", "UNTIL="))
    ]
    return ";".join(parts)


def _raw_start(day: dt.date, meeting: Meeting, settings: PlanSettings) -> Moment:
    """Where the raw rule puts an occurrence on `day`: at the meeting's local time, or the day."""
    if meeting.time is None:
        return day
    return dt.datetime.combine(day, meeting.time, tzinfo=settings.timezone)


def _with_exceptions(
    series: MeetingSeries,
    raw_days: list[dt.date],
    origins: dict[dt.date, Occurrence],
    meeting: Meeting,
    settings: PlanSettings,
) -> tuple[MeetingSeries, list[tuple[Moment, Moment]]]:
    """Compare every raw date with the plan: absent is an EXDATE, different is an override.
    With the series, its `starts()`: each raw span kept, or its override (`_raw_start` is
    the start `rule_starts` gives: the meeting's time and zone on the day)."""
    exdates: list[Moment] = []
    overrides: list[tuple[Moment, tuple[Moment, Moment]]] = []
    spans: list[tuple[Moment, Moment]] = []
    for day in raw_days:
        raw = _raw_start(day, meeting, settings)
        occurrence = origins.get(day)
        if occurrence is None:
            exdates.append(raw)
            continue
        span = planned_span(occurrence)
        kept = (raw, series.end_of(raw))
        if _same(span, kept):
            spans.append(kept)
        else:
            overrides.append((raw, span))
            spans.append(span)
    return replace(series, exdates=tuple(exdates), overrides=tuple(overrides)), spans


def _same(one: tuple[Moment, Moment], other: tuple[Moment, Moment]) -> bool:
    """Equal spans: same types, same instants and same wall times."""
    return _same_moment(one[0], other[0]) and _same_moment(one[1], other[1])


def _same_moment(one: Moment, other: Moment) -> bool:
    """Equal as `_text` writes them. Two dates, or two datetimes of one tzinfo and fold
    (their offsets then follow from the wall time), are equal exactly when `==` says so,
    without writing either out: this runs for every date of every series."""
    kind = type(one)
    if kind is type(other):
        if kind is dt.date:
            return one == other
        if (
            kind is dt.datetime
            and isinstance(one, dt.datetime)
            and isinstance(other, dt.datetime)
            and one.tzinfo is other.tzinfo
            and one.fold == other.fold
        ):
            return one == other
    return _text(one) == _text(other)


def day_of(moment: Moment) -> dt.date:
    """The day a moment falls on."""
    return moment.date() if isinstance(moment, dt.datetime) else moment


def _text(moment: Moment) -> str:
    """A moment as text that tells a date from a datetime and keeps the UTC offset."""
    return moment.isoformat()


def _moment(text: str) -> Moment:
    """The moment `_text` wrote: a date, or an aware datetime with its offset. A datetime
    read back carries a fixed offset, not the zone: callers that need the zone (to render
    TZID) put it back with `in_zone`."""
    return dt.datetime.fromisoformat(text) if "T" in text else dt.date.fromisoformat(text)


def moment_in_zone(text: str, zone: dt.tzinfo) -> Moment:
    """A moment as `to_payload` wrote it, its datetime (if any) in `zone`."""
    moment = _moment(text)
    return moment.astimezone(zone) if isinstance(moment, dt.datetime) else moment


def payload_series(payload: dict[str, Any]) -> tuple[MeetingSeries, ZoneInfo]:
    """The series an invite's payload carries, its times in the site's zone (the payload's
    `timezone`), and that zone."""
    zone = ZoneInfo(str(payload.get("timezone") or DEFAULT_ZONE))
    return in_zone(MeetingSeries.from_payload(payload["series"]), zone), zone


def in_zone(series: MeetingSeries, zone: dt.tzinfo) -> MeetingSeries:
    """The series with every datetime in `zone` (a series read from a payload has fixed
    offsets; the invite needs the zone itself, for its VTIMEZONE and TZID)."""

    def moved(moment: Moment) -> Moment:
        return moment.astimezone(zone) if isinstance(moment, dt.datetime) else moment

    return replace(
        series,
        first=moved(series.first),
        exdates=tuple(moved(m) for m in series.exdates),
        overrides=tuple((moved(r), (moved(s), moved(e))) for r, (s, e) in series.overrides),
    )
