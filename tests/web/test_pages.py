"""The dashboard's pages over a real server: their key content for the examples, and dates
equal to what `concordat plan` gives (one truth for dates)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import concordat.feeds as feeds
from lifecycle import commands as c
from lifecycle.outbox import State
from tests.conftest import EXAMPLES, new_pg_database
from tests.web.conftest import TODAY, Served, make_app
from tests.web.html_check import parse
from web.pages import ACTIONS

HALTON = "halton-st-helens-s31"
AGREEMENTS = ("cambs-peterborough-s75", HALTON, "nottinghamshire-healthy-families",
              "sefton-partnership", "stockport-0-19")  # fmt: skip


def first_notice_deadline_from_plan(agreement: str, today: dt.date) -> dict[str, str]:
    """The first `notice_deadline` of `concordat plan` from `today`, run as a command."""
    result = subprocess.run(
        [sys.executable, "-m", "concordat", "plan", "--from", today.isoformat(), "--to",
         "2090-12-31", "--agreement", agreement, "--format", "json", "--config", str(EXAMPLES)],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    found: list[dict[str, str]] = [
        o for o in json.loads(result.stdout) if o["kind"] == "notice_deadline"
    ]
    return found[0]


def test_agreements_page_lists_every_agreement_with_the_plans_notice_deadline(
    served: Served,
) -> None:
    answer = served.get("/")
    assert answer.status_code == 200
    page = parse(answer.text)
    assert page.problems() == []
    for agreement in AGREEMENTS:
        assert f'href="/agreements/{agreement}"' in answer.text
    deadline = first_notice_deadline_from_plan(HALTON, TODAY.date())
    last_day = dt.date.fromisoformat(deadline["date"])
    ends_on = dt.date.fromisoformat(deadline["for_date"])
    assert (last_day, ends_on) == (dt.date(2009, 9, 30), dt.date(2010, 3, 31))  # each 31 March
    halton_row = answer.text.split(f'href="/agreements/{HALTON}"')[1].split("</tr>")[0]
    assert f"{last_day:%a %d %b %Y}" in halton_row
    assert f"to end on {ends_on:%a %d %b %Y}" in halton_row
    assert f'<td class="number">{(last_day - TODAY.date()).days}</td>' in halton_row
    assert '<td class="state">running</td>' in halton_row
    nottingham = answer.text.split('href="/agreements/nottinghamshire-healthy-families"')[1]
    assert '<td class="state">not started</td>' in nottingham.split("</tr>")[0]


@pytest.mark.parametrize("agreement", AGREEMENTS)
def test_each_agreement_page_shows_its_clocks_timeline_and_the_recording_links(
    served: Served, agreement: str
) -> None:
    answer = served.get(f"/agreements/{agreement}")
    assert answer.status_code == 200
    page = parse(answer.text)
    assert page.problems() == []
    app = served.app
    title = app.agreement(agreement).title
    assert f"<h1>{title}</h1>".replace("'", "&#39;") in answer.text
    first = TODAY.date()
    expected = app.occurrences(first, first + dt.timedelta(days=89), agreement, with_facts=True)
    listed = answer.text.split('<ol aria-label="Dated items')[1].split("</ol>")[0]
    assert listed.count("<li>") == max(len(expected), 1)
    assert len(page.svg_images) == 1
    assert answer.text.count("<g><title>") == len(expected)  # one mark per listed item
    for action, _ in ACTIONS:
        assert f'href="/agreements/{agreement}/record/{action}"' in answer.text


def test_an_open_dispute_shows_its_step_closing_day_and_operational_days_left(
    tmp_path: Path, serve: Callable[..., Served]
) -> None:
    app = make_app(tmp_path)
    raised = c.StartProcedure(HALTON, "dispute", "halton", dt.date(2009, 5, 28), "Pooled fund")
    app.record(raised)
    app.record(c.ProposeVariation(HALTON, dt.date(2009, 5, 20), "New schedule <3>"))
    answer = serve(app).get(f"/agreements/{HALTON}")
    assert answer.status_code == 200
    assert parse(answer.text).problems() == []
    dispute = answer.text.split("Open disputes and procedures")[1].split("</table>")[0]
    # Thu 28 May 2009 is day 0; ten operational days close on Thu 11 Jun; from Mon 1 Jun
    # that leaves 2, 3, 4, 5, 8, 9, 10 and 11 June.
    assert "Commissioning leads try to resolve the dispute in good faith" in dispute
    assert "Thu 11 Jun 2009" in dispute
    assert '<td class="number">8</td>' in dispute
    variations = answer.text.split("<h2>Variations</h2>")[1].split("</table>")[0]
    assert "New schedule &lt;3&gt;" in variations  # escaped
    assert "halton, st-helens, pct" in variations  # nobody has signed yet


@pytest.mark.slow
def test_the_pages_read_postgresql_alike(
    tmp_path: Path, serve: Callable[..., Served], request: pytest.FixtureRequest
) -> None:
    db = new_pg_database(request.getfixturevalue("pg_admin_url"))
    app = make_app(tmp_path, db, planned=True)
    app.record(c.StartProcedure(HALTON, "dispute", "halton", dt.date(2009, 5, 28), "Pooled"))
    served = serve(app)
    assert served.get("/readyz", auth=None).text == "ready"
    pending = app.stores.reader().state_counts()[State.PENDING]
    assert f"Pending messages 1 to 50 of {pending}" in served.get("/outbox").text
    halton_page = served.get(f"/agreements/{HALTON}").text
    assert '<td class="number">8</td>' in halton_page.split("Open disputes")[1].split("</table>")[0]


def test_outbox_page_counts_and_pages_the_pending_rows(served: Served) -> None:
    counts = served.app.stores.reader().state_counts()
    answer = served.get("/outbox")
    assert answer.status_code == 200
    assert parse(answer.text).problems() == []
    pending = counts[State.PENDING]
    assert pending > 50
    assert f'<td class="number">{pending}</td>' in answer.text
    assert f"Pending messages 1 to 50 of {pending}" in answer.text
    assert 'href="/outbox?offset=50" rel="next"' in answer.text
    last = served.get(f"/outbox?offset={pending - 1}")
    assert f"Pending messages {pending} to {pending} of {pending}" in last.text
    assert 'rel="next"' not in last.text
    beyond = served.get("/outbox?offset=999999")
    assert beyond.status_code == 200
    assert "No pending message from 1000000 on" in beyond.text


def test_a_wrong_or_malformed_contact_token_is_404_and_says_nothing_more(served: Served) -> None:
    for token in ("0" * 64, "x", "a" * 5000, "%0d%0a", "..%2f..%2fetc"):
        answer = served.get(f"/me/{token}", auth=None)
        assert answer.status_code == 404, token
        assert "Halton" not in answer.text


@pytest.mark.skipif(not hasattr(feeds, "issue_feed"), reason="the feeds branch is not merged")
def test_a_contacts_page_opens_with_their_feed_token(served: Served) -> None:
    issue: Callable[..., tuple[feeds.FeedRecord, feeds.FeedLinks]] = vars(feeds)["issue_feed"]
    _, links = issue(served.app, feeds.FeedScope("contact", "halton-contact"), "Paul's dates")
    answer = served.get(f"/me/{links.token}", auth=None)
    assert answer.status_code == 200
    assert parse(answer.text).problems() == []
    assert "<h1>Paul McWade</h1>" in answer.text
    assert "https://outlook.office.com/calendar/0/addfromweb?url=http%3A%2F%2F" in answer.text
    assert "https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2F" in answer.text
    assert f'href="{links.webcal}"' in answer.text
    agreement_feed = issue(served.app, feeds.FeedScope("agreement", HALTON))[1]
    assert served.get(f"/me/{agreement_feed.token}", auth=None).status_code == 404
    admin_view = served.get(f"/agreements/{HALTON}").text
    assert agreement_feed.url in admin_view
    assert links.url in admin_view  # the contact's feed, under the agreement's contacts
