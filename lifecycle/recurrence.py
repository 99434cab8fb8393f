"""The common RRULE shapes expanded straight from calendar arithmetic instead of by
`dateutil.rrule`.

`rrule.between` walks every period from the rule's DTSTART to the window's end, rebuilding
month masks as it goes; for a 40-year agreement planned for one month that is 480 months of
work for one date. The shapes the friendly forms produce (and the raw rules people write most)
have a closed form: the n-th weekday of every k-th month, a fixed or clipped day of the month,
once a year, every n weeks or days. `shape_of` recognises those and only those; anything else
(COUNT, UNTIL, several BYDAY values, BYYEARDAY, BYHOUR...) gives None and stays with rrule.
`Shape.dates` gives exactly the dates `rrule.between(start, end, inc=True)` gives for the same
rule and DTSTART at midnight: a hypothesis property test (tests/unit/test_recurrence.py) holds
it to that over random rules, anchors and windows.
"""

from __future__ import annotations

import bisect
import calendar as calendar_module
import datetime as dt
import functools
from dataclasses import dataclass
from typing import Literal

Frequency = Literal["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]

_FREQUENCIES: dict[str, Frequency] = {
    "DAILY": "DAILY", "WEEKLY": "WEEKLY", "MONTHLY": "MONTHLY", "YEARLY": "YEARLY",
}  # fmt: skip
_WEEKDAY_CODES = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
_KNOWN_KEYS = frozenset({"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "WKST"})


@dataclass(frozen=True, slots=True)
class Shape:
    """A rule whose dates follow from its parts alone.

    Monthly and yearly rules pick one or more days in each chosen month: `nth` and `weekday`
    for "the n-th (or last) weekday", else `month_days` (negative counts from the month's
    end) narrowed by `setpos` (-1: the last day of the set that exists, as the friendly
    "28th..31st" clipping uses). `month` fixes the month of a yearly rule (None: the
    anchor's). Weekly and daily rules use `weekday` (None: the anchor's) and `wkst`.
    """

    freq: Frequency
    interval: int = 1
    weekday: int | None = None
    nth: int = 0
    month_days: tuple[int, ...] = ()
    setpos: int = 0
    month: int | None = None
    wkst: int | None = None

    def dates(self, anchor: dt.date, first: dt.date, last: dt.date) -> list[dt.date]:
        """The rule's dates from `first` to `last` inclusive, for DTSTART `anchor`."""
        low = max(first, anchor)
        if last < low:
            return []
        if self.freq == "DAILY":
            return _stepped(anchor, low, last, self.interval)
        if self.freq == "WEEKLY":
            return self._weekly(anchor, low, last)
        return self._by_month(anchor, low, last)

    def _weekly(self, anchor: dt.date, low: dt.date, last: dt.date) -> list[dt.date]:
        """Every `interval`-th week counted from the anchor's week (weeks begin on `wkst`),
        on the rule's weekday; a day of the anchor's week before the anchor does not count.
        Without WKST, weeks begin on `calendar.firstweekday()` (Monday) as in dateutil."""
        weekday = anchor.weekday() if self.weekday is None else self.weekday
        wkst = calendar_module.firstweekday() if self.wkst is None else self.wkst
        week_start = anchor - dt.timedelta(days=(anchor.weekday() - wkst) % 7)
        start = week_start + dt.timedelta(days=(weekday - wkst) % 7)
        return _stepped(start, low, last, 7 * self.interval)

    def _by_month(self, anchor: dt.date, low: dt.date, last: dt.date) -> list[dt.date]:
        """Walk the chosen months from the first that can reach `low`, taking each month's
        days (sorted, and the months in order: the whole is sorted), then keep `low` to
        `last`."""
        if self.freq == "YEARLY":
            month = anchor.month if self.month is None else self.month
            base, step = anchor.year * 12 + month - 1, 12 * self.interval
        else:
            base, step = anchor.year * 12 + anchor.month - 1, self.interval
        low_index = low.year * 12 + low.month - 1
        skip = max(0, (low_index - base) // step)
        weekday, nth, month_days, setpos = self.weekday, self.nth, self.month_days, self.setpos
        result: list[dt.date] = []
        for index in range(base + skip * step, last.year * 12 + last.month, step):
            year, month0 = divmod(index, 12)
            result += _month_dates(weekday, nth, month_days, setpos, year, month0 + 1, anchor.day)
        return result[bisect.bisect_left(result, low) : bisect.bisect_right(result, last)]


@functools.lru_cache(maxsize=65536)
def _month_dates(
    weekday: int | None,
    nth: int,
    month_days: tuple[int, ...],
    setpos: int,
    year: int,
    month: int,
    anchor_day: int,
) -> tuple[dt.date, ...]:
    """The dates of this month a monthly or yearly rule gives, in order; none when they do
    not exist. Cached: every agreement walks the same few hundred months with the same few
    rules, and a series is expanded over years."""
    first_weekday, length = _month_facts(year, month)
    if weekday is not None:
        days = _nth_weekday(nth, weekday, first_weekday, length)
    else:
        wanted = month_days or (anchor_day,)
        days = sorted({d if d > 0 else length + 1 + d for d in wanted if abs(d) <= length})
        if setpos and days:
            days = [days[setpos - 1 if setpos > 0 else setpos]]
    return tuple(dt.date(year, month, day) for day in days)


@functools.lru_cache(maxsize=4096)
def _month_facts(year: int, month: int) -> tuple[int, int]:
    """The weekday of the month's first day and its length; cached, as every agreement walks
    the same few hundred months."""
    return calendar_module.monthrange(year, month)


def _stepped(start: dt.date, low: dt.date, last: dt.date, step: int) -> list[dt.date]:
    """`start` + k * `step` days (k >= 0) from `low` to `last` inclusive."""
    origin = start.toordinal()
    begin = max(0, -((origin - low.toordinal()) // step)) * step + origin
    return [dt.date.fromordinal(day) for day in range(begin, last.toordinal() + 1, step)]


def _nth_weekday(nth: int, weekday: int, first_weekday: int, length: int) -> list[int]:
    """The day of the month of its `nth` `weekday` (-1: the last), or none if it has none."""
    if nth > 0:
        day = 1 + (weekday - first_weekday) % 7 + 7 * (nth - 1)
    else:
        last_weekday = (first_weekday + length - 1) % 7
        day = length - (last_weekday - weekday) % 7 - 7 * (-nth - 1)
    return [day] if 1 <= day <= length else []


@functools.lru_cache(maxsize=4096)
def shape_of(rule: str) -> Shape | None:
    """The rule's shape, or None when only rrule can expand it. Cached by text: thousands of
    agreements share a handful of rules."""
    try:
        parts = dict(_split(part) for part in rule.strip().removeprefix("RRULE:").split(";"))
    except ValueError:
        return None
    if not parts.keys() <= _KNOWN_KEYS:
        return None
    try:
        return _shape(parts)
    except (ValueError, KeyError):
        return None


def _split(part: str) -> tuple[str, str]:
    key, value = part.split("=")
    return key.strip().upper(), value.strip().upper()


def _shape(parts: dict[str, str]) -> Shape | None:
    freq = _FREQUENCIES[parts["FREQ"]]
    interval = int(parts.get("INTERVAL", "1"))
    wkst = _WEEKDAY_CODES[parts["WKST"]] if "WKST" in parts else None
    if interval < 1:
        return None
    if freq in ("DAILY", "WEEKLY"):
        return _short_shape(freq, interval, parts, wkst)
    if freq == "MONTHLY" and "BYMONTH" in parts:
        return None
    month = int(parts["BYMONTH"]) if "BYMONTH" in parts else None
    if freq == "YEARLY" and month is None and len(parts.keys() - {"FREQ", "INTERVAL", "WKST"}):
        return None  # a yearly rule with a day but no month falls in every month: rare
    if month is not None and not 1 <= month <= 12:
        return None
    if "BYDAY" in parts:
        return _weekday_shape(freq, interval, parts, month)
    setpos = int(parts.get("BYSETPOS", "0"))
    days = tuple(int(d) for d in parts["BYMONTHDAY"].split(",")) if "BYMONTHDAY" in parts else ()
    if setpos not in (0, 1, -1) or (setpos and not days) or not all(days):
        return None
    if not all(-31 <= d <= 31 for d in days):
        return None
    return Shape(freq, interval, month_days=days, setpos=setpos, month=month)


def _weekday_shape(
    freq: Frequency, interval: int, parts: dict[str, str], month: int | None
) -> Shape | None:
    """ "The n-th weekday": one BYDAY with an ordinal from -1 to 4 or 5, and nothing else."""
    if parts.keys() & {"BYMONTHDAY", "BYSETPOS"} or freq == "YEARLY":
        return None
    code = parts["BYDAY"]
    nth_text, weekday_code = code[:-2], code[-2:]
    if "," in code or weekday_code not in _WEEKDAY_CODES or not nth_text:
        return None
    nth = int(nth_text)
    if nth == 0 or not -5 <= nth <= 5:
        return None
    return Shape("MONTHLY", interval, _WEEKDAY_CODES[weekday_code], nth, month=month)


def _short_shape(
    freq: Frequency, interval: int, parts: dict[str, str], wkst: int | None
) -> Shape | None:
    """Every n days, or every n weeks on one weekday (a daily rule on one weekday is weekly)."""
    extra = parts.keys() - {"FREQ", "INTERVAL", "WKST", "BYDAY"}
    if extra:
        return None
    if "BYDAY" not in parts:
        return Shape(freq, interval, wkst=wkst)
    code = parts["BYDAY"]
    if code not in _WEEKDAY_CODES or (freq == "DAILY" and interval != 1):
        return None
    return Shape("WEEKLY", interval, _WEEKDAY_CODES[code], wkst=wkst)
