"""Domain errors: one root, each error also a subclass of the matching built-in type.

Refusals (`Refused`, `UnknownName` and their subclasses) say why a command does not apply;
the adapters map the two bases to exit codes (and later HTTP statuses), so each subclass
only has to carry its fields and build its message.
"""

from __future__ import annotations

import datetime as dt


class ConcordatError(Exception):
    """Raised when Concordat refuses something; the root of every error we raise."""


class PeriodError(ConcordatError, ValueError):
    """Raised when a period such as "6 months" cannot be read or is not positive."""

    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason
        super().__init__(f"invalid period {text!r}: {reason}")


class CadenceError(ConcordatError, ValueError):
    """Raised when a cadence (friendly form or RRULE) cannot be understood."""

    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason
        super().__init__(f"invalid cadence {text!r}: {reason}")


class CalendarRangeError(ConcordatError, ValueError):
    """Raised when a date falls outside the years an operational calendar was built for."""

    def __init__(self, day: dt.date, first: dt.date, last: dt.date) -> None:
        self.day = day
        super().__init__(
            f"{day.isoformat()} is outside the operational calendar "
            f"({first.isoformat()} to {last.isoformat()})"
        )


class MalformedId(ConcordatError, ValueError):
    """Raised when a case, variation or outbox id cannot be read (bad input, not a refusal)."""

    def __init__(self, what: str, text: str, expected: str) -> None:
        self.what = what
        self.text = text
        shown = text if len(text) <= 80 else text[:80] + "..."  # 10 KB of input is not echoed
        super().__init__(f"{shown!r} is not a valid {what} id (expected {expected})")


class Refused(ConcordatError, ValueError):
    """Raised when a recorded fact does not apply to the agreement in its current state."""


class UnknownName(ConcordatError, LookupError):
    """Raised when an agreement, party, procedure, case, meeting or variation does not exist."""

    def __init__(self, what: str, name: str, known: list[str]) -> None:
        self.what = what
        self.name = name
        self.known = known
        listing = ", ".join(known) if known else "none"
        super().__init__(f"unknown {what} {name!r} (known: {listing})")


class BeforeStart(Refused):
    """Raised when a day falls before the day it must follow (the agreement's start, the
    case's start or last escalation, the proposal, the service of the notice)."""

    def __init__(self, on: dt.date, what: str, earliest: dt.date) -> None:
        self.on = on
        self.what = what
        self.earliest = earliest
        super().__init__(f"{on} is before {what} ({earliest})")


class AgreementEnded(Refused):
    """Raised when something is recorded for a day after the agreement's last day."""

    def __init__(self, agreement: str, ended: dt.date) -> None:
        self.agreement = agreement
        self.ended = ended
        super().__init__(f"agreement {agreement!r} ended on {ended}")


class OutsideCalendar(Refused):
    """Raised when a day lies outside the operational calendar the plan is computed with."""

    def __init__(self, day: dt.date, first: dt.date, last: dt.date) -> None:
        self.day = day
        self.first = first
        self.last = last
        super().__init__(f"{day} is outside the calendar ({first} to {last})")


class NoNoticeRule(Refused):
    """Raised when notice is served on an agreement that declares no notice rule."""

    def __init__(self, agreement: str) -> None:
        self.agreement = agreement
        super().__init__(f"agreement {agreement!r} declares no notice rule")


class AlreadyEnding(Refused):
    """Raised when notice is served while another notice is in force."""

    def __init__(self, agreement: str, served_on: dt.date, ending: dt.date) -> None:
        self.agreement = agreement
        self.served_on = served_on
        self.ending = ending
        super().__init__(
            f"agreement {agreement!r} is already ending: notice served on "
            f"{served_on} ends it on {ending}"
        )


