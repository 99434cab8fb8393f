"""The five seed agreements: each validates, and the clocks of domain.md's seed table come out
of the plan on the dates the conventions give."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from config.loader import Configuration
from lifecycle.messages import messages_for
from lifecycle.timeline import Occurrence, plan

d = dt.date


def occurrences(
    examples: Configuration, agreement_id: str, first: dt.date, last: dt.date
) -> list[Occurrence]:
    agreement = examples.agreement(agreement_id)
    assert agreement is not None
    return plan(agreement, examples.calendar_for(agreement), examples.settings, first, last)


def test_all_five_seeds_load(examples: Configuration) -> None:
    assert {a.id for a in examples.agreements} == {
        "stockport-0-19",
        "sefton-partnership",
        "nottinghamshire-healthy-families",
        "halton-st-helens-s31",
        "cambs-peterborough-s75",
    }


@pytest.mark.parametrize(
    "agreement",
    [
        "stockport-0-19",
        "sefton-partnership",
        "nottinghamshire-healthy-families",
        "halton-st-helens-s31",
        "cambs-peterborough-s75",
    ],
)
def test_every_seed_plans_something_every_year_it_runs(
    examples: Configuration, agreement: str
) -> None:
    found = occurrences(examples, agreement, d(2008, 1, 1), d(2030, 12, 31))
    years = {o.date.year for o in found if o.kind.value in ("meeting", "review")}
    assert found
    assert [o.sort_key() for o in found] == sorted(o.sort_key() for o in found)
    start = examples.agreement(agreement).term.start.year  # type: ignore[union-attr]
    assert start + 1 in years or agreement == "cambs-peterborough-s75"


def test_sefton_reviews_six_monthly_from_1_july_2022(examples: Configuration) -> None:
    found = occurrences(examples, "sefton-partnership", d(2022, 7, 1), d(2024, 7, 1))
    reviews = [o.date for o in found if o.rule == "review:progress-and-terms"]
    assert reviews == [d(2022, 7, 1), d(2023, 1, 1), d(2023, 7, 1), d(2024, 1, 1), d(2024, 7, 1)]


def test_halton_term_and_notice_at_financial_year_end(examples: Configuration) -> None:
    found = occurrences(examples, "halton-st-helens-s31", d(2008, 1, 1), d(2012, 12, 31))
    notice = [o.date for o in found if o.kind.value == "notice_deadline"]
    assert notice == [d(2008, 9, 30), d(2009, 9, 30), d(2010, 9, 30)]
    assert [o.date for o in found if o.kind.value == "term_end"] == [d(2011, 3, 31)]
    team = Counter(o.date.year for o in found if o.rule == "meeting:team-meeting")
    assert team[2009] == 12


def test_nottinghamshire_cadences_and_first_year_report(examples: Configuration) -> None:
    found = occurrences(
        examples, "nottinghamshire-healthy-families", d(2025, 1, 1), d(2025, 12, 31)
    )
    counts = Counter(o.rule for o in found)
    assert counts["meeting:service-review"] == 12
    assert counts["meeting:strategic-agreement-review"] == 4
    assert counts["meeting:cooperative-partnership"] == 4
    assert counts["meeting:multiagency-board"] == 1
    assert [o.date for o in found if o.rule == "deadline:first-year-delivery-report"] == [
        d(2025, 10, 1)
    ]
    whole = occurrences(examples, "nottinghamshire-healthy-families", d(2024, 1, 1), d(2040, 1, 1))
    assert [o.date for o in whole if o.kind.value == "term_end"] == [d(2033, 9, 30)]


def test_peterborough_up_to_five_years(examples: Configuration) -> None:
    found = occurrences(examples, "cambs-peterborough-s75", d(2019, 1, 1), d(2025, 1, 1))
    assert [o.date for o in found if o.kind.value == "term_end"] == [d(2024, 3, 31)]
    assert d(2019, 6, 30) in {o.date for o in found if o.kind.value == "deadline"}


def test_meetings_never_fall_on_a_non_operational_day(examples: Configuration) -> None:
    for agreement in examples.agreements:
        calendar = examples.calendar_for(agreement)
        for occurrence in plan(
            agreement, calendar, examples.settings, d(2008, 1, 1), d(2030, 12, 31)
        ):
            if occurrence.kind.value == "meeting":
                assert calendar.is_operational(occurrence.date), occurrence


def test_every_message_names_the_clause_its_rule_declares(examples: Configuration) -> None:
    checked = 0
    for agreement in examples.agreements:
        declared = {f"meeting:{m.id}": m.clause for m in agreement.meetings}
        declared |= {f"review:{r.id}": r.clause for r in agreement.reviews}
        declared |= {f"deadline:{d.id}": d.clause for d in agreement.deadlines}
        declared |= {"term:end": agreement.term.clause}
        if agreement.notice is not None:
            declared["notice:latest"] = agreement.notice.clause
        for rule, clause in declared.items():
            assert agreement.clause_of(rule) == clause
        calendar = examples.calendar_for(agreement)
        occurrences = plan(agreement, calendar, examples.settings, dt.date(2024, 1, 1),
                           dt.date(2026, 12, 31), reminders=True)  # fmt: skip
        for message in messages_for(agreement, occurrences, calendar, examples.settings):
            expected = declared.get(message.payload["rule"], "")
            assert message.payload.get("clause", "") == expected, message.key
            checked += bool(expected)
    assert checked > 100  # the examples name clauses for most of their clocks
