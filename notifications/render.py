"""An outbox message as an email: headers here, bodies from the kind's templates
(`notifications.templating`).

The Message-ID is the one derived from the outbox key, copied exactly, so a message sent
again after a crash is recognisably the same message, and the key and kind travel in
`X-Concordat-*` headers so a mailbox can be matched to the outbox. Optional kinds (the
reminders a partner may opt out of) carry `List-Unsubscribe`; notices, invites and
escalations never do.
"""

from __future__ import annotations

import datetime as dt
import re
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

from lifecycle.ids import split_follow_up
from lifecycle.kinds import CALENDAR_FAMILIES
from lifecycle.messages import Message, MessageKind, kind_of
from lifecycle.series import moment_in_zone, payload_series
from notifications.ical import Method, domain_of, invite
from notifications.templating import Templates

# Control characters (Unicode category Cc), the line and paragraph separators and lone
# surrogates: what `lifecycle.text` refuses in one-line fields.
_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]+")
# RFC 5322's hard limit rather than its 78-character advice: folded before a long unbroken
# token, such as an outbox key, a header would read back with a leading space.
_POLICY = policy.SMTP.clone(max_line_length=998)

_SHIPPED = Templates()


def render(
    message: Message,
    sender: str,
    *,
    now: dt.datetime | None = None,
    templates: Templates | None = None,
) -> EmailMessage:
    """The email for `message`, from `sender`: plain text and HTML (multipart/alternative)
    from its kind's templates. `now` (aware) is its Date header; the caller passes its
    clock's time, so a simulated year carries simulated dates."""
    stamp = now or dt.datetime.now(dt.UTC)
    bodies = (templates or _SHIPPED).render(message, now=stamp)
    email = EmailMessage(policy=_POLICY)
    email["Subject"] = header_text(message.subject)
    email["From"] = header_text(sender)
    email["To"] = header_text(message.recipient)
    email["Date"] = format_datetime(stamp)
    email["Message-ID"] = message.message_id
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to a reminder
    email["X-Concordat-Key"] = header_text(message.key)
    email["X-Concordat-Kind"] = message.kind.value
    kind = kind_of(message)
    email["X-Concordat-Template"] = kind.name
    if kind.optional:
        email["List-Unsubscribe"] = f"<mailto:{header_text(sender)}?subject=unsubscribe>"
    email.set_content(bodies.text, charset="utf-8")
    email.add_alternative(bodies.html, subtype="html", charset="utf-8")
    calendar = calendar_of(message, sender, stamp)
    if calendar is not None:
        method, data = calendar
        # Calendar clients act on the text/calendar alternative (accept buttons, updates in
        # place); the same file attached serves readers that only offer attachments.
        text = data.decode("utf-8")
        params = {"method": method}
        email.add_alternative(text, subtype="calendar", charset="utf-8", params=params)
        email.add_attachment(text, subtype="calendar", charset="utf-8", params=params,
                             filename="invite.ics")  # fmt: skip
    return email


def calendar_of(message: Message, sender: str, stamp: dt.datetime) -> tuple[str, bytes] | None:
    """The iTIP message a series invite, update or cancellation carries: (method, bytes);
    None for every other message. SEQUENCE is the follow-up's number (0 for the first
    invite), so each update supersedes the last; the UID is the series', on the sender's
    domain."""
    if message.kind not in CALENDAR_FAMILIES or not isinstance(message.payload.get("series"), dict):
        return None
    series, zone = payload_series(message.payload)
    method: Method = "CANCEL" if message.kind is MessageKind.INVITE_CANCEL else "REQUEST"
    attendees = [tuple(each) for each in message.payload.get("attendees", [])]
    one = message.payload.get("cancel_occurrence")  # one meeting called off, not the series
    sequence = message.payload.get("sequence", split_follow_up(message.key)[1])
    return method, invite(
        series,
        method=method,
        cancel_occurrence=moment_in_zone(one, zone) if isinstance(one, str) else None,
        sequence=int(sequence),
        organizer=sender,
        attendees=attendees,
        domain=domain_of(sender),
        stamp=stamp,
    )


def header_text(text: str) -> str:
    """`text` with every line break and control character made a space: a header value can
    never start another header. Configuration and commands already refuse such text; this is
    the last guard, and `policy.SMTP` refuses CR and LF again below it. A run of them is one
    space."""
    return _BREAKS.sub(" ", text)
