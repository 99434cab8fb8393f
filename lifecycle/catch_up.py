"""What to do with a message that came due while nobody was sending: still worth sending
(late), or missed. Pure: the day is passed in.

- A reminder is worth sending while what it reminds of is not past.
- An invite, update or cancellation is worth sending while its meeting is not past.
- Notices (a notice served, a dispute's step, a chaser, a deadline's consequence) are always
  sent, however late: someone must act on them, and the message says when it was due.
"""

from __future__ import annotations

import datetime as dt

from lifecycle.kinds import FAMILIES
from lifecycle.messages import Message

ABOUT_A_DAY = {kind: rule.about_day for kind, rule in FAMILIES.items() if rule.about_day}


def missed_reason(message: Message, today: dt.date) -> str | None:
    """Why the message is no use any more on `today`, or None when it is still worth sending."""
    field = ABOUT_A_DAY.get(message.kind)
    if field is None:
        return None
    about = message.payload.get(field) or message.payload.get("date")
    if not isinstance(about, str):
        return None
    if dt.date.fromisoformat(about) < today:
        return f"{message.kind.value} about {about}, already past on {today}"
    return None
