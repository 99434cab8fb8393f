"""Every recording command's happy path and every refusal, on the in-memory store (the same
contract as the SQL stores), with the example agreements."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from config.loader import Configuration
from jobs.memory import MemoryStore
from lifecycle import commands as c
from lifecycle.errors import Refused, UnknownName
from lifecycle.ids import CaseId, VariationId
from lifecycle.outbox import State
from tests.conftest import run_command as run

SEFTON, HALTON, NOTTS, CAMBS = (
    "sefton-partnership",
    "halton-st-helens-s31",
    "nottinghamshire-healthy-families",
    "cambs-peterborough-s75",
)
d = dt.date


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


def refused(
    configuration: Configuration,
    store: MemoryStore,
    command: c.Command,
    today: dt.date,
    error: type[Exception],
    match: str,
) -> None:
    before = len(store.facts)
    with pytest.raises(error, match=match):
        run(configuration, store, command, today)
    assert len(store.facts) == before


def test_unknown_agreement(examples: Configuration, store: MemoryStore) -> None:
    refused(
        examples,
        store,
        c.ServeNotice("nope", "halton", d(2009, 9, 1)),
        d(2009, 9, 1),
        UnknownName,
        "unknown agreement 'nope'",
    )


def test_party_not_a_party(examples: Configuration, store: MemoryStore) -> None:
    refused(
        examples,
        store,
        c.ServeNotice(HALTON, "sefton", d(2009, 9, 1)),
        d(2009, 9, 1),
        UnknownName,
        "unknown party 'sefton'",
    )


def test_date_before_the_agreement_starts(examples: Configuration, store: MemoryStore) -> None:
    refused(
        examples,
        store,
        c.StartProcedure(SEFTON, "dispute", "icb", d(2022, 6, 30), "x"),
        d(2022, 6, 30),
        Refused,
        "before agreement 'sefton-partnership' starts",
    )


def test_serve_notice_defaults_to_the_earliest_end(
    examples: Configuration, store: MemoryStore
) -> None:
    outcome = run(examples, store, c.ServeNotice(HALTON, "pct", d(2008, 6, 1)), d(2008, 6, 1))
    assert outcome.state.notice is not None
    assert outcome.state.notice.ending == d(2009, 3, 31)
    assert outcome.report.inserted > 0


def test_notice_ending_off_the_financial_year_is_refused(
    examples: Configuration, store: MemoryStore
) -> None:
    refused(
        examples,
        store,
        c.ServeNotice(HALTON, "pct", d(2008, 6, 1), d(2009, 6, 30)),
        d(2008, 6, 1),
        Refused,
        "earliest valid end is 2009-03-31",
    )


def test_notice_on_an_agreement_without_a_notice_rule(
    examples: Configuration, store: MemoryStore
) -> None:
    refused(
        examples,
        store,
        c.ServeNotice(SEFTON, "icb", d(2023, 1, 3)),
        d(2023, 1, 3),
        Refused,
        "declares no notice rule",
    )


def test_serving_notice_on_an_agreement_already_ending(
    examples: Configuration, store: MemoryStore
) -> None:
    run(examples, store, c.ServeNotice(HALTON, "pct", d(2008, 6, 1)), d(2008, 6, 1))
    refused(
        examples,
        store,
        c.ServeNotice(HALTON, "halton", d(2008, 6, 2)),
        d(2008, 6, 2),
        Refused,
        "already ending",
    )


def test_withdraw_notice_then_serve_again(examples: Configuration, store: MemoryStore) -> None:
    refused(
        examples,
        store,
        c.WithdrawNotice(HALTON, d(2008, 6, 2)),
        d(2008, 6, 2),
        Refused,
        "no notice in force",
    )
    run(examples, store, c.ServeNotice(HALTON, "pct", d(2008, 6, 1)), d(2008, 6, 1))
    withdrawn = run(examples, store, c.WithdrawNotice(HALTON, d(2008, 7, 1)), d(2008, 7, 1))
    assert withdrawn.state.notice is None
    again = run(examples, store, c.ServeNotice(HALTON, "halton", d(2008, 7, 2)), d(2008, 7, 2))
    assert again.state.notice is not None


def test_dispute_lifecycle_and_refusals(examples: Configuration, store: MemoryStore) -> None:
    raised = run(
        examples,
        store,
        c.StartProcedure(SEFTON, "dispute", "cvs", d(2023, 3, 1), "Budget"),
        d(2023, 3, 1),
    )
    case = f"{SEFTON}.dispute.1"
    case_id = CaseId.parse(case)
    assert case in raised.state.cases
    escalated = run(examples, store, c.EscalateCase(case_id, d(2023, 3, 10)), d(2023, 3, 10))
    assert escalated.state.cases[case].escalations == (d(2023, 3, 10),)
    refused(
        examples,
        store,
        c.EscalateCase(case_id, d(2023, 3, 9)),
        d(2023, 3, 10),
        Refused,
        "before the case.s last escalation or start",
    )
    run(examples, store, c.CloseCase(case_id, d(2023, 3, 20), "Agreed"), d(2023, 3, 20))
    refused(
        examples,
        store,
        c.CloseCase(case_id, d(2023, 3, 21), "Again"),
        d(2023, 3, 21),
        Refused,
        "is not open",
    )
    refused(
        examples,
        store,
        c.CloseCase(CaseId.parse(f"{SEFTON}.dispute.9"), d(2023, 3, 21), "x"),
        d(2023, 3, 21),
        UnknownName,
        "unknown case",
    )


def test_resolution_withdraws_pending_steps(examples: Configuration, store: MemoryStore) -> None:
    run(
        examples,
        store,
        c.StartProcedure(SEFTON, "dispute", "cvs", d(2023, 3, 1), "Budget"),
        d(2023, 3, 1),
    )
    pending = {k for k, e in store.rows.items() if ":case:" in k and e.state is State.PENDING}
    close = c.CloseCase(CaseId.parse(f"{SEFTON}.dispute.1"), d(2023, 3, 2), "Agreed")
    run(examples, store, close, d(2023, 3, 2))
    withdrawn = {k for k, e in store.rows.items() if e.state is State.WITHDRAWN}
    later = {k for k in pending if "dispute-escalation" in k}
    assert later
    assert later <= withdrawn


def test_unknown_procedure(examples: Configuration, store: MemoryStore) -> None:
    refused(
        examples,
        store,
        c.StartProcedure(SEFTON, "mediation", "icb", d(2023, 1, 3), "x"),
        d(2023, 1, 3),
        UnknownName,
        "unknown procedure 'mediation'",
    )


def test_foi_enquiry_as_a_procedure(examples: Configuration, store: MemoryStore) -> None:
    outcome = run(
        examples,
        store,
        c.StartProcedure(SEFTON, "third-party-enquiry", "council", d(2023, 1, 3), "FOI 123"),
        d(2023, 1, 3),
    )
    assert f"{SEFTON}.third-party-enquiry.1" in outcome.state.cases
    keys = [k for k in store.rows if "third-party-enquiry" in k]
    assert any(":consult-board:" in k for k in keys)
    assert any(":reply:" in k for k in keys)


def test_meeting_move_and_cancel(examples: Configuration, store: MemoryStore) -> None:
    today = d(2024, 10, 20)
    refused(
        examples,
        store,
        c.CancelMeeting(NOTTS, "service-review", d(2024, 11, 13)),
        today,
        Refused,
        "no occurrence on 2024-11-13",
    )
    refused(
        examples,
        store,
        c.CancelMeeting(NOTTS, "board", d(2024, 11, 12)),
        today,
        UnknownName,
        "unknown meeting 'board'",
    )
    to = dt.datetime(2024, 11, 14, 15, 0, tzinfo=dt.UTC)
    moved = run(examples, store, c.MoveMeeting(NOTTS, "service-review", d(2024, 11, 12), to), today)
    assert moved.state.moved[("service-review", d(2024, 11, 12))] == to

    def series() -> list[dict[str, Any]]:
        prefix = f"invite:{NOTTS}:meeting:service-review:series:"
        return [e.message.payload["series"] for k, e in store.rows.items() if k.startswith(prefix)]

    assert series()
    for each in series():  # the series invite carries the move as an override
        moves = {raw[:10]: start for raw, start, _ in each["overrides"]}
        assert dt.datetime.fromisoformat(moves["2024-11-12"]) == to
    run(examples, store, c.CancelMeeting(NOTTS, "service-review", d(2024, 12, 10)), today)
    for each in series():  # and the cancellation as an EXDATE
        assert any(raw.startswith("2024-12-10") for raw in each["exdates"])
    refused(
        examples,
        store,
        c.CancelMeeting(NOTTS, "service-review", d(2024, 12, 10)),
        today,
        Refused,
        "already cancelled",
    )


def test_variation_needs_every_party_and_refuses_signing_twice(
    examples: Configuration, store: MemoryStore
) -> None:
    proposed = run(
        examples, store, c.ProposeVariation(NOTTS, d(2025, 1, 6), "KPI change"), d(2025, 1, 6)
    )
    variation = f"{NOTTS}.variation.1"
    variation_id = VariationId.parse(variation)
    assert variation in proposed.state.variations
    chasers = [k for k in store.rows if ":chase:" in k]
    assert chasers
    run(examples, store, c.SignVariation(variation_id, "ncc", d(2025, 1, 8)), d(2025, 1, 8))
    refused(
        examples,
        store,
        c.SignVariation(variation_id, "ncc", d(2025, 1, 9)),
        d(2025, 1, 9),
        Refused,
        "already signed",
    )
    run(examples, store, c.SignVariation(variation_id, "nhft", d(2025, 1, 10)), d(2025, 1, 10))
    pending_chasers = [
        k for k, e in store.rows.items() if ":chase:" in k and e.state is State.PENDING
    ]
    assert not [k for k in pending_chasers if k.split(":chase:")[1] > "2025-01-10"]
    assert any(":effective:" in k for k in store.rows)


def test_signatures_recorded_late_withdraw_every_pending_chaser(
    examples: Configuration, store: MemoryStore
) -> None:
    """Both parties signed on 8 Jan 2025 but it was recorded on 1 May: every chaser still
    pending (no dispatcher sent them), also those dated weeks before today, is withdrawn."""
    run(examples, store, c.ProposeVariation(NOTTS, d(2025, 1, 6), "KPI change"), d(2025, 1, 6))
    variation = f"{NOTTS}.variation.1"
    variation_id = VariationId.parse(variation)
    run(examples, store, c.SignVariation(variation_id, "ncc", d(2025, 1, 8)), d(2025, 5, 1))
    before = [k for k, e in store.rows.items() if ":chase:" in k and e.state is State.PENDING]
    assert any(k.split(":chase:")[1] < "2025-04-01" for k in before)
    run(examples, store, c.SignVariation(variation_id, "nhft", d(2025, 1, 8)), d(2025, 5, 1))
    pending = [k for k, e in store.rows.items() if ":chase:" in k and e.state is State.PENDING]
    assert pending == []
    assert not any(":effective:" in k for k in store.rows)  # too late to announce


def test_extend_the_term(examples: Configuration, store: MemoryStore) -> None:
    refused(
        examples,
        store,
        c.ExtendTerm(CAMBS, d(2024, 3, 1), d(2024, 1, 5)),
        d(2024, 1, 5),
        Refused,
        "already runs to 2024-03-31",
    )
    outcome = run(
        examples,
        store,
        c.ExtendTerm(CAMBS, d(2024, 6, 30), d(2024, 1, 5), beyond_limit=True),
        d(2024, 1, 5),
    )
    assert outcome.state.extended_to == d(2024, 6, 30)
    refused(
        examples,
        store,
        c.ExtendTerm(SEFTON, d(2030, 1, 1), d(2024, 1, 5)),
        d(2024, 1, 5),
        Refused,
        "runs until terminated",
    )


def test_commands_after_the_agreement_ended(examples: Configuration, store: MemoryStore) -> None:
    refused(
        examples,
        store,
        c.ProposeVariation(CAMBS, d(2024, 4, 2), "late"),
        d(2024, 4, 2),
        Refused,
        "ended on 2024-03-31",
    )


def test_moving_or_cancelling_after_the_invite_went_out(
    examples: Configuration, store: MemoryStore
) -> None:
    """The series invite went out; a move and then a cancellation make one pending update
    (the whole series again, numbered 1: its SEQUENCE) carrying both; no cancellation, since
    the series goes on."""
    today = d(2024, 10, 20)
    run(examples, store, c.ExtendTerm(NOTTS, d(2034, 3, 31), today, beyond_limit=True), today)
    prefix = f"invite:{NOTTS}:meeting:service-review:series:"
    sent = [k for k in store.rows if k.startswith(prefix)]
    assert sent
    for key in sent:
        store.mark(key, State.SENT)
    to = dt.datetime(2024, 11, 14, 15, 0, tzinfo=dt.UTC)
    run(examples, store, c.MoveMeeting(NOTTS, "service-review", d(2024, 11, 12), to), today)
    run(examples, store, c.CancelMeeting(NOTTS, "service-review", d(2024, 12, 10)), today)
    pending = [e.message for k, e in store.rows.items()
               if k.startswith(prefix) and e.state is State.PENDING]  # fmt: skip
    assert {m.kind.value for m in pending} == {"invite_update"}
    called_off = f"invite:{NOTTS}:meeting:service-review:cancel:2024-12-10:"
    cancels = [e.message for k, e in store.rows.items() if k.startswith(called_off)]
    assert len(cancels) == len(sent)  # and the one meeting called off, by RECURRENCE-ID
    assert {(m.kind.value, m.payload["sequence"]) for m in cancels} == {("invite_cancel", 1)}
    assert len(pending) == len(sent)  # one per recipient: the first update withdrawn
    assert all("#1:update:" in m.key for m in pending)
    for message in pending:
        series = message.payload["series"]
        assert [raw[:10] for raw, _, _ in series["overrides"]] == ["2024-11-12"]
        assert any(raw.startswith("2024-12-10") for raw in series["exdates"])
        assert message.fingerprint == message.key.rsplit(":", 1)[1]


def test_invites_for_meetings_that_took_place_are_not_cancelled(
    examples: Configuration, store: MemoryStore
) -> None:
    """Plan on 1 Nov, send the invites due by 1 Dec, plan again on 2 Dec: the meetings of
    12 and 28 Nov left the plan because they are over; nobody gets a cancellation."""
    from jobs.planner import replan

    at = dt.datetime(2024, 11, 1, 10, tzinfo=dt.UTC)
    replan(examples, store, d(2024, 11, 1), at, only={NOTTS})
    due = dt.datetime(2024, 12, 1, tzinfo=dt.UTC)
    sent = [k for k, e in store.rows.items() if e.message.kind.value == "invite"
            and e.message.due_at <= due]  # fmt: skip
    assert sent
    for key in sent:
        store.mark(key, State.SENT)
    replan(examples, store, d(2024, 12, 2), at + dt.timedelta(days=31), only={NOTTS})
    assert [k for k, e in store.rows.items() if e.message.kind.value == "invite_cancel"] == []
