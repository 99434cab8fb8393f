"""Reports to the site's administrator: what the service could not do for a partner.

A message that fails for good (the server refused it, or every retry ran out) is recorded as
failed and, in the same transaction, a report to the administrator is queued in the outbox.
The report is itself an outbox message, so it has a stable key (one report per failed
message, however often the failure is recorded) and the same delivery guarantee as any other.
Reports belong to no agreement (`SITE`, which no agreement id can be), so no plan ever
withdraws one.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from lifecycle.ids import OutboxKey
from lifecycle.messages import Message, MessageKind

SITE = "_site"  # agreement ids start with a letter or digit, so this is none of them
SUBJECT_LIMIT = 200


def configuration_report(errors: list[str], at: dt.datetime, admin: str) -> Message:
    """The administrator's report that a changed configuration was refused: one per distinct
    set of errors (the same mistake saved twice is reported once)."""
    digest = hashlib.sha256("\n".join(errors).encode()).hexdigest()[:24]
    key = OutboxKey("report", SITE, f"invalid-{digest}", admin)
    payload = {
        "title": "A configuration change was refused: the last good configuration stays",
        "errors": errors,
        "failed_at": at.isoformat(timespec="seconds"),
        "what_to_do": (
            "Correct the files and keys listed; the service reloads them as soon as they are "
            "saved. `concordat validate` checks a directory before you save it."
        ),
    }
    subject = "Concordat refused a configuration change"
    return Message(str(key), SITE, MessageKind.ADMIN_REPORT, admin, at, subject, payload)


def missed_report(missed: list[tuple[Message, str]], at: dt.datetime, admin: str) -> Message:
    """The administrator's report of messages that came due while no service ran and were
    no use any more: one per set of missed messages (by their keys)."""
    keys = "\n".join(sorted(message.key for message, _ in missed))
    digest = hashlib.sha256(keys.encode()).hexdigest()[:24]
    key = OutboxKey("report", SITE, f"missed-{digest}", admin)
    payload = {
        "title": f"{len(missed)} message(s) came due while no service ran and were not sent",
        "missed": [
            f"{message.agreement} -> {message.recipient}: {message.subject} ({reason})"
            for message, reason in missed
        ],
        "failed_at": at.isoformat(timespec="seconds"),
        "what_to_do": (
            "Nothing can be sent for these now: what they were about is past. Keep the "
            "service running (systemd restarts it) so reminders go out on time; "
            "`concordat status` lists every missed message."
        ),
    }
    subject = f"Concordat missed {len(missed)} message(s) while it was not running"
    return Message(str(key), SITE, MessageKind.ADMIN_REPORT, admin, at, subject, payload)


def failure_report(
    failed: Message, reason: str, attempts: int, at: dt.datetime, admin: str
) -> Message | None:
    """The administrator's report that `failed` could not be delivered, due at `at`; None for
    a report that itself failed (reporting it would only fail again, to the same address)."""
    if failed.kind is MessageKind.ADMIN_REPORT:
        return None
    about = "failed-" + hashlib.sha256(failed.key.encode()).hexdigest()[:24]
    key = OutboxKey("report", SITE, about, admin)
    subject = f"Concordat could not deliver: {failed.subject}"
    if len(subject) > SUBJECT_LIMIT:
        subject = subject[: SUBJECT_LIMIT - 1] + "…"
    payload = {
        "title": "A message could not be delivered and will not be retried",
        "failed_agreement": failed.agreement,
        "failed_recipient": failed.recipient,
        "failed_subject": failed.subject,
        "failed_key": failed.key,
        "was_due": failed.due_at.isoformat(timespec="seconds"),
        "failed_at": at.isoformat(timespec="seconds"),
        "attempts": attempts,
        "reason": reason,
        "what_to_do": (
            "Check the recipient's address in the agreement's TOML file; once it is "
            "corrected, messages are planned for the corrected address. "
            "`concordat status` lists every failed message."
        ),
    }
    return Message(str(key), SITE, MessageKind.ADMIN_REPORT, admin, at, subject, payload)
