"""`concordat extract`'s phrase rules: one sentence per phrasing, with its expected reading.

Each text is a small numbered clause, so clause detection is exercised too: every finding
must cite the clause its words are in.
"""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

import pytest

from extract.draft import read_findings
from extract.findings import (
    Cadence,
    Deadline,
    Finding,
    Ladder,
    Note,
    Notice,
    TermEnd,
    TermLength,
    TermStart,
)
from extract.words import Duration, dates_in

F = TypeVar("F", bound=Finding)


def findings(text: str) -> list[Finding]:
    return read_findings(text).findings


def only(text: str, kind: type[F]) -> F:
    found = [f for f in findings(text) if isinstance(f, kind)]
    assert len(found) == 1, f"expected one {kind.__name__} in {text!r}, got {found}"
    return found[0]


# --- Numbers and dates ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1st April 2022", dt.date(2022, 4, 1)),
        ("October 1st 2019", dt.date(2019, 10, 1)),
        ("30.06.2019", dt.date(2019, 6, 30)),
        ("31 March 2024", dt.date(2024, 3, 31)),
        ("2024-10-01", dt.date(2024, 10, 1)),
    ],
)
def test_dates_in_the_ways_agreements_write_them(text: str, expected: dt.date) -> None:
    assert dates_in(f"on {text} or so")[0].first_day() == expected


def test_a_month_alone_is_read_as_its_first_or_last_day() -> None:
    stated = dates_in("until September 2019")[0]
    assert not stated.day_stated
    assert (stated.first_day(), stated.last_day()) == (dt.date(2019, 9, 1), dt.date(2019, 9, 30))


def test_a_table_cell_is_not_a_date() -> None:
    assert [d.text for d in dates_in("2\tJune 2022\t2\tEllie")] == ["June 2022"]


# --- Term -------------------------------------------------------------------------------------


def test_continue_for_a_period_of_five_years() -> None:
    term = only("3.1 This Agreement shall continue for a period of five years.", TermLength)
    assert (term.length, term.up_to, term.source.label) == (Duration(5, "year"), False, "cl. 3.1")


def test_up_to_nine_years_is_a_maximum() -> None:
    term = only("7. The contract will be delivered for up to nine years.", TermLength)
    assert (term.length, term.up_to) == (Duration(9, "year"), True)


def test_a_three_year_period_until_terminated_keeps_its_length() -> None:
    text = "6.1 This Agreement will continue for a 3 year period until terminated."
    assert only(text, TermLength).length == Duration(3, "year")


def test_until_terminated_is_open_ended() -> None:
    text = "12.1 This agreement will continue in full force and effect unless and until terminated."
    term = only(text, TermLength)
    assert term.length is None
    assert term.source.label == "cl. 12.1"


def test_commencement_date() -> None:
    start = only("1.2 The agreement is due to commence on 1st April 2022.", TermStart)
    assert (start.date, start.day_assumed) == (dt.date(2022, 4, 1), False)


def test_from_a_month_onwards_assumes_the_first_and_says_so() -> None:
    text = "7. The delivery of the programme from October 2024 onwards is a commitment."
    start = only(text, TermStart)
    assert (start.date, start.day_assumed) == (dt.date(2024, 10, 1), True)


def test_end_date_from_a_stated_range() -> None:
    text = "4.3 The delegation is for up to five years (1 April 2019 – 31 March 2024)."
    end = only(text, TermEnd)
    assert (end.date, end.began) == (dt.date(2024, 3, 31), dt.date(2019, 4, 1))


# --- Notice -----------------------------------------------------------------------------------


def test_notice_expiring_at_the_end_of_a_financial_year() -> None:
    text = (
        "14.1 A Partner may terminate this Agreement by giving not less than six (6) months' "
        "notice expiring at the end of a Financial Year."
    )
    found = only(text, Notice)
    assert (found.period, found.fy_end, found.other_date_agreed) == (
        Duration(6, "month"),
        True,
        False,
    )
    assert found.source.label == "cl. 14.1"


def test_or_such_other_date_as_the_partners_agree_is_a_check() -> None:
    text = (
        "6.2 Any of the Partners may terminate this Agreement by giving at least six months "
        "prior written notice to the other expiring at the end of the relevant Financial Year "
        "or such other date as mutually agreed by the Partners."
    )
    found = only(text, Notice)
    assert (found.written, found.fy_end, found.other_date_agreed) == (True, True, True)
    assert any("such other date" in check for check in found.checks)


