"""Evaluation of `concordat extract`: each seed paper's draft, clock by clock, against the
hand-written example built from the same paper.

Run from the project root with the virtualenv active:

    python bench/extract_eval.py [--seeds DIR] [--check] [--json]

For every example in config/examples/ whose `source` names a seed ("(seed 003)"), the seed's
text (tests/fixtures/seeds/003_*.txt, or `--seeds DIR`) goes through
`extract.draft.draft_from_text`, and the draft's clocks are compared with the example's
(`extract.clocks.compare`):

- recall: the example's stated clocks (its value line's comment does not begin "assumed")
  that the draft states with the same value, anchor and a clause in common;
- precision: the draft's stated clocks that are in the example at all (stated or assumed
  there), of those the draft states; a clock the draft marks assumed is no claim;
- clause refs right: matched / (matched + found with the right value but disjoint clauses).

Each draft is also written beside the examples' site.toml into a temporary directory, loaded
as `concordat validate` loads a directory (`ConfigSource`), and planned over its term (an
open term over OPEN_TERM_YEARS); the occurrences are counted.

Targets (`--check` exits 1 naming each one missed): overall recall >= 0.90, precision >=
0.80, every matched clock's clause right, every draft validates and plans.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import shutil
import sys
import tempfile
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from concordat.sources import ConfigSource
from config.issues import ConfigurationError
from extract.clocks import Clock, Comparison, compare, read_clocks
from extract.draft import draft_from_text
from lifecycle.errors import ConcordatError
from lifecycle.periods import add_months
from lifecycle.timeline import plan

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "config" / "examples"
SEEDS = ROOT / "tests" / "fixtures" / "seeds"
SITE_FILE = "site.toml"
SEED_MARK = re.compile(r"\(seed (?P<seed>\d{3})\)")
OPEN_TERM_YEARS = 5  # an open term is planned over this many years from its start
TARGET_RECALL = 0.90
TARGET_PRECISION = 0.80
TARGET_CLAUSES = 1.0

# (the seed's text, the seed file's name) -> the draft agreement's TOML text
Drafter = Callable[[str, str], str]


def extract_draft(text: str, source: str) -> str:
    """The draft `concordat extract` writes for a seed."""
    return draft_from_text(text, source=source).toml


@dataclass(frozen=True)
class Planned:
    """Whether a draft loads as `concordat validate` loads it, and what it plans."""

    validates: bool
    error: str = ""  # the first configuration issue, or the planning error
    occurrences: int | None = None  # None: not planned (invalid, or planning failed)

    @property
    def plans(self) -> bool:
        """True when the draft validated and its term was planned."""
        return self.occurrences is not None


@dataclass(frozen=True)
class SeedResult:
    """One seed: its example, the comparison of clocks and the draft's load and plan."""

    seed: str
    example: str
    comparison: Comparison
    planned: Planned
    unreadable: str = ""  # the TOML error when the draft is not TOML at all


def examples_by_seed(examples: Path) -> dict[str, Path]:
    """Each example naming a seed in its `source` (else its text), by seed number."""
    found: dict[str, Path] = {}
    for path in sorted(examples.glob("*.toml")):
        if path.name == SITE_FILE:
            continue
        text = path.read_text(encoding="utf-8")
        source = str(tomllib.loads(text).get("source", ""))
        match = SEED_MARK.search(source) or SEED_MARK.search(text)
        if match is not None:
            found[match["seed"]] = path
    return found


def seed_file(seeds: Path, seed: str) -> Path:
    """The one `NNN_*.txt` of the seed; a missing or doubled seed is an error, not a gap."""
    candidates = sorted(seeds.glob(f"{seed}_*.txt"))
    if len(candidates) != 1:
        raise SystemExit(f"expected one {seed}_*.txt in {seeds}, found {len(candidates)}")
    return candidates[0]


