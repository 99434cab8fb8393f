"""Placeholder contacts: an address under the reserved `.invalid` domain (RFC 2606), which
`concordat extract` writes where a text names no address. It loads, `concordat validate`
warns of it, and nothing is ever addressed to it: not by the planner, not by the mailer."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from config.loader import Configuration, load_configuration
from config.placeholders import placeholders
from config.schema import _email, _email_check
from jobs.clock import FixedClock
from jobs.mailer import TransportMailer
from jobs.memory import MemoryStore
from jobs.planner import replan
from jobs.ports import Outcome
from lifecycle.agreement import is_placeholder
from lifecycle.messages import kind_of
from notifications.samples import samples
from notifications.transport import MaildirTransport
from tests.unit.test_config_errors import VALID, only_issue, write

TODAY = dt.date(2025, 1, 6)
NOW = dt.datetime(2025, 1, 6, 8, 0, tzinfo=dt.UTC)
TRUST = "jo@trust.example.org"  # the trust's only contact in VALID
PLACEHOLDER = "contact@trust.invalid"


def loaded(tmp_path: Path, text: str) -> Configuration:
    return load_configuration(write(tmp_path, {"demo.toml": text}))


def with_address(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


# --- the schema


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("a@b.invalid", "a@b.invalid"),
        ("a@invalid", "a@invalid"),
        ("Jo.Trust@Trust.INVALID", "Jo.Trust@trust.invalid"),  # the domain lower-cased
        ("Jo Trust <jo@Trust.invalid>", "jo@trust.invalid"),  # as EmailStr reads it
    ],
)
def test_a_placeholder_address_loads(tmp_path: Path, written: str, stored: str) -> None:
    configuration = loaded(tmp_path, with_address(VALID, TRUST, written))
    (agreement,) = configuration.agreements
    contact = next(c for c in agreement.contacts if c.id == "trust-lead")
    assert contact.email == stored
    assert contact.placeholder
    assert not any(c.placeholder for c in agreement.contacts if c.id != "trust-lead")


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("a@b.test", "special-use or reserved name"),
        ("a@localhost", "should have a period"),
        ("a@printer.local", "special-use or reserved name"),
        ("a..b@trust.invalid", "two periods in a row"),  # the local part is still checked
        ("a b@trust.invalid", "invalid characters before the @-sign"),
        ("a@-trust.invalid", "hyphen"),  # and the other labels of the domain
        ("a@trust.invalid.", "cannot end with a period"),
        ("a@trustinvalid", "should have a period"),  # not under .invalid
    ],
)
def test_other_reserved_names_and_malformed_placeholders_are_refused(
    tmp_path: Path, address: str, reason: str
) -> None:
    issue = only_issue(write(tmp_path, {"demo.toml": with_address(VALID, TRUST, address)}))
    assert issue.path == "parties[1].contacts[0].email"
    assert reason in issue.message


def test_the_check_is_remembered_and_raises_afresh() -> None:
    _email_check.cache_clear()
    assert _email("Memo@Council.INVALID") == "Memo@council.invalid"
    assert _email("Memo@Council.INVALID") == "Memo@council.invalid"
    for _ in range(2):
        with pytest.raises(Exception, match="two periods"):
            _email("a..b@council.invalid")
    info = _email_check.cache_info()
    assert (info.misses, info.hits) == (2, 2)


def test_is_placeholder_reads_the_domain_only() -> None:
    assert is_placeholder("x@invalid")
    assert is_placeholder("x@Sub.Council.INVALID")
    assert not is_placeholder("invalid@council.example.org")
    assert not is_placeholder("x@council.invalid.example.org")
    assert not is_placeholder("x@notinvalid")


# --- recipients


DEPUTIES = with_address(
    with_address(VALID, "sam@council.example.org", "deputy@council.invalid"),
    'email = "jo@trust.example.org"\nrole = "lead"',
    'email = "contact@trust.invalid"\nrole = "lead"\ndeputy = "council-lead"',
)


def test_recipients_leave_placeholders_out_named_or_as_deputies(tmp_path: Path) -> None:
    """council-lead's deputy (council-deputy) and trust-lead are placeholders; trust-lead's
    deputy, council-lead, is real and still copied."""
    (agreement,) = loaded(tmp_path, DEPUTIES).agreements
    ids = [c.id for c in agreement.recipients(("all",))]
    assert ids == ["council-lead"]
    assert [c.id for c in agreement.recipients(("contact:council-lead",))] == ["council-lead"]
    assert [c.id for c in agreement.recipients(("contact:council-deputy",))] == []
    assert [c.id for c in agreement.recipients(("party:trust",))] == ["council-lead"]
    assert [c.id for c in agreement.recipients(("role:provider",))] == ["council-lead"]


def test_with_real_addresses_the_same_references_reach_everyone(tmp_path: Path) -> None:
    """The control: the filtering above is the placeholders', not the references'."""
    (agreement,) = loaded(tmp_path, VALID).agreements
    ids = [c.id for c in agreement.recipients(("all",))]
    assert ids == ["council-lead", "council-deputy", "trust-lead"]
    assert [c.id for c in agreement.recipients(("contact:council-lead",))] == [
        "council-lead",
        "council-deputy",
    ]


# --- the planner's outbox


def outbox(configuration: Configuration) -> Counter[tuple[str, str]]:
    """(recipient, kind) of every message the planner queues over its default horizon."""
    store = MemoryStore()
    replan(configuration, store, TODAY, NOW)
    return Counter((e.message.recipient, kind_of(e.message).name) for e in store.rows.values())


def test_the_planner_sends_nothing_to_a_placeholder(tmp_path: Path) -> None:
    """The trust's only contact is a placeholder taking digests: nothing is queued for it,
    while the council's contacts get all they got with the trust's real address."""
    real_text = with_address(
        VALID, 'email = "jo@trust.example.org"\nrole = "lead"',
        'email = "jo@trust.example.org"\nrole = "lead"\ndigest = "also"',
    )  # fmt: skip
    (tmp_path / "real").mkdir()
    (tmp_path / "placeholder").mkdir()
    real = outbox(loaded(tmp_path / "real", real_text))
    placeheld = outbox(
        loaded(tmp_path / "placeholder", with_address(real_text, TRUST, PLACEHOLDER))
    )
    kinds = {kind for recipient, kind in real if recipient == TRUST}
    assert {"meeting_invite", "weekly_digest"} <= kinds  # the control: the trust is written to
    assert not [recipient for recipient, _ in placeheld if is_placeholder(recipient)]
    council = {key: n for key, n in real.items() if key[0] != TRUST}
    assert council
    assert dict(placeheld) == council  # the other party's messages are unchanged


# --- the mailer's last guard


def test_the_mailer_refuses_a_placeholder_and_sends_the_rest(tmp_path: Path) -> None:
    message = samples()["meeting_reminder"]
    stray = dataclasses.replace(message, key=message.key + ":stray", recipient=PLACEHOLDER)
    maildir = tmp_path / "maildir"
    mailer = TransportMailer(MaildirTransport(maildir), "concordat@localhost", FixedClock(NOW))
    settled: list[tuple[int, Outcome]] = []

    async def settle(index: int, delivery: object) -> None:
        settled.append((index, delivery.outcome))  # type: ignore[attr-defined]

    stray_answer, sent = asyncio.run(mailer.deliver([stray, message], settle))
    assert stray_answer.outcome is Outcome.PERMANENT
    assert "placeholder" in stray_answer.detail
    assert sent.outcome is Outcome.SENT
    assert sorted(settled) == [(0, Outcome.PERMANENT), (1, Outcome.SENT)]
    files = list((maildir / "new").iterdir())
    assert len(files) == 1
    assert PLACEHOLDER not in files[0].read_text(encoding="utf-8")


# --- concordat validate


def test_validate_warns_of_each_placeholder_and_exits_zero(tmp_path: Path) -> None:
    from concordat.cli import app

    directory = write(tmp_path, {"demo.toml": DEPUTIES})
    result = CliRunner().invoke(app, ["validate", "--config", str(directory)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{directory}: valid: 1 agreement(s), 3 clock(s), 2 procedure(s)\n"
    file = directory / "demo.toml"
    assert result.stderr.splitlines() == [
        f'warning: {file}: parties[0].contacts[1].email: "deputy@council.invalid" is a '
        "placeholder: nothing is sent to it until a real address replaces it",
        f'warning: {file}: parties[1].contacts[0].email: "contact@trust.invalid" is a '
        "placeholder: nothing is sent to it until a real address replaces it",
    ]


def test_placeholders_name_each_file(tmp_path: Path) -> None:
    other = with_address(VALID, 'id = "demo"', 'id = "other"')
    other = with_address(other, 'id = "trust-lead"', 'id = "other-trust-lead"')
    configuration = load_configuration(
        write(tmp_path, {"a.toml": VALID, "b.toml": with_address(other, TRUST, PLACEHOLDER)})
    )
    found = placeholders(configuration)
    assert [(Path(p.file).name, p.key, p.address) for p in found] == [
        ("b.toml", "parties[1].contacts[0].email", PLACEHOLDER)
    ]