def test_notice_to_withdraw() -> None:
    text = "9.4 A Partner may withdraw from this Agreement on giving three months' written notice."
    found = only(text, Notice)
    assert (found.period, found.fy_end, found.written) == (Duration(3, "month"), False, True)


# --- Reviews and meetings ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "frequency"),
    [
        ("The partnership board shall meet at least quarterly.", "quarterly"),
        ("The Joint Commissioning Group will meet every two months.", "every 2 months"),
        ("The Partners will review the Agreement six-monthly.", "six-monthly"),
        ("The Section 75 Agreement shall be reviewed annually.", "annually"),
    ],
)
def test_frequencies(sentence: str, frequency: str) -> None:
    assert only(f"8.1 {sentence}", Cadence).frequency == frequency


def test_bi_annual_is_drafted_as_twice_a_year_with_a_check() -> None:
    text = "8.5 The chairing arrangements shall be reviewed on a bi-annual basis."
    review = only(text, Cadence)
    assert (review.kind, review.frequency, review.ambiguous) == (
        "review",
        "six-monthly",
        "bi-annual",
    )
    assert "every two years" in review.checks[0]


def test_review_from_a_stated_date() -> None:
    text = "12.1 The partners will review progress at six monthly intervals from 1 July 2022."
    review = only(text, Cadence)
    assert (review.kind, review.frequency, review.starts) == (
        "review",
        "six-monthly",
        dt.date(2022, 7, 1),
    )


def test_three_meetings_in_one_sentence_each_with_its_own_cadence() -> None:
    text = (
        "30. These meetings will include Strategic Agreement Review Meetings (held quarterly), "
        "Service Review Meetings (held monthly) and Co-operative Partnership Meetings (held "
        "quarterly)."
    )
    meetings = {c.name: c.frequency for c in findings(text) if isinstance(c, Cadence)}
    assert meetings == {
        "Strategic Agreement Review Meetings": "quarterly",
        "Service Review Meetings": "monthly",
        "Co-operative Partnership Meetings": "quarterly",
    }


def test_rather_than_quarterly_is_not_a_cadence() -> None:
    text = "34. The Service Review Meetings would be held monthly, rather than quarterly."
    assert only(text, Cadence).frequency == "monthly"


def test_a_recommendation_is_not_drafted() -> None:
    text = (
        "Recommendation Seven\n\nConsideration should be given to holding meetings of the "
        "Board every six months."
    )
    found = findings(text)
    assert not [f for f in found if isinstance(f, Cadence)]
    note = only(text, Note)
    assert (note.topic, note.source.label) == ("proposal", "Rec. 7")


def test_money_allocated_annually_is_not_a_review() -> None:
    assert not findings("2.1 Currently, £5.274m is allocated annually to fund these services.")


def test_the_same_meeting_in_two_clauses_is_one_clock_citing_both() -> None:
    text = (
        "17. The Healthy Families Programme Multiagency Board - These meetings would be held "
        "annually.\n\n19. The Healthy Families Multiagency Board would meet annually."
    )
    board = only(text, Cadence)
    assert board.clause() == "cl. 17, cl. 19"


# --- Reporting deadlines ----------------------------------------------------------------------


def test_within_30_days_of_the_end_of_each_quarter() -> None:
    text = (
        "11.2 The Host shall report on the pooled fund within 30 days of the end of each quarter."
    )
    report = only(text, Cadence)
    assert (report.frequency, report.after_period_end) == ("quarterly", Duration(30, "day"))


def test_by_30_june_each_year() -> None:
    text = "11.3 The annual report shall be submitted to the Partners by 30 June each year."
    report = only(text, Cadence)
    assert (report.frequency, report.each_year_on) == ("annually", (6, 30))


def test_after_one_year_in_operation() -> None:
    text = "Recommendation Ten\n\nA report be considered after one year in operation."
    deadline = only(text, Deadline)
    assert (deadline.of, deadline.after, deadline.source.label) == (
        "start",
        Duration(1, "year"),
        "Rec. 10",
    )


def test_when_in_operation_for_one_year() -> None:
    text = (
        "10. That a report on the delivery and performance be considered when the service has "
        "been in operation for one year."
    )
    deadline = only(text, Deadline)
    assert deadline.title == "Report on the delivery and performance"


# --- One-off deadlines ------------------------------------------------------------------------


def test_due_to_expire_on() -> None:
    deadline = only("2.3 The existing contract is due to expire on 31st March 2022.", Deadline)
    assert (deadline.date, deadline.title) == (
        dt.date(2022, 3, 31),
        "The existing contract expires",
    )


