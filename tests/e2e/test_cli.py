"""The `concordat` command as an administrator runs it: a subprocess, real files, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "config" / "examples"
REQUIRED = {"agreement", "rule", "kind", "title", "date", "start", "end", "moved_from"}


def concordat(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "concordat", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_validate_examples_prints_one_line_and_exits_zero() -> None:
    result = concordat("validate", "--config", str(EXAMPLES))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1
    assert "valid: 5 agreement(s)" in result.stdout


def test_validate_broken_directory_exits_two_with_every_error(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('id = "a"\ntitle = "A"\nkind = "treaty"\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text("id = [\n", encoding="utf-8")
    result = concordat("validate", "--config", str(tmp_path))
    assert result.returncode == 2
    assert "a.toml:3: kind:" in result.stderr
    assert "b.toml" in result.stderr
    assert "configuration errors" in result.stderr
    assert result.stdout == ""


def test_plan_json_has_the_documented_fields_sorted() -> None:
    result = concordat(
        "plan",
        "--config",
        str(EXAMPLES),
        "--from",
        "2022-07-01",
        "--to",
        "2023-12-31",
        "--reminders",
        "--format",
        "json",
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows
    assert all(row.keys() >= REQUIRED for row in rows)
    assert [row["date"] for row in rows] == sorted(row["date"] for row in rows)
    reminders = [row for row in rows if row["kind"] == "reminder"]
    assert reminders
    assert all(row["send_at"] and row["for_date"] for row in reminders)
    assert {row["agreement"] for row in rows} >= {"sefton-partnership"}


def test_plan_one_agreement_table() -> None:
    result = concordat(
        "plan",
        "--config",
        str(EXAMPLES),
        "--agreement",
        "sefton-partnership",
        "--from",
        "2022-07-01",
        "--to",
        "2023-07-31",
    )
    assert result.returncode == 0, result.stderr
    assert "sefton-partnership" in result.stdout
    assert "items" in result.stdout.splitlines()[-1]


def test_plan_unknown_agreement_is_refused() -> None:
    result = concordat(
        "plan",
        "--config",
        str(EXAMPLES),
        "--agreement",
        "nope",
        "--from",
        "2024-01-01",
        "--to",
        "2024-02-01",
    )
    assert result.returncode == 1
    assert "unknown agreement 'nope'" in result.stderr


def test_plan_impossible_date_is_refused() -> None:
    result = concordat(
        "plan", "--config", str(EXAMPLES), "--from", "2023-02-30", "--to", "2023-03-01"
    )
    assert result.returncode == 2
    assert "'2023-02-30' is not a valid date" in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("opdays", "2022-09-12", "20"), "2022-10-11"),
        (("opdays", "2022-10-11", "-20"), "2022-09-12"),
        (("opdays", "2022-09-17", "1"), "2022-09-20"),
        (("notice", "--served", "2009-09-30", "--period", "6 months", "--fy-end"), "2010-03-31"),
        (("notice", "--served", "2009-10-01", "--period", "6 months", "--fy-end"), "2011-03-31"),
        (("notice", "--served", "2023-08-31", "--period", "6 months"), "2024-02-29"),
        (("latest-notice", "--end", "2011-03-31", "--period", "6 months"), "2010-09-30"),
    ],
)
def test_calc(args: tuple[str, ...], expected: str) -> None:
    result = concordat("calc", *args)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_calc_refuses_a_zero_period() -> None:
    result = concordat("calc", "notice", "--served", "2024-01-01", "--period", "0 months")
    assert result.returncode == 2
    assert "greater than zero" in result.stderr


def test_db_upgrade_then_already_current(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    first = concordat("db", "upgrade", "--db", url)
    assert first.returncode == 0, first.stderr
    assert "upgraded from empty" in first.stdout
    assert "already at revision" in concordat("db", "upgrade", "--db", url).stdout


def test_dispute_raise_prints_id_window_and_steps_then_history(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    raised = concordat(
        "dispute",
        "raise",
        "--config",
        str(EXAMPLES),
        "--db",
        url,
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
    assert "case id: sefton-partnership.dispute.1" in raised.stdout
    assert "window closes Tue 11 Oct 2022" in raised.stdout
    assert "due Wed 12 Oct 2022" in raised.stdout
    again = concordat(
        "dispute",
        "resolve",
        "sefton-partnership.dispute.1",
        "--config",
        str(EXAMPLES),
        "--db",
        url,
        "--on",
        "2022-09-20",
        "--outcome",
        "Agreed",
    )
    assert again.returncode == 0, again.stderr
    twice = concordat(
        "dispute",
        "resolve",
        "sefton-partnership.dispute.1",
        "--config",
        str(EXAMPLES),
        "--db",
        url,
        "--on",
        "2022-09-21",
        "--outcome",
        "Again",
    )
    assert twice.returncode == 1
    assert "is not open" in twice.stderr
    history = concordat(
        "history",
        "--config",
        str(EXAMPLES),
        "--db",
        url,
        "--agreement",
        "sefton-partnership",
        "--format",
        "json",
    )
    rows = json.loads(history.stdout)
    assert [row["type"] for row in rows] == ["procedure_started", "procedure_closed"]


def test_plan_with_db_shows_what_facts_set_off(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    served = concordat(
        "notice",
        "serve",
        "--config",
        str(EXAMPLES),
        "--db",
        url,
        "--agreement",
        "halton-st-helens-s31",
        "--by",
        "halton",
        "--on",
        "2009-09-30",
    )
    assert served.returncode == 0, served.stderr
    assert "ends on 2010-03-31" in served.stdout
    result = concordat(
        "plan",
        "--config",
        str(EXAMPLES),
        "--db",
        url,
        "--agreement",
        "halton-st-helens-s31",
        "--from",
        "2009-09-01",
        "--to",
        "2011-06-30",
        "--format",
        "json",
    )
    rows = json.loads(result.stdout)
    kinds = {row["kind"] for row in rows}
    assert "notice_served" in kinds
    ends = [row["date"] for row in rows if row["kind"] == "term_end"]
    assert ends == ["2010-03-31"]
    assert max(row["date"] for row in rows) <= "2010-03-31"


def test_refused_notice_names_the_earliest_valid_end(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    result = concordat(
        "notice",
        "serve",
        "--config",
        str(EXAMPLES),
        "--db",
        url,
        "--agreement",
        "halton-st-helens-s31",
        "--by",
        "halton",
        "--on",
        "2009-10-01",
        "--ending",
        "2010-03-31",
    )
    assert result.returncode == 1
    assert "earliest valid end is 2011-03-31" in result.stderr
    history = concordat(
        "history",
        "--config",
        str(EXAMPLES),
        "--db",
        url,
        "--agreement",
        "halton-st-helens-s31",
        "--format",
        "json",
    )
    assert json.loads(history.stdout) == []
