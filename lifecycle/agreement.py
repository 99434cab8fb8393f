"""Agreements as the domain sees them: frozen dataclasses built by the configuration adapter.

Dates here are already resolved (a deadline "one year after start" carries its date), so the
timeline needs no knowledge of how the administrator wrote them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from lifecycle.cadence import Cadence
from lifecycle.notice import NoticeRule
from lifecycle.periods import Period


class AgreementKind(StrEnum):
    """The legal form of an agreement."""

    SECTION_75 = "section-75"
    SECTION_31 = "section-31"
    COOPERATION = "cooperation"
    COLLABORATION = "collaboration"
    OTHER = "other"


PLACEHOLDER_DOMAIN = "invalid"  # RFC 2606 reserves it: no address under it can ever exist


def is_placeholder(address: str) -> bool:
    """True for an address under the reserved `.invalid` domain ("contact@council.invalid"):
    what `concordat extract` writes where the text names no address. It stands in until a
    real one replaces it, and nothing is ever sent to it."""
    domain = address.rpartition("@")[2].strip().rstrip(">").strip().rstrip(".").lower()
    return domain == PLACEHOLDER_DOMAIN or domain.endswith("." + PLACEHOLDER_DOMAIN)


class WindowFrom(StrEnum):
    """Where a procedure step's window is counted from."""

    PREVIOUS = "previous"
    START = "start"


@dataclass(frozen=True)
class Contact:
    """A named person at a party who receives messages."""

    id: str
    name: str
    email: str
    role: str
    party: str
    deputy: str | None = None
    private: bool = False  # never shown to other organisations' contacts
    digest: str = "none"  # "also" or "instead": a weekly digest (lifecycle.digests)

    @property
    def placeholder(self) -> bool:
        """True while the address is a placeholder (`is_placeholder`): the contact is
        declared but receives nothing."""
        return is_placeholder(self.email)

    def visible_to(self, other: Contact) -> bool:
        """True when `other` may see this contact named (in "also told", as an attendee)."""
        return not self.private or self.party == other.party


@dataclass(frozen=True)
class Party:
    """An organisation that is party to the agreement."""

    id: str
    name: str
    roles: tuple[str, ...]
    contacts: tuple[Contact, ...] = ()


@dataclass(frozen=True)
class Extension:
    """An agreed extension of the term to a new last day."""

    to: dt.date
    clause: str = ""
    agreed_on: dt.date | None = None


@dataclass(frozen=True)
class Term:
    """When an agreement starts and the last day it may run (None: until terminated)."""

    start: dt.date
    end: dt.date | None = None
    up_to: bool = False
    extensions: tuple[Extension, ...] = ()
    clause: str = ""

    @property
    def last_day(self) -> dt.date | None:
        """The last day after every extension, or None when the agreement runs until ended."""
        if self.extensions:
            return max(extension.to for extension in self.extensions)
        return self.end


@dataclass(frozen=True)
class Meeting:
    """A recurring meeting: its cadence, time, place and who attends."""

    id: str
    title: str
    cadence: Cadence
    time: dt.time | None = None
    duration: dt.timedelta = dt.timedelta(hours=1)
    location: str = ""
    attendees: tuple[str, ...] = ("all",)
    reminders: tuple[Period, ...] | None = None
    clause: str = ""


@dataclass(frozen=True)
class Review:
    """A recurring review whose due dates come from a cadence."""

    id: str
    title: str
    cadence: Cadence
    notify: tuple[str, ...] = ("all",)
    reminders: tuple[Period, ...] | None = None
    clause: str = ""


@dataclass(frozen=True)
class Deadline:
    """A one-off due date, already resolved from whatever it was written relative to."""

    id: str
    title: str
    date: dt.date
    notify: tuple[str, ...] = ("all",)
    reminders: tuple[Period, ...] | None = None
    clause: str = ""