def test_runs_until_a_month_takes_its_last_day() -> None:
    deadline = only("4.2 The second phase of the programme runs until September 2019.", Deadline)
    assert (deadline.date, deadline.day_note) == (dt.date(2019, 9, 30), "day assumed: the last")


def test_during_a_financial_year_is_its_last_day() -> None:
    text = "8.8 The partners will review the governance arrangements during 2022/23."
    assert only(text, Deadline).date == dt.date(2023, 3, 31)


def test_not_during_a_financial_year_is_not_a_deadline() -> None:
    text = "8.2 Substantive delegations will not occur during the remainder of 2022/23."
    assert not [f for f in findings(text) if isinstance(f, Deadline)]


def test_a_response_within_two_months_of_a_meeting() -> None:
    text = (
        "3. Cabinet will meet on 20 April 2023.\n\n4. At the 20 April meeting of Cabinet it was "
        "resolved: That Cabinet will bring back a formal response within the next two months."
    )
    deadlines = [f for f in findings(text) if isinstance(f, Deadline)]
    anchor = next(d for d in deadlines if d.date == dt.date(2023, 4, 20))
    response = next(d for d in deadlines if d.after is not None)
    assert (response.of, response.after) == (anchor.key, Duration(2, "month"))


def test_an_extension_until_a_date_cites_its_decision_notice() -> None:
    text = (
        "10.1 Decision to extend the Section 75 agreements for a 3 month period, until "
        "30.06.2019 - MAR19/CMDN/110"
    )
    deadline = only(text, Deadline)
    assert deadline.date == dt.date(2019, 6, 30)
    assert deadline.clause() == "cl. 10.1, MAR19/CMDN/110"


# --- Ladders and information requests ---------------------------------------------------------

LADDER = (
    "20.1 The Partners shall attempt to resolve any dispute by discussion within 20 Working "
    "Days, failing which it shall be referred to the Chief Executives, who shall meet to "
    "resolve it within a further 10 Working Days, failing which the dispute shall be referred "
    "to mediation or to an arbitrator.\n\n"
    "1.1 Working Day means a day other than a Saturday, Sunday or bank holiday in England."
)


def test_a_dispute_ladder() -> None:
    ladder = only(LADDER, Ladder)
    assert [(s.title, s.window) for s in ladder.steps] == [
        ("Resolve the dispute by discussion in good faith", Duration(20, "day", "working")),
        ("Refer the dispute to the Chief Executives", Duration(10, "day", "working")),
        ("Mediation, arbitration or expert (as the agreement provides)", None),
    ]
    assert ladder.steps[0].window is not None
    assert ladder.steps[0].window.period() == "20 operational days"


def test_working_days_defined_as_excluding_bank_holidays_are_operational_days() -> None:
    ladder = only(LADDER, Ladder)
    assert any("defined in the agreement" in check for check in ladder.checks)


def test_undefined_working_days_are_a_check() -> None:
    ladder = only(LADDER.split("\n\n")[0], Ladder)
    assert any("does not define them" in check for check in ladder.checks)


def test_operational_days_of_notification() -> None:
    text = (
        "5.2 The partners shall seek to resolve the issue by a process of discussion within 20 "
        "operational days of such matter being notified."
    )
    ladder = only(text, Ladder)
    assert [s.window for s in ladder.steps] == [Duration(20, "day", "operational")]


def test_usual_escalation_then_an_arbitrator_has_no_windows() -> None:
    text = (
        "10.1 The Partners will act together in good faith to resolve any disputes. If after the "
        "usual escalation through the organisations the parties are unable to resolve a dispute "
        "an arbitrator shall be nominated."
    )
    ladder = only(text, Ladder)
    assert [s.title for s in ladder.steps][1:] == [
        "Escalate through the organisations",
        "Mediation, arbitration or expert (as the agreement provides)",
    ]
    assert all(step.window is None for step in ladder.steps)


def test_freedom_of_information_consult_then_the_statutory_20() -> None:
    text = (
        "15.2 Where a Partner receives a request for information under the FOIA or the EIR it "
        "shall consult the other Partners within 5 working days."
    )
    ladder = only(text, Ladder)
    assert [s.window for s in ladder.steps] == [
        Duration(5, "day", "working"),
        Duration(20, "day", "working"),
    ]
    assert all(step.counted_from_start for step in ladder.steps)


def test_a_duty_under_the_act_without_a_request_is_no_procedure() -> None:
    text = (
        "12.1 The Partners acknowledge their obligations under the Freedom of Information Act 2000."
    )
    assert not [f for f in findings(text) if isinstance(f, Ladder)]


