"""Recording from the page: every form records the very fact the command line records, after a
confirmation step that shows what it sets off; refusals, bad input, missing CSRF tokens and
missing logins record nothing. A real uvicorn, real SQLite."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from concordat.cli_record import read
from lifecycle import commands as c
from tests.conftest import EXAMPLES, new_pg_database
from tests.web.conftest import PASSWORD, Served
from tests.web.forms_support import Browser, FormData, app_at, facts_of, hidden_fields, record_all
from tests.web.html_check import parse

Browse = Callable[..., Browser]


@pytest.fixture
def browse() -> Iterator[Browse]:
    """Open browsers on a server; each is closed when the test ends."""
    opened: list[Browser] = []

    def open_one(url: str, auth: tuple[str, str] | None = ("admin", PASSWORD)) -> Browser:
        opened.append(Browser(url, auth))
        return opened[-1]

    yield open_one
    for browser in opened:
        browser.close()


HALTON, SEFTON = "halton-st-helens-s31", "sefton-partnership"
NOTTS, CAMBS = "nottinghamshire-healthy-families", "cambs-peterborough-s75"
d = dt.date


@dataclass(frozen=True)
class Case:
    """One form: the day it is used, the agreement, facts recorded first, the fields."""

    action: str
    today: dt.date
    agreement: str
    before: tuple[c.Command, ...]
    fields: dict[str, str | tuple[str, ...]]


RAISED = c.StartProcedure(SEFTON, "dispute", "council", d(2022, 9, 12), "Data sharing")
ENQUIRY = c.StartProcedure(SEFTON, "third-party-enquiry", "council", d(2023, 1, 3), "FOI 123")
PROPOSED = c.ProposeVariation(NOTTS, d(2025, 1, 6), "New KPI schedule")
CASES = [
    Case("notice-serve", d(2009, 10, 20), HALTON, (), {
        "by": "halton", "on": "2009-10-16", "ending": "2010-06-30",
        "agreed_by": ("halton", "st-helens", "pct")}),
    Case("notice-withdraw", d(2009, 10, 20), HALTON,
         (c.ServeNotice(HALTON, "halton", d(2009, 9, 30)),), {"on": "2009-10-15"}),
    Case("dispute-raise", d(2022, 9, 13), SEFTON, (),
         {"by": "council", "on": "2022-09-12", "summary": "Data sharing"}),
    Case("dispute-escalate", d(2022, 9, 21), SEFTON, (RAISED,),
         {"case": f"{SEFTON}.dispute.1", "on": "2022-09-20"}),
    Case("dispute-resolve", d(2022, 10, 1), SEFTON, (RAISED,),
         {"case": f"{SEFTON}.dispute.1", "on": "2022-09-30", "outcome": "Agreed"}),
    Case("procedure-start", d(2023, 1, 4), SEFTON, (), {
        "procedure": "third-party-enquiry", "by": "council", "on": "2023-01-03",
        "summary": "FOI 123"}),
    Case("procedure-close", d(2023, 1, 21), SEFTON, (ENQUIRY,),
         {"case": f"{SEFTON}.third-party-enquiry.1", "on": "2023-01-20", "outcome": ""}),
    Case("meeting-move", d(2024, 11, 1), NOTTS, (), {
        "meeting": "service-review", "occurrence": "2024-11-12", "to": "2024-11-14T15:00"}),
    Case("meeting-cancel", d(2024, 11, 1), NOTTS, (),
         {"meeting": "service-review", "occurrence": "2024-12-10"}),
    Case("variation-propose", d(2025, 1, 7), NOTTS, (),
         {"summary": "New KPI schedule", "on": "2025-01-06"}),
    Case("variation-sign", d(2025, 1, 9), NOTTS, (PROPOSED,),
         {"variation": f"{NOTTS}.variation.1", "by": "ncc", "on": "2025-01-08"}),
    Case("extend", d(2024, 3, 2), CAMBS, (),
         {"to": "2024-06-30", "on": "2024-03-01", "beyond_limit": "yes"}),
]  # fmt: skip


def through_the_page(browser: Browser, case: Case) -> httpx.Response:
    """Fill the form, check the confirmation, press Record; the result page."""
    path = f"/agreements/{case.agreement}/record/{case.action}"
    shown = browser.post(path, case.fields)
    assert shown.status_code == 200, shown.text
    assert ">Record</button>" in shown.text
    assert parse(shown.text).problems() == []
    sent: dict[str, list[str]] = {}
    for name, value in hidden_fields(shown.text):
        sent.setdefault(name, []).append(value)
    done = browser.client.post(f"{path}/confirm", data=sent)
    assert done.status_code == 303, done.text
    assert done.headers["location"].startswith(f"/agreements/{case.agreement}/recorded/")
    result = browser.client.get(done.headers["location"])
    assert parse(result.text).problems() == []
    return result


@pytest.mark.parametrize("case", CASES, ids=[case.action for case in CASES])
def test_each_form_records_the_fact_the_command_line_records(
    tmp_path: Path, serve: Callable[..., Served], browse: Browse, case: Case
) -> None:
    page_app = app_at(tmp_path, case.today)
    record_all(page_app, case.before)
    served = serve(page_app)
    browser = browse(served.url)
    result = through_the_page(browser, case)
    assert result.status_code == 200, result.text
    assert f"Recorded (#{len(case.before) + 1})" in result.text

    cli_app = app_at(tmp_path, case.today, "cli")
    record_all(cli_app, case.before)
    cli_app.record(read(case.action, case.agreement, case.fields, EXAMPLES))
    assert facts_of(page_app, case.agreement) == facts_of(cli_app, case.agreement)
    assert page_app.history(case.agreement)[-1].recorded_by == "web:admin"
    cli_app.close()


def test_a_form_on_postgresql_records_the_fact_the_command_line_records_on_sqlite(
    tmp_path: Path, serve: Callable[..., Served], browse: Browse, pg_admin_url: str
) -> None:
    case = next(case for case in CASES if case.action == "dispute-escalate")
    page_app = app_at(tmp_path, case.today, db=new_pg_database(pg_admin_url))
    record_all(page_app, case.before)
    result = through_the_page(browse(serve(page_app).url), case)
    assert "Recorded (#2)" in result.text
    cli_app = app_at(tmp_path, case.today, "cli")
    record_all(cli_app, case.before)
    cli_app.record(read(case.action, case.agreement, case.fields, EXAMPLES))
    assert facts_of(page_app, case.agreement) == facts_of(cli_app, case.agreement)
    cli_app.close()


def test_the_confirmation_of_a_dispute_lists_each_steps_day_and_records_nothing(
    tmp_path: Path, serve: Callable[..., Served], browse: Browse
) -> None:
    app = app_at(tmp_path, d(2022, 9, 13))
    app.replan(horizon_days=60)
    served = serve(app)
    browser = browse(served.url)
    fields = {"by": "council", "on": "2022-09-12", "summary": "Data sharing"}
    page = browser.post(f"/agreements/{SEFTON}/record/dispute-raise", fields)
    assert page.status_code == 200, page.text
    # The ladder `concordat dispute raise` prints for the same dispute (tests/e2e).
    new_dates = page.text.split("New dates", 1)[1].split("Dates removed", 1)[0]
    for line in (
        "due Mon 12 Sep 2022; window closes Tue 11 Oct 2022",
        "due Wed 12 Oct 2022; window closes Tue 08 Nov 2022",
        "due Wed 09 Nov 2022",
    ):
        assert line in new_dates
    assert "Messages it adds (60+)" in page.text
    assert facts_of(app, SEFTON) == []


def test_a_refused_command_records_nothing_and_says_why(
    tmp_path: Path, serve: Callable[..., Served], browse: Browse
) -> None:
    app = app_at(tmp_path, d(2024, 11, 1))
    app.record(c.CancelMeeting(NOTTS, "service-review", d(2024, 12, 10)))
    served = serve(app)
    browser = browse(served.url)
    fields = {"meeting": "service-review", "occurrence": "2024-12-10"}
    page = browser.post(f"/agreements/{NOTTS}/record/meeting-cancel", fields)
    assert page.status_code == 409, page.text
    assert "already cancelled" in page.text
    assert len(facts_of(app, NOTTS)) == 1


def test_facts_that_change_between_preview_and_confirm_are_decided_again(
    tmp_path: Path, serve: Callable[..., Served], browse: Browse
) -> None:
    app = app_at(tmp_path, d(2024, 11, 1))
    served = serve(app)
    browser = browse(served.url)
    path = f"/agreements/{NOTTS}/record/meeting-cancel"
    shown = browser.post(path, {"meeting": "service-review", "occurrence": "2024-12-10"})
    assert shown.status_code == 200
    app.record(c.CancelMeeting(NOTTS, "service-review", d(2024, 12, 10)))  # meanwhile, the CLI
    sent = dict(hidden_fields(shown.text))
    again = browser.client.post(f"{path}/confirm", data=sent)
    assert again.status_code == 409, again.text
    assert "already cancelled" in again.text
    assert len(facts_of(app, NOTTS)) == 1


def test_a_post_without_the_csrf_token_is_refused_and_records_nothing(
    tmp_path: Path, serve: Callable[..., Served], browse: Browse
) -> None:
    app = app_at(tmp_path, d(2022, 9, 13))
    served = serve(app)
    browser = browse(served.url)
    path = f"/agreements/{SEFTON}/record/dispute-raise"
    browser.token(path)  # the cookie, but not the field
    fields = {"by": "council", "on": "2022-09-12", "summary": "Data sharing"}
    for target in (path, f"{path}/confirm"):
        refused = browser.client.post(target, data=fields)
        assert refused.status_code == 403, refused.text
        forged = browser.client.post(target, data={**fields, "csrf": "0" * 64})
        assert forged.status_code == 403
    assert facts_of(app, SEFTON) == []


def test_the_forms_need_the_admin_login(
    tmp_path: Path, serve: Callable[..., Served], browse: Browse
) -> None:
    app = app_at(tmp_path, d(2022, 9, 13))
    served = serve(app)
    path = f"/agreements/{SEFTON}/record/dispute-raise"
    anonymous = browse(served.url, auth=None)
    assert anonymous.client.get(path).status_code == 401
    fields = {"by": "council", "on": "2022-09-12", "summary": "x"}
    assert anonymous.client.post(f"{path}/confirm", data=fields).status_code == 401
    wrong = browse(served.url, auth=("admin", "wrong"))
    assert wrong.client.post(path, data=fields).status_code == 401
    assert facts_of(app, SEFTON) == []


def test_every_field_has_a_label_and_unknown_forms_are_404(
    tmp_path: Path, serve: Callable[..., Served], browse: Browse
) -> None:
    app = app_at(tmp_path, d(2025, 1, 9))
    app.record(PROPOSED)
    served = serve(app)
    browser = browse(served.url)
    for case in CASES:
        page = browser.client.get(f"/agreements/{case.agreement}/record/{case.action}")
        assert page.status_code == 200, (case.action, page.text)
        assert parse(page.text).problems() == [], case.action
        for name in case.fields:
            assert f'name="{name}"' in page.text, (case.action, name)
            if case.action != "notice-serve" or name != "agreed_by":
                assert f'<label for="field-{name}">' in page.text, (case.action, name)
    sign = browser.client.get(f"/agreements/{NOTTS}/record/variation-sign").text
    assert f'<option value="{NOTTS}.variation.1">' in sign
    assert browser.client.get(f"/agreements/{NOTTS}/record/nope").status_code == 404
    for number in ("9" * 5000, "-1", "x", "99"):
        assert browser.client.get(f"/agreements/{NOTTS}/recorded/{number}").status_code == 404
    assert "Recorded (#1)" in browser.client.get(f"/agreements/{NOTTS}/recorded/1").text
    assert browser.client.get("/agreements/nope/record/extend").status_code == 404


HOSTILE: list[tuple[str, str, FormData, str, str]] = [
    # action, agreement, fields, the field refused, what the reason says
    ("dispute-raise", SEFTON, {"by": "council", "on": "2022-09-12", "summary": "a\r\nBcc: x"},
     "summary", "one line"),
    ("dispute-raise", SEFTON, {"by": "council", "on": "2022-09-12", "summary": "x" * 10_000},
     "summary", "at most 2000"),
    ("dispute-raise", SEFTON, {"by": "council", "on": "2022-09-12", "summary": ""},
     "summary", "summary is needed"),
    ("dispute-raise", SEFTON, {"by": "council\r\n", "on": "2022-09-12", "summary": "x"},
     "by", "not one of the choices"),
    ("dispute-raise", SEFTON, {"by": "", "on": "2022-09-12", "summary": "x"},
     "by", "choose one"),
    ("dispute-raise", SEFTON, {"by": "council", "on": "2026-02-30", "summary": "x"},
     "on", "is not a valid date"),
    ("dispute-raise", SEFTON, {"by": "council", "on": "12/09/2022", "summary": "x"},
     "on", "is not a valid date"),
    ("dispute-raise", SEFTON, {"by": "council", "on": "2" * 10_000, "summary": "x"},
     "on", "is not a valid date"),
    ("dispute-raise", SEFTON, {"by": ["council", "ccg"], "on": "2022-09-12", "summary": "x"},
     "by", "one value"),
    ("dispute-escalate", SEFTON, {"case": "sefton-partnership.dispute.x", "on": "2022-09-20"},
     "case", "not a valid case id"),
    ("dispute-escalate", SEFTON, {"case": "sefton-partnership.dispute.7", "on": "2022-09-20"},
     "case", "not one of the choices"),
    ("meeting-move", NOTTS, {"meeting": "service-review", "occurrence": "2024-11-12",
                             "to": "2027-03-28T01:30"}, "to", "does not exist"),
    ("meeting-move", NOTTS, {"meeting": "service-review", "occurrence": "2024-11-12",
                             "to": "2024-11-14T25:00"}, "to", "not a valid date and time"),
    ("meeting-move", NOTTS, {"meeting": "service-review", "occurrence": "",
                             "to": "2024-11-14"}, "occurrence", "not a valid date"),
    ("extend", CAMBS, {"to": "2024-06-30", "on": "2024-03-01", "beyond_limit": "maybe"},
     "beyond_limit", "tick the box"),
    ("notice-serve", HALTON, {"by": "halton", "on": "2009-10-16", "ending": "2010-02-29",
                              "agreed_by": ["halton", "nobody"]}, "agreed_by", "not one of"),
    ("variation-propose", NOTTS, {"summary": "x", "on": "2025-13-01"}, "on", "not a valid"),
]  # fmt: skip


@pytest.mark.parametrize(("action", "agreement", "fields", "field", "reason"), HOSTILE)
def test_hostile_input_is_refused_beside_its_field_and_records_nothing(
    tmp_path: Path,
    serve: Callable[..., Served],
    browse: Browse,
    action: str,
    agreement: str,
    fields: FormData,
    field: str,
    reason: str,
) -> None:
    app = app_at(tmp_path, d(2024, 11, 1))
    served = serve(app)
    browser = browse(served.url)
    path = f"/agreements/{agreement}/record/{action}"
    for target in (path, f"{path}/confirm"):
        page = browser.post(target, fields, token_from=path)
        assert page.status_code == 422, page.text
        assert parse(page.text).problems() == []
        beside = page.text.split(f'id="error-{field}">', 1)
        assert len(beside) == 2, page.text
        assert reason in beside[1].split("</p>", 1)[0]
    assert facts_of(app, agreement) == []


def test_a_body_too_large_is_refused_unread(
    tmp_path: Path, serve: Callable[..., Served], browse: Browse
) -> None:
    app = app_at(tmp_path, d(2022, 9, 13))
    served = serve(app)
    browser = browse(served.url)
    path = f"/agreements/{SEFTON}/record/dispute-raise"
    page = browser.post(path, {"by": "council", "on": "2022-09-12", "summary": "x" * 100_000})
    assert page.status_code == 413
    assert facts_of(app, SEFTON) == []


@pytest.mark.parametrize("case", CASES, ids=[case.action for case in CASES])
def test_a_line_break_or_10_kb_in_any_field_is_refused_beside_it(
    tmp_path: Path, serve: Callable[..., Served], browse: Browse, case: Case
) -> None:
    app = app_at(tmp_path, case.today)
    record_all(app, case.before)
    browser = browse(serve(app).url)
    path = f"/agreements/{case.agreement}/record/{case.action}"
    for name, value in case.fields.items():
        text = (value[0] if isinstance(value, tuple) else value) or "x"
        for bad in (text[:1] + "\r\nBcc: x@y" + text[1:], text + "9" * 10_000):
            hostile = {**case.fields, name: (bad,) if isinstance(value, tuple) else bad}
            page = browser.post(path, hostile)
            assert page.status_code == 422, (name, bad[:20], page.text)
            assert f'id="error-{name}">' in page.text, (name, page.text)
    assert len(facts_of(app, case.agreement)) == len(case.before)


def test_every_form_the_agreement_page_links_to_exists_and_matches_a_cli_command() -> None:
    from concordat.inputs import ACTIONS
    from web.form_fields import FORMS
    from web.pages import ACTIONS as LINKED

    assert [action for action, _ in LINKED] == list(FORMS) == list(ACTIONS)


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_two_people_confirming_at_once_are_decided_one_after_the_other(
    tmp_path: Path,
    serve: Callable[..., Served],
    browse: Browse,
    database: str,
    request: pytest.FixtureRequest,
) -> None:
    db = new_pg_database(request.getfixturevalue("pg_admin_url")) if database != "sqlite" else None
    app = app_at(tmp_path, d(2024, 11, 1), db=db)
    served = serve(app)
    path = f"/agreements/{NOTTS}/record/meeting-cancel"
    fields = {"meeting": "service-review", "occurrence": "2024-12-10"}
    people = [browse(served.url) for _ in range(4)]
    confirmations = [dict(hidden_fields(person.post(path, fields).text)) for person in people]
    with ThreadPoolExecutor(len(people)) as pool:
        answers = list(pool.map(
            lambda pair: pair[0].client.post(f"{path}/confirm", data=pair[1]),
            zip(people, confirmations, strict=True),
        ))  # fmt: skip
    assert sorted(answer.status_code for answer in answers) == [303, 409, 409, 409]
    assert all("already cancelled" in a.text for a in answers if a.status_code == 409)
    assert len(facts_of(app, NOTTS)) == 1


def test_a_confirmation_on_a_site_without_a_database_creates_none(
    tmp_path: Path, serve: Callable[..., Served], browse: Browse
) -> None:
    app = app_at(tmp_path, d(2022, 9, 13))
    browser = browse(serve(app).url)
    shown = browser.post(
        f"/agreements/{SEFTON}/record/dispute-raise",
        {"by": "council", "on": "2022-09-12", "summary": "Data sharing"},
    )
    assert shown.status_code == 200, shown.text
    assert ">Record</button>" in shown.text
    assert not (tmp_path / "page" / "concordat.db").exists()


def test_a_blank_day_is_confirmed_as_the_day_the_confirmation_showed(
    tmp_path: Path, serve: Callable[..., Served], browse: Browse
) -> None:
    app = app_at(tmp_path, d(2025, 1, 7))
    browser = browse(serve(app).url)
    shown = browser.post(
        f"/agreements/{NOTTS}/record/variation-propose", {"summary": "New KPI schedule", "on": ""}
    )
    assert shown.status_code == 200, shown.text
    assert ("on", "2025-01-07") in hidden_fields(shown.text)