@dataclass(frozen=True)
class Step:
    """One rung of a procedure's ladder; a step without a window is open-ended."""

    id: str
    title: str
    window: Period | None
    window_from: WindowFrom = WindowFrom.PREVIOUS
    notify: tuple[str, ...] = ("all",)


@dataclass(frozen=True)
class Procedure:
    """A named ladder of steps set off by something that happens (a dispute, an FOI request)."""

    id: str
    title: str
    steps: tuple[Step, ...]
    then: str | None = None
    clause: str = ""


@dataclass(frozen=True)
class Agreement:
    """A partnership agreement and every clock it declares."""

    id: str
    title: str
    kind: AgreementKind
    binding: bool
    parties: tuple[Party, ...]
    term: Term
    notice: NoticeRule | None = None
    meetings: tuple[Meeting, ...] = ()
    reviews: tuple[Review, ...] = ()
    deadlines: tuple[Deadline, ...] = ()
    procedures: tuple[Procedure, ...] = ()
    term_reminders: tuple[Period, ...] | None = None
    notice_reminders: tuple[Period, ...] | None = None
    closure_days: frozenset[dt.date] = field(default_factory=frozenset)

    def party(self, party_id: str) -> Party | None:
        """The party with this id, or None."""
        return next((party for party in self.parties if party.id == party_id), None)

    def procedure(self, procedure_id: str) -> Procedure | None:
        """The procedure with this id, or None."""
        return next((proc for proc in self.procedures if proc.id == procedure_id), None)

    def clause_of(self, rule: str) -> str:
        """The clause reference (from the TOML) of the rule an occurrence comes from: its
        meeting, review, deadline or procedure, the term or the notice rule; "" when the
        agreement names none. Messages carry it, so every one says where it comes from."""
        kind, _, rest = rule.partition(":")
        if kind == "term":
            return self.term.clause
        if kind == "notice":
            return self.notice.clause if self.notice is not None else ""
        if kind == "case":  # case:<case id>:<procedure id>:<step>
            parts = rest.split(":")
            found = self.procedure(parts[1]) if len(parts) > 1 else None
            return found.clause if found is not None else ""
        rules: dict[str, tuple[Meeting, ...] | tuple[Review, ...] | tuple[Deadline, ...]] = {
            "meeting": self.meetings, "review": self.reviews, "deadline": self.deadlines,
        }  # fmt: skip
        return next((item.clause for item in rules.get(kind, ()) if item.id == rest), "")

    @property
    def contacts(self) -> tuple[Contact, ...]:
        """Every contact of every party, in declaration order."""
        return tuple(contact for party in self.parties for contact in party.contacts)

    def recipients(self, references: tuple[str, ...]) -> tuple[Contact, ...]:
        """The contacts a list of references names, and the deputy of each (copied, so that
        an absence does not lose a deadline), each once, in declaration order.

        A reference is "all", "party:<id>", "role:<party role>", "contact-role:<contact role>"
        or "contact:<id>".

        A contact whose address is a placeholder (`Contact.placeholder`) is never among
        them, named or as a deputy: every message, invite, digest and feed resolves its
        readers here, so nothing is addressed to a `.invalid` address. A placeholder's real
        deputy is still copied, so the message reaches the party through them.
        """
        named = {contact for ref in references for contact in self._matching(ref)}
        chosen = {c.id for c in named} | {c.deputy for c in named if c.deputy is not None}
        return tuple(
            contact for contact in self.contacts if contact.id in chosen and not contact.placeholder
        )

    def _matching(self, reference: str) -> tuple[Contact, ...]:
        kind, _, value = reference.partition(":")
        if kind == "all":
            return self.contacts
        if kind == "party":
            return tuple(c for c in self.contacts if c.party == value)
        if kind == "role":
            parties = {p.id for p in self.parties if value in p.roles}
            return tuple(c for c in self.contacts if c.party in parties)
        if kind == "contact-role":
            return tuple(c for c in self.contacts if c.role == value)
        if kind == "contact":
            return tuple(c for c in self.contacts if c.id == value)
        return ()
