"""Procedure ladders: when each step is due and when its window closes, chained with `then`."""

from __future__ import annotations

import datetime as dt

import pytest

from lifecycle.agreement import (
    Agreement,
    AgreementKind,
    Procedure,
    Step,
    Term,
    WindowFrom,
)
from lifecycle.calendar import OperationalCalendar
from lifecycle.errors import ConcordatError
from lifecycle.periods import Period, Unit
from lifecycle.procedure import StepWindow, chained_ladder, ladder

D = dt.date


def op_days(count: int) -> Period:
    return Period(count, Unit.OPERATIONAL_DAYS)


DISPUTE = Procedure(
    "dispute",
    "Dispute",
    steps=(
        Step("discuss", "Resolve by discussion", op_days(20)),
        Step("board", "Refer to the partnership board", op_days(10)),
        Step("chief-executives", "Refer to the chief executives", None),
    ),
)


def windows(ladder: list[StepWindow]) -> list[tuple[str, str, dt.date, dt.date | None]]:
    return [(window.procedure, window.step.id, window.due, window.closes) for window in ladder]


def test_steps_count_from_the_previous_close(calendar: OperationalCalendar) -> None:
    # Sefton: notified 12 Sep 2022; the state funeral (19 Sep) is not an operational day.
    assert windows(ladder(DISPUTE, D(2022, 9, 12), calendar)) == [
        ("dispute", "discuss", D(2022, 9, 12), D(2022, 10, 11)),
        ("dispute", "board", D(2022, 10, 12), D(2022, 10, 25)),
        ("dispute", "chief-executives", D(2022, 10, 26), None),
    ]


def test_indexes_and_steps_are_carried(calendar: OperationalCalendar) -> None:
    result = ladder(DISPUTE, D(2022, 9, 12), calendar)
    assert [window.index for window in result] == [0, 1, 2]
    assert [window.step for window in result] == list(DISPUTE.steps)


def test_a_procedure_started_on_a_weekend_counts_from_it_as_day_0(
    calendar: OperationalCalendar,
) -> None:
    first = ladder(DISPUTE, D(2022, 9, 10), calendar)[0]  # Saturday
    assert first.due == D(2022, 9, 10)
    assert first.closes == D(2022, 10, 10)


def test_steps_counted_from_start(calendar: OperationalCalendar) -> None:
    procedure = Procedure(
        "foi",
        "Third-party enquiry",
        steps=(
            Step("log", "Log the request", op_days(2)),
            Step("board", "Take to the board", op_days(10), WindowFrom.START),
            Step("respond", "Respond", op_days(20), WindowFrom.START),
            Step("review", "Internal review", op_days(5)),
        ),
    )
    assert windows(ladder(procedure, D(2022, 9, 14), calendar)) == [
        ("foi", "log", D(2022, 9, 14), D(2022, 9, 16)),
        ("foi", "board", D(2022, 9, 14), D(2022, 9, 29)),
        ("foi", "respond", D(2022, 9, 14), D(2022, 10, 13)),
        ("foi", "review", D(2022, 10, 14), D(2022, 10, 20)),
    ]


def test_calendar_length_windows(calendar: OperationalCalendar) -> None:
    procedure = Procedure(
        "variation",
        "Variation",
        steps=(
            Step("propose", "Propose", Period(1, Unit.MONTHS)),
            Step("sign", "Sign", Period(2, Unit.WEEKS)),
        ),
    )
    assert windows(ladder(procedure, D(2024, 1, 31), calendar)) == [
        ("variation", "propose", D(2024, 1, 31), D(2024, 2, 29)),
        ("variation", "sign", D(2024, 3, 1), D(2024, 3, 14)),
    ]


def test_nothing_after_an_open_ended_step_becomes_due_by_the_clock(
    calendar: OperationalCalendar,
) -> None:
    procedure = Procedure(
        "open",
        "Open",
        steps=(
            Step("talk", "Talk", None),
            Step("report", "Report to the board", op_days(10), WindowFrom.START),
            Step("next", "Next", op_days(5)),
        ),
    )
    # A step counted from the start is still due: it does not wait for the open-ended one.
    assert windows(ladder(procedure, D(2022, 9, 14), calendar)) == [
        ("open", "talk", D(2022, 9, 14), None),
        ("open", "report", D(2022, 9, 14), D(2022, 9, 29)),
        ("open", "next", D(2022, 9, 30), D(2022, 10, 6)),
    ]
    stuck = Procedure("open", "Open", steps=(procedure.steps[0], procedure.steps[2]))
    assert windows(ladder(stuck, D(2022, 9, 14), calendar)) == [
        ("open", "talk", D(2022, 9, 14), None),
    ]


