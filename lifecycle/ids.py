"""Typed ids of cases and variations, so nothing splits strings on dots to find an agreement.

The textual forms are the ones stored in fact payloads and printed to administrators, and
they must not change: `<agreement>.<procedure>.<n>` and `<agreement>.variation.<n>`.
Agreement and procedure ids cannot contain dots today (config.schema), but `parse` splits
from the right so that an agreement id with dots would still read back whole.
"""

from __future__ import annotations

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
    if not (number.isascii() and number.isdigit()) or number.startswith("0"):
        raise MalformedId(what, text, expected)
    return agreement, middle, int(number)