class InvalidNoticeEnd(Refused):
    """Raised when the end a notice asks for breaks the agreement's notice rule; `earliest`
    is the first end the rule allows."""

    def __init__(
        self, served_on: dt.date, period: str, fy_end: bool, end: dt.date, earliest: dt.date
    ) -> None:
        self.served_on = served_on
        self.end = end
        self.earliest = earliest
        fy = " expiring at the end of a financial year" if fy_end else ""
        super().__init__(
            f"notice served on {served_on} with {period}{fy} cannot end the agreement "
            f"on {end}; the earliest valid end is {earliest}"
        )


class NotAgreedByAll(Refused):
    """Raised when an agreed notice end is not agreed by every party; `missing` are the
    parties that did not agree."""

    def __init__(self, agreement: str, missing: list[str]) -> None:
        self.agreement = agreement
        self.missing = missing
        super().__init__(
            f"an end date outside the notice rule must be agreed by every party of "
            f"{agreement!r}; not agreed by: {', '.join(missing)}"
        )


class AgreedEndNeeded(Refused):
    """Raised when parties agree an end to a notice without saying which day it is."""

    def __init__(self) -> None:
        super().__init__("an agreed notice needs the end date the parties agreed (--ending)")


class EndsBefore(Refused):
    """Raised when a notice would end the agreement after the day it already ends."""

    def __init__(self, current_end: dt.date, end: dt.date) -> None:
        self.current_end = current_end
        self.end = end
        super().__init__(f"the agreement already ends on {current_end}, before {end}")


class NoNoticeInForce(Refused):
    """Raised when a notice is withdrawn but none is in force."""

    def __init__(self, agreement: str) -> None:
        self.agreement = agreement
        super().__init__(f"agreement {agreement!r} has no notice in force to withdraw")


class NoticeAlreadyEnded(Refused):
    """Raised when a notice is withdrawn after it has already ended the agreement."""

    def __init__(self, ending: dt.date) -> None:
        self.ending = ending
        super().__init__(f"the notice already ended the agreement on {ending}")


class TextNeeded(Refused):
    """Raised when a summary is empty: a case or variation must say what it is about."""

    def __init__(self, field: str, hint: str) -> None:
        self.field = field
        super().__init__(f"a {field} is needed: {hint}")


class NotOneLine(Refused):
    """Raised when a one-line field (it ends up in mail headers) holds a line break or
    another control character."""

    def __init__(self, field: str, character: str) -> None:
        self.field = field
        self.character = character
        super().__init__(
            f"the {field} must be one line of text: it contains the control character "
            f"U+{ord(character):04X}; remove line breaks, tabs and control characters"
        )


class TextTooLong(Refused):
    """Raised when a summary or outcome is longer than the limit mail headers can carry."""

    def __init__(self, field: str, length: int, limit: int) -> None:
        self.field = field
        self.length = length
        self.limit = limit
        super().__init__(f"the {field} is {length} characters long; at most {limit} are allowed")


class AtLastStep(Refused):
    """Raised when a case is escalated while already at the last step of its ladder."""

    def __init__(self, case: str, step: str) -> None:
        self.case = case
        self.step = step
        super().__init__(f"case {case} is already at its last step ({step})")


class CaseNotOpen(Refused):
    """Raised when a closed case is escalated or closed again."""

    def __init__(self, case: str, closed_on: dt.date | None) -> None:
        self.case = case
        self.closed_on = closed_on
        super().__init__(f"case {case} is not open: it was closed on {closed_on}")


class AlreadySigned(Refused):
    """Raised when a party signs a variation it has already signed."""

    def __init__(self, party: str, variation: str) -> None:
        self.party = party
        self.variation = variation
        super().__init__(f"{party} has already signed {variation}")


class NoSuchOccurrence(Refused):
    """Raised when a meeting is moved or cancelled on a day the plan shows no occurrence."""

    def __init__(self, meeting: str, day: dt.date) -> None:
        self.meeting = meeting
        self.day = day
        super().__init__(
            f"meeting {meeting!r} has no occurrence on {day}; use the date `concordat plan` shows"
        )


class AlreadyCancelled(Refused):
    """Raised when a meeting occurrence that is already cancelled is cancelled or moved."""

    def __init__(self, meeting: str, day: dt.date) -> None:
        self.meeting = meeting
        self.day = day
        super().__init__(f"the {day} occurrence of {meeting!r} is already cancelled")


