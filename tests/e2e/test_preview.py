"""`concordat preview`: a message of a kind, exactly as it would be sent."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from tests.e2e.test_run import concordat

NOTTS = "nottinghamshire-healthy-families"


def test_preview_writes_the_invite_as_it_would_be_sent(tmp_path: Path) -> None:
    out = tmp_path / "invite.eml"
    result = concordat("preview", "--config", str(EXAMPLES), "--agreement", NOTTS,
                       "--kind", "meeting_invite", "--on", "2024-10-20", "--out", str(out),
                       cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    email = message_from_bytes(out.read_bytes(), policy=policy.strict)
    assert email["X-Concordat-Template"] == "meeting_invite"
    types = [part.get_content_type() for part in email.walk()]
    assert types == ["multipart/mixed", "multipart/alternative", "text/plain", "text/html",
                     "text/calendar", "text/calendar"]  # fmt: skip
    calendars = [p.get_content() for p in email.walk() if p.get_content_type() == "text/calendar"]
    assert all("METHOD:REQUEST" in text for text in calendars)


def test_a_kind_the_plan_lacks_is_shown_as_a_sample_and_said_so(tmp_path: Path) -> None:
    result = concordat("preview", "--config", str(EXAMPLES), "--agreement", NOTTS,
                       "--kind", "notice_served", "--on", "2024-10-20", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "a sample follows" in result.stderr
    assert "X-Concordat-Template: notice_served" in result.stdout


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (("--kind", "bogus"), 2, "--kind must be one of"),
        (("--kind", "review_due", "--on", "2024-02-30"), 2, "2024-02-30"),
        (("--kind", "review_due", "--agreement", "nope"), 1, "unknown agreement"),
        (("--kind", "review_due", "--out", "/nonexistent/x.eml"), 2, "cannot write"),
    ],
)
def test_bad_preview_options_are_refused(
    args: tuple[str, ...], code: int, text: str, tmp_path: Path
) -> None:
    result = concordat("preview", "--config", str(EXAMPLES), "--agreement", NOTTS, *args,
                       cwd=tmp_path)  # fmt: skip
    assert result.returncode == code, (result.stdout, result.stderr)
    assert text in result.stderr
    assert "Traceback" not in result.stderr
