"""Cadences: friendly forms ("quarterly", "second Tuesday") as RFC 5545 recurrence rules.

Every reminder, invite and feed entry of a recurring clock is an expansion of one RRULE by
`expand`, so the schedule and the calendar feed cannot disagree. A rule date that lands on a
non-operational day is kept, or moved to the next or the previous operational day, by the
cadence's policy.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from enum import StrEnum

from dateutil.rrule import rrule, rrulestr

from lifecycle.calendar import OperationalCalendar
from lifecycle.errors import CadenceError
from lifecycle.recurrence import Shape, shape_of

# How far a policy can move a date: enough for Christmas plus a weekend plus closure days.
POLICY_SLACK = dt.timedelta(days=14)


class Policy(StrEnum):
    """What to do with an occurrence that falls on a non-operational day."""

    KEEP = "keep"
    NEXT = "next"
    PREVIOUS = "previous"


_FREQUENCIES: dict[str, tuple[str, int]] = {
    "daily": ("DAILY", 1),
    "weekly": ("WEEKLY", 1),
    "fortnightly": ("WEEKLY", 2),
    "monthly": ("MONTHLY", 1),
    "quarterly": ("MONTHLY", 3),
    "six-monthly": ("MONTHLY", 6),
    "six monthly": ("MONTHLY", 6),
    "half-yearly": ("MONTHLY", 6),
    "twice a year": ("MONTHLY", 6),
    "annually": ("YEARLY", 1),
    "annual": ("YEARLY", 1),
    "yearly": ("YEARLY", 1),
}
_AMBIGUOUS = {
    "bi-annually", "biannually", "bi-annual", "biannual",
    "bi-monthly", "bimonthly", "bi-weekly", "biweekly",
}  # fmt: skip
_EVERY = re.compile(r"^every\s+(?P<n>\d+|other)\s+(?P<unit>day|week|month|year)s?$")
_UNIT_FREQ = {"day": "DAILY", "week": "WEEKLY", "month": "MONTHLY", "year": "YEARLY"}
_WEEKDAYS = {
    "monday": "MO", "tuesday": "TU", "wednesday": "WE", "thursday": "TH",
    "friday": "FR", "saturday": "SA", "sunday": "SU",
}  # fmt: skip
_ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3,
    "fourth": 4, "4th": 4, "last": -1,
}  # fmt: skip
_NTH_WEEKDAY = re.compile(r"^(?:the\s+)?(?P<nth>\w+)\s+(?P<weekday>[a-z]+)(?:\s+of.*)?$")
_MONTH_DAY = re.compile(r"^(?:day\s+)?(?P<day>\d{1,2})(?:st|nd|rd|th)?(?:\s+of.*)?$")


@dataclass(frozen=True)
class Cadence:
    """A recurrence: an RRULE (without DTSTART), its first date, its policy and last date.

    The rule is always parsed by dateutil (which validates it); when it has one of the common
    shapes (`lifecycle.recurrence`) its dates come from calendar arithmetic instead, several
    times faster and identical.
    """

    rule: str
    anchor: dt.date
    policy: Policy = Policy.KEEP
    until: dt.date | None = None
    _parsed: rrule = field(init=False, repr=False, compare=False, hash=False)
    _shape: Shape | None = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_parsed", parse_rrule(self.rule, self.anchor))
        object.__setattr__(self, "_shape", shape_of(self.rule))

    def rule_dates(self, first: dt.date, last: dt.date) -> list[dt.date]:
        """The dates the rule itself gives between `first` and `last`, before any policy."""
        if self.until is not None:
            last = min(last, self.until)
        if last < first:
            return []
        if self._shape is not None:
            return self._shape.dates(self.anchor, first, last)
        start = dt.datetime.combine(first, dt.time())
        end = dt.datetime.combine(last, dt.time())
        return [moment.date() for moment in self._parsed.between(start, end, inc=True)]

    def first_date(self) -> dt.date | None:
        """The first date the rule gives at all, or None when it gives none."""
        moment = self._parsed.after(dt.datetime.combine(self.anchor, dt.time()), inc=True)
        if moment is None or (self.until is not None and moment.date() > self.until):
            return None
        return moment.date()


@dataclass(frozen=True, slots=True)
class CadenceDate:
    """One occurrence after the policy: the day it falls on and, if moved, the rule's day."""

    date: dt.date
    moved_from: dt.date | None = None


def expand(
    cadence: Cadence, first: dt.date, last: dt.date, calendar: OperationalCalendar
) -> list[CadenceDate]:
    """Occurrences falling between `first` and `last` inclusive, after the policy."""
    rule_dates = cadence.rule_dates(first - POLICY_SLACK, last + POLICY_SLACK)
    policy = cadence.policy
    if policy is Policy.KEEP:
        return [CadenceDate(day) for day in rule_dates if first <= day <= last]
    is_operational = calendar.is_operational
    move = calendar.next_on_or_after if policy is Policy.NEXT else calendar.previous_on_or_before
    result: list[CadenceDate] = []
    for day in rule_dates:  # `apply_policy` written out: this loop runs for every date
        moved = CadenceDate(day) if is_operational(day) else CadenceDate(move(day), day)
        if first <= moved.date <= last:
            result.append(moved)
    return result


