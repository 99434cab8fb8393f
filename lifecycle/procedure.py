"""Procedure ladders: when each step of a dispute or FOI procedure is due and when it closes.

Convention (domain.md): the day a procedure starts is day 0; day 1 is the next operational day
after it; a window of N operational days closes at the end of the N-th. The next step becomes
due on the operational day after the previous window closes, and its own window closes N of
its operational days after that close. A step counted "from start" is due on the start day and
closes N operational days after it. A procedure with `then` starts the named procedure on the
operational day after its last window closes, counting from that close as day 0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lifecycle.agreement import Agreement, Procedure, Step, WindowFrom
from lifecycle.calendar import OperationalCalendar
from lifecycle.errors import ConcordatError

MAX_CHAIN = 20


@dataclass(frozen=True)
class StepWindow:
    """A step of a started procedure: the day it is due and the day its window closes."""

    procedure: str
    index: int
    step: Step
    due: dt.date
    closes: dt.date | None


def ladder(
    procedure: Procedure,
    started_on: dt.date,
    calendar: OperationalCalendar,
    first_due: dt.date | None = None,
) -> list[StepWindow]:
    """The windows of one procedure started on `started_on` (day 0).

    `first_due` is the day the first steps are due when that differs from day 0: a procedure
    handed on from another counts from the day the previous window closed and is due the
    operational day after.
    """
    opened = started_on if first_due is None else first_due
    windows: list[StepWindow] = []
    previous_close: dt.date | None = None
    for index, step in enumerate(procedure.steps):
        if step.window_from is WindowFrom.START or index == 0:
            due, base = opened, started_on
        elif previous_close is None:
            raise ConcordatError(
                f"procedure {procedure.id!r}: step {step.id!r} follows an open-ended step"
            )
        else:
            due, base = calendar.add(previous_close, 1), previous_close
        closes = step.window.after(base, calendar) if step.window is not None else None
        windows.append(StepWindow(procedure.id, index, step, due, closes))
        previous_close = closes
    return windows


def chained_ladder(
    agreement: Agreement, procedure_id: str, started_on: dt.date, calendar: OperationalCalendar
) -> list[StepWindow]:
    """The windows of a procedure and of every procedure it hands on to with `then`."""
    windows: list[StepWindow] = []
    current: str | None = procedure_id
    start, first_due = started_on, started_on
    for _ in range(MAX_CHAIN):
        if current is None:
            return windows
        procedure = agreement.procedure(current)
        if procedure is None:
            raise ConcordatError(f"agreement {agreement.id!r} has no procedure {current!r}")
        steps = ladder(procedure, start, calendar, first_due)
        windows.extend(steps)
        last_close = steps[-1].closes if steps else None
        if last_close is None:
            return windows
        current, start, first_due = procedure.then, last_close, calendar.add(last_close, 1)
    raise ConcordatError(f"procedure {procedure_id!r} hands on more than {MAX_CHAIN} times")
