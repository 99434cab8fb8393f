"""A simulated month of the examples received by a real SMTP server: every message is
well-formed MIME as a strict parser reads it, with the structure its kind calls for."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

from icalendar import Calendar

from lifecycle.kinds import BY_NAME, MessageKind
from tests.conftest import EXAMPLES
from tests.e2e.test_run import concordat, smtp
from tests.integration.test_smtp import Recorder

__all__ = ["smtp"]  # the fixture, imported for pytest
INVITES = {MessageKind.INVITE, MessageKind.INVITE_UPDATE, MessageKind.INVITE_CANCEL}


def test_a_simulated_month_arrives_as_well_formed_mime(
    smtp: tuple[Recorder, int], tmp_path: Path
) -> None:
    recorder, port = smtp
    db = f"sqlite:///{tmp_path / 'c.db'}"
    window = ("--from", "2025-01-01", "--to", "2025-01-31")
    where = ("--config", str(EXAMPLES), "--db", db, "--smtp", f"127.0.0.1:{port}")
    result = concordat("simulate", *window, *where, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert recorder.received
    seen: set[str] = set()
    for _, _, content in recorder.received:
        email = message_from_bytes(content, policy=policy.strict)
        kind = BY_NAME[str(email["X-Concordat-Template"])]
        seen.add(kind.name)
        assert all(part.defects == [] for part in email.walk())
        types = [part.get_content_type() for part in email.walk()]
        if kind.family in INVITES:
            assert types == ["multipart/mixed", "multipart/alternative", "text/plain",
                             "text/html", "text/calendar", "text/calendar"]  # fmt: skip
            calendar = next(p for p in email.walk() if p.get_content_type() == "text/calendar")
            parsed = Calendar.from_ical(calendar.get_content())
            assert str(parsed["METHOD"]) in ("REQUEST", "CANCEL")
        else:
            assert types == ["multipart/alternative", "text/plain", "text/html"]
        assert (email["List-Unsubscribe"] is not None) == kind.optional
        assert email["Auto-Submitted"] == "auto-generated"
    assert {"meeting_invite", "meeting_reminder"} <= seen
