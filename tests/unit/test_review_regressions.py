"""Regressions found in review: each pins behaviour that was wrong before."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from config.loader import Configuration
from jobs.memory import MemoryStore
from lifecycle import commands as c
from lifecycle.errors import Refused
from lifecycle.facts import MeetingCancelled
from lifecycle.ids import CaseId
from lifecycle.procedure import chained_ladder
from lifecycle.state import AgreementState, fold, last_day
from lifecycle.timeline import plan
from tests.conftest import run_command as run

SEFTON, HALTON, NOTTS = (
    "sefton-partnership",
    "halton-st-helens-s31",
    "nottinghamshire-healthy-families",
)
d = dt.date


def test_a_fact_the_planner_cannot_follow_is_refused_and_not_recorded(
    examples: Configuration,
) -> None:
    store = MemoryStore()
    with pytest.raises(Refused, match="unplannable"):
        run(
            examples,
            store,
            c.StartProcedure(SEFTON, "dispute", "icb", d(2100, 12, 30), "far"),
            d(2100, 12, 30),
        )
    assert store.facts == []


def test_a_fact_dated_in_the_future_is_refused(examples: Configuration) -> None:
    store = MemoryStore()
    with pytest.raises(Refused, match="in the future"):
        run(
            examples,
            store,
            c.StartProcedure(SEFTON, "dispute", "icb", d(2024, 5, 2), "x"),
            d(2024, 5, 1),
        )
    assert store.facts == []


def test_a_fact_recorded_days_late_still_sends_its_first_notice(examples: Configuration) -> None:
    store = MemoryStore()
    run(
        examples,
        store,
        c.StartProcedure(SEFTON, "dispute", "icb", d(2024, 5, 1), "late"),
        d(2024, 5, 7),
    )
    first_step = [k for k in store.rows if ":dispute:discuss:" in k]
    assert first_step


def test_escalation_moves_on_from_the_step_current_that_day(examples: Configuration) -> None:
    agreement = examples.agreement(HALTON)
    assert agreement is not None
    plain = chained_ladder(agreement, "dispute", d(2008, 6, 2), examples.calendar)
    escalated = chained_ladder(
        agreement, "dispute", d(2008, 6, 2), examples.calendar, (d(2008, 6, 24),)
    )
    assert [w.due for w in plain] == [d(2008, 6, 2), d(2008, 6, 17), d(2008, 7, 8)]
    assert [w.due for w in escalated] == [d(2008, 6, 2), d(2008, 6, 17), d(2008, 6, 24)]


def test_escalating_past_the_last_step_is_refused(examples: Configuration) -> None:
    store = MemoryStore()
    run(
        examples,
        store,
        c.StartProcedure(HALTON, "dispute", "pct", d(2008, 6, 2), "x"),
        d(2008, 6, 2),
    )
    case = CaseId.parse(f"{HALTON}.dispute.1")
    run(examples, store, c.EscalateCase(case, d(2008, 6, 24)), d(2008, 6, 24))
    with pytest.raises(Refused, match="already at its last step"):
        run(examples, store, c.EscalateCase(case, d(2008, 6, 25)), d(2008, 6, 25))


def test_invite_for_a_meeting_moved_earlier_is_due_before_it(examples: Configuration) -> None:
    """The series invite is due before the soonest meeting, moved ones included."""
    store = MemoryStore()
    today = d(2024, 10, 20)
    to = dt.datetime(2024, 10, 29, 10, 0, tzinfo=dt.UTC)
    run(examples, store, c.MoveMeeting(NOTTS, "service-review", d(2024, 11, 12), to), today)
    invites = [
        e.message
        for k, e in store.rows.items()
        if k.startswith(f"invite:{NOTTS}:meeting:service-review:series:")
    ]
    assert invites
    assert all(m.due_at.date() < d(2024, 10, 29) for m in invites)
    assert {dt.datetime.fromisoformat(m.payload["start"]) for m in invites} == {to}


def test_a_meeting_moved_far_away_is_still_planned(examples: Configuration) -> None:
    store = MemoryStore()
    today = d(2024, 10, 20)
    to = dt.datetime(2025, 6, 3, 10, 0, tzinfo=dt.UTC)
    run(examples, store, c.MoveMeeting(NOTTS, "service-review", d(2024, 11, 12), to), today)
    agreement = examples.agreement(NOTTS)
    assert agreement is not None
    state = fold(item.fact for item in store.history(NOTTS))
    found = plan(
        agreement, examples.calendar, examples.settings, d(2025, 5, 25), d(2025, 6, 10), state=state
    )
    moved = [o for o in found if o.rule == "meeting:service-review" and o.date == d(2025, 6, 3)]
    assert len(moved) == 1
    assert moved[0].moved_from == d(2024, 11, 12)


def test_a_cancellation_survives_a_new_closure_day(examples: Configuration) -> None:
    agreement = examples.agreement(NOTTS)
    assert agreement is not None
    state = fold([MeetingCancelled(NOTTS, d(2025, 1, 1), "service-review", d(2025, 1, 14))])
    calendar = replace(examples.calendar, closed=examples.calendar.closed | {d(2025, 1, 14)})
    found = plan(agreement, calendar, examples.settings, d(2025, 1, 1), d(2025, 1, 31), state=state)
    assert not [o for o in found if o.rule == "meeting:service-review"]


def test_variation_chasers_stop_when_the_agreement_ends(examples: Configuration) -> None:
    store = MemoryStore()
    run(examples, store, c.ProposeVariation(HALTON, d(2011, 3, 1), "late change"), d(2011, 3, 1))
    agreement = examples.agreement(HALTON)
    assert agreement is not None
    state = fold(item.fact for item in store.history(HALTON))
    found = plan(
        agreement, examples.calendar, examples.settings, d(2011, 3, 1), d(2011, 6, 30), state=state
    )
    chasers = [o.date for o in found if o.kind.value == "variation_chaser"]
    assert chasers
    assert max(chasers) <= d(2011, 3, 31)


def test_a_recorded_extension_never_shortens_the_term(examples: Configuration) -> None:
    agreement = examples.agreement(HALTON)
    assert agreement is not None
    longer = replace(agreement, term=replace(agreement.term, end=d(2012, 3, 31)))
    assert last_day(longer, AgreementState(extended_to=d(2011, 6, 30))) == d(2012, 3, 31)


def test_extending_an_agreement_that_has_ended_is_refused(examples: Configuration) -> None:
    with pytest.raises(Refused, match="ended on 2024-03-31"):
        run(
            examples,
            MemoryStore(),
            c.ExtendTerm("cambs-peterborough-s75", d(2025, 6, 30), d(2024, 6, 1)),
            d(2024, 6, 1),
        )
