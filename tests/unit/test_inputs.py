"""`concordat.inputs`: the one reader of typed text into recording commands, for the command
line and the web forms alike."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from concordat import inputs
from concordat.app import InvalidInput
from lifecycle import commands as c
from lifecycle.errors import MalformedId, NonexistentLocalTime, NotOneLine, TextNeeded
from lifecycle.ids import CaseId
from lifecycle.localtime import LocalStart

LONDON = ZoneInfo("Europe/London")
TODAY = dt.date(2025, 1, 9)
CONTEXT = inputs.Context(lambda: LONDON, lambda: TODAY)


def build(action: str, **fields: str | tuple[str, ...]) -> c.Command:
    return inputs.build(action, "a", fields, CONTEXT, inputs.option_name)


def test_every_field_that_cannot_be_read_is_reported_at_once() -> None:
    with pytest.raises(inputs.InvalidFields) as raised:
        build("dispute-raise", by="x", on="2026-02-30", summary="two\nlines")
    errors = raised.value.errors
    assert list(errors) == ["on", "summary"]
    assert "--on: '2026-02-30' is not a valid date" in str(errors["on"])
    assert isinstance(errors["summary"], NotOneLine)
    assert raised.value.first is errors["on"]


def test_the_commands_are_the_ones_the_options_describe() -> None:
    assert build("notice-serve", by="p", on="2009-10-16", ending="",
                 agreed_by=()) == c.ServeNotice("a", "p", dt.date(2009, 10, 16))  # fmt: skip
    assert build("dispute-escalate", case="a.dispute.2", on="2022-09-20") == c.EscalateCase(
        CaseId("a", "dispute", 2), dt.date(2022, 9, 20)
    )
    assert build("variation-propose", summary="S", on="") == c.ProposeVariation("a", TODAY, "S")
    assert build("extend", to="2024-06-30", on="", beyond_limit="yes") == c.ExtendTerm(
        "a", dt.date(2024, 6, 30), TODAY, True
    )
    moved = build("meeting-move", meeting="m", occurrence="2024-11-12", to="2024-11-14")
    assert moved == c.MoveMeeting("a", "m", dt.date(2024, 11, 12),
                                  LocalStart(dt.date(2024, 11, 14), None, LONDON))  # fmt: skip


def test_a_malformed_id_and_an_empty_summary_are_the_errors_the_cli_always_gave() -> None:
    with pytest.raises(inputs.InvalidFields) as raised:
        build("dispute-resolve", case="a.dispute", on="2022-09-20", outcome="")
    assert isinstance(raised.value.first, MalformedId)
    with pytest.raises(inputs.InvalidFields) as empty:
        build("variation-propose", summary="\u200b", on="2025-01-06")
    assert isinstance(empty.value.first, TextNeeded)


def test_one_value_fields_refuse_several_and_huge_values_are_not_echoed_whole() -> None:
    with pytest.raises(inputs.InvalidFields) as raised:
        build("notice-withdraw", on=("2009-10-15", "2009-10-16"))
    assert "give one value" in str(raised.value)
    with pytest.raises(inputs.InvalidFields) as huge:
        build("notice-withdraw", on="9" * 10_000)
    assert len(str(huge.value)) < 300


def test_a_local_time_the_clocks_skip_is_a_field_error_of_to() -> None:
    command = build("meeting-move", meeting="m", occurrence="2027-03-01", to="2027-03-28T01:30")
    with pytest.raises(inputs.InvalidFields) as raised:
        inputs.check_local_start(command)
    assert isinstance(raised.value.errors["to"], NonexistentLocalTime)
    fine = build("meeting-move", meeting="m", occurrence="2027-03-01", to="2027-03-28T03:30")
    inputs.check_local_start(fine)


def test_an_unknown_action_is_bad_input() -> None:
    with pytest.raises(InvalidInput, match="unknown action"):
        build("notice-eat")


def test_a_case_number_of_10_000_digits_is_a_malformed_id_not_a_crash() -> None:
    with pytest.raises(inputs.InvalidFields) as raised:
        build("dispute-escalate", case="a.dispute." + "9" * 10_000, on="2022-09-20")
    assert isinstance(raised.value.first, MalformedId)
    assert len(str(raised.value.first)) < 200
