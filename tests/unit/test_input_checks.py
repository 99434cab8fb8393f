"""Issue 6, bad input refused cleanly in the domain: one-line fields, meeting moves across the
clocks changing, extensions past an "up to" limit, and Halton cl. 6.2's mutually agreed end."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest

from config.loader import Configuration
from jobs.memory import MemoryStore
from jobs.planner import with_send_horizon
from lifecycle import commands as c
from lifecycle import decisions
from lifecycle.errors import (
    AgreedEndNeeded,
    AmbiguousLocalTime,
    BeforeStart,
    BeyondTermLimit,
    InvalidNoticeEnd,
    MeetingHasNoTime,
    NonexistentLocalTime,
    NotAgreedByAll,
    NotOneLine,
    Refused,
    TextTooLong,
    UnknownName,
)
from lifecycle.facts import NoticeServed, from_payload, to_payload
from lifecycle.ids import CaseId
from lifecycle.localtime import LocalStart, resolve
from lifecycle.state import AgreementState, last_day
from lifecycle.text import control_character
from tests.conftest import run_command as run

SEFTON, HALTON, NOTTS, CAMBS = (
    "sefton-partnership",
    "halton-st-helens-s31",
    "nottinghamshire-healthy-families",
    "cambs-peterborough-s75",
)
LONDON = ZoneInfo("Europe/London")
d = dt.date


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


# One-line fields ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["a\nb", "a\rb", "a\tb", "a\x00b", "a\x7fb", "a\x85b", "a\u2028b", "a\u2029b"]
)
def test_control_characters_are_found(text: str) -> None:
    assert control_character(text) == text[1]


def test_ordinary_text_has_no_control_character() -> None:
    assert control_character("Données: £5,000 — “KPI” change ✓") is None


@pytest.mark.parametrize(
    "command",
    [
        c.StartProcedure(SEFTON, "dispute", "icb", d(2023, 3, 1), "Budget\r\nBcc: x@example.org"),
        c.ProposeVariation(SEFTON, d(2023, 3, 1), "KPI\u2028change"),
    ],
)
def test_a_summary_with_a_line_break_is_refused(
    examples: Configuration, store: MemoryStore, command: c.Command
) -> None:
    with pytest.raises(NotOneLine, match="summary must be one line") as caught:
        run(examples, store, command, d(2023, 3, 1))
    assert caught.value.field == "summary"
    assert not store.facts


def test_an_outcome_with_a_control_character_is_refused(
    examples: Configuration, store: MemoryStore
) -> None:
    run(
        examples,
        store,
        c.StartProcedure(SEFTON, "dispute", "icb", d(2023, 3, 1), "x"),
        d(2023, 3, 1),
    )
    close = c.CloseCase(CaseId.parse(f"{SEFTON}.dispute.1"), d(2023, 3, 2), "Agreed\x1b[31m")
    with pytest.raises(NotOneLine, match="U\\+001B"):
        run(examples, store, close, d(2023, 3, 2))
    assert len(store.facts) == 1


def test_summary_and_outcome_are_limited_to_2000_characters(
    examples: Configuration, store: MemoryStore
) -> None:
    at_limit = c.StartProcedure(SEFTON, "dispute", "icb", d(2023, 3, 1), "x" * 2000)
    run(examples, store, at_limit, d(2023, 3, 1))
    too_long = c.ProposeVariation(SEFTON, d(2023, 3, 1), "x" * 2001)
    with pytest.raises(TextTooLong, match="2001 characters long; at most 2000") as caught:
        run(examples, store, too_long, d(2023, 3, 1))
    assert (caught.value.length, caught.value.limit) == (2001, 2000)
    close = c.CloseCase(CaseId.parse(f"{SEFTON}.dispute.1"), d(2023, 3, 2), "y" * 2001)
    with pytest.raises(TextTooLong, match="outcome"):
        run(examples, store, close, d(2023, 3, 2))


def test_surrounding_spaces_and_a_trailing_newline_are_dropped_as_before(
    examples: Configuration, store: MemoryStore
) -> None:
    command = c.ProposeVariation(SEFTON, d(2023, 3, 1), "  KPI change\n")
    outcome = run(examples, store, command, d(2023, 3, 1))
    assert outcome.state.variations[f"{SEFTON}.variation.1"].summary == "KPI change"


# Meeting moves and the clocks changing -----------------------------------------------------


def test_a_local_time_in_the_spring_gap_names_the_nearest_valid_times() -> None:
    with pytest.raises(NonexistentLocalTime) as caught:
        resolve(dt.datetime(2025, 3, 30, 1, 30), LONDON)
    message = str(caught.value)
    assert "2025-03-30 01:30 does not exist in Europe/London" in message
    assert "2025-03-30T00:30+00:00 (GMT)" in message
    assert "2025-03-30T02:30+01:00 (BST)" in message
    assert caught.value.before < caught.value.after


def test_a_local_time_in_the_autumn_overlap_names_both_instants() -> None:
    with pytest.raises(AmbiguousLocalTime) as caught:
        resolve(dt.datetime(2025, 10, 26, 1, 30), LONDON)
    message = str(caught.value)
    assert "happens twice in Europe/London" in message
    assert "2025-10-26T01:30+01:00 (BST) or 2025-10-26T01:30+00:00 (GMT)" in message
    assert caught.value.first.utcoffset() == dt.timedelta(hours=1)
    assert caught.value.second.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize(
    ("local", "offset"),
    [
        (dt.datetime(2025, 3, 30, 0, 59), 0),
        (dt.datetime(2025, 3, 30, 2, 0), 1),
        (dt.datetime(2025, 10, 26, 0, 59), 1),
        (dt.datetime(2025, 10, 26, 2, 0), 0),
        (dt.datetime(2025, 7, 1, 14, 0), 1),
    ],
)
def test_ordinary_local_times_resolve_to_one_instant(local: dt.datetime, offset: int) -> None:
    moment = resolve(local, LONDON)
    assert moment.replace(tzinfo=None) == local
    assert moment.utcoffset() == dt.timedelta(hours=offset)


def test_only_the_skipped_and_the_repeated_hour_of_a_year_are_refused() -> None:
    refused: dict[str, list[dt.datetime]] = {"gap": [], "overlap": []}
    local = dt.datetime(2025, 1, 1)
    while local.year == 2025:
        try:
            assert resolve(local, LONDON).replace(tzinfo=None) == local
        except NonexistentLocalTime:
            refused["gap"].append(local)
        except AmbiguousLocalTime:
            refused["overlap"].append(local)
        local += dt.timedelta(minutes=15)
    assert refused["gap"] == [dt.datetime(2025, 3, 30, 1, m) for m in (0, 15, 30, 45)]
    assert refused["overlap"] == [dt.datetime(2025, 10, 26, 1, m) for m in (0, 15, 30, 45)]


def test_moving_a_meeting_into_the_spring_gap_is_refused(
    examples: Configuration, store: MemoryStore
) -> None:
    to = LocalStart(d(2025, 3, 30), dt.time(1, 30), LONDON)
    with pytest.raises(NonexistentLocalTime, match="nearest valid times"):
        run(
            examples,
            store,
            c.MoveMeeting(NOTTS, "service-review", d(2024, 11, 12), to),
            d(2024, 10, 20),
        )
    assert not store.facts


def test_moving_a_meeting_into_the_autumn_overlap_is_refused(
    examples: Configuration, store: MemoryStore
) -> None:
    to = LocalStart(d(2025, 10, 26), dt.time(1, 30), LONDON)
    with pytest.raises(AmbiguousLocalTime):
        run(
            examples,
            store,
            c.MoveMeeting(NOTTS, "service-review", d(2024, 11, 12), to),
            d(2024, 10, 20),
        )


def test_a_move_to_a_day_keeps_the_meetings_own_time(
    examples: Configuration, store: MemoryStore
) -> None:
    agreement = examples.agreement(NOTTS)
    assert agreement is not None
    meeting = next(m for m in agreement.meetings if m.id == "service-review")
    assert meeting.time is not None
    to = LocalStart(d(2024, 11, 14), None, LONDON)
    command = c.MoveMeeting(NOTTS, "service-review", d(2024, 11, 12), to)
    outcome = run(examples, store, command, d(2024, 10, 20))
    moved = outcome.state.moved[("service-review", d(2024, 11, 12))]
    assert moved == dt.datetime.combine(d(2024, 11, 14), meeting.time, tzinfo=LONDON)


def test_a_move_to_a_day_of_a_meeting_without_a_time_says_what_to_do(
    examples: Configuration,
) -> None:
    agreement = examples.agreement(NOTTS)
    assert agreement is not None
    untimed = replace(agreement, meetings=tuple(replace(m, time=None) for m in agreement.meetings))
    to = LocalStart(d(2024, 11, 14), None, LONDON)
    with pytest.raises(MeetingHasNoTime, match="give --to as YYYY-MM-DDTHH:MM"):
        decisions.move_meeting(
            untimed,
            AgreementState(),
            examples.calendar_for(agreement),
            "service-review",
            d(2024, 11, 12),
            to,
            d(2024, 10, 20),
        )


# Extensions and "up to" --------------------------------------------------------------------


def test_extending_past_an_up_to_limit_is_refused_naming_it(
    examples: Configuration, store: MemoryStore
) -> None:
    command = c.ExtendTerm(CAMBS, d(2024, 6, 30), d(2024, 3, 1))
    with pytest.raises(BeyondTermLimit, match="ends on 2024-03-31") as caught:
        run(examples, store, command, d(2024, 3, 1))
    assert caught.value.limit == d(2024, 3, 31)
    assert not store.facts
    allowed = c.ExtendTerm(CAMBS, d(2024, 6, 30), d(2024, 3, 1), beyond_limit=True)
    assert run(examples, store, allowed, d(2024, 3, 1)).state.extended_to == d(2024, 6, 30)


def test_a_term_without_up_to_extends_without_the_flag(
    examples: Configuration, store: MemoryStore
) -> None:
    agreement = examples.agreement(HALTON)
    assert agreement is not None
    assert not agreement.term.up_to
    command = c.ExtendTerm(HALTON, d(2012, 3, 31), d(2010, 1, 4))
    assert run(examples, store, command, d(2010, 1, 4)).state.extended_to == d(2012, 3, 31)


# Halton cl. 6.2: "or such other date as may be mutually agreed" ---------------------------

EVERY_HALTON_PARTY = ("halton", "st-helens", "pct")


def test_notice_with_an_end_agreed_by_every_party(
    examples: Configuration, store: MemoryStore
) -> None:
    command = c.ServeNotice(
        HALTON, "halton", d(2009, 10, 1), d(2010, 6, 30), ("pct", "halton", "st-helens")
    )
    outcome = run(examples, store, command, d(2009, 10, 1))
    assert outcome.state.notice is not None
    assert outcome.state.notice.ending == d(2010, 6, 30)
    assert outcome.state.notice.agreed_by == EVERY_HALTON_PARTY
    agreement = examples.agreement(HALTON)
    assert agreement is not None
    assert last_day(agreement, outcome.state) == d(2010, 6, 30)
    fact = store.facts[-1].fact
    assert isinstance(fact, NoticeServed)
    assert fact.agreed_by == EVERY_HALTON_PARTY


def test_the_plan_follows_the_agreed_end(examples: Configuration, store: MemoryStore) -> None:
    command = c.ServeNotice(HALTON, "halton", d(2009, 10, 1), d(2010, 6, 30), EVERY_HALTON_PARTY)
    run(with_send_horizon(examples, None), store, command, d(2009, 10, 1))  # all queued
    term_ends = {
        k.split(":")[4] for k in store.rows if k.startswith(f"reminder:{HALTON}:term:end:")
    }
    assert term_ends == {"2010-06-30"}
    assert max(str(e.message.payload.get("date", "")) for e in store.rows.values()) == "2010-06-30"


def test_an_agreed_end_missing_a_party_names_it(
    examples: Configuration, store: MemoryStore
) -> None:
    command = c.ServeNotice(HALTON, "halton", d(2009, 10, 1), d(2010, 6, 30), ("halton", "pct"))
    with pytest.raises(NotAgreedByAll, match="not agreed by: st-helens") as caught:
        run(examples, store, command, d(2009, 10, 1))
    assert caught.value.missing == ["st-helens"]
    assert not store.facts


def test_an_agreed_end_by_an_unknown_party(examples: Configuration, store: MemoryStore) -> None:
    command = c.ServeNotice(HALTON, "halton", d(2009, 10, 1), d(2010, 6, 30), ("sefton",))
    with pytest.raises(UnknownName, match="unknown party 'sefton'"):
        run(examples, store, command, d(2009, 10, 1))


def test_an_agreed_notice_needs_its_end_and_cannot_end_before_service(
    examples: Configuration, store: MemoryStore
) -> None:
    with pytest.raises(AgreedEndNeeded):
        run(
            examples,
            store,
            c.ServeNotice(HALTON, "halton", d(2009, 10, 1), None, EVERY_HALTON_PARTY),
            d(2009, 10, 1),
        )
    early = c.ServeNotice(HALTON, "halton", d(2009, 10, 1), d(2009, 9, 30), EVERY_HALTON_PARTY)
    with pytest.raises(BeforeStart):
        run(examples, store, early, d(2009, 10, 1))


def test_without_agreed_by_the_financial_year_rule_still_applies(
    examples: Configuration, store: MemoryStore
) -> None:
    command = c.ServeNotice(HALTON, "halton", d(2009, 10, 1), d(2010, 6, 30))
    with pytest.raises(InvalidNoticeEnd, match="earliest valid end is 2011-03-31"):
        run(examples, store, command, d(2009, 10, 1))


def test_notice_payloads_stay_as_they_were_and_old_ones_still_load() -> None:
    plain = NoticeServed(HALTON, d(2009, 9, 30), "halton", d(2010, 3, 31))
    assert to_payload(plain) == {"by": "halton", "ending": "2010-03-31"}
    old = from_payload("notice_served", HALTON, d(2009, 9, 30), to_payload(plain))
    assert old == plain
    assert old.agreed_by == ()
    agreed = NoticeServed(HALTON, d(2009, 10, 1), "halton", d(2010, 6, 30), EVERY_HALTON_PARTY)
    payload = to_payload(agreed)
    assert payload["agreed_by"] == list(EVERY_HALTON_PARTY)
    back = from_payload("notice_served", HALTON, d(2009, 10, 1), payload)
    assert back == agreed
    assert isinstance(back.agreed_by, tuple)


def test_a_lone_surrogate_cannot_stand_in_a_one_line_field() -> None:
    assert control_character("bad\udcff") == "\udcff"


@pytest.mark.parametrize("invisible", ["\u200b", " \u200b\u200d ", "\u2060\ufeff"])
def test_a_summary_that_shows_nothing_is_no_summary(
    examples: Configuration, invisible: str
) -> None:
    with pytest.raises(Refused, match="a summary is needed"):
        run(examples, MemoryStore(),
            c.StartProcedure("sefton-partnership", "dispute", "council", dt.date(2022, 9, 12),
                             invisible), dt.date(2022, 9, 13))  # fmt: skip


@pytest.mark.parametrize("text", ["20091016", "2025-W10-1", "2025-3-1", " 2025-03-01"])
def test_days_must_be_written_yyyy_mm_dd(text: str) -> None:
    from concordat.app import InvalidInput
    from concordat.options import parse_date

    with pytest.raises(InvalidInput, match="not a valid date"):
        parse_date(text, "--on")
    assert parse_date("2025-03-01", "--on") == dt.date(2025, 3, 1)
