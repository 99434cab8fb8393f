"""Every way a configuration can be wrong gets a precise answer: file, key path, line, reason."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from config.issues import ConfigIssue, ConfigurationError
from config.loader import load_configuration
from tests.conftest import EXAMPLES

VALID = """\
id = "demo"
title = "Demo agreement"
kind = "cooperation"
binding = true

[term]
start = 2024-10-01
length = "9 years"
up_to = true

[notice]
period = "6 months"
fy_end = true

[[parties]]
id = "council"
name = "A Council"
roles = ["commissioner"]
[[parties.contacts]]
id = "council-lead"
name = "Alex Lead"
email = "alex@council.example.org"
role = "lead"
deputy = "council-deputy"
[[parties.contacts]]
id = "council-deputy"
name = "Sam Deputy"
email = "sam@council.example.org"
role = "deputy"

[[parties]]
id = "trust"
name = "A Trust"
roles = ["provider"]
[[parties.contacts]]
id = "trust-lead"
name = "Jo Trust"
email = "jo@trust.example.org"
role = "lead"

[[meetings]]
id = "service-review"
title = "Service review"
frequency = "monthly"
day = "second Tuesday"
time = "10:00"
attendees = ["party:council", "role:provider"]

[[reviews]]
id = "terms"
title = "Review of terms"
frequency = "six-monthly"

[[deadlines]]
id = "report"
title = "Delivery report"
of = "start"
after = "1 year"

[[procedures]]
id = "dispute"
title = "Dispute"
then = "arbitration"
[[procedures.steps]]
id = "discussion"
title = "Discussion"
window = "20 operational days"