# --- Notes and unread sentences ---------------------------------------------------------------


def test_variation_signed_by_all_the_partners() -> None:
    text = "13. Any variation to this Agreement shall be in writing and signed by all the Partners."
    note = only(text, Note)
    assert (note.topic, note.source.label) == ("variation", "cl. 13")
    assert "signed by all the partners" in note.reading


def test_option_to_extend() -> None:
    text = (
        "3.2 The Agreement may be extended by the Partners for a further period of up to two years."
    )
    note = only(text, Note)
    assert note.topic == "extension"
    assert "2 years" in note.reading


def test_as_soon_as_reasonably_practicable_is_listed_as_unread() -> None:
    reading = read_findings(
        "7.3 The Host shall notify the Partners as soon as reasonably practicable."
    )
    assert not reading.findings
    assert [(s.label, s.quote) for s in reading.unread] == [
        ("cl. 7.3", "The Host shall notify the Partners as soon as reasonably practicable.")
    ]


def test_not_legally_binding() -> None:
    note = only("1.3 This agreement shall not be legally binding.", Note)
    assert note.topic == "binding"


# --- Definitions and other common drafting --------------------------------------------------


def test_an_initial_period_and_thereafter_until_terminated() -> None:
    text = (
        "3.1 This Agreement shall continue for an initial period of three (3) years and "
        "thereafter until terminated."
    )
    assert only(text, TermLength).length == Duration(3, "year")


def test_a_defined_initial_term() -> None:
    text = '1.1 "Initial Term" means the period of five years from the Commencement Date.'
    assert only(text, TermLength).length == Duration(5, "year")


def test_a_defined_commencement_date() -> None:
    text = '1.1 "Commencement Date" means 1 April 2025.'
    assert only(text, TermStart).date == dt.date(2025, 4, 1)


def test_notice_to_expire_on_31_march_is_a_financial_year_end() -> None:
    text = (
        "18.2 Any Partner may terminate this Agreement by giving not less than twelve (12) "
        "months' written notice to expire on 31 March in any year."
    )
    found = only(text, Notice)
    assert (found.period, found.fy_end) == (Duration(12, "month"), True)


@pytest.mark.parametrize(
    ("times", "frequency"),
    [("four", "quarterly"), ("twice", "six-monthly"), ("three", "every 4 months")],
)
def test_times_a_year(times: str, frequency: str) -> None:
    count = times if times == "twice" else f"{times} times"
    text = f"9.2 The Partnership Board shall meet {count} a year."
    assert only(text, Cadence).frequency == frequency


def test_a_ladder_across_sub_clauses_with_restated_limits() -> None:
    text = (
        "20. DISPUTE RESOLUTION\n\n"
        "20.1 If a dispute arises, the Partnership Managers shall meet within 10 Working Days "
        "of written notice of the dispute to try to resolve it.\n\n"
        "20.2 If the dispute is not resolved within 10 Working Days of that meeting, it shall "
        "be escalated to the Directors, who shall meet within 15 Working Days.\n\n"
        "20.3 If the dispute remains unresolved, the Partners may refer it to mediation."
    )
    ladder = only(text, Ladder)
    assert [(s.title, s.window) for s in ladder.steps] == [
        ("Resolve the dispute by discussion in good faith", Duration(10, "day", "working")),
        ("Refer the dispute to the Directors", Duration(15, "day", "working")),
        ("Mediation, arbitration or expert (as the agreement provides)", None),
    ]
    assert ladder.clause() == "cl. 20.1, cl. 20.2, cl. 20.3"


def test_comes_into_force_on() -> None:
    text = (
        "2. This Agreement comes into force on 1 July 2025 and shall remain in force for five "
        "years."
    )
    assert only(text, TermStart).date == dt.date(2025, 7, 1)


def test_continue_until_a_date_is_the_end() -> None:
    text = "3.1 This Agreement shall continue until 31 March 2028 unless terminated earlier."
    assert only(text, TermEnd).date == dt.date(2028, 3, 31)


def test_an_impossible_start_date_is_a_check_not_a_start() -> None:
    found = findings("2.1 This Agreement shall commence on 30 February 2025.")
    assert not [f for f in found if isinstance(f, TermStart)]
    assert any("not a usable date" in check for f in found for check in f.checks)


def test_not_less_than_four_times_in_each_year_is_quarterly() -> None:
    text = "5. The Joint Committee shall meet not less than four times in each year."
    assert only(text, Cadence).frequency == "quarterly"