def check_draft(draft: str, site: Path) -> Planned:
    """Load the draft beside `site` as `concordat validate` does and count what its term
    plans (without reminders)."""
    with tempfile.TemporaryDirectory(prefix="concordat-extract-eval-") as scratch:
        directory = Path(scratch)
        shutil.copy(site, directory / SITE_FILE)
        (directory / "draft.toml").write_text(draft, encoding="utf-8")
        try:
            configuration = ConfigSource(directory).configuration()
        except ConfigurationError as error:
            first = error.issues[0] if error.issues else None
            where = f"line {first.line}: " if first and first.line else ""
            key = f"{first.path}: " if first and first.path else ""
            return Planned(False, f"{where}{key}{first.message if first else error}")
    agreement = configuration.agreements[0]
    calendar = configuration.calendar_for(agreement)
    first_day = max(agreement.term.start, calendar.first)
    last_day = agreement.term.last_day or (
        add_months(agreement.term.start, 12 * OPEN_TERM_YEARS) - dt.timedelta(days=1)
    )
    last_day = min(last_day, calendar.last)
    try:
        found = plan(agreement, calendar, configuration.settings, first_day, last_day)
    except ConcordatError as error:
        return Planned(True, f"planning: {error}")
    return Planned(True, occurrences=len(found))


def evaluate_seed(seed: str, example: Path, seeds: Path, drafter: Drafter) -> SeedResult:
    """Draft the seed, compare clocks with the example, load and plan the draft."""
    source = seed_file(seeds, seed)
    draft = drafter(source.read_text(encoding="utf-8"), source.name)
    expected = read_clocks(example.read_text(encoding="utf-8"))
    unreadable = ""
    try:
        found = read_clocks(draft)
    except tomllib.TOMLDecodeError as error:
        found, unreadable = [], str(error)
    planned = check_draft(draft, example.parent / SITE_FILE)
    return SeedResult(seed, example.stem, compare(expected, found), planned, unreadable)


def evaluate(
    seeds: Path = SEEDS, examples: Path = EXAMPLES, drafter: Drafter = extract_draft
) -> list[SeedResult]:
    """Every example naming a seed, in seed order."""
    return [
        evaluate_seed(seed, example, seeds, drafter)
        for seed, example in sorted(examples_by_seed(examples).items())
    ]


@dataclass(frozen=True)
class Totals:
    """The figures summed over the seeds (ratios of sums, not means of ratios)."""

    expected: int
    found: int
    matched: int
    supported: int
    clause_wrong: int

    @property
    def recall(self) -> float:
        return self.matched / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        return self.supported / self.found if self.found else 1.0

    @property
    def clause_right(self) -> float:
        judged = self.matched + self.clause_wrong
        return self.matched / judged if judged else 1.0


def totals(results: Sequence[SeedResult]) -> Totals:
    """The overall figures."""
    comparisons = [result.comparison for result in results]
    return Totals(
        expected=sum(c.expected_stated for c in comparisons),
        found=sum(c.found_stated for c in comparisons),
        matched=sum(c.matched for c in comparisons),
        supported=sum(c.supported for c in comparisons),
        clause_wrong=sum(len(c.clause_wrong) for c in comparisons),
    )


def missed_targets(results: Sequence[SeedResult]) -> list[str]:
    """One line per target not met; empty when every target is met."""
    overall = totals(results)
    missed: list[str] = []
    if overall.recall < TARGET_RECALL:
        missed.append(f"recall {overall.recall:.2f} < {TARGET_RECALL:.2f}")
    if overall.precision < TARGET_PRECISION:
        missed.append(f"precision {overall.precision:.2f} < {TARGET_PRECISION:.2f}")
    if overall.clause_right < TARGET_CLAUSES:
        missed.append(
            f"clause refs right {overall.clause_right:.2f} < {TARGET_CLAUSES:.2f} "
            f"({overall.clause_wrong} found clock(s) cite the wrong clause)"
        )
    for result in results:
        if not result.planned.validates:
            missed.append(f"seed {result.seed}: the draft does not validate")
        elif not result.planned.plans:
            missed.append(f"seed {result.seed}: the draft does not plan")
    return missed


# --- Output ---------------------------------------------------------------------------------

_HEADER: tuple[str, ...] = (
    "seed", "example", "expected", "found", "matched", "recall", "precision", "clauses",
    "validates", "occurrences",
)  # fmt: skip


