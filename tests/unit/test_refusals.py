"""Typed refusals (issue 6): one subclass of `Refused` per reason, carrying its fields, so the
adapters can map them (exit codes now, HTTP statuses later) without reading messages."""

from __future__ import annotations

import datetime as dt
import inspect

import pytest

from config.loader import Configuration
from jobs.memory import MemoryStore
from lifecycle import commands as c
from lifecycle import errors
from lifecycle.errors import (
    AgreementEnded,
    AlreadyCancelled,
    AlreadyEnding,
    AlreadySigned,
    AtLastStep,
    BeforeStart,
    CaseNotOpen,
    ConcordatError,
    EndingOnNotice,
    ExtensionNotLater,
    InvalidNoticeEnd,
    NoEndToExtend,
    NoNoticeInForce,
    NoNoticeRule,
    NoSuchOccurrence,
    Refused,
    TextNeeded,
    UnknownName,
)
from lifecycle.ids import CaseId, VariationId
from tests.conftest import run_command as run

SEFTON, HALTON, NOTTS, CAMBS = (
    "sefton-partnership",
    "halton-st-helens-s31",
    "nottinghamshire-healthy-families",
    "cambs-peterborough-s75",
)
d = dt.date


def test_every_error_is_a_concordat_error_documented_as_raised_when() -> None:
    classes = [
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if cls.__module__ == errors.__name__
    ]
    assert len(classes) > 20
    for cls in classes:
        assert issubclass(cls, ConcordatError), cls
        assert (cls.__doc__ or "").startswith("Raised when"), cls


def test_refusals_keep_their_bases() -> None:
    assert issubclass(Refused, ValueError)
    assert issubclass(UnknownName, LookupError)
    unknown = UnknownName("party", "sefton", ["halton", "pct"])
    assert (unknown.what, unknown.name, unknown.known) == ("party", "sefton", ["halton", "pct"])
    assert str(unknown) == "unknown party 'sefton' (known: halton, pct)"


def test_invalid_notice_end_carries_the_earliest_valid_end(examples: Configuration) -> None:
    command = c.ServeNotice(HALTON, "pct", d(2008, 6, 1), d(2009, 6, 30))
    with pytest.raises(InvalidNoticeEnd, match="earliest valid end is 2009-03-31") as caught:
        run(examples, MemoryStore(), command, d(2008, 6, 1))
    assert caught.value.earliest == d(2009, 3, 31)
    assert caught.value.end == d(2009, 6, 30)


def test_notice_refusals_are_typed(examples: Configuration) -> None:
    store = MemoryStore()
    with pytest.raises(NoNoticeRule):
        run(examples, store, c.ServeNotice(SEFTON, "icb", d(2023, 1, 3)), d(2023, 1, 3))
    with pytest.raises(NoNoticeInForce):
        run(examples, store, c.WithdrawNotice(HALTON, d(2008, 6, 2)), d(2008, 6, 2))
    run(examples, store, c.ServeNotice(HALTON, "pct", d(2008, 6, 1)), d(2008, 6, 1))
    with pytest.raises(AlreadyEnding) as caught:
        run(examples, store, c.ServeNotice(HALTON, "halton", d(2008, 6, 2)), d(2008, 6, 2))
    assert (caught.value.served_on, caught.value.ending) == (d(2008, 6, 1), d(2009, 3, 31))
    with pytest.raises(EndingOnNotice):
        run(examples, store, c.ExtendTerm(HALTON, d(2012, 3, 31), d(2008, 6, 3)), d(2008, 6, 3))


def test_case_refusals_are_typed(examples: Configuration) -> None:
    store = MemoryStore()
    with pytest.raises(TextNeeded, match="a summary is needed"):
        run(
            examples,
            store,
            c.StartProcedure(SEFTON, "dispute", "icb", d(2023, 3, 1), " "),
            d(2023, 3, 1),
        )
    run(
        examples,
        store,
        c.StartProcedure(HALTON, "dispute", "pct", d(2008, 6, 2), "x"),
        d(2008, 6, 2),
    )
    case = f"{HALTON}.dispute.1"
    with pytest.raises(BeforeStart) as before:
        run(examples, store, c.EscalateCase(CaseId.parse(case), d(2008, 6, 1)), d(2008, 6, 2))
    assert before.value.earliest == d(2008, 6, 2)
    run(examples, store, c.EscalateCase(CaseId.parse(case), d(2008, 6, 24)), d(2008, 6, 24))
    with pytest.raises(AtLastStep) as last:
        run(examples, store, c.EscalateCase(CaseId.parse(case), d(2008, 6, 25)), d(2008, 6, 25))
    assert last.value.case == case
    run(examples, store, c.CloseCase(CaseId.parse(case), d(2008, 6, 26)), d(2008, 6, 26))
    with pytest.raises(CaseNotOpen) as closed:
        run(examples, store, c.CloseCase(CaseId.parse(case), d(2008, 6, 27)), d(2008, 6, 27))
    assert closed.value.closed_on == d(2008, 6, 26)


def test_term_meeting_and_variation_refusals_are_typed(examples: Configuration) -> None:
    store = MemoryStore()
    with pytest.raises(AgreementEnded) as ended:
        run(examples, store, c.ProposeVariation(CAMBS, d(2024, 4, 2), "late"), d(2024, 4, 2))
    assert ended.value.ended == d(2024, 3, 31)
    with pytest.raises(ExtensionNotLater):
        run(examples, store, c.ExtendTerm(CAMBS, d(2024, 3, 1), d(2024, 1, 5)), d(2024, 1, 5))
    with pytest.raises(NoEndToExtend):
        run(examples, store, c.ExtendTerm(SEFTON, d(2030, 1, 1), d(2024, 1, 5)), d(2024, 1, 5))
    today = d(2024, 10, 20)
    with pytest.raises(NoSuchOccurrence):
        run(examples, store, c.CancelMeeting(NOTTS, "service-review", d(2024, 11, 13)), today)
    run(examples, store, c.CancelMeeting(NOTTS, "service-review", d(2024, 12, 10)), today)
    with pytest.raises(AlreadyCancelled):
        run(examples, store, c.CancelMeeting(NOTTS, "service-review", d(2024, 12, 10)), today)
    run(examples, store, c.ProposeVariation(NOTTS, d(2025, 1, 6), "KPI"), d(2025, 1, 6))
    sign = c.SignVariation(VariationId.parse(f"{NOTTS}.variation.1"), "ncc", d(2025, 1, 8))
    run(examples, store, sign, d(2025, 1, 8))
    with pytest.raises(AlreadySigned) as twice:
        run(examples, store, sign, d(2025, 1, 8))
    assert (twice.value.party, twice.value.variation) == ("ncc", f"{NOTTS}.variation.1")