class NonexistentLocalTime(Refused):
    """Raised when a local time falls in the hour skipped when the clocks go forward;
    `before` and `after` are the nearest valid times, one on each side of the gap."""

    def __init__(self, local: dt.datetime, zone: str, before: dt.datetime, after: dt.datetime):
        self.local = local
        self.before = before
        self.after = after
        super().__init__(
            f"{local:%Y-%m-%d %H:%M} does not exist in {zone} (the clocks go forward); "
            f"the nearest valid times are {_moment(before)} and {_moment(after)}"
        )


class AmbiguousLocalTime(Refused):
    """Raised when a local time happens twice because the clocks go back; `first` and
    `second` are the two instants it could mean."""

    def __init__(self, local: dt.datetime, zone: str, first: dt.datetime, second: dt.datetime):
        self.local = local
        self.first = first
        self.second = second
        super().__init__(
            f"{local:%Y-%m-%d %H:%M} happens twice in {zone} (the clocks go back); "
            f"give the offset to choose: {first.isoformat(timespec='minutes')} "
            f"({first.tzname()}) or {second.isoformat(timespec='minutes')} ({second.tzname()})"
        )


class MeetingHasNoTime(Refused):
    """Raised when a meeting is moved to a day without a time and has no time of its own."""

    def __init__(self, meeting: str) -> None:
        self.meeting = meeting
        super().__init__(
            f"meeting {meeting!r} has no configured time, so the move needs one: "
            "give --to as YYYY-MM-DDTHH:MM"
        )


class BeyondCalendar(Refused):
    """Raised when a term is extended past the last day the operational calendar covers."""

    def __init__(self, to: dt.date, last: dt.date) -> None:
        self.to = to
        self.last = last
        super().__init__(f"{to} is beyond the operational calendar, which ends on {last}")


class NoEndToExtend(Refused):
    """Raised when an agreement that runs until terminated is extended."""

    def __init__(self, agreement: str) -> None:
        self.agreement = agreement
        super().__init__(
            f"agreement {agreement!r} runs until terminated; there is no end to extend"
        )


class EndingOnNotice(Refused):
    """Raised when an agreement ending on notice is extended: the notice must go first."""

    def __init__(self, agreement: str, served_on: dt.date) -> None:
        self.agreement = agreement
        self.served_on = served_on
        super().__init__(
            f"agreement {agreement!r} is ending on notice served on {served_on}; "
            "withdraw the notice first"
        )


class ExtensionNotLater(Refused):
    """Raised when an extension would not move the agreement's last day later."""

    def __init__(self, current: dt.date, to: dt.date) -> None:
        self.current = current
        self.to = to
        super().__init__(f"the agreement already runs to {current}; an extension must go beyond it")


class BeyondTermLimit(Refused):
    """Raised when a term declared "up to" a last day is extended past that limit without
    saying that this is meant (`--beyond-limit`)."""

    def __init__(self, agreement: str, limit: dt.date, to: dt.date) -> None:
        self.agreement = agreement
        self.limit = limit
        self.to = to
        super().__init__(
            f"agreement {agreement!r} runs for up to its term, which ends on {limit}; "
            f"extending to {to} goes beyond that limit (give --beyond-limit if agreed)"
        )


def _moment(moment: dt.datetime) -> str:
    return f"{moment.isoformat(timespec='minutes')} ({moment.tzname()})"


class FactInFuture(Refused):
    """Raised when a fact is dated after today: only what has happened is recorded."""

    def __init__(self, on: dt.date) -> None:
        self.on = on
        super().__init__(f"{on} is in the future: record what has happened, once it has")


class Unplannable(Refused):
    """Raised when the planner could not follow a fact, so it is refused rather than recorded
    in a log that cannot be edited."""

    def __init__(self, reason: ConcordatError) -> None:
        self.reason = reason
        super().__init__(f"this would leave the agreement unplannable: {reason}")