def _row(seed: str, example: str, figures: Totals, planned: Planned | None) -> tuple[str, ...]:
    validates = "" if planned is None else _validates(planned)
    occurrences = "" if planned is None or planned.occurrences is None else planned.occurrences
    return (
        seed, example, str(figures.expected), str(figures.found), str(figures.matched),
        f"{figures.recall:.2f}", f"{figures.precision:.2f}", f"{figures.clause_right:.2f}",
        validates, str(occurrences),
    )  # fmt: skip


def _validates(planned: Planned) -> str:
    if not planned.validates:
        return f"no ({planned.error})"
    return "yes" if planned.plans else f"yes, plan fails ({planned.error})"


def table(results: Sequence[SeedResult]) -> str:
    """One row per seed and one overall, aligned."""
    rows: list[tuple[str, ...]] = [_HEADER]
    rows += [
        _row(r.seed, r.example, totals([r]), r.planned) for r in results
    ]  # fmt: skip
    rows.append(_row("all", "", totals(results), None))
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADER))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def differences(result: SeedResult) -> list[str]:
    """The misses and extras of one seed, each with its label and line."""
    comparison = result.comparison
    wrong = {id(found): expected for found, expected in comparison.clause_wrong}
    wrong_expected = {id(expected) for _, expected in comparison.clause_wrong}
    lines: list[str] = []
    if result.unreadable:
        lines.append(f"  draft is not TOML: {result.unreadable}")
    for clock in comparison.missed:
        note = " (found with the wrong clause)" if id(clock) in wrong_expected else ""
        lines.append(f"  missed: {clock.describe()}{note}")
    for clock in comparison.unmatched:
        lines.append(f"  extra:  {_extra(clock, wrong.get(id(clock)), comparison)}")
    return lines


def _extra(clock: Clock, expected: Clock | None, comparison: Comparison) -> str:
    """An unpaired found clock, saying whether it is supported (a second copy of a matched
    clock, or an assumed one in the example) or cites the wrong clause."""
    text = f"draft {clock.describe()}"
    if expected is not None:
        return f"{text}; clause wrong, the example cites {{{', '.join(sorted(expected.clauses))}}}"
    supported = any(
        e.kind == clock.kind and e.value == clock.value and e.clauses & clock.clauses
        for e in comparison.expected
    )
    return f"{text}; in the example, not paired" if supported else f"{text}; not in the example"


def report(results: Sequence[SeedResult]) -> str:
    """The table, then each seed's misses and extras."""
    parts = [table(results), ""]
    for result in results:
        lines = differences(result)
        parts.append(f"seed {result.seed} ({result.example}): {len(lines)} difference(s)")
        parts += lines
    return "\n".join(parts)


def _figures(figures: Totals) -> dict[str, Any]:
    return {
        "expected_stated": figures.expected,
        "found_stated": figures.found,
        "matched": figures.matched,
        "supported": figures.supported,
        "clause_wrong": figures.clause_wrong,
        "recall": round(figures.recall, 4),
        "precision": round(figures.precision, 4),
        "clause_right": round(figures.clause_right, 4),
    }


def as_json(results: Sequence[SeedResult]) -> dict[str, Any]:
    """The figures per seed and overall, the differences and the targets missed."""
    seeds = [
        {
            "seed": r.seed,
            "example": r.example,
            **_figures(totals([r])),
            "validates": r.planned.validates,
            "plans": r.planned.plans,
            "error": r.planned.error,
            "occurrences": r.planned.occurrences,
            "differences": [line.strip() for line in differences(r)],
        }
        for r in results
    ]
    return {"seeds": seeds, "overall": _figures(totals(results)), "missed": missed_targets(results)}


def main(argv: Sequence[str] | None = None, drafter: Drafter = extract_draft) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seeds", type=Path, default=SEEDS, help="the seed texts' directory")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    options = parser.parse_args(argv)
    results = evaluate(options.seeds, drafter=drafter)
    missed = missed_targets(results)
    if options.json:
        print(json.dumps(as_json(results), indent=1))
    else:
        print(report(results))
        print()
        print("targets: all met" if not missed else "targets missed:")
        for line in missed:
            print(f"  {line}")
    return 1 if options.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
