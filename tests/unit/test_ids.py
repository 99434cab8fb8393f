"""Typed case and variation ids (issue 6): parsed, not split on dots, and printed exactly as
the ids already stored in fact payloads."""

from __future__ import annotations

import datetime as dt

import pytest

from lifecycle import commands as c
from lifecycle.errors import ConcordatError, MalformedId
from lifecycle.ids import CaseId, OutboxKey, VariationId

d = dt.date


def test_case_id_round_trips_the_stored_form() -> None:
    case = CaseId.parse("sefton-partnership.third-party-enquiry.12")
    assert case == CaseId("sefton-partnership", "third-party-enquiry", 12)
    assert case.agreement == "sefton-partnership"
    assert str(case) == "sefton-partnership.third-party-enquiry.12"


def test_variation_id_round_trips_the_stored_form() -> None:
    variation = VariationId.parse("nottinghamshire-healthy-families.variation.3")
    assert variation == VariationId("nottinghamshire-healthy-families", 3)
    assert str(variation) == "nottinghamshire-healthy-families.variation.3"


def test_an_agreement_id_with_dots_reads_back_whole() -> None:
    assert CaseId.parse("nhs.trust.dispute.2").agreement == "nhs.trust"
    assert VariationId.parse("a.b.variation.1").agreement == "a.b"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "sefton-partnership",
        "sefton-partnership.dispute",
        "sefton-partnership.dispute.",
        ".dispute.1",
        "sefton-partnership..1",
        "sefton-partnership.dispute.one",
        "sefton-partnership.dispute.-1",
        "sefton-partnership.dispute.01",
        "sefton-partnership.dispute.0",
        "sefton-partnership.dispute.١",
    ],
)
def test_malformed_case_ids_are_refused_clearly(text: str) -> None:
    with pytest.raises(MalformedId, match="not a valid case id") as caught:
        CaseId.parse(text)
    assert isinstance(caught.value, ConcordatError)
    assert isinstance(caught.value, ValueError)
    assert "<agreement>.<procedure>.<n>" in str(caught.value)


@pytest.mark.parametrize("text", ["notts.dispute.1", "notts.variation", "notts.variation.x"])
def test_malformed_variation_ids_are_refused_clearly(text: str) -> None:
    with pytest.raises(MalformedId, match="not a valid variation id"):
        VariationId.parse(text)


def test_commands_carry_typed_ids_and_name_their_agreement() -> None:
    # The text form on purpose: commands still accept it at run time (`_parse_case`) and
    # must turn it into a `CaseId`, although their annotations ask for the typed id.
    escalate = c.EscalateCase("sefton-partnership.dispute.1", d(2023, 3, 1))  # type: ignore[arg-type]
    assert escalate.case == CaseId("sefton-partnership", "dispute", 1)
    assert c.agreement_of(escalate) == "sefton-partnership"
    close = c.CloseCase(CaseId("a.b", "dispute", 2), d(2023, 3, 1))
    assert c.agreement_of(close) == "a.b"
    sign = c.SignVariation(VariationId("notts", 1), "ncc", d(2025, 1, 8))
    assert c.agreement_of(sign) == "notts"


def test_a_command_given_a_malformed_id_fails_before_any_look_up() -> None:
    with pytest.raises(MalformedId):
        # Malformed text on purpose: the command itself must refuse it.
        c.CloseCase("sefton-partnership", d(2023, 3, 1))  # type: ignore[arg-type]


def test_outbox_keys_read_back_as_written() -> None:
    step = "notice:sefton-partnership:case:sefton-partnership.dispute.2:dispute:discuss:a@b.org"
    key = OutboxKey.parse(step)
    assert (key.family, key.agreement, key.recipient) == ("notice", "sefton-partnership", "a@b.org")
    assert key.about == "case:sefton-partnership.dispute.2:dispute:discuss"
    assert str(key) == step
    update = OutboxKey.parse("invite:a:meeting:m:2024-11-12:x#y@b.org#3:update:0af9")
    assert (update.recipient, update.number, update.action) == ("x#y@b.org", 3, "update:0af9")
    assert str(update.base) == "invite:a:meeting:m:2024-11-12:x#y@b.org"
    assert str(update) == "invite:a:meeting:m:2024-11-12:x#y@b.org#3:update:0af9"


@pytest.mark.parametrize(
    "text", ["", "invite", "invite:a:b", "letter:a:m:x@b.org", "invite::m:x@b.org", "invite:a:m:"]
)
def test_malformed_outbox_keys_are_refused(text: str) -> None:
    with pytest.raises(MalformedId, match="not a valid outbox key id"):
        OutboxKey.parse(text)
