"""Commands: what an administrator asks for, as frozen imperative dataclasses.

Case and variation ids are typed (`lifecycle.ids`); a command given the textual form instead
parses it on construction, so a malformed id fails there with `MalformedId`, before anything
is looked up.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lifecycle.ids import CaseId, VariationId
from lifecycle.localtime import LocalStart


@dataclass(frozen=True)
class ServeNotice:
    agreement: str
    by: str
    on: dt.date
    ending: dt.date | None = None
    agreed_by: tuple[str, ...] = ()
    """Parties that agreed `ending` outside the notice rule ("or such other date as may be
    mutually agreed"); every party of the agreement must be named."""


@dataclass(frozen=True)
class WithdrawNotice:
    agreement: str
    on: dt.date


@dataclass(frozen=True)
class StartProcedure:
    agreement: str
    procedure: str
    by: str
    on: dt.date
    summary: str


@dataclass(frozen=True)
class EscalateCase:
    case: CaseId
    on: dt.date

    def __post_init__(self) -> None:
        _parse_case(self)


@dataclass(frozen=True)
class CloseCase:
    case: CaseId
    on: dt.date
    outcome: str = ""

    def __post_init__(self) -> None:
        _parse_case(self)


@dataclass(frozen=True)
class MoveMeeting:
    agreement: str
    meeting: str
    occurrence: dt.date
    to: dt.datetime | LocalStart
    """An aware instant, or the local day and time as typed, checked against the clocks
    changing (and without a time, the meeting's own time) by the decision."""


@dataclass(frozen=True)
class CancelMeeting:
    agreement: str
    meeting: str
    occurrence: dt.date


@dataclass(frozen=True)
class ProposeVariation:
    agreement: str
    on: dt.date
    summary: str


@dataclass(frozen=True)
class SignVariation:
    variation: VariationId
    by: str
    on: dt.date

    def __post_init__(self) -> None:
        if isinstance(self.variation, str):
            object.__setattr__(self, "variation", VariationId.parse(self.variation))


@dataclass(frozen=True)
class ExtendTerm:
    agreement: str
    to: dt.date
    on: dt.date
    beyond_limit: bool = False
    """True when the parties agreed to run past the "up to" limit the term declares."""


Command = (
    ServeNotice
    | WithdrawNotice
    | StartProcedure
    | EscalateCase
    | CloseCase
    | MoveMeeting
    | CancelMeeting
    | ProposeVariation
    | SignVariation
    | ExtendTerm
)


def agreement_of(command: Command) -> str:
    """The agreement a command concerns; case and variation ids carry it."""
    if isinstance(command, EscalateCase | CloseCase):
        return command.case.agreement
    if isinstance(command, SignVariation):
        return command.variation.agreement
    return command.agreement


def _parse_case(command: EscalateCase | CloseCase) -> None:
    """Accept the textual id too (older callers, tests), turning it into a `CaseId`."""
    if isinstance(command.case, str):
        object.__setattr__(command, "case", CaseId.parse(command.case))
