"""`bench/extract_eval.py` with drafters standing in for `concordat extract` (which is not
written yet): the examples themselves, and the examples spoiled in known ways."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from bench import extract_eval as evaluation

Spoil = Callable[[str], str]


def drafter(spoil: Spoil = lambda text: text) -> evaluation.Drafter:
    """A drafter answering each seed with its own example, passed through `spoil`."""
    by_name = {
        evaluation.seed_file(evaluation.SEEDS, seed).name: path.read_text(encoding="utf-8")
        for seed, path in evaluation.examples_by_seed(evaluation.EXAMPLES).items()
    }
    return lambda _text, name: spoil(by_name[name])


@pytest.fixture(scope="module")
def perfect() -> list[evaluation.SeedResult]:
    return evaluation.evaluate(drafter=drafter())


def test_every_example_names_a_seed_with_a_text() -> None:
    seeds = evaluation.examples_by_seed(evaluation.EXAMPLES)
    assert sorted(seeds) == ["000", "001", "002", "003", "004"]
    assert seeds["003"].stem == "halton-st-helens-s31"


def test_the_examples_as_drafts_meet_every_target(perfect: list[evaluation.SeedResult]) -> None:
    overall = evaluation.totals(perfect)
    assert (overall.expected, overall.matched, overall.found) == (26, 26, 26)
    assert (overall.recall, overall.precision, overall.clause_right) == (1.0, 1.0, 1.0)
    assert evaluation.missed_targets(perfect) == []
    for result in perfect:
        assert result.planned.validates, result.planned.error
        assert result.planned.occurrences, result.seed


def test_the_report_lists_each_seed_and_the_overall_row(
    perfect: list[evaluation.SeedResult],
) -> None:
    report = evaluation.report(perfect)
    assert "halton-st-helens-s31" in report
    assert report.splitlines()[7].startswith("all ")
    assert evaluation.as_json(perfect)["overall"]["recall"] == 1.0


def test_an_invalid_draft_is_reported_with_its_first_error() -> None:
    results = evaluation.evaluate(
        drafter=drafter(lambda text: text.replace('kind = "section-31"', 'kind = "treaty"'))
    )
    halton = next(r for r in results if r.seed == "003")
    assert not halton.planned.validates
    assert "kind" in halton.planned.error
    assert evaluation.missed_targets(results) == ["seed 003: the draft does not validate"]


def test_a_wrong_clause_misses_the_clause_target_and_is_listed() -> None:
    results = evaluation.evaluate(
        drafter=drafter(lambda text: text.replace('clause = "para 5.12"', 'clause = "para 9.9"'))
    )
    halton = next(r for r in results if r.seed == "003")
    assert len(halton.comparison.clause_wrong) == 1
    missed = evaluation.missed_targets(results)
    assert len(missed) == 1
    assert missed[0].startswith("clause refs right 0.96 < 1.00")
    listed = "\n".join(evaluation.differences(halton))
    assert "missed: meeting monthly {5.12}" in listed
    assert "clause wrong, the example cites {5.12}" in listed


def test_a_draft_that_is_not_toml_finds_nothing_and_does_not_validate() -> None:
    results = evaluation.evaluate(drafter=drafter(lambda text: text + "\n[[["))
    assert evaluation.totals(results).matched == 0
    assert all(not r.planned.validates for r in results)
    assert "draft is not TOML" in evaluation.differences(results[0])[0]
    assert len(evaluation.missed_targets(results)) == 1 + 5  # recall, five drafts


def test_check_exits_1_naming_the_target_missed(capsys: pytest.CaptureFixture[str]) -> None:
    spoiled = drafter(lambda text: text.replace('clause = "para 5.12"', 'clause = "para 9.9"'))
    assert evaluation.main(["--check"], drafter=spoiled) == 1
    assert "targets missed:\n  clause refs right" in capsys.readouterr().out
    assert evaluation.main([], drafter=spoiled) == 0  # without --check, a report only
    capsys.readouterr()
    assert evaluation.main(["--check", "--json"], drafter=drafter()) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["overall"]["matched"] == 26
    assert figures["missed"] == []


def test_another_seed_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / "003_other.txt").write_text("text", encoding="utf-8")
    with pytest.raises(SystemExit, match="expected one 000_"):
        evaluation.main(["--seeds", str(tmp_path)], drafter=drafter())
