"""The dashboard's pages over a real server: their key content for the examples, and dates
equal to what `concordat plan` gives (one truth for dates)."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import recurring_ical_events
from icalendar import Calendar

import concordat.feeds as feeds
from concordat.app import App
from jobs.clock import FixedClock
from lifecycle import commands as c
from lifecycle.outbox import State
from tests.conftest import EXAMPLES, new_pg_database
from tests.web.conftest import TODAY, Served, make_app
from tests.web.html_check import parse
from web.pages import ACTIONS
from web.queries import TIMELINE_DAYS

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


ROW = re.compile(
    r'<tr><td><time datetime="([0-9-]+)">.*?</td><th scope="row">(.*?)(?: <span|</th>)'
)


def page_items(page: str) -> Counter[tuple[str, str]]:
    """The contact page's "coming up" rows as (date, title)."""
    return Counter((day, html.unescape(title)) for day, title in ROW.findall(page))


def feed_items(body: bytes, first: dt.date, last: dt.date) -> Counter[tuple[str, str]]:
    """The feed's events from `first` to `last`, expanded, as (local date, title)."""
    events = recurring_ical_events.of(Calendar.from_ical(body)).between(
        first, last + dt.timedelta(days=1)
    )
    found: Counter[tuple[str, str]] = Counter()
    for event in events:
        start = event["DTSTART"].dt
        day = start.date() if isinstance(start, dt.datetime) else start
        found[(day.isoformat(), str(event["SUMMARY"]))] += 1
    return found


def test_a_contacts_page_shows_only_the_feed_that_opened_it(served: Served) -> None:
    """Two feeds of one contact (two devices): each page shows its own URL only, under the
    calendar's name, never the administrator's labels; revoking one locks its holder out."""
    scope = feeds.FeedScope("contact", "halton-contact")
    phone, phone_links = feeds.issue_feed(served.app, scope, "Paul's phone (ADMIN NOTE)")
    _, laptop_links = feeds.issue_feed(served.app, scope, "Laptop, leaked once")
    page = served.get(f"/me/{phone_links.token}", auth=None).text
    assert phone_links.url in page
    assert phone_links.token in page
    assert laptop_links.token not in page
    assert "ADMIN NOTE" not in page
    assert "leaked once" not in page
    assert "<h3>Concordat: Paul McWade</h3>" in page
    assert "name=Concordat%3A%20Paul%20McWade" in page  # the Outlook link's calendar name
    feeds.revoke_feed(served.app, phone.id)
    assert served.get(f"/me/{phone_links.token}", auth=None).status_code == 404
    assert phone_links.token not in served.get(f"/me/{laptop_links.token}", auth=None).text


@pytest.mark.parametrize("now", [TODAY, dt.datetime(2025, 9, 1, 8, 0, tzinfo=dt.UTC)])
def test_every_contacts_page_lists_exactly_their_feeds_items(
    tmp_path: Path, serve: Callable[..., Served], now: dt.datetime
) -> None:
    """One rule for what concerns a contact: for every example contact, the page's rows are
    the feed's own events in the page's window (meetings expanded from their series), and
    a date the contact is not notified of (Sefton's report to the Health and Wellbeing
    Board, for the members it does not name) is in neither."""
    environ = {"CONCORDAT_DATA": str(tmp_path), "CONCORDAT_SECRET": "s" * 40}
    db = f"sqlite:///{tmp_path}/concordat.db"
    served = serve(App.from_environment(EXAMPLES, db, clock=FixedClock(now), environ=environ))
    app = served.app
    today = now.date()
    last = today + dt.timedelta(days=TIMELINE_DAYS - 1)
    contacts = sorted({c.id for a in app.configuration().agreements for c in a.contacts})
    assert len(contacts) > 20
    seen = 0
    with httpx.Client(base_url=served.url, timeout=60) as client:
        for contact in contacts:
            _, links = feeds.issue_feed(app, feeds.FeedScope("contact", contact))
            page = client.get(f"/me/{links.token}")
            assert page.status_code == 200, contact
            body = client.get(f"/feeds/{links.token}.ics").content
            shown = page_items(page.text)
            assert shown == feed_items(body, today, last), contact
            seen += len(shown)
    assert seen > 40
