"""Plain-text rendering of an outbox message: every fact of its payload on a readable line.

Kept small on purpose: the issue "What partners receive" replaces the body with templates and
adds iCal; the headers set here stay. The Message-ID is the one derived from the outbox key,
copied exactly, so a message sent again after a crash is recognisably the same message, and
the key and kind travel in `X-Concordat-*` headers so a mailbox can be matched to the outbox.
"""

from __future__ import annotations

import datetime as dt
import re
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from lifecycle.messages import Message

# Control characters (Unicode category Cc), the line and paragraph separators and lone
# surrogates: what `lifecycle.text` refuses in one-line fields.
_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]+")
# RFC 5322's hard limit rather than its 78-character advice: folded before a long unbroken
# token, such as an outbox key, a header would read back with a leading space.
_POLICY = policy.SMTP.clone(max_line_length=998)

# Payload keys in the order a reader wants them, with their labels; keys not listed here are
# still shown, after these, so that no fact the planner put in the payload is left out.
LABELS = {
    "agreement": "Agreement",
    "title": "What",
    "kind": "Kind",
    "date": "Date",
    "start": "Time",
    "location": "Place",
    "for_date": "About",
    "lead": "Notice given",
    "moved_from": "Moved from",
    "detail": "Detail",
    "clause": "Clause",
    "rule": "Reference",
}
NOT_SHOWN = {"recipient_name", "end"}  # the greeting; `end` is shown with `start`


def render(message: Message, sender: str, *, now: dt.datetime | None = None) -> EmailMessage:
    """The email for `message`, from `sender`. `now` (aware) is its Date header; the caller
    passes its clock's time, so a simulated year carries simulated dates."""
    email = EmailMessage(policy=_POLICY)
    email["Subject"] = header_text(message.subject)
    email["From"] = header_text(sender)
    email["To"] = header_text(message.recipient)
    email["Date"] = format_datetime(now or dt.datetime.now(dt.UTC))
    email["Message-ID"] = message.message_id
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to a reminder
    email["X-Concordat-Key"] = header_text(message.key)
    email["X-Concordat-Kind"] = message.kind.value
    email.set_content(body(message), charset="utf-8")
    return email


def header_text(text: str) -> str:
    """`text` with every line break and control character made a space: a header value can
    never start another header. Configuration and commands already refuse such text; this is
    the last guard, and `policy.SMTP` refuses CR and LF again below it. A run of them is one
    space."""
    return _BREAKS.sub(" ", text)


def body(message: Message) -> str:
    """The plain-text body: a greeting, then one line per fact."""
    payload = message.payload
    name = payload.get("recipient_name")
    lines = [f"Dear {name}," if name else "Hello,", "", header_text(message.subject), ""]
    keys = [key for key in LABELS if key in payload]
    keys += sorted(key for key in payload if key not in LABELS and key not in NOT_SHOWN)
    for key in keys:
        value = _value(key, payload)
        if value:
            label = LABELS.get(key) or key.replace("_", " ").capitalize()
            lines.append(f"{label}: {value}")
    lines += ["", f"Sent by Concordat. Reference: {message.key}"]
    return "\n".join(lines) + "\n"


def _value(key: str, payload: dict[str, Any]) -> str:
    value = payload[key]
    if value is None or value == "":
        return ""
    if key in ("date", "for_date", "moved_from"):
        return _day(str(value))
    if key == "start":
        return _times(str(value), payload.get("end"))
    if key == "kind":
        return str(value).replace("_", " ")
    if key == "lead":
        return f"{value} before"
    return str(value)


def _day(text: str) -> str:
    """ "2026-03-10" as "Tuesday 10 March 2026"; text that is not a date is shown as it is."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return text
    return f"{day:%A} {day.day} {day:%B %Y}"


def _times(start: str, end: object) -> str:
    """Local start and end times with their UTC offset, as the timeline gave them."""
    try:
        begins = dt.datetime.fromisoformat(start)
        ends = dt.datetime.fromisoformat(str(end)) if end else None
    except ValueError:
        return f"{start} to {end}" if end else start
    shown = f"{begins:%H:%M}" + (f" to {ends:%H:%M}" if ends else "")
    offset = begins.strftime("%z")
    return f"{shown} (UTC{offset[:3]}:{offset[3:]})" if offset else shown
