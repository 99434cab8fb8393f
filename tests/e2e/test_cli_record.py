"""Issue 6 at the command line: typed ids, clocks changing under a meeting move, the README's
`extend` example, Halton cl. 6.2's agreed notice end, and what an escalation prints."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "config" / "examples"
NOTTS = "nottinghamshire-healthy-families"


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'c.db'}"


def concordat(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CONCORDAT_DB": db, "CONCORDAT_CONFIG": str(EXAMPLES)}
    return subprocess.run(
        [sys.executable, "-m", "concordat", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )


def history(db: str, agreement: str) -> list[dict[str, object]]:
    result = concordat(db, "history", "--agreement", agreement, "--format", "json")
    assert result.returncode == 0, result.stderr
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


@pytest.mark.parametrize(
    "args",
    [
        ("dispute", "escalate", "sefton-partnership.dispute", "--on", "2022-09-20"),
        ("dispute", "resolve", "sefton-partnership", "--on", "2022-09-20", "--outcome", "x"),
        ("procedure", "close", "sefton-partnership.foi.one", "--on", "2022-09-20"),
        ("variation", "sign", f"{NOTTS}.dispute.1", "--by", "ncc", "--on", "2025-01-08"),
    ],
)
def test_a_malformed_id_is_bad_input(db: str, args: tuple[str, ...]) -> None:
    result = concordat(db, *args)
    assert result.returncode == 2, result.stderr
    assert "is not a valid" in result.stderr
    assert "Traceback" not in result.stderr


def move(db: str, to: str) -> subprocess.CompletedProcess[str]:
    return concordat(
        db,
        "meeting",
        "move",
        "--agreement",
        NOTTS,
        "--meeting",
        "service-review",
        "--occurrence",
        "2024-11-12",
        "--to",
        to,
    )


@pytest.mark.parametrize(
    ("to", "expected"),
    [
        ("2025-03-30T01:30", "2025-03-30T00:30+00:00 (GMT) and 2025-03-30T02:30+01:00 (BST)"),
        ("2025-10-26T01:30", "2025-10-26T01:30+01:00 (BST) or 2025-10-26T01:30+00:00 (GMT)"),
    ],
)
def test_a_move_to_a_time_the_clocks_skip_or_repeat_is_refused(
    db: str, to: str, expected: str
) -> None:
    result = move(db, to)
    assert result.returncode == 1, result.stderr
    assert expected in result.stderr.replace("\n", " ")
    assert history(db, NOTTS) == []


def test_a_move_with_an_offset_chooses_one_of_the_repeated_times(db: str) -> None:
    result = move(db, "2025-10-26T01:30+00:00")
    assert result.returncode == 0, result.stderr
    assert history(db, NOTTS)[0]["to"] == "2025-10-26T01:30:00+00:00"


def test_a_move_to_a_day_keeps_the_meetings_time(db: str) -> None:
    result = move(db, "2024-11-14")
    assert result.returncode == 0, result.stderr
    assert history(db, NOTTS)[0]["to"] == "2024-11-14T10:00:00+00:00"


def _readme_command(name: str) -> list[str]:
    """The README's example of `concordat <name>`, as written (continuation lines joined)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8").replace("\\\n", " ")
    line = next(line for line in text.splitlines() if line.startswith(f"concordat {name} "))
    return shlex.split(line.split("#")[0])[1:]


def test_the_readme_extend_example_works_as_written(db: str) -> None:
    result = concordat(db, *_readme_command("extend"))
    assert result.returncode == 0, result.stderr
    assert history(db, "cambs-peterborough-s75")[0]["to"] == "2024-06-30"


def test_extending_past_an_up_to_limit_needs_beyond_limit(db: str) -> None:
    args = ("extend", "--agreement", "cambs-peterborough-s75", "--to", "2024-06-30")
    refused = concordat(db, *args, "--on", "2024-03-01")
    assert refused.returncode == 1
    assert "goes beyond that limit" in refused.stderr
    assert "2024-03-31" in refused.stderr
    assert history(db, "cambs-peterborough-s75") == []


def serve(db: str, *agreed: str) -> subprocess.CompletedProcess[str]:
    flags = [arg for party in agreed for arg in ("--agreed-by", party)]
    return concordat(
        db,
        "notice",
        "serve",
        "--agreement",
        "halton-st-helens-s31",
        "--by",
        "halton",
        "--on",
        "2009-10-01",
        "--ending",
        "2010-06-30",
        *flags,
    )


def test_notice_with_an_end_agreed_by_every_party(db: str) -> None:
    missing = serve(db, "halton", "pct")
    assert missing.returncode == 1
    assert "not agreed by: st-helens" in missing.stderr
    unknown = serve(db, "halton", "pct", "sefton")
    assert unknown.returncode == 1
    assert "unknown party 'sefton'" in unknown.stderr
    agreed = serve(db, "halton", "st-helens", "pct")
    assert agreed.returncode == 0, agreed.stderr
    assert "ends on 2010-06-30 (agreed by halton, st-helens, pct)" in agreed.stdout
    (row,) = history(db, "halton-st-helens-s31")
    assert row["agreed_by"] == ["halton", "st-helens", "pct"]
    plan = concordat(
        db,
        "plan",
        "--db",
        db,
        "--agreement",
        "halton-st-helens-s31",
        "--from",
        "2009-09-01",
        "--to",
        "2011-06-30",
        "--format",
        "json",
    )
    rows = json.loads(plan.stdout)
    assert [r["date"] for r in rows if r["kind"] == "term_end"] == ["2010-06-30"]


def test_escalate_prints_the_step_it_moved_to(db: str) -> None:
    raised = concordat(
        db,
        "dispute",
        "raise",
        "--agreement",
        "sefton-partnership",
        "--by",
        "council",
        "--on",
        "2022-09-12",
        "--summary",
        "Data sharing",
    )
    assert raised.returncode == 0, raised.stderr
    assert "escalated to" not in raised.stdout
    escalated = concordat(
        db, "dispute", "escalate", "sefton-partnership.dispute.1", "--on", "2022-09-20"
    )
    assert escalated.returncode == 0, escalated.stderr
    assert (
        "escalated to: Sefton Partnership board considers the dispute and recommends a "
        "resolution: due Tue 20 Sep 2022, window closes Tue 18 Oct 2022"
    ) in escalated.stdout
