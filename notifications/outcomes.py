"""What became of each message a transport was given, and the port every transport fills.

A transport answers for every message, in order, and never raises for a delivery problem: a
batch where the third message is refused must still say that the first two went, or the
dispatcher would send them again. Whether to retry is the dispatcher's decision; the
transport only says which kind of failure it saw.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol


@dataclass(frozen=True)
class Sent:
    """Accepted: by the SMTP server (its reply, often with its queue id) or into the Maildir."""

    reply: str


@dataclass(frozen=True)
class TemporaryFailure:
    """Not sent, and worth trying again: the server was unreachable, timed out, hung up or
    answered 4xx."""

    reason: str


@dataclass(frozen=True)
class PermanentFailure:
    """Refused for good (a 5xx answer, or a message that cannot be sent as it is): trying
    again would get the same answer, so the administrator is told instead."""

    reason: str


Outcome = Sent | TemporaryFailure | PermanentFailure
# Told each message's outcome (its index in the batch) the moment it is known, so the caller
# can record a message as sent before the next one goes: a crash then repeats at most one.
Settle = Callable[[int, Outcome], Awaitable[None]]


class Transport(Protocol):
    """Where rendered messages go."""

    async def send(
        self, batch: Sequence[EmailMessage], settle: Settle | None = None
    ) -> list[Outcome]:
        """One outcome per message of `batch`, in the same order, each also given to
        `settle` as soon as it is known."""
        ...

    def describe(self) -> str:
        """One line for the service's start banner: where mail goes."""
        ...
