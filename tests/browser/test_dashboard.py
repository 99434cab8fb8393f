"""The dashboard as an administrator and a contact use it, in headless Chromium against a real
`concordat serve`: follow an agreement from the list, raise a dispute through its form (fill,
check, confirm) and read the countdown on the agreement page, read the outbox, and open a
contact's own page from a feed issued on the command line. Every page is checked with axe-core
(no serious or critical violation) and photographed under test-artifacts/screenshots/.

The dates the pages show are checked against other doors to the same facts: the command line
(`concordat dispute raise` on a database of its own) and the operational calendar itself.
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from icalendar import Calendar
from playwright.sync_api import Page, expect

from config.loader import load_configuration
from tests.browser.conftest import Server, Shots, check_accessibility

pytestmark = pytest.mark.browser

AGREEMENT = "sefton-partnership"
PARTY = "council"
CONTACT = "cm-partnership"
CONTACT_NAME = "Sefton Partnership team (C&M ICB)"
SUMMARY = "Browser test: the pooled budget's month 6 figures are disputed"
LONDON = ZoneInfo("Europe/London")


def today() -> dt.date:
    """The site's today (Europe/London), as the server computes it."""
    return dt.datetime.now(LONDON).date()


def day(value: dt.date) -> str:
    """A day as the pages and the command line print it: "Tue 29 Dec 2026"."""
    return f"{value:%a %d %b %Y}"


def title_of(server: Server) -> str:
    agreement = load_configuration(server.config).agreement(AGREEMENT)
    assert agreement is not None
    return agreement.title


def cli_closing_day(server: Server, tmp_path: Path, on: dt.date) -> dt.date:
    """When the first step's window closes, by `concordat dispute raise` on a database of its
    own (so the server's database is not touched): the command line's answer."""
    done = server.cli(
        "dispute", "raise", "--agreement", AGREEMENT, "--by", PARTY, "--on", on.isoformat(),
        "--summary", SUMMARY, "--db", f"sqlite:///{tmp_path / 'cli.db'}",
    )  # fmt: skip
    found = re.search(r"window closes \w{3} (\d{2} \w{3} \d{4})", done.stdout)
    assert found, done.stdout
    return dt.datetime.strptime(found.group(1), "%d %b %Y").date()


def operational_days_between(server: Server, first: dt.date, last: dt.date) -> int:
    """How many operational days come after `first` up to and including `last`, counted on the
    site's calendar: the n with calendar.add(first, n) == last."""
    calendar = load_configuration(server.config).calendar
    count = 0
    while calendar.add(first, count) < last:
        count += 1
    assert calendar.add(first, count) == last, f"{last} is not an operational day"
    return count


def open_cases(page: Page) -> int:
    """How many open cases the agreement page lists (it shows no table when there are none)."""
    expect(page.get_by_role("heading", name="Open disputes and procedures")).to_be_visible()
    return page.locator("table", has_text="Operational days left").locator("tbody tr").count()


def test_the_list_leads_to_an_agreement_page(server: Server, admin_page: Page, shot: Shots) -> None:
    page = admin_page
    page.goto(f"{server.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Agreements")
    rows = page.locator("table tbody tr")
    assert rows.count() == len(load_configuration(server.config).agreements)
    shot(page, "agreements")
    check_accessibility(page)

    # From the keyboard: the first Tab reaches the skip link, which moves focus to the content.
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to main content")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    title = title_of(server)
    page.get_by_role("link", name=title, exact=True).click()
    page.wait_for_url(f"{server.url}/agreements/{AGREEMENT}")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_role("link", name="Raise a dispute")).to_be_visible()
    shot(page, "agreement")
    check_accessibility(page)


def test_an_unknown_agreement_is_a_404_page_that_passes_axe(
    server: Server, admin_page: Page, shot: Shots
) -> None:
    page = admin_page
    answer = page.goto(f"{server.url}/agreements/no-such-agreement")
    assert answer is not None
    assert answer.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(page.locator("main")).to_contain_text("no-such-agreement")
    shot(page, "not-found")
    check_accessibility(page)


def test_a_dispute_raised_through_the_form_shows_its_countdown(
    server: Server, admin_page: Page, shot: Shots, tmp_path: Path
) -> None:
    page, on = admin_page, today()
    closes = cli_closing_day(server, tmp_path, on)
    left = operational_days_between(server, on, closes)

    page.goto(f"{server.url}/agreements/{AGREEMENT}")
    page.get_by_role("link", name="Raise a dispute").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Raise a dispute")
    check_accessibility(page)
    page.get_by_label("Party").select_option(PARTY)
    page.get_by_label("Day it happened").fill(on.isoformat())
    page.get_by_label("Summary").fill(SUMMARY)
    shot(page, "form-filled")
    page.get_by_role("button", name="Check what this sets off").click()
    shot(page, "confirmation")

    # The confirmation: nothing recorded yet, the step dates the command line gives.
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm: Raise a dispute")
    new_dates = page.locator("table").first
    expect(new_dates).to_contain_text(day(closes))
    check_accessibility(page)
    elsewhere = page.context.new_page()  # the confirmation stays open, untouched
    elsewhere.goto(f"{server.url}/agreements/{AGREEMENT}")
    expect(elsewhere.locator("main")).to_contain_text("No dispute or procedure is open.")
    elsewhere.close()

    page.get_by_role("button", name="Record").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Recorded")
    expect(page.get_by_role("status")).to_contain_text(day(on))
    shot(page, "recorded")
    check_accessibility(page)

    page.get_by_role("link", name="Back to the agreement").click()
    case = page.locator("table", has_text="Operational days left").locator("tbody tr")
    expect(case).to_have_count(1)
    expect(case).to_contain_text(SUMMARY)
    cells = case.locator("td")
    expect(cells.nth(2)).to_have_text(day(closes))  # window closes
    expect(cells.nth(3)).to_have_text(str(left))  # operational days left
    shot(page, "countdown")
    check_accessibility(page)