def apply_policy(day: dt.date, policy: Policy, calendar: OperationalCalendar) -> CadenceDate:
    """Keep `day`, or move it to the next or previous operational day."""
    if policy is Policy.KEEP or calendar.is_operational(day):
        return CadenceDate(day)
    if policy is Policy.NEXT:
        return CadenceDate(calendar.next_on_or_after(day), moved_from=day)
    return CadenceDate(calendar.previous_on_or_before(day), moved_from=day)


def parse_rrule(rule: str, anchor: dt.date) -> rrule:
    """Parse an RRULE (with or without the "RRULE:" prefix) starting at `anchor`."""
    text = rule.strip().removeprefix("RRULE:")
    try:
        parsed = rrulestr(text, dtstart=dt.datetime.combine(anchor, dt.time()))
    except (ValueError, TypeError, IndexError, KeyError) as error:
        raise CadenceError(rule, f"not a valid RFC 5545 RRULE ({error})") from error
    if not isinstance(parsed, rrule):
        raise CadenceError(rule, "expected a single RRULE")
    return parsed


def is_raw_rrule(frequency: str) -> bool:
    """True when the text is an RRULE rather than a friendly form."""
    return frequency.strip().upper().startswith(("FREQ=", "RRULE:"))


def friendly_to_rrule(frequency: str, day_rule: str | None, anchor: dt.date) -> str:
    """Turn "quarterly" plus "second Tuesday" (or a raw RRULE) into an RRULE.

    Without a day rule the rule falls on the anchor's day of the month; anchors after the
    28th clip to the month's end (BYMONTHDAY=28..d;BYSETPOS=-1), as calendar-month
    arithmetic does, instead of RFC 5545's default of skipping short months.
    """
    if is_raw_rrule(frequency):
        if day_rule:
            raise CadenceError(frequency, "give the day inside the RRULE, not as a separate day")
        rule = frequency.strip().removeprefix("RRULE:").removeprefix("rrule:")
        parse_rrule(rule, anchor)
        return rule
    freq, interval = _friendly_frequency(frequency)
    parts = [f"FREQ={freq}"] if interval == 1 else [f"FREQ={freq}", f"INTERVAL={interval}"]
    if day_rule:
        parts = _with_day_rule(freq, interval, day_rule)
    elif freq in ("MONTHLY", "YEARLY") and anchor.day > 28:
        days = ",".join(str(day) for day in range(28, anchor.day + 1))
        month = [f"BYMONTH={anchor.month}"] if freq == "YEARLY" else []
        parts += [*month, f"BYMONTHDAY={days}", "BYSETPOS=-1"]
    return ";".join(parts)


def _friendly_frequency(frequency: str) -> tuple[str, int]:
    text = " ".join(frequency.lower().split())
    if text in _AMBIGUOUS:
        raise CadenceError(
            frequency,
            "ambiguous: it means twice a year to some readers and every two years to others; "
            'write "six-monthly" or "every 2 years"',
        )
    if text in _FREQUENCIES:
        return _FREQUENCIES[text]
    match = _EVERY.match(text)
    if match is None:
        known = ", ".join(sorted(_FREQUENCIES))
        raise CadenceError(
            frequency, f'expected one of {known}, "every N months" or an RRULE such as FREQ=...'
        )
    count = 2 if match["n"] == "other" else int(match["n"])
    if count <= 0:
        raise CadenceError(frequency, "the interval must be at least 1")
    return _UNIT_FREQ[match["unit"]], count


def _with_day_rule(freq: str, interval: int, day_rule: str) -> list[str]:
    text = " ".join(day_rule.lower().split())
    if freq == "YEARLY":
        freq, interval = "MONTHLY", 12 * interval
    head = [f"FREQ={freq}"] if interval == 1 else [f"FREQ={freq}", f"INTERVAL={interval}"]
    weekday = _WEEKDAYS.get(text.removeprefix("every ").removesuffix("s"))
    if weekday is not None:
        if freq not in ("WEEKLY", "DAILY"):
            raise CadenceError(day_rule, 'a weekday alone needs a weekly cadence: "first Monday"')
        return [*head, f"BYDAY={weekday}"]
    if freq not in ("MONTHLY",):
        raise CadenceError(day_rule, "a day of the month needs a monthly or yearly cadence")
    return [*head, _month_day_part(day_rule, text)]


def _month_day_part(day_rule: str, text: str) -> str:
    if text in ("last day", "the last day", "last day of the month"):
        return "BYMONTHDAY=-1"
    match = _NTH_WEEKDAY.match(text)
    if match and match["nth"] in _ORDINALS and match["weekday"] in _WEEKDAYS:
        return f"BYDAY={_ORDINALS[match['nth']]}{_WEEKDAYS[match['weekday']]}"
    match = _MONTH_DAY.match(text)
    if match and 1 <= int(match["day"]) <= 31:
        day = int(match["day"])
        if day <= 28:
            return f"BYMONTHDAY={day}"
        return f"BYMONTHDAY={','.join(str(d) for d in range(28, day + 1))};BYSETPOS=-1"
    raise CadenceError(
        day_rule, 'expected a day such as "second Tuesday", "last Friday", "15th" or "last day"'
    )
