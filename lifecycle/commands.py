"""Commands: what an administrator asks for, as frozen imperative dataclasses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class ServeNotice:
    agreement: str
    by: str
    on: dt.date
    ending: dt.date | None = None


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
    case: str
    on: dt.date


@dataclass(frozen=True)
class CloseCase:
    case: str
    on: dt.date
    outcome: str = ""


@dataclass(frozen=True)
class MoveMeeting:
    agreement: str
    meeting: str
    occurrence: dt.date
    to: dt.datetime


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
    variation: str
    by: str
    on: dt.date


@dataclass(frozen=True)
class ExtendTerm:
    agreement: str
    to: dt.date
    on: dt.date


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
    """The agreement a command concerns; case and variation ids begin with it."""
    if isinstance(command, EscalateCase | CloseCase):
        return command.case.split(".")[0]
    if isinstance(command, SignVariation):
        return command.variation.split(".")[0]
    return command.agreement
