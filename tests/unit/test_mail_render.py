"""Rendering: every fact of the payload on a line, headers exact, no header injection."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from lifecycle.messages import Message, MessageKind, occurrence_payload
from lifecycle.occurrence import Occurrence, OccurrenceKind
from notifications.render import render

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def meeting_message(**changes: Any) -> Message:
    occurrence = Occurrence(
        agreement="sefton-s75",
        rule="partnership-board",
        kind=OccurrenceKind.MEETING,
        title="Partnership board",
        date=dt.date(2026, 4, 14),
        start=dt.datetime(2026, 4, 14, 10, 0, tzinfo=LONDON),
        end=dt.datetime(2026, 4, 14, 11, 30, tzinfo=LONDON),
        moved_from=dt.date(2026, 4, 13),
        location="Bootle Town Hall",
        detail="Moved: Easter Monday",
    )
    payload = occurrence_payload(occurrence) | {"recipient_name": "Alex Lead"}
    fields: dict[str, Any] = {
        "key": "invite:sefton-s75:partnership-board:2026-04-13:alex@council.example.org",
        "agreement": "sefton-s75",
        "kind": MessageKind.INVITE,
        "recipient": "alex@council.example.org",
        "due_at": dt.datetime(2026, 3, 17, 9, 0, tzinfo=dt.UTC),
        "subject": "Partnership board (Tue 14 Apr 2026)",
        "payload": payload,
    }
    return Message(**(fields | changes))


def parsed(email: EmailMessage) -> EmailMessage:
    """What a receiving mailbox reads: the bytes on the wire, parsed back."""
    result = message_from_bytes(email.as_bytes(), policy=policy.default)
    assert isinstance(result, EmailMessage)
    return result


def test_headers_are_exact() -> None:
    message = meeting_message()
    email = parsed(render(message, "concordat@council.example.org", now=NOW))
    assert email["Subject"] == "Partnership board (Tue 14 Apr 2026)"
    assert email["From"] == "concordat@council.example.org"
    assert email["To"] == "alex@council.example.org"
    assert email["Message-ID"] == message.message_id
    assert email["Date"] == "Mon, 02 Mar 2026 09:00:00 +0000"
    assert email["X-Concordat-Key"] == message.key
    assert email["X-Concordat-Kind"] == "invite"
    assert email["Auto-Submitted"] == "auto-generated"


def test_a_resend_carries_the_same_message_id() -> None:
    first = render(meeting_message(), "a@example.org", now=NOW)
    again = render(meeting_message(), "a@example.org", now=NOW + dt.timedelta(hours=5))
    assert first["Message-ID"] == again["Message-ID"]


def bodies(email: EmailMessage) -> tuple[str, str]:
    """The plain-text and HTML alternatives."""
    assert email.get_content_type() == "multipart/alternative"
    text, html = email.get_body(("plain",)), email.get_body(("html",))
    assert text is not None
    assert html is not None
    return text.get_content(), html.get_content()


def test_the_bodies_state_every_fact() -> None:
    text, html = bodies(parsed(render(meeting_message(), "a@example.org", now=NOW)))
    lines = text.splitlines()
    assert lines[0] == "Dear Alex Lead,"
    for line in [
        "Invitation: Partnership board",
        "When: Tuesday 14 April 2026, 10:00 to 11:30 (UK time)",
        "Where: Bootle Town Hall",
        "Moved from: Monday 13 April 2026",
        "Detail: Moved: Easter Monday",
        "Agreement: sefton-s75",
    ]:
        assert line in lines, line
        value = line.partition(": ")[2]
        assert value in html, line
    assert lines[-1].endswith(f"Reference: {meeting_message().key}")


def test_reminders_say_what_they_are_about_and_which_clause() -> None:
    payload = meeting_message().payload | {
        "kind": "reminder",
        "start": None,
        "end": None,
        "for_date": "2026-04-14",
        "lead": "7 days",
        "clause": "cl. 9.2",
        "template": "meeting_reminder",
        "agreement_title": "Sefton Partnership",
        "told": ["Sam Chair (Sefton Council)"],
    }
    message = meeting_message(payload=payload, kind=MessageKind.REMINDER)
    email = parsed(render(message, "a@example.org", now=NOW))
    lines = bodies(email)[0].splitlines()
    assert "When: Tuesday 14 April 2026" in lines
    assert "Agreement: Sefton Partnership (cl. 9.2)" in lines
    assert "Also told: Sam Chair (Sefton Council)" in lines
    assert email["X-Concordat-Template"] == "meeting_reminder"
    assert email["List-Unsubscribe"] == "<mailto:a@example.org?subject=unsubscribe>"


def test_invites_and_notices_carry_no_unsubscribe_header() -> None:
    email = parsed(render(meeting_message(), "a@example.org", now=NOW))
    assert email["X-Concordat-Template"] == "meeting_invite"
    assert email["List-Unsubscribe"] is None


def test_html_escapes_what_the_configuration_says() -> None:
    payload = meeting_message().payload | {"location": "<script>alert(1)</script> & Co"}
    text, html = bodies(parsed(render(meeting_message(payload=payload), "a@x.org", now=NOW)))
    assert "Where: <script>alert(1)</script> & Co" in text.splitlines()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html


def test_non_ascii_text_survives_the_wire() -> None:
    message = meeting_message(subject="Réunion — café (Tue 14 Apr 2026)")
    payload = message.payload | {"location": "Salle Chloé", "recipient_name": "Zoë"}
    email = parsed(render(meeting_message(payload=payload, subject=message.subject), "a@x.org"))
    assert email["Subject"] == "Réunion — café (Tue 14 Apr 2026)"
    text, html = bodies(email)
    assert "Where: Salle Chloé" in text
    assert "Dear Zoë," in html


@pytest.mark.parametrize("breaker", ["\r\n", "\n", "\r", "\u2028", "\x00", "\x85", "\t"])
def test_a_line_break_in_the_subject_cannot_add_a_header(breaker: str) -> None:
    message = meeting_message(subject=f"Board{breaker}Bcc: everyone@example.org")
    wire = render(message, "a@example.org", now=NOW).as_bytes()
    email = message_from_bytes(wire, policy=policy.default)
    assert email["Bcc"] is None
    assert email["Subject"] == "Board Bcc: everyone@example.org"
    headers = wire.split(b"\r\n\r\n", 1)[0]
    assert b"\nBcc:" not in headers


def test_the_policy_refuses_line_breaks_below_render() -> None:
    email = EmailMessage(policy=policy.SMTP)
    with pytest.raises(ValueError, match="linefeed or carriage return"):
        email["Subject"] = "Board\r\nBcc: everyone@example.org"


def test_a_long_key_reads_back_unchanged() -> None:
    key = "reminder:sefton-s75:" + "partnership-board-and-more:" * 6 + "2026-04-14:1 day:x@y.org"
    email = parsed(render(meeting_message(key=key), "a@example.org", now=NOW))
    assert email["X-Concordat-Key"] == key
