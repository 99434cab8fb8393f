"""Procedure ladders: when each step of a dispute or FOI procedure is due and when it closes.

Convention (domain.md): the day a procedure starts is day 0; day 1 is the next operational day
after it; a window of N operational days closes at the end of the N-th. The next step becomes
due on the operational day after the previous window closes, and its own window closes N of
its operational days after that close. A step counted "from start" is due when its procedure
starts and closes N operational days after the procedure's day 0. A procedure with `then`
hands on to the named procedure, counting from the day its last window closed as day 0 and due
the operational day after. An early escalation on day E makes the step after the one current on
E due on E, counted from E as day 0.
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
    pending = sorted(escalations)
    for position, rung in enumerate(rungs):
        scheduled = _scheduled(rung, position, started_on, day0, opened, previous_close, calendar)
        if position > 0 and pending and (scheduled is None or pending[0] < scheduled[0]):
            due = base = pending.pop(0)  # escalated early: this rung starts that day
            if rung.index == 0:
                day0 = opened = due
        elif scheduled is None:
            break  # after an open-ended step nothing more becomes due by the clock
        else:
            due, base = scheduled
            if rung.index == 0 and previous_close is not None:
                day0, opened = previous_close, due
        closes = rung.step.window.after(base, calendar) if rung.step.window else None
        windows.append(StepWindow(rung.procedure.id, rung.index, rung.step, due, closes))
        previous_close = closes
    return windows


def _scheduled(
    rung: _Rung,
    position: int,
    started_on: dt.date,
    day0: dt.date,
    opened: dt.date,
    previous_close: dt.date | None,
    calendar: OperationalCalendar,
) -> tuple[dt.date, dt.date] | None:
    """(due day, day 0 of its window) by the clock alone, or None when it never falls due."""
    if position == 0:
        return started_on, started_on
    if previous_close is None:
        if rung.index == 0 or rung.step.window_from is WindowFrom.PREVIOUS:
            return None
        return opened, day0
    if rung.index == 0:  # handed on: counted from the close, due the operational day after
        return calendar.add(previous_close, 1), previous_close
    if rung.step.window_from is WindowFrom.START:
        return opened, day0
    return calendar.add(previous_close, 1), previous_close