[[procedures]]
id = "arbitration"
title = "Arbitration"
[[procedures.steps]]
id = "nominate"
title = "Nominate an arbitrator"
"""


def write(directory: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def issues_for(directory: Path) -> list[ConfigIssue]:
    with pytest.raises(ConfigurationError) as caught:
        load_configuration(directory)
    return caught.value.issues


def only_issue(directory: Path) -> ConfigIssue:
    issues = issues_for(directory)
    assert len(issues) == 1, [str(i) for i in issues]
    return issues[0]


def line_containing(text: str, fragment: str, occurrence: int = 1) -> int:
    lines = [n for n, line in enumerate(text.splitlines(), 1) if fragment in line]
    return lines[occurrence - 1]


def test_valid_configuration_loads(tmp_path: Path) -> None:
    configuration = load_configuration(write(tmp_path, {"demo.toml": VALID}))
    (agreement,) = configuration.agreements
    assert agreement.term.last_day == dt.date(2033, 9, 30)
    assert agreement.deadlines[0].date == dt.date(2025, 10, 1)


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    text = VALID.replace('title = "Demo agreement"', 'title = "Demo agreement')
    issue = only_issue(write(tmp_path, {"demo.toml": text}))
    assert issue.file.endswith("demo.toml")
    assert issue.line == 2
    assert "TOML syntax error" in issue.message


def test_unknown_key_is_refused_with_its_line(tmp_path: Path) -> None:
    text = VALID.replace('frequency = "monthly"', 'frequency = "monthly"\nfrequncy = "weekly"')
    issue = only_issue(write(tmp_path, {"demo.toml": text}))
    assert issue.path == "meetings[0].frequncy"
    assert issue.line == line_containing(text, "frequncy")
    assert "unknown key" in issue.message


def test_missing_required_field(tmp_path: Path) -> None:
    text = VALID.replace('kind = "cooperation"\n', "")
    issue = only_issue(write(tmp_path, {"demo.toml": text}))
    assert (issue.path, issue.message) == ("kind", "required key is missing")


@pytest.mark.parametrize("value", ["2023-02-30", '"2023-02-30"'])
def test_impossible_date_is_refused(tmp_path: Path, value: str) -> None:
    text = VALID.replace("start = 2024-10-01", f"start = {value}")
    issue = only_issue(write(tmp_path, {"demo.toml": text}))
    assert issue.line == line_containing(text, "start = ")
    assert "date" in issue.message.lower()


def test_end_before_start(tmp_path: Path) -> None:
    text = VALID.replace('length = "9 years"', "end = 2023-01-01")
    issue = only_issue(write(tmp_path, {"demo.toml": text}))
    assert issue.path == "term.end"
    assert "before it starts" in issue.message
    assert issue.line == line_containing(text, "end = 2023")


@pytest.mark.parametrize("period", ["0 months", "-6 months"])
def test_zero_or_negative_period(tmp_path: Path, period: str) -> None:
    text = VALID.replace('period = "6 months"', f'period = "{period}"')
    issue = only_issue(write(tmp_path, {"demo.toml": text}))
    assert issue.path == "notice.period"
    assert "greater than zero" in issue.message


@pytest.mark.parametrize(
    ("replace", "by", "path", "fragment"),
    [
        ('"party:council"', '"party:councill"', "meetings[0].attendees[0]", "unknown party"),
        ('"role:provider"', '"role:host"', "meetings[0].attendees[1]", "unknown role"),
        (
            'deputy = "council-deputy"',
            'deputy = "nobody"',
            "parties[0].contacts[0].deputy",
            "unknown contact",
        ),
        ('then = "arbitration"', 'then = "mediation"', "procedures[0].then", "unknown procedure"),
        ('of = "start"', 'of = "kickoff"', "deadlines[0].of", "unknown date"),
    ],
)
def test_unknown_references(
    tmp_path: Path, replace: str, by: str, path: str, fragment: str
) -> None:
    issue = only_issue(write(tmp_path, {"demo.toml": VALID.replace(replace, by)}))
    assert issue.path == path
    assert fragment in issue.message


def test_duplicate_ids_within_a_file(tmp_path: Path) -> None:
    text = VALID.replace('id = "trust-lead"', 'id = "council-lead"')
    text += '[[reviews]]\nid = "terms"\ntitle = "Again"\nfrequency = "annually"\n'
    issues = issues_for(write(tmp_path, {"demo.toml": text}))
    assert {i.path for i in issues} == {"parties[1].contacts[0].id", "reviews[1].id"}
    assert all("duplicate id" in i.message for i in issues)


def test_duplicate_agreement_ids_across_files(tmp_path: Path) -> None:
    issue = only_issue(write(tmp_path, {"a.toml": VALID, "b.toml": VALID}))
    assert issue.file.endswith("b.toml")
    assert "duplicate agreement id 'demo'" in issue.message


def test_a_contact_id_shared_by_agreements_must_be_one_address(tmp_path: Path) -> None:
    """Across files, one contact id names one person: another address is refused, naming
    both files, the key and the two addresses; the same address in another case is fine."""
    other = VALID.replace('id = "demo"', 'id = "other"', 1)
    same = other.replace("jo@trust.example.org", "JO@Trust.Example.ORG")
    (tmp_path / "same").mkdir()
    (tmp_path / "clash").mkdir()
    load_configuration(write(tmp_path / "same", {"a.toml": VALID, "b.toml": same}))
    clash = other.replace("jo@trust.example.org", "someone.else@trust.example.org")
    directory = write(tmp_path / "clash", {"a.toml": VALID, "b.toml": clash})
    issue = only_issue(directory)
    assert issue.file.endswith("b.toml")
    assert issue.path == "parties[1].contacts[0].email"
    assert issue.line == line_containing(clash, "someone.else@trust.example.org")
    assert "contact id 'trust-lead'" in issue.message
    assert "'someone.else@trust.example.org'" in issue.message
    assert "'jo@trust.example.org'" in issue.message
    assert str(directory / "a.toml") in issue.message


def test_the_examples_share_no_contact_id_with_another_address() -> None:
    examples = load_configuration(EXAMPLES)
    addresses: dict[str, set[str]] = {}
    for agreement in examples.agreements:
        for contact in agreement.contacts:
            addresses.setdefault(contact.id, set()).add(contact.email.casefold())
    assert all(len(found) == 1 for found in addresses.values())


def test_invalid_email(tmp_path: Path) -> None:
    text = VALID.replace("jo@trust.example.org", "jo-at-trust")
    issue = only_issue(write(tmp_path, {"demo.toml": text}))
    assert issue.path == "parties[1].contacts[0].email"
    assert issue.line == line_containing(text, "jo-at-trust")


def test_unknown_time_zone(tmp_path: Path) -> None:
    issue = only_issue(
        write(tmp_path, {"demo.toml": VALID, "site.toml": 'timezone = "Europe/Londn"\n'})
    )
    assert issue.file.endswith("site.toml")
    assert (issue.path, issue.line) == ("timezone", 1)
    assert "unknown time zone" in issue.message


def test_malformed_rrule(tmp_path: Path) -> None:
    text = VALID.replace('frequency = "six-monthly"', 'frequency = "FREQ=MONTHLY;BYFOO=2"')
    issue = only_issue(write(tmp_path, {"demo.toml": text}))
    assert issue.path == "reviews[0].frequency"
    assert "RRULE" in issue.message


def test_ambiguous_friendly_frequency(tmp_path: Path) -> None:
    text = VALID.replace('frequency = "six-monthly"', 'frequency = "bi-annually"')
    issue = only_issue(write(tmp_path, {"demo.toml": text}))
    assert "ambiguous" in issue.message


def test_bad_day_rule_points_at_day(tmp_path: Path) -> None:
    text = VALID.replace('day = "second Tuesday"', 'day = "second Funday"')
    issue = only_issue(write(tmp_path, {"demo.toml": text}))
    assert issue.path == "meetings[0].day"


def test_escalation_ladder_that_refers_to_itself(tmp_path: Path) -> None:
    text = VALID.replace('title = "Arbitration"', 'title = "Arbitration"\nthen = "dispute"')
    issues = issues_for(write(tmp_path, {"demo.toml": text}))
    assert {i.path for i in issues} >= {"procedures[0].then", "procedures[1].then"}
    assert any("refers to itself: dispute -> arbitration -> dispute" in i.message for i in issues)


def test_procedure_handing_on_to_itself(tmp_path: Path) -> None:
    text = VALID.replace('then = "arbitration"', 'then = "dispute"')
    issue = only_issue(write(tmp_path, {"demo.toml": text}))
    assert issue.message.endswith("dispute -> dispute")


def test_cadence_that_produces_no_occurrence(tmp_path: Path) -> None:
    text = VALID.replace(
        'frequency = "six-monthly"', 'frequency = "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"'
    )
    issue = only_issue(write(tmp_path, {"demo.toml": text}))
    assert issue.path == "reviews[0].frequency"
    assert "no occurrence" in issue.message


def test_cadence_starting_after_the_agreement_ends(tmp_path: Path) -> None:
    text = VALID.replace(
        'frequency = "six-monthly"', 'frequency = "six-monthly"\nstarts = 2040-01-01'
    )
    issue = only_issue(write(tmp_path, {"demo.toml": text}))
    assert "before the agreement ends on 2033-09-30" in issue.message


def test_deadline_relative_to_itself(tmp_path: Path) -> None:
    text = VALID.replace('of = "start"', 'of = "report"')
    issue = only_issue(write(tmp_path, {"demo.toml": text}))
    assert "refers to itself" in issue.message


def test_all_errors_of_all_files_are_reported_together(tmp_path: Path) -> None:
    broken = VALID.replace("jo@trust.example.org", "nope").replace('id = "demo"', 'id = "other"')
    files = {
        "a.toml": VALID.replace('"6 months"', '"0 months"'),
        "b.toml": broken,
        "c.toml": "id = [",
        "site.toml": 'send_time = "25:00"\n',
    }
    issues = issues_for(write(tmp_path, files))
    assert sorted(Path(i.file).name for i in issues) == ["a.toml", "b.toml", "c.toml", "site.toml"]
    assert str(ConfigurationError(issues)).startswith("4 configuration errors")


def test_bank_holidays_file_adds_days(tmp_path: Path) -> None:
    extra = {
        "title": "Extra bank holiday",
        "date": "2031-06-02",
        "notes": "Extra bank holiday",
        "bunting": True,
    }
    data = {
        key: {"division": key, "events": [extra] if key == "england-and-wales" else []}
        for key in ("england-and-wales", "scotland", "northern-ireland")
    }
    (tmp_path / "bank-holidays.json").write_text(json.dumps(data), encoding="utf-8")
    site = 'bank_holidays_file = "bank-holidays.json"\n'
    configuration = load_configuration(write(tmp_path, {"demo.toml": VALID, "site.toml": site}))
    assert not configuration.calendar.is_operational(dt.date(2031, 6, 2))
    assert configuration.calendar.is_operational(dt.date(2031, 6, 3))


def test_bank_holidays_file_in_the_wrong_format(tmp_path: Path) -> None:
    (tmp_path / "bank-holidays.json").write_text('{"wales": []}', encoding="utf-8")
    site = 'bank_holidays_file = "bank-holidays.json"\n'
    issue = only_issue(write(tmp_path, {"demo.toml": VALID, "site.toml": site}))
    assert issue.path == "bank_holidays_file"
    assert "england-and-wales" in issue.message


def test_closure_days_of_an_agreement_apply_to_it_only(tmp_path: Path) -> None:
    own = VALID.replace("binding = true", "binding = true\nclosure_days = [2025-01-06]")
    other = VALID.replace('id = "demo"', 'id = "other"')
    configuration = load_configuration(write(tmp_path, {"a.toml": own, "b.toml": other}))
    demo, second = configuration.agreement("demo"), configuration.agreement("other")
    assert demo is not None
    assert second is not None
    assert not configuration.calendar_for(demo).is_operational(dt.date(2025, 1, 6))
    assert configuration.calendar_for(second).is_operational(dt.date(2025, 1, 6))


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ('length = "9 years"', 'length = "20 operational days"', "term.length"),
        ('after = "1 year"', 'after = "20 operational days"', "deadlines[0].after"),
    ],
)
def test_operational_days_where_a_calendar_length_is_needed(
    tmp_path: Path, old: str, new: str, path: str
) -> None:
    issue = only_issue(write(tmp_path, {"demo.toml": VALID.replace(old, new)}))
    assert issue.path == path
    assert "not operational days" in issue.message


def test_one_digit_hours_are_accepted(tmp_path: Path) -> None:
    text = VALID.replace('time = "10:00"', 'time = "9:30"')
    site = 'send_time = "8:00"\n'
    configuration = load_configuration(write(tmp_path, {"demo.toml": text, "site.toml": site}))
    assert configuration.agreements[0].meetings[0].time == dt.time(9, 30)
    assert configuration.settings.send_time == dt.time(8, 0)


def test_unknown_then_does_not_hide_step_errors(tmp_path: Path) -> None:
    text = VALID.replace('then = "arbitration"', 'then = "mediation"')
    text += '[[procedures.steps]]\nid = "nominate"\ntitle = "Again"\n'
    issues = issues_for(write(tmp_path, {"demo.toml": text}))
    assert {i.path for i in issues} == {
        "procedures[0].then",
        "procedures[1].steps[1].id",
        "procedures[1].steps[1].counted_from",
    }


def test_deadline_after_the_last_day(tmp_path: Path) -> None:
    text = VALID.replace('after = "1 year"', 'after = "10 years"')
    issue = only_issue(write(tmp_path, {"demo.toml": text}))
    assert issue.path == "deadlines[0]"
    assert "after the agreement's last day (2033-09-30)" in issue.message


def test_a_term_beyond_the_calendar_is_refused(tmp_path: Path) -> None:
    text = VALID.replace("start = 2024-10-01", "start = 2099-06-01")
    issue = only_issue(write(tmp_path, {"demo.toml": text}))
    assert issue.path == "term.end"
    assert "outside the years" in issue.message


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ('title = "Demo agreement"', r'title = "Demo\nagreement"', "title"),
        ('name = "A Council"', r'name = "A\rCouncil"', "parties[0].name"),
        ('name = "Jo Trust"', r'name = "Jo\tTrust"', "parties[1].contacts[0].name"),
        ('title = "Service review"', r'title = "Service\nreview"', "meetings[0].title"),
        (
            'time = "10:00"',
            'time = "10:00"\n' + r'location = "Room 1\u2028Floor 2"',
            "meetings[0].location",
        ),
        ('title = "Review of terms"', r'title = "Review\u0000of terms"', "reviews[0].title"),
        ('title = "Delivery report"', r'title = "Delivery\u0085report"', "deadlines[0].title"),
        ('title = "Dispute"', r'title = "Dis\npute"', "procedures[0].title"),
        ('title = "Discussion"', r'title = "Discussion\n"', "procedures[0].steps[0].title"),
        ("fy_end = true", "fy_end = true\n" + r'clause = "cl. 6.2\nBcc: x"', "notice.clause"),
        ("up_to = true", 'up_to = true\nclause = """cl. 3\nmore"""', "term.clause"),
    ],
)
def test_titles_names_and_clauses_must_be_one_line(
    tmp_path: Path, old: str, new: str, path: str
) -> None:
    """Issue 6: these end up in mail headers, where a line break starts a new header."""
    assert old in VALID
    text = VALID.replace(old, new, 1)
    issue = only_issue(write(tmp_path, {"demo.toml": text}))
    assert issue.path == path
    assert "must be one line of text" in issue.message
    assert issue.file.endswith("demo.toml")
    key = path.rsplit(".", 1)[-1].split("[")[0]
    bad = next(line for line in new.splitlines() if line.startswith(f"{key} = "))
    assert issue.line == line_containing(text, bad)