def test_a_form_sent_empty_names_each_missing_field_and_records_nothing(
    server: Server, admin_page: Page, shot: Shots
) -> None:
    page = admin_page
    page.goto(f"{server.url}/agreements/{AGREEMENT}")
    before = open_cases(page)
    page.goto(f"{server.url}/agreements/{AGREEMENT}/record/dispute-raise")
    page.get_by_label("Summary").fill("   ")
    page.get_by_role("button", name="Check what this sets off").click()
    summary = page.get_by_role("alert")
    expect(summary).to_be_visible()
    errors = summary.get_by_role("link")
    expect(errors).to_have_count(3)  # party, day, summary
    shot(page, "errors")
    check_accessibility(page)
    for field in ("Party", "Day it happened", "Summary"):
        expect(page.get_by_label(field)).to_have_attribute("aria-invalid", "true")
    errors.last.click()  # an error's link takes the keyboard to its field
    expect(page.get_by_label("Summary")).to_be_focused()
    page.goto(f"{server.url}/agreements/{AGREEMENT}")
    assert open_cases(page) == before


def test_the_outbox_page_shows_the_planned_messages(
    server: Server, admin_page: Page, shot: Shots
) -> None:
    page = admin_page
    page.goto(f"{server.url}/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Outbox").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Outbox")
    counts = page.get_by_role("table", name="Outbox rows by state")
    headers = counts.locator("thead th").all_inner_texts()
    values = counts.locator("tbody td").all_inner_texts()
    pending = int(dict(zip(headers, values, strict=True))["pending"])
    assert pending > 0, dict(zip(headers, values, strict=True))
    listed = page.get_by_role("table", name=re.compile(r"^Pending messages 1 to \d+ of \d+"))
    expect(listed).to_contain_text(f"of {pending}")
    expect(page.locator("main")).to_contain_text("Next due:")
    shot(page, "outbox")
    check_accessibility(page)


def test_a_contacts_page_from_an_issued_feed_has_three_subscribe_links(
    server: Server, public_page: Page, shot: Shots
) -> None:
    issued = server.cli("feeds", "issue", "--contact", CONTACT, "--label", "browser test")
    found = re.search(r"(http://\S+/feeds/([0-9a-f]+)\.ics)", issued.stdout)
    assert found, issued.stdout
    url, token = found.groups()
    assert url.startswith(server.url)

    page = public_page  # no credentials: the token is the contact's key
    page.goto(f"{server.url}/me/{token}")
    expect(page.get_by_role("heading", level=1)).to_have_text(CONTACT_NAME)
    names = ("Add to Outlook", "Add to Google Calendar", "Add to Apple Calendar")
    links = {name: page.get_by_role("link", name=name).get_attribute("href") or ""
             for name in names}  # fmt: skip
    webcal = "webcal://" + url.removeprefix("http://")
    assert links["Add to Apple Calendar"] == webcal
    for name in ("Add to Outlook", "Add to Google Calendar"):
        link = urllib.parse.urlsplit(links[name])
        assert link.scheme == "https", links[name]
        given = [v for vs in urllib.parse.parse_qs(link.query).values() for v in vs]
        assert url in given or webcal in given, (name, links[name])
    shot(page, "contact")
    check_accessibility(page)

    # The token opens this page, not the dashboard (asked through the page's own context,
    # without credentials: a navigation would end in Chromium's auth error page).
    assert page.request.get(f"{server.url}/").status == 401

    feed = httpx.get(url, timeout=10)
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    assert Calendar.from_ical(feed.content).walk("VEVENT")


def test_printed_pages_drop_the_navigation_and_keep_the_forms_style(
    server: Server, admin_page: Page
) -> None:
    page = admin_page
    page.goto(f"{server.url}/agreements/sefton-partnership/record/dispute-raise")
    page.emulate_media(media="print")
    expect(page.locator("footer.site")).to_be_hidden()
    expect(page.locator("header.site nav")).to_be_hidden()
    expect(page.locator("form .field").first).to_be_visible()
    page.emulate_media(media="screen")
    expect(page.locator("footer.site")).to_be_visible()
