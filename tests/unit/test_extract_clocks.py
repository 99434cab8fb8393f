"""The clocks a reader lists from an agreement file, and the comparison `concordat extract`
is judged by (`bench/extract_eval.py`), on the hand-written examples."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from extract.clocks import (
    Clock,
    clause_refs,
    compare,
    normalise_frequency,
    normalise_period,
    read_clocks,
    trailing_comment,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "config" / "examples"
AGREEMENTS = sorted(p.stem for p in EXAMPLES.glob("*.toml") if p.name != "site.toml")


def example(name: str) -> str:
    return (EXAMPLES / f"{name}.toml").read_text(encoding="utf-8")


def refs(*cited: str) -> frozenset[str]:
    return frozenset(cited)


def stated(text: str) -> set[tuple[str, str, frozenset[str]]]:
    return {(c.kind, c.value, c.clauses) for c in read_clocks(text) if c.stated}


def one(clocks: list[Clock], label: str) -> Clock:
    (found,) = [clock for clock in clocks if clock.label == label]
    return found


def test_there_are_five_examples() -> None:
    assert len(AGREEMENTS) == 5


@pytest.mark.parametrize("name", AGREEMENTS)
def test_each_example_against_itself_is_perfect(name: str) -> None:
    clocks = read_clocks(example(name))
    comparison = compare(clocks, clocks)
    assert comparison.expected_stated > 0
    assert comparison.matched == comparison.expected_stated == comparison.found_stated
    assert (comparison.recall, comparison.precision, comparison.clause_right) == (1.0, 1.0, 1.0)
    assert comparison.missed == comparison.unmatched == ()
    assert comparison.clause_wrong == ()


VALUE_KEYS = {
    "term": {"length", "end", "clause"},
    "notice": {"period"},
    "meeting": {"frequency"},
    "review": {"frequency"},
    "deadline": {"date", "after", "before"},
    "step": {"window"},
}


@pytest.mark.parametrize("name", AGREEMENTS)
def test_every_clock_has_its_value_line_and_a_clause(name: str) -> None:
    text = example(name)
    lines = text.splitlines()
    for clock in read_clocks(text):
        assert clock.clauses, clock
        key = lines[clock.line - 1].split("=")[0].strip()
        assert key in VALUE_KEYS[clock.kind], clock


def test_halton_states_its_term_notice_and_monthly_meeting_only() -> None:
    text = example("halton-st-helens-s31")
    assert stated(text) == {
        ("term", "3 years", frozenset({"6.1"})),
        ("notice", "6 months fy_end", frozenset({"6.2"})),
        ("meeting", "monthly", frozenset({"5.12"})),
    }
    assumed = [c for c in read_clocks(text) if not c.stated]
    assert [(c.kind, c.value) for c in assumed] == [("meeting", "quarterly")] * 4 + [
        ("step", "10 operational days"),
        ("step", "15 operational days"),
    ]
    term = one(read_clocks(text), "term")
    assert (term.anchor, term.anchor_stated) == (dt.date(2008, 4, 1), False)


def test_sefton_clocks_as_a_reader_lists_them() -> None:
    clocks = read_clocks(example("sefton-partnership"))
    review = one(clocks, "reviews.progress-and-terms")
    assert (review.kind, review.value, review.clauses) == ("review", "six-monthly", refs("12.1"))
    assert (review.anchor, review.stated, review.anchor_stated) == (dt.date(2022, 7, 1), True, True)
    deadline = one(clocks, "deadlines.governance-review")
    assert (deadline.value, deadline.clauses, deadline.stated) == ("2023-03-31", refs("8.8"), True)
    step = one(clocks, "procedures.dispute.discuss")
    assert (step.value, step.clauses, step.stated) == ("20 operational days", refs("5.2"), True)
    term = one(clocks, "term")
    assert (term.value, term.clauses, term.stated, term.anchor_stated) == (
        "open",
        refs("12.1"),
        True,
        False,
    )
    chairing = one(clocks, "reviews.chairing-arrangements")
    assert (chairing.value, chairing.stated) == ("six-monthly", False)
    assert not one(clocks, "procedures.dispute-escalation.board").stated
    assert one(clocks, "procedures.dispute-escalation.board").clauses == refs("8.3.1", "8.7", "8.9")


def test_cambs_term_ends_on_a_date_and_notts_term_is_up_to_nine_years() -> None:
    cambs = one(read_clocks(example("cambs-peterborough-s75")), "term")
    assert (cambs.value, cambs.anchor, cambs.anchor_stated) == (
        "until 2024-03-31",
        dt.date(2019, 10, 1),
        True,
    )
    assert cambs.clauses == refs("4.3", "4.4")
    notts = one(read_clocks(example("nottinghamshire-healthy-families")), "term")
    # `# para 7: "from October 2024" (day assumed: the 1st)` is a stated start.
    assert (notts.value, notts.anchor_stated, notts.clauses) == (
        "up to 9 years",
        True,
        refs("5", "7"),
    )


def test_deadlines_counted_from_another_date() -> None:
    notts = read_clocks(example("nottinghamshire-healthy-families"))
    report = one(notts, "deadlines.first-year-delivery-report")
    assert (report.value, report.clauses, report.stated) == (
        "after 1 year of start",
        refs("rec 10"),
        True,
    )
    # counted from another deadline: named by that one's date, not by the example's own id
    assert one(notts, "deadlines.cabinet-response").value == "after 2 months of 2023-04-20"
    sign_off = one(read_clocks(example("stockport-0-19")), "deadlines.sign-off")
    assert (sign_off.value, sign_off.stated) == ("before 2 weeks of start", False)


@pytest.mark.parametrize(
    ("text", "cited"),
    [
        ("para 17 (first), para 30, para 34", {"17", "30", "34"}),
        ("cl. 8.3.2, cl. 8.9", {"8.3.2", "8.9"}),
        ("cl. 8.3-8.7", {"8.3", "8.4", "8.5", "8.6", "8.7"}),
        ("items 2-3", {"2", "3"}),
        ("Clause 5.1", {"5.1"}),
        ("paragraph 4", {"4"}),
        ("para 35, Rec. 7", {"35", "rec 7"}),
        ("Rec 10", {"rec 10"}),
        ("para 4.3; FEB19/CMDN/88", {"4.3", "feb19/cmdn/88"}),
        ("cl. 5.3, cl. 11.5; FOIA s.10(1)", {"5.3", "11.5", "foia s.10(1)"}),
        ("cl. 8.3.1, cl. 8.7, cl. 8.9 (assumed reading)", {"8.3.1", "8.7", "8.9"}),
        ("para 4.3 (assumed deadline)", {"4.3"}),
        ("para 2.5, para 2.2 table, para 5", {"2.5", "2.2", "5"}),
        ("", set()),
    ],
)
def test_clause_refs(text: str, cited: set[str]) -> None:
    assert clause_refs(text) == cited


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("six-monthly", "six-monthly"),
        ("six monthly", "six-monthly"),
        ("twice a year", "six-monthly"),
        ("every 6 months", "six-monthly"),
        ("Half-yearly", "six-monthly"),
        ("every 12 months", "annually"),
        ("yearly", "annually"),
        ("every 3 months", "quarterly"),
        ("every 2 weeks", "fortnightly"),
        ("every 6 weeks", "every 6 weeks"),
        ("bi-annual", "bi-annual"),  # ambiguous: equal to nothing but itself
    ],
)
def test_equal_cadences_compare_equal(text: str, canonical: str) -> None:
    assert normalise_frequency(text) == canonical


def test_periods_are_normalised() -> None:
    assert normalise_period("20 working days") == "20 operational days"
    assert normalise_period("six months") == "6 months"
    assert normalise_period("1 years") == "1 year"


def test_a_hash_inside_a_string_is_not_a_comment() -> None:
    assert trailing_comment('title = "Item #4"   # cl. 4: "#4"') == 'cl. 4: "#4"'
    assert trailing_comment("title = 'a # b'") == ""


HALTON = "halton-st-helens-s31"
TEAM_MEETING_CLAUSE = 'clause = "para 5.12"'
TEAM_MEETING_COMMENT = '# para 5.12: "monthly Team Meetings"'


def test_a_right_value_with_a_wrong_clause_is_clause_wrong_and_unmatched() -> None:
    expected = read_clocks(example(HALTON))
    text = example(HALTON).replace(TEAM_MEETING_CLAUSE, 'clause = "para 9.9"')
    assert text != example(HALTON)
    comparison = compare(expected, read_clocks(text))
    ((found, reference),) = comparison.clause_wrong
    assert (found.value, found.clauses, reference.clauses) == (
        "monthly",
        refs("9.9"),
        refs("5.12"),
    )
    assert found in comparison.unmatched
    assert reference in comparison.missed
    assert comparison.matched == 2
    assert comparison.recall == pytest.approx(2 / 3)
    assert comparison.precision == pytest.approx(2 / 3)
    assert comparison.clause_right == pytest.approx(2 / 3)


def test_an_assumed_found_clock_is_no_claim() -> None:
    expected = read_clocks(example(HALTON))
    text = example(HALTON).replace(TEAM_MEETING_COMMENT, "# assumed")
    assert text != example(HALTON)
    comparison = compare(expected, read_clocks(text))
    assert comparison.found_stated == 2
    assert comparison.precision == 1.0
    assert comparison.recall == pytest.approx(2 / 3)  # a lucky default is not a reading
    assert [clock.label for clock in comparison.missed] == ["meetings.team-meeting"]


def test_assumed_extras_cost_nothing_and_stated_extras_cost_precision() -> None:
    expected = read_clocks(example(HALTON))
    extra = Clock("meeting", "weekly", None, frozenset({"1.1"}), False, False, 1, "extra")
    assert compare(expected, [*expected, extra]).precision == 1.0
    claimed = Clock("meeting", "weekly", None, frozenset({"1.1"}), True, False, 1, "extra")
    comparison = compare(expected, [*expected, claimed])
    assert comparison.precision == pytest.approx(3 / 4)
    assert comparison.unmatched == (claimed,)
    assert comparison.recall == 1.0


def test_a_stated_clock_the_example_assumed_is_supported_but_earns_no_recall() -> None:
    expected = read_clocks(example(HALTON))
    text = example(HALTON).replace(
        'frequency = "quarterly"                                    # assumed\nday = "second',
        'frequency = "quarterly"                                    # para 5.6\nday = "second',
    )
    assert text != example(HALTON)
    comparison = compare(expected, read_clocks(text))
    assert comparison.found_stated == 4
    assert comparison.precision == 1.0
    assert (comparison.matched, comparison.recall) == (3, 1.0)
    assert [clock.label for clock in comparison.unmatched] == ["meetings.mental-health-board"]


SEFTON = "sefton-partnership"
SEFTON_REVIEW_START = "starts = 2022-07-01"


def test_stated_anchors_must_agree() -> None:
    expected = read_clocks(example(SEFTON))
    moved = example(SEFTON).replace(SEFTON_REVIEW_START, "starts = 2022-08-01")
    assert moved != example(SEFTON)
    comparison = compare(expected, read_clocks(moved))
    assert [clock.label for clock in comparison.missed] == ["reviews.progress-and-terms"]
    assert comparison.clause_wrong == ()


def test_an_assumed_anchor_does_not_have_to_agree() -> None:
    expected = read_clocks(example(SEFTON))
    lines = example(SEFTON).splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(SEFTON_REVIEW_START))
    lines[index] = "starts = 2022-08-01   # assumed"
    comparison = compare(expected, read_clocks("\n".join(lines)))
    assert comparison.recall == 1.0
    assert comparison.precision == 1.0


def test_matching_is_one_to_one() -> None:
    expected = read_clocks(example(SEFTON))
    step = one(expected, "procedures.dispute.discuss")
    comparison = compare([step], [step, step])
    assert comparison.matched == 1
    assert len(comparison.unmatched) == 1
    assert comparison.precision == 1.0  # both copies are in the reference


def test_missing_clocks_lower_recall() -> None:
    expected = read_clocks(example(SEFTON))
    comparison = compare(expected, [])
    assert comparison.recall == 0.0
    assert len(comparison.missed) == comparison.expected_stated == 5


def test_a_deadline_counted_from_itself_does_not_loop() -> None:
    text = '[[deadlines]]\nid = "a"\nof = "a"\nafter = "1 week"   # cl. 2\nclause = "cl. 2"\n'
    (clock,) = read_clocks(text)
    assert (clock.value, clock.clauses, clock.stated, clock.line) == (
        "after 1 week of a",
        refs("2"),
        True,
        4,
    )
