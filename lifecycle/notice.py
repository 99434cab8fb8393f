"""Notice: when a notice served on a given day can end an agreement, and the last day to serve.

Convention (domain.md): notice served on S with period P ends the agreement on S + P; when the
notice must expire at the end of a financial year, it ends on the first 31 March T with
S + P <= T. The latest day to serve for an end T is T - P (30 September for six months and
31 March). Where month-end clipping makes later days satisfy S + P <= T too (1 month before
30 Sep: 31 Aug + 1 month = 30 Sep), we return the latest such day, so that `latest_service`
and `earliest_end` never disagree about the same notice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lifecycle.calendar import OperationalCalendar, financial_year_end
from lifecycle.errors import PeriodError
from lifecycle.periods import Period


@dataclass(frozen=True)
class NoticeRule:
    """What an agreement says about notice to terminate."""

    period: Period
    fy_end: bool = False
    form: str = "written"
    clause: str = ""


def earliest_end(
    rule: NoticeRule, served_on: dt.date, calendar: OperationalCalendar | None = None
) -> dt.date:
    """The first day on which a notice served on `served_on` can end the agreement."""
    expiry = rule.period.after(served_on, calendar)
    if not rule.fy_end:
        return expiry
    return financial_year_end(expiry)


def latest_service(
    rule: NoticeRule, end: dt.date, calendar: OperationalCalendar | None = None
) -> dt.date:
    """The last day on which notice can be served to end the agreement on `end`."""
    if rule.period.needs_calendar:
        if calendar is None:
            raise PeriodError(str(rule.period), "operational days need a calendar")
        # The period's last operational day must be on or before `end`, so the notice must
        # be served before the (n-1)-th operational day preceding that last one.
        last_open = calendar.previous_on_or_before(end)
        return calendar.add(last_open, 1 - rule.period.amount) - dt.timedelta(days=1)
    candidate = rule.period.before(end, calendar)
    while rule.period.after(candidate + dt.timedelta(days=1), calendar) <= end:
        candidate += dt.timedelta(days=1)
    return candidate


def is_valid_end(
    rule: NoticeRule, served_on: dt.date, end: dt.date, calendar: OperationalCalendar | None = None
) -> bool:
    """True when a notice served on `served_on` may end the agreement on `end`."""
    if end < earliest_end(rule, served_on, calendar):
        return False
    return not rule.fy_end or end == financial_year_end(end)


def fy_ends_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every 31 March from `first` to `last` inclusive."""
    ends: list[dt.date] = []
    end = financial_year_end(first)
    while end <= last:
        ends.append(end)
        end = dt.date(end.year + 1, 3, 31)
    return ends
