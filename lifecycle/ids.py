"""Typed ids of cases, variations and outbox rows, so nothing splits strings to find their
parts.

The textual forms are the ones stored in fact payloads and printed to administrators, and
they must not change: `<agreement>.<procedure>.<n>` and `<agreement>.variation.<n>`.
Agreement and procedure ids cannot contain dots today (config.schema), but `parse` splits
from the right so that an agreement id with dots would still read back whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Self

from lifecycle.errors import MalformedId

VARIATION = "variation"


@dataclass(frozen=True)
class CaseId:
    """The id of one started procedure: the n-th case of that procedure in the agreement."""

    agreement: str
    procedure: str
    number: int

    @classmethod
    def parse(cls, text: str) -> Self:
        """Read `<agreement>.<procedure>.<n>`; raises `MalformedId` when it is not one."""
        agreement, procedure, number = _split(text, "case", "<agreement>.<procedure>.<n>")
        return cls(agreement, procedure, number)

    def __str__(self) -> str:
        return f"{self.agreement}.{self.procedure}.{self.number}"


@dataclass(frozen=True)
class VariationId:
    """The id of one proposed variation: the n-th variation of the agreement."""

    agreement: str
    number: int

    @classmethod
    def parse(cls, text: str) -> Self:
        """Read `<agreement>.variation.<n>`; raises `MalformedId` when it is not one."""
        expected = f"<agreement>.{VARIATION}.<n>"
        agreement, middle, number = _split(text, VARIATION, expected)
        if middle != VARIATION:
            raise MalformedId(VARIATION, text, expected)
        return cls(agreement, number)

    def __str__(self) -> str:
        return f"{self.agreement}.{VARIATION}.{self.number}"


def _split(text: str, what: str, expected: str) -> tuple[str, str, int]:
    """The three parts of an id, the last a positive number written without sign or zeros."""
    parts = text.rsplit(".", 2)
    if len(parts) != 3 or not all(parts):
        raise MalformedId(what, text, expected)
    agreement, middle, number = parts
    if not (number.isascii() and number.isdigit()) or number.startswith("0") or len(number) > 18:
        raise MalformedId(what, text, expected)  # 18 digits: no case number is larger
    return agreement, middle, int(number)


FAMILIES = ("reminder", "invite", "notice", "report")
_FOLLOW_UP = re.compile(r"#(?P<number>[1-9][0-9]*):(?P<action>cancel|update:[0-9a-f]+)$")
OUTBOX_KEY = "<reminder|invite|notice|report>:<agreement>:<about>:<recipient>[#<n>:<action>]"


@dataclass(frozen=True)
class OutboxKey:
    """An outbox row's stable identity: which family of message, for which agreement, about
    what (a rule and the day it gives, a case's step), to whom; and for a follow-up of an
    invite or notice already delivered, its number in that message's sequence and what it
    does (`update:<fingerprint>` or `cancel`). It names what a message is about, never when
    it is due, so re-planning the same inputs gives the same keys."""

    family: str
    agreement: str
    about: str
    recipient: str
    number: int = 0
    action: str = ""

    @classmethod
    def parse(cls, text: str) -> Self:
        """Read a key's text; raises `MalformedId` when it is not one."""
        base, number, action = split_follow_up(text)
        parts = base.split(":")
        if len(parts) < 4 or parts[0] not in FAMILIES or not all((parts[1], parts[-1])):
            raise MalformedId("outbox key", text, OUTBOX_KEY)
        family, agreement, *about, recipient = parts
        return cls(family, agreement, ":".join(about), recipient, number, action)

    @property
    def base(self) -> OutboxKey:
        """The key of the message a follow-up follows (itself for a message)."""
        return OutboxKey(self.family, self.agreement, self.about, self.recipient)

    def __str__(self) -> str:
        text = f"{self.family}:{self.agreement}:{self.about}:{self.recipient}"
        return follow_up_key(text, self.number, self.action) if self.number else text


def split_follow_up(key: str) -> tuple[str, int, str]:
    """A key's text as (the message's key, the follow-up's number or 0, its action). Read
    from the end, so a `#` in a recipient's address is not mistaken for a follow-up."""
    found = _FOLLOW_UP.search(key)
    if found is None:
        return key, 0, ""
    return key[: found.start()], int(found["number"]), found["action"]


def follow_up_key(base: str, number: int, action: str) -> str:
    """The key of the `number`-th follow-up of the message keyed `base`."""
    return f"{base}#{number}:{action}"