def test_agree_to_extend_for_a_further_period() -> None:
    text = (
        "3. The Councils may by written agreement extend this Agreement for a further period "
        "of two years."
    )
    assert only(text, Note).topic == "extension"


def test_the_first_review_no_later_than_a_date() -> None:
    text = (
        "5.1 The Partners shall review this Agreement annually, the first such review to take "
        "place no later than 31 March 2026."
    )
    assert only(text, Cadence).starts == dt.date(2026, 3, 31)


def test_notice_that_may_not_expire_before_the_end_of_the_initial_term() -> None:
    text = "20.2 No notice under Clause 20.1 may expire before the end of the Initial Term."
    note = only(text, Note)
    assert (note.topic, note.reading) == (
        "lockout",
        "notice cannot end the agreement before the end of the Initial Term",
    )


def test_a_notice_rule_expiring_on_31_march_is_not_a_deadline() -> None:
    text = "9. A Council may withdraw on nine months' notice in writing expiring on 31 March."
    assert not [f for f in findings(text) if isinstance(f, Deadline)]
    assert only(text, Notice).fy_end


def test_meet_no_later_than_a_date() -> None:
    text = "3.2 The parties shall meet no later than 30 September 2027 to consider renewal."
    assert only(text, Deadline).date == dt.date(2027, 9, 30)


def test_hours_are_read_as_days_with_a_check() -> None:
    text = (
        "6.2 Where a dispute cannot be resolved by the Hub Manager within 48 hours it will be "
        "escalated to the Director of Operations, and if not resolved within a further 5 "
        "working days to the Chief Executives."
    )
    ladder = only(text, Ladder)
    assert ladder.steps[0].window == Duration(2, "day")
    assert any("48 hours" in check for check in ladder.checks)


def test_a_referral_first_has_no_invented_talks() -> None:
    text = (
        "8. Any dispute shall first be referred to the Heads of Service, who shall resolve it "
        "within 15 Business Days, failing which it shall be escalated to the Chief Executives, "
        "who shall meet within 10 Business Days; if they cannot agree within 20 Business Days "
        "of their meeting, any Council may refer it to an independent expert."
    )
    ladder = only(text, Ladder)
    assert [(s.title, s.window) for s in ladder.steps] == [
        ("Refer the dispute to the Heads of Service", Duration(15, "day", "business")),
        ("Refer the dispute to the Chief Executives", Duration(20, "day", "business")),
        ("Mediation, arbitration or expert (as the agreement provides)", None),
    ]


def test_clause_numbering_that_jumps_and_clause_headings() -> None:
    text = (
        "1. TERM\n1.1 This Agreement shall continue for a period of three years.\n\n"
        "7. CONTRIBUTIONS\n7.1 Each Partner shall pay monthly.\n\n"
        "18. Board\n18.1 The Board shall meet quarterly.\n\n"
        "19. The Forum shall meet monthly.\n\n"
        "Clause 20 - Reports\nThe Host shall report to the Board annually."
    )
    labels = {
        f.reading.split(":")[0]: f.source.label for f in findings(text) if isinstance(f, Cadence)
    }
    assert labels == {
        "meeting 'Board'": "cl. 18.1",
        "meeting 'Forum'": "cl. 19",
        "review 'Report to the Board'": "cl. 20",
    }


def test_a_numbered_list_inside_a_clause_is_not_clauses() -> None:
    text = (
        "4.2 The strategy has five themes:\n\n1. Healthy pregnancy\n\n2. Vulnerable parents\n\n"
        "3. Well prepared parents\n\n4. Good attachment\n\n5. Child development\n\n"
        "The current phase runs until September 2019.\n\n5. CONSULTATION\n\n5.1 Engagement."
    )
    assert only(text, Deadline).source.label == "cl. 4.2"


def test_by_the_tenth_working_day_of_each_month() -> None:
    text = "5.1 The Trust shall provide activity data by the tenth working day of each month."
    report = only(text, Cadence)
    assert (report.frequency, report.after_period_end) == (
        "monthly",
        Duration(10, "day", "working"),
    )


def test_a_request_for_information_in_a_clause_that_names_no_act() -> None:
    text = (
        "8.2 A party receiving a request for information which relates to the other party "
        "shall notify that other party within 3 working days."
    )
    ladder = only(text, Ladder)
    assert [s.window for s in ladder.steps] == [
        Duration(3, "day", "working"),
        Duration(20, "day", "working"),
    ]
