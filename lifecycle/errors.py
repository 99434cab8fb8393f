"""Domain errors: one root, each error also a subclass of the matching built-in type."""

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


class Refused(ConcordatError, ValueError):
    """Raised when a recorded fact does not apply to the agreement in its current state."""


class UnknownName(ConcordatError, LookupError):
    """Raised when an agreement, party, procedure, case, meeting or variation does not exist."""

    def __init__(self, what: str, name: str, known: list[str]) -> None:
        listing = ", ".join(known) if known else "none"
        super().__init__(f"unknown {what} {name!r} (known: {listing})")
