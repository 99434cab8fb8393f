"""Every kind of message Concordat sends, each declared once.

A kind says what produces it (an occurrence, or for a reminder the rule it reminds of), which
outbox family it belongs to (its key, how a change or a removal is followed up, whether it is
still worth sending late), the templates that render it (`<name>.txt.j2` and
`<name>.html.j2`), and whether it is optional (a reminder a partner may unsubscribe from or
take in a weekly digest). The planner picks a message's kind here, the outbox and the
catch-up rules read its family here, the renderer finds its templates by its name, and
`concordat preview --kind` lists the names. Adding a kind is one `Kind` below plus its two
templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from lifecycle.occurrence import Occurrence, OccurrenceKind


class MessageKind(StrEnum):
    """An outbox row's kind, its family: how its key is made and how the outbox treats it."""

    REMINDER = "reminder"
    INVITE = "invite"
    INVITE_UPDATE = "invite_update"
    INVITE_CANCEL = "invite_cancel"
    NOTICE = "notice"
    NOTICE_UPDATE = "notice_update"
    ADMIN_REPORT = "admin_report"


@dataclass(frozen=True)
class FamilyRule:
    """How the outbox treats a family.

    `key_family`: the first part of its outbox key. `updated_by`: the family of a follow-up
    when a delivered message's meaning changes (None: never followed up). `cancelled_by`: the
    family of the follow-up when a delivered one is no longer wanted (None: a message once
    sent is never recalled). `follows`: for a follow-up, the family it follows. `about_day`:
    the payload field naming the day it is about; once that day is past it is missed rather
    than sent late (None: always sent, however late). `ahead`: it is sent ahead of what it is
    about, so one no longer wanted is withdrawn even once due."""

    key_family: str
    updated_by: MessageKind | None = None
    cancelled_by: MessageKind | None = None
    follows: MessageKind | None = None
    about_day: str | None = None
    ahead: bool = False


FAMILIES: dict[MessageKind, FamilyRule] = {
    MessageKind.REMINDER: FamilyRule("reminder", about_day="for_date"),
    MessageKind.INVITE: FamilyRule(
        "invite",
        updated_by=MessageKind.INVITE_UPDATE,
        cancelled_by=MessageKind.INVITE_CANCEL,
        about_day="date",
        ahead=True,
    ),
    MessageKind.INVITE_UPDATE: FamilyRule(
        "invite", follows=MessageKind.INVITE, about_day="date", ahead=True
    ),
    MessageKind.INVITE_CANCEL: FamilyRule(
        "invite", follows=MessageKind.INVITE, about_day="date", ahead=True
    ),
    MessageKind.NOTICE: FamilyRule("notice", updated_by=MessageKind.NOTICE_UPDATE),
    MessageKind.NOTICE_UPDATE: FamilyRule("notice", follows=MessageKind.NOTICE),
    MessageKind.ADMIN_REPORT: FamilyRule("report"),
}

# The families that carry an iCalendar part: the series invite and its follow-ups.
CALENDAR_FAMILIES = frozenset(k for k, rule in FAMILIES.items() if rule.key_family == "invite")


@dataclass(frozen=True)
class Kind:
    """One kind of message: its name (templates, `preview --kind`), what it is for people,
    its outbox family, what produces it, and whether a partner may opt out of it."""

    name: str
    summary: str
    family: MessageKind
    occurrence: OccurrenceKind | None = None  # None: made otherwise (a series, a follow-up)
    reminds_of: str | None = None  # a reminder's rule prefix: meeting, review, term...
    first_step: bool | None = None  # a procedure step: the first of its ladder, or a later one
    optional: bool = False

    def matches(self, occurrence: Occurrence, first_step: bool) -> bool:
        """True when this kind is the message for `occurrence`."""
        if occurrence.kind is not self.occurrence:
            return False
        if self.reminds_of is not None and occurrence.rule.split(":", 1)[0] != self.reminds_of:
            return False
        return self.first_step is None or self.first_step == first_step


MK, R, N = MessageKind, OccurrenceKind.REMINDER, OccurrenceKind
# fmt: off
KINDS: tuple[Kind, ...] = (
    Kind("meeting_invite", "invitation to a meeting series", MK.INVITE),  # lifecycle.series
    Kind("meeting_update", "a meeting already sent has changed", MK.INVITE_UPDATE),
    Kind("meeting_cancellation", "a meeting is called off", MK.INVITE_CANCEL),
    Kind("meeting_reminder", "a meeting is coming up", MK.REMINDER, R, "meeting",
         optional=True),
    Kind("review_due", "a review is due", MK.REMINDER, R, "review", optional=True),
    Kind("weekly_digest", "the coming two weeks", MK.REMINDER, optional=True),  # digests
    Kind("deadline_approaching", "a deadline is approaching", MK.REMINDER, R, "deadline",
         optional=True),
    Kind("notice_last_day", "the last day to serve notice for an end", MK.REMINDER, R,
         "notice"),
    Kind("term_ending", "the term is ending: renew or re-procure", MK.REMINDER, R, "term"),
    Kind("notice_served", "notice has been served", MK.NOTICE, N.NOTICE_SERVED),
    Kind("procedure_started", "a dispute or procedure has started", MK.NOTICE,
         N.PROCEDURE_STEP, first_step=True),
    Kind("escalation_step", "a procedure's next step is due", MK.NOTICE,
         N.PROCEDURE_STEP, first_step=False),
    Kind("dispute_window_closing", "a step's window is closing", MK.REMINDER, R, "case"),
    Kind("procedure_closed", "a dispute or procedure is resolved", MK.NOTICE,
         N.PROCEDURE_CLOSED),
    Kind("variation_chaser", "a variation awaits signatures", MK.NOTICE, N.VARIATION_CHASER),
    Kind("variation_effective", "a variation is signed by all", MK.NOTICE,
         N.VARIATION_EFFECTIVE),
    Kind("notice_update", "a notice already sent has changed", MK.NOTICE_UPDATE),
    Kind("admin_report", "a message could not be delivered", MK.ADMIN_REPORT),
)
# fmt: on
BY_NAME = {kind.name: kind for kind in KINDS}
# The kind a follow-up or a report is rendered as, by family (those no occurrence makes).
OF_FAMILY: dict[MessageKind, Kind] = {
    kind.family: kind
    for kind in KINDS
    if kind.occurrence is None and kind.family is not MessageKind.REMINDER
}


def kind_for(occurrence: Occurrence, first_step: bool = False) -> Kind | None:
    """The kind of message `occurrence` asks for; None when it asks for none (a term's start,
    a review's own day: their reminders are the messages)."""
    return next((kind for kind in KINDS if kind.matches(occurrence, first_step)), None)
