"""Procedure ladders: when each step of a dispute or FOI procedure is due and when it closes.

Convention (domain.md): the day a procedure starts is day 0; day 1 is the next operational day
after it; a window of N operational days closes at the end of the N-th. The next step becomes
due on the operational day after the previous window closes, and its own window closes N of
its operational days after that close. A step counted "from start" is due when its procedure
starts and closes N operational days after the procedure's day 0. A procedure with `then`
hands on to the named procedure, counting from the day its last window closed as day 0 and due
the operational day after. An early escalation on day E makes the next step due on E, counted
from E as day 0.
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


@dataclass(frozen=True)
class _Rung:
    procedure: Procedure
    index: int
    step: Step


def ladder(
    procedure: Procedure,
    started_on: dt.date,
    calendar: OperationalCalendar,
    escalations: tuple[dt.date, ...] = (),
) -> list[StepWindow]:
    """The windows of one procedure started on `started_on` (day 0), without hand-on."""
    rungs = [_Rung(procedure, index, step) for index, step in enumerate(procedure.steps)]
    return _walk(rungs, started_on, calendar, escalations)


def chained_ladder(
    agreement: Agreement,
    procedure_id: str,
    started_on: dt.date,
    calendar: OperationalCalendar,
    escalations: tuple[dt.date, ...] = (),
) -> list[StepWindow]:
    """The windows of a procedure and of every procedure it hands on to with `then`."""
    return _walk(_rungs(agreement, procedure_id), started_on, calendar, escalations)


def _rungs(agreement: Agreement, procedure_id: str) -> list[_Rung]:
    rungs: list[_Rung] = []
    current: str | None = procedure_id
    for _ in range(MAX_CHAIN):
        if current is None:
            return rungs
        procedure = agreement.procedure(current)
        if procedure is None:
            raise ConcordatError(f"agreement {agreement.id!r} has no procedure {current!r}")
        rungs += [_Rung(procedure, index, step) for index, step in enumerate(procedure.steps)]
        current = procedure.then
    raise ConcordatError(f"procedure {procedure_id!r} hands on more than {MAX_CHAIN} times")


def _walk(
    rungs: list[_Rung],
    started_on: dt.date,
    calendar: OperationalCalendar,
    escalations: tuple[dt.date, ...],
) -> list[StepWindow]:
    windows: list[StepWindow] = []
    day0, opened = started_on, started_on  # the current procedure's day 0 and due day
    previous_close: dt.date | None = None
    for position, rung in enumerate(rungs):
        escalated = escalations[position - 1] if 0 < position <= len(escalations) else None
        if escalated is not None:
            due = base = escalated
            if rung.index == 0:
                day0 = opened = escalated
        elif position == 0:
            due = base = started_on
        elif previous_close is None:
            if rung.index == 0 or rung.step.window_from is WindowFrom.PREVIOUS:
                break  # an open-ended step: nothing after it becomes due by the clock
            due, base = opened, day0
        elif rung.index == 0:
            day0, opened = previous_close, calendar.add(previous_close, 1)
            due, base = opened, day0
        elif rung.step.window_from is WindowFrom.START:
            due, base = opened, day0
        else:
            due, base = calendar.add(previous_close, 1), previous_close
        closes = rung.step.window.after(base, calendar) if rung.step.window else None
        windows.append(StepWindow(rung.procedure.id, rung.index, rung.step, due, closes))
        previous_close = closes
    return windows