def test_an_early_escalation_makes_the_next_step_due_that_day(
    calendar: OperationalCalendar,
) -> None:
    escalated = ladder(DISPUTE, D(2022, 9, 12), calendar, escalations=(D(2022, 9, 20),))
    assert windows(escalated) == [
        ("dispute", "discuss", D(2022, 9, 12), D(2022, 10, 11)),
        ("dispute", "board", D(2022, 9, 20), D(2022, 10, 4)),
        ("dispute", "chief-executives", D(2022, 10, 5), None),
    ]


# --- chaining with `then` ------------------------------------------------------------------


def agreement(*procedures: Procedure) -> Agreement:
    return Agreement(
        id="sefton",
        title="Sefton Partnership",
        kind=AgreementKind.COLLABORATION,
        binding=False,
        parties=(),
        term=Term(start=D(2022, 7, 1)),
        procedures=procedures,
    )


ESCALATE = Procedure(
    "dispute",
    "Dispute",
    steps=(
        Step("discuss", "Resolve by discussion", op_days(20)),
        Step("board", "Refer to the partnership board", op_days(10)),
    ),
    then="arbitration",
)
ARBITRATION = Procedure(
    "arbitration",
    "Arbitration",
    steps=(
        Step("nominate", "Nominate an arbitrator", op_days(10)),
        Step("hearing", "Hearing", None),
    ),
)


def test_then_starts_the_next_procedure_the_day_after_the_last_close(
    calendar: OperationalCalendar,
) -> None:
    result = chained_ladder(agreement(ESCALATE, ARBITRATION), "dispute", D(2022, 9, 12), calendar)
    assert windows(result) == [
        ("dispute", "discuss", D(2022, 9, 12), D(2022, 10, 11)),
        ("dispute", "board", D(2022, 10, 12), D(2022, 10, 25)),
        # counted from 25 Oct 2022 as day 0
        ("arbitration", "nominate", D(2022, 10, 26), D(2022, 11, 8)),
        ("arbitration", "hearing", D(2022, 11, 9), None),
    ]


def test_then_counts_start_steps_from_the_previous_close(calendar: OperationalCalendar) -> None:
    followup = Procedure(
        "arbitration",
        "Arbitration",
        steps=(
            Step("nominate", "Nominate an arbitrator", op_days(10)),
            Step("papers", "Send papers", op_days(15), WindowFrom.START),
        ),
    )
    result = chained_ladder(agreement(ESCALATE, followup), "dispute", D(2022, 9, 12), calendar)
    assert windows(result)[2:] == [
        ("arbitration", "nominate", D(2022, 10, 26), D(2022, 11, 8)),
        ("arbitration", "papers", D(2022, 10, 26), D(2022, 11, 15)),
    ]


def test_without_then_the_chain_is_the_ladder(calendar: OperationalCalendar) -> None:
    result = chained_ladder(agreement(DISPUTE), "dispute", D(2022, 9, 12), calendar)
    assert result == ladder(DISPUTE, D(2022, 9, 12), calendar)


def test_an_open_ended_last_step_ends_the_chain(calendar: OperationalCalendar) -> None:
    open_ended = Procedure("dispute", "Dispute", steps=DISPUTE.steps, then="arbitration")
    result = chained_ladder(agreement(open_ended, ARBITRATION), "dispute", D(2022, 9, 12), calendar)
    assert {window.procedure for window in result} == {"dispute"}
    assert result[-1].closes is None


def test_an_unknown_procedure_is_refused(calendar: OperationalCalendar) -> None:
    with pytest.raises(ConcordatError):
        chained_ladder(agreement(ESCALATE), "dispute", D(2022, 9, 12), calendar)
    with pytest.raises(ConcordatError):
        chained_ladder(agreement(ESCALATE), "nothing", D(2022, 9, 12), calendar)


def test_a_procedure_handing_on_to_itself_is_refused(calendar: OperationalCalendar) -> None:
    loop = Procedure("loop", "Loop", steps=(Step("wait", "Wait", op_days(1)),), then="loop")
    with pytest.raises(ConcordatError):
        chained_ladder(agreement(loop), "loop", D(2022, 9, 12), calendar)
