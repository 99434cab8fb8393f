"""`concordat extract` as an administrator runs it: a subprocess on real .txt, .pdf and .docx
files, then `validate` and `plan` on the draft, exactly as the review steps say."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import docx
import pytest

from extract.draft import draft_from_text
from tests.e2e.test_cli import concordat
from tests.unit.test_extract_reading import pdf_bytes

ROOT = Path(__file__).resolve().parents[2]
SEEDS = sorted((ROOT / "tests" / "fixtures" / "seeds").glob("*.txt"))
CLAUSES = [
    "6. DURATION AND TERMINATION",
    "6.1 This Agreement will continue for a period of five years.",
    "6.2 Any Partner may terminate this Agreement by giving not less than six (6) months' "
    "written notice expiring at the end of a Financial Year.",
    "7.1 The Partnership Board shall meet at least quarterly.",
]


def drafted(document: Path, directory: Path) -> tuple[str, str]:
    """Extract `document` into `directory`, then validate and plan the draft there."""
    directory.mkdir()
    out, report = directory / "draft.toml", directory / "report.md"
    result = concordat("extract", str(document), "--out", str(out), "--report", str(report))
    assert result.returncode == 0, result.stderr
    assert "drafted" in result.stderr
    validated = concordat("validate", "--config", str(directory))
    assert validated.returncode == 0, validated.stderr
    planned = concordat(
        "plan", "--config", str(directory), "--from", "2000-01-01", "--to", "2040-12-31",
        "--format", "json",
    )  # fmt: skip
    assert planned.returncode == 0, planned.stderr
    return out.read_text(encoding="utf-8"), validated.stderr


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_each_seed_drafts_a_file_that_validates_and_plans(seed: Path, tmp_path: Path) -> None:
    toml, warnings = drafted(seed, tmp_path / "config")
    agreement = tomllib.loads(toml)
    placeholders = [
        c["email"]
        for p in agreement["parties"]
        for c in p["contacts"]
        if c["email"].endswith(".invalid")
    ]
    assert placeholders
    assert all(address in warnings for address in placeholders)  # one warning each


def test_every_value_cites_its_source_or_says_it_was_assumed() -> None:
    for seed in SEEDS:
        toml = draft_from_text(seed.read_text(encoding="utf-8"), source=seed.name).toml
        for line in toml.splitlines():
            if re.match(r"^[a-z_]+ = ", line):
                assert " # " in line, f"{seed.name}: {line}"


def test_the_same_text_always_gives_the_same_draft() -> None:
    text = SEEDS[1].read_text(encoding="utf-8")
    first = draft_from_text(text, source="a.txt")
    second = draft_from_text(text, source="a.txt")
    assert (first.toml, first.report) == (second.toml, second.report)


def test_a_word_document(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("PARTNERSHIP AGREEMENT", level=1)
    for text in CLAUSES:
        document.add_paragraph(text)
    path = tmp_path / "agreement.docx"
    document.save(str(path))
    toml, _ = drafted(path, tmp_path / "config")
    agreement = tomllib.loads(toml)
    assert agreement["term"]["length"] == "5 years"
    assert (agreement["notice"]["period"], agreement["notice"]["fy_end"]) == ("6 months", True)
    assert agreement["meetings"][0]["frequency"] == "quarterly"
    assert 'clause = "cl. 6.2"' in toml


def test_a_pdf(tmp_path: Path) -> None:
    path = tmp_path / "agreement.pdf"
    path.write_bytes(pdf_bytes([CLAUSES[:2], CLAUSES[2:]]))
    toml, _ = drafted(path, tmp_path / "config")
    agreement = tomllib.loads(toml)
    assert agreement["term"]["length"] == "5 years"
    assert agreement["term"]["clause"] == "cl. 6.1"


def test_an_existing_draft_is_not_overwritten_without_force(tmp_path: Path) -> None:
    out = tmp_path / "draft.toml"
    out.write_text("kept\n", encoding="utf-8")
    result = concordat("extract", str(SEEDS[3]), "--out", str(out))
    assert result.returncode == 1
    assert "exists" in result.stderr
    assert out.read_text(encoding="utf-8") == "kept\n"
    forced = concordat("extract", str(SEEDS[3]), "--out", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "length = " in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["agreement.odt"], "odt"),
        (["missing.txt"], "no such file"),
        (["empty.txt"], "no text"),
        (["a.txt", "--id", "Bad Id"], "--id must be"),
        (["a.txt", "--out", "same.md", "--report", "same.md"], "different files"),
        (["a.txt", "--out", "nowhere/draft.toml"], "does not exist"),
    ],
)
def test_bad_input_exits_two_and_writes_nothing(
    tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "agreement.odt").write_bytes(b"PK\x03\x04")
    (tmp_path / "empty.txt").write_text(" \n\n", encoding="utf-8")
    (tmp_path / "a.txt").write_text("\n\n".join(CLAUSES), encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())
    result = concordat("extract", *[str(tmp_path / a) if "." in a else a for a in args])
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_hostile_text_still_gives_a_valid_one_line_draft(tmp_path: Path) -> None:
    hostile = (
        'PARTNERSHIP AGREEMENT "QUOTED" \\ BACKSLASH\r\n\r\n'
        "6.1 This Agreement will continue for a period of five years.\x0b\x0c\r\n\r\n"
        '7.1 The "Board" \\ shall meet monthly ' + "and so on " * 10_000 + ".\r\n\r\n"
        "8.1 The Partners shall review the Agreement annually from 30 February 2025.\r\n\r\n"
        "9.1 A Partner may terminate this Agreement on 99 months' notice.\r\n"
    )
    path = tmp_path / "hostile.txt"
    path.write_text(hostile, encoding="utf-8")
    toml, _ = drafted(path, tmp_path / "config")
    agreement = tomllib.loads(toml)
    assert agreement["term"]["length"] == "5 years"
    assert all(
        "\n" not in value for value in agreement["meetings"][0].values() if isinstance(value, str)
    )
    assert all("starts" not in r or r["starts"].day != 30 for r in agreement.get("reviews", []))


def test_three_extracts_to_one_file_at_once_write_it_once_and_whole(tmp_path: Path) -> None:
    out = tmp_path / "draft.toml"
    command = [sys.executable, "-m", "concordat", "extract", str(SEEDS[2]), "--out", str(out)]
    runs = [
        subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    results = [(run.wait(timeout=120), run.communicate()[1]) for run in runs]
    assert sorted(code for code, _ in results) == [0, 1, 1], results
    assert all("exists" in message for code, message in results if code == 1)
    assert tomllib.loads(out.read_text(encoding="utf-8"))["id"]
    assert [p.name for p in tmp_path.iterdir()] == ["draft.toml"]  # no temporary file left


SYNTHETIC = ROOT / "tests" / "fixtures" / "extract"


def _clocks(path: Path, tmp_path: Path) -> dict[str, Any]:
    toml, _ = drafted(path, tmp_path / "config")
    agreement = tomllib.loads(toml)
    return {
        "term": {k: str(v) for k, v in agreement["term"].items() if k != "clause"},
        "notice": agreement.get("notice", {}).get("period"),
        "meetings": [(m["title"], m["frequency"]) for m in agreement.get("meetings", [])],
        "reviews": [(r["frequency"], str(r["starts"])) for r in agreement.get("reviews", [])],
        "windows": [[s.get("window") for s in p["steps"]] for p in agreement.get("procedures", [])],
        "parties": [p["name"] for p in agreement["parties"]],
    }


def test_a_section_75_in_numbered_clauses(tmp_path: Path) -> None:
    clocks = _clocks(SYNTHETIC / "a_s75_wirral.txt", tmp_path)
    assert clocks["term"] == {"start": "2025-04-01", "length": "3 years"}
    assert clocks["notice"] == "12 months"
    assert clocks["meetings"] == [
        ("Partnership Board", "quarterly"),
        ("Operational Group", "monthly"),
    ]
    # annual review first by 31 March 2026; 20 working days after 30 June 2025; 30 June each year
    assert clocks["reviews"] == [
        ("annually", "2026-03-31"), ("quarterly", "2025-07-28"), ("annually", "2025-06-30"),
    ]  # fmt: skip
    assert ["20 operational days", "10 operational days", None] in clocks["windows"]


def test_a_collaboration_agreement_in_clause_headings(tmp_path: Path) -> None:
    clocks = _clocks(SYNTHETIC / "b_collab_councils.txt", tmp_path)
    assert clocks["term"] == {"start": "2025-07-01", "length": "5 years"}
    assert clocks["parties"] == [
        "Eastbridge District Council", "Westmoor Borough Council", "Northfen County Council",
    ]  # fmt: skip
    assert ("Joint Committee", "quarterly") in clocks["meetings"]  # "not less than four times"
    assert ["15 operational days", "20 operational days", None] in clocks["windows"]


def test_a_memorandum_with_an_end_date(tmp_path: Path) -> None:
    clocks = _clocks(SYNTHETIC / "c_nhs_coop.txt", tmp_path)
    assert clocks["term"]["end"] == "2028-03-31"
    assert ("six-monthly", "2025-10-01") in clocks["reviews"]
    assert ["2 days", "5 operational days"] in clocks["windows"]  # 48 hours, then 5 working days
    assert ["3 operational days", "20 operational days"] in clocks["windows"]  # FOI: notify, reply
    assert ("monthly", "2025-11-14") in clocks["reviews"]  # the tenth working day of each month
