"""lifecycle/dashboard.py on the examples: where an agreement stands, its next last day to
serve notice, and an open case's current step, checked against hand-counted dates."""

from __future__ import annotations

import datetime as dt

from config.loader import Configuration
from lifecycle.agreement import Agreement
from lifecycle.dashboard import Standing, current_step, next_notice_deadline, standing, unsigned
from lifecycle.state import AgreementState, Case, Notice, Variation

HALTON = "halton-st-helens-s31"


def halton(examples: Configuration) -> Agreement:
    found = examples.agreement(HALTON)
    assert found is not None
    return found


def test_standing_follows_the_term_notice_and_extension(examples: Configuration) -> None:
    agreement = halton(examples)  # 1 Apr 2008 for three years: last day 31 Mar 2011
    empty = AgreementState()
    assert standing(agreement, empty, dt.date(2008, 3, 31)) is Standing.NOT_STARTED
    assert standing(agreement, empty, dt.date(2008, 4, 1)) is Standing.RUNNING
    assert standing(agreement, empty, dt.date(2011, 3, 31)) is Standing.RUNNING
    assert standing(agreement, empty, dt.date(2011, 4, 1)) is Standing.ENDED
    served = AgreementState(notice=Notice("halton", dt.date(2009, 6, 1), dt.date(2010, 3, 31)))
    assert standing(agreement, served, dt.date(2009, 6, 2)) is Standing.NOTICE_SERVED
    assert standing(agreement, served, dt.date(2010, 4, 1)) is Standing.ENDED
    extended = AgreementState(extended_to=dt.date(2012, 3, 31))
    assert standing(agreement, extended, dt.date(2011, 4, 1)) is Standing.RUNNING


def test_the_next_notice_deadline_is_six_months_before_the_next_31_march(
    examples: Configuration,
) -> None:
    agreement = halton(examples)
    calendar = examples.calendar_for(agreement)
    settings = examples.settings

    def deadline(day: dt.date, state: AgreementState | None = None) -> tuple[object, ...]:
        found = next_notice_deadline(agreement, state or AgreementState(), calendar, settings,
                                     day)  # fmt: skip
        return () if found is None else (found.last_day, found.ends_on, found.days_left)

    assert deadline(dt.date(2009, 6, 1)) == (dt.date(2009, 9, 30), dt.date(2010, 3, 31), 121)
    assert deadline(dt.date(2009, 9, 30)) == (dt.date(2009, 9, 30), dt.date(2010, 3, 31), 0)
    assert deadline(dt.date(2009, 10, 1)) == (dt.date(2010, 9, 30), dt.date(2011, 3, 31), 364)
    assert deadline(dt.date(2010, 10, 1)) == ()  # no 31 March left within the term
    served = AgreementState(notice=Notice("halton", dt.date(2009, 6, 1), dt.date(2010, 3, 31)))
    assert deadline(dt.date(2009, 6, 2), served) == ()
    extended = AgreementState(extended_to=dt.date(2013, 3, 31))
    assert deadline(dt.date(2010, 10, 1), extended)[:2] == (dt.date(2011, 9, 30),
                                                             dt.date(2012, 3, 31))  # fmt: skip
    far = calendar.last - dt.timedelta(days=10)
    assert deadline(far) == ()  # near the calendar's end: nothing rather than an error


def test_the_current_step_and_its_operational_days_left(examples: Configuration) -> None:
    agreement = halton(examples)
    calendar = examples.calendar_for(agreement)
    case = Case("c1", "dispute", "halton", dt.date(2009, 5, 28), "Pooled fund")
    step = current_step(agreement, case, calendar, dt.date(2009, 6, 1))
    assert step is not None
    assert step.window.step.id == "commissioning-leads"
    assert step.window.closes == dt.date(2009, 6, 11)  # 10 operational days from Thu 28 May
    assert step.operational_days_left == 8
    on_the_day = current_step(agreement, case, calendar, dt.date(2009, 6, 11))
    assert on_the_day is not None
    assert on_the_day.operational_days_left == 0
    later = current_step(agreement, case, calendar, dt.date(2009, 6, 12))
    assert later is not None
    assert later.window.step.id != "commissioning-leads"  # the next step is due
    escalated = Case("c1", "dispute", "halton", dt.date(2009, 5, 28), "x",
                     escalations=(dt.date(2009, 6, 1),))  # fmt: skip
    moved_on = current_step(agreement, escalated, calendar, dt.date(2009, 6, 1))
    assert moved_on is not None
    assert moved_on.window.due == dt.date(2009, 6, 1)
    assert moved_on.window.step.id != "commissioning-leads"
    closed = Case("c1", "dispute", "halton", dt.date(2009, 5, 28), "x",
                  closed_on=dt.date(2009, 6, 1))  # fmt: skip
    assert current_step(agreement, closed, calendar, dt.date(2009, 6, 1)) is None


def test_unsigned_lists_the_parties_still_to_sign_in_order(examples: Configuration) -> None:
    agreement = halton(examples)
    variation = Variation("v1", "x", dt.date(2009, 5, 1), (("st-helens", dt.date(2009, 5, 2)),))
    state = AgreementState(variations={"v1": variation})
    assert unsigned(agreement, state, "v1") == ("halton", "pct")
