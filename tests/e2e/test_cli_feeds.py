"""`concordat feeds` as a subprocess: issue, list, rotate and revoke, and hostile input
refused with exit 2 and nothing stored."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "config" / "examples"
URL = re.compile(r"^url: (http://127\.0\.0\.1:8080/feeds/([0-9a-f]{64})\.ics)$", re.MULTILINE)
WEBCAL = re.compile(r"^webcal: webcal://127\.0\.0\.1:8080/feeds/([0-9a-f]{64})\.ics$", re.MULTILINE)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "CONCORDAT_DB": f"sqlite:///{tmp_path / 'c.db'}",
        "CONCORDAT_CONFIG": str(EXAMPLES),
        "CONCORDAT_DATA": str(tmp_path / "data"),
        "CONCORDAT_SECRET": "e" * 40,
    }


def concordat(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "concordat", "feeds", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )


def test_issue_list_rotate_revoke(env: dict[str, str]) -> None:
    issued = concordat(env, "issue", "--contact", "council-chair", "--label", "Chair's iPad")
    assert issued.returncode == 0, issued.stderr
    assert issued.stdout.startswith("issued feed 1 (contact council-chair)")
    url = URL.search(issued.stdout)
    webcal = WEBCAL.search(issued.stdout)
    assert url is not None
    assert webcal is not None
    assert webcal.group(1) == url.group(2)
    meeting = concordat(env, "issue", "--meeting", "sefton-partnership:partnership-board")
    assert meeting.returncode == 0, meeting.stderr
    listed = concordat(env, "list")
    assert listed.returncode == 0, listed.stderr
    assert url.group(1) in listed.stdout
    assert "Chair's iPad" in listed.stdout
    assert "2 feed(s), 2 live" in listed.stdout
    rotated = concordat(env, "rotate", "1")
    assert rotated.returncode == 0, rotated.stderr
    new_url = URL.search(rotated.stdout)
    assert new_url is not None
    assert new_url.group(2) != url.group(2)
    assert "generation 1" in rotated.stdout
    revoked = concordat(env, "revoke", "1")
    assert revoked.returncode == 0, revoked.stderr
    assert "revoked at" in revoked.stdout
    after = concordat(env, "list")
    assert new_url.group(1) not in after.stdout
    assert "2 feed(s), 1 live" in after.stdout
    again = concordat(env, "rotate", "1")
    assert again.returncode == 1
    assert "cannot be rotated" in again.stderr
    unknown = concordat(env, "revoke", "7")
    assert unknown.returncode == 1
    assert "unknown feed '7' (known: 1, 2)" in unknown.stderr


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (("--contact", "nobody"), 1, "unknown contact 'nobody' (known: "),
        (("--agreement", "nowhere"), 1, "unknown agreement 'nowhere'"),
        (("--meeting", "sefton-partnership:nothing"), 1, "unknown meeting"),
        ((), 2, "exactly one of"),
        (("--contact", "dph", "--agreement", "stockport-0-19"), 2, "exactly one of"),
        (("--contact", "dph", "--label", "a\r\nb"), 2, "U+000D"),
        (("--contact", "dph", "--label", "x" * 201), 2, "at most 200"),
        (("--contact", "dph", "--label", ""), 2, "must not be empty"),
        (("--contact", ""), 2, "must not be empty"),
        (("--agreement", "sefton-partnership", "--label", "\u200b"), 2, "must not be empty"),
        (("--agreement", "sefton-partnership", "--label", " \u2060 "), 2, "must not be empty"),
        (("--agreement", "sefton-partnership", "--label", "\u202e"), 2, "U+202E"),
        (("--agreement", "sefton-partnership", "--label", "ab\u2067c"), 2, "U+2067"),
        (("--meeting", "sefton-partnership"), 2, "AGREEMENT:MEETING"),
    ],
)
def test_hostile_or_unknown_input_is_refused(
    env: dict[str, str], args: tuple[str, ...], code: int, said: str
) -> None:
    result = concordat(env, "issue", *args)
    assert result.returncode == code, result.stderr
    assert said in result.stderr
    assert "Traceback" not in result.stderr
    listed = concordat(env, "list")
    assert "0 feed(s)" in listed.stdout or listed.returncode == 3  # nothing stored


def test_rotations_at_once_from_two_processes_both_happen(env: dict[str, str]) -> None:
    issued = concordat(env, "issue", "--agreement", "stockport-0-19")
    assert issued.returncode == 0, issued.stderr
    command = [sys.executable, "-m", "concordat", "feeds", "rotate", "1"]
    running = [
        subprocess.Popen(
            command, cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(3)
    ]
    results = [process.communicate(timeout=120) for process in running]
    assert [process.returncode for process in running] == [0, 0, 0], results
    generations = sorted(out.split("generation ")[1].split()[0] for out, _ in results)
    assert generations == ["1", "2", "3"]  # one after the other, none lost
    listed = concordat(env, "list")
    final = URL.findall(next(out for out, _ in results if "generation 3" in out))
    assert final[0][0] in listed.stdout
