"""Numbers, durations and dates as English legal drafting writes them.

"six (6) months", "a 3 year period", "twenty working days", "1st April 2022", "October 1st
2019", "30.06.2019", "September 2019" and "2022/23" are all read here, by regular
expressions, so that every rule in `extract.phrases` reads them the same way.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

_UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90}
NUMBER_WORDS: dict[str, int] = {"a": 1, "an": 1, **_UNITS, **_TENS}
for _tens, _value in _TENS.items():
    for _unit, _add in list(_UNITS.items())[:9]:
        NUMBER_WORDS[f"{_tens}-{_unit}"] = _value + _add

_WORD_ALTERNATION = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
# A count: digits or words, optionally followed by the digits again in brackets ("six (6)").
NUMBER = rf"(?:\d{{1,3}}|(?:{_WORD_ALTERNATION}))(?:\s*\(\d{{1,3}}\))?"

DAY_KINDS = ("working", "business", "operational", "calendar", "clear")
DURATION = re.compile(
    rf"\b(?P<n>{NUMBER})[\s-]+(?:\(\d{{1,3}}\)\s*)?"
    rf"(?:(?P<daykind>{'|'.join(DAY_KINDS)})[\s-]+)?"
    r"(?P<unit>day|week|month|year)s?\b(?:['’]s?)?",
    re.IGNORECASE,
)


def number_value(text: str) -> int:
    """The value of a count matched by `NUMBER`: "6", "six", "six (6)", "twenty-one", "a"."""
    bracketed = re.search(r"\((\d{1,3})\)", text)
    if bracketed:
        return int(bracketed.group(1))
    word = text.strip().lower()
    return int(word) if word.isdigit() else NUMBER_WORDS[word]


@dataclass(frozen=True)
class Duration:
    """A length of time as the agreement states it: a count, a unit and, for days, what kind
    of day ("working", "operational"...; None for plain days)."""

    count: int
    unit: str  # "day", "week", "month" or "year"
    day_kind: str | None = None

    @property
    def counts_operational_days(self) -> bool:
        """Working, business and operational days all skip weekends and bank holidays."""
        return self.unit == "day" and self.day_kind in ("working", "business", "operational")

    def period(self) -> str:
        """As the configuration writes a period: "6 months", "20 operational days"."""
        unit = "operational day" if self.counts_operational_days else self.unit
        return f"{self.count} {unit}{'' if self.count == 1 else 's'}"


def duration_of(match: re.Match[str]) -> Duration:
    """The `Duration` a `DURATION` match states."""
    kind = match["daykind"].lower() if match["daykind"] else None
    unit = match["unit"].lower()
    return Duration(number_value(match["n"]), unit, kind if unit == "day" else None)


MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower()[:3]: number for name, number in list(MONTHS.items())})
MONTHS["sept"] = 9
MONTH_NAME = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?"
)
_ORDINAL = r"(?:st|nd|rd|th)?"

DATE = re.compile(
    rf"\b(?:(?P<d1>\d{{1,2}}){_ORDINAL}[^\S\t]+(?:of[^\S\t]+)?(?P<m1>{MONTH_NAME})(?:,?[^\S\t]+(?P<y1>\d{{4}}))?"
    rf"|(?P<m2>{MONTH_NAME})[^\S\t]+(?P<d2>\d{{1,2}}){_ORDINAL},?[^\S\t]+(?P<y2>\d{{4}})"
    rf"|(?P<d3>\d{{1,2}})[./](?P<m3>\d{{1,2}})[./](?P<y3>\d{{4}})"
    rf"|(?P<y4>\d{{4}})-(?P<m4>\d{{2}})-(?P<d4>\d{{2}})"
    rf"|(?P<m5>{MONTH_NAME})[^\S\t]+(?P<y5>\d{{4}}))\b",
    re.IGNORECASE,
)
# The same patterns without named groups, to embed in other rules' expressions.
DATE_TEXT = re.sub(r"\(\?P<\w+>", "(?:", DATE.pattern)
DURATION_TEXT = re.sub(r"\(\?P<\w+>", "(?:", DURATION.pattern)
FINANCIAL_YEAR = re.compile(r"\b(?P<y>(?:19|20)\d\d)\s*/\s*(?P<y2>\d\d)\b")


@dataclass(frozen=True)
class StatedDate:
    """A date in the text. `day_stated` is False for "September 2019" (the caller chooses
    the first or last day and says so); `year_stated` is False for "20 April", whose year
    comes from the nearest full date before it."""

    year: int | None
    month: int
    day: int | None
    start: int
    end: int
    text: str

    @property
    def day_stated(self) -> bool:
        return self.day is not None

    @property
    def year_stated(self) -> bool:
        return self.year is not None

    def first_day(self, year: int | None = None) -> dt.date | None:
        """The date, or the first of its month when only a month is given."""
        return self._date(self.day or 1, year)

    def last_day(self, year: int | None = None) -> dt.date | None:
        """The date, or the last of its month when only a month is given."""
        chosen = year if self.year is None else self.year
        if chosen is None:
            return None
        return self._date(self.day or calendar.monthrange(chosen, self.month)[1], year)

    def _date(self, day: int, year: int | None) -> dt.date | None:
        chosen = self.year if self.year is not None else year
        if chosen is None:
            return None
        try:
            return dt.date(chosen, self.month, day)
        except ValueError:
            return None


def _month(text: str) -> int:
    return MONTHS[text.lower().rstrip(".")]


def dates_in(text: str) -> list[StatedDate]:
    """Every date `text` states, in order. Impossible dates (31 June) are left out."""
    found: list[StatedDate] = []
    for match in DATE.finditer(text):
        groups = match.groupdict()
        for suffix in "12345":
            month = groups[f"m{suffix}"]
            if month is None:
                continue
            year_text = groups.get(f"y{suffix}")
            day_text = groups.get(f"d{suffix}")
            number = int(month) if month.isdigit() else _month(month)
            stated = StatedDate(
                int(year_text) if year_text else None,
                number,
                int(day_text) if day_text else None,
                match.start(),
                match.end(),
                match.group(0),
            )
            if 1 <= number <= 12 and (stated.day is None or 1 <= stated.day <= 31):
                found.append(stated)
            break
    return found


def financial_year_end(match: re.Match[str]) -> dt.date | None:
    """31 March at the end of "2022/23"; None when the two years do not follow each other."""
    first = int(match["y"])
    second = int(match["y2"])
    if (first + 1) % 100 != second:
        return None
    return dt.date(first + 1, 3, 31)
