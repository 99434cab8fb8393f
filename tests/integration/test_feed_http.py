"""Calendar feeds over real HTTP: uvicorn on 127.0.0.1 serving `feed_endpoint` behind
GZipMiddleware, an App on a SQLite file with the example configuration, fetched with httpx
and read back with icalendar and recurring_ical_events."""

from __future__ import annotations

import datetime as dt
import gzip
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import recurring_ical_events
import uvicorn
from icalendar import Calendar
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from concordat.app import App
from concordat.feeds import (
    FeedLinks,
    FeedScope,
    feed_document,
    find_feed,
    issue_feed,
    revoke_feed,
    rotate_feed,
)
from concordat.secret import SiteSecret
from concordat.sources import ConfigSource, SqlStores
from jobs.clock import FixedClock
from lifecycle import commands as c
from lifecycle.feeds import feed_window
from lifecycle.occurrence import Occurrence, OccurrenceKind
from tests.conftest import EXAMPLES, new_pg_database
from web.feed_route import feed_endpoint
from web.server import PagesGZip

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2025, 6, 2, 10, 0, tzinfo=dt.UTC)
SEFTON = "sefton-partnership"
NOTTS = "nottinghamshire-healthy-families"
BOARD = "partnership-board"


@pytest.fixture(params=["sqlite", "postgresql"])
def concordat(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[App]:
    """An App on a fresh SQLite file (a local database: revalidated on the event loop) or
    PostgreSQL (always through the thread pool), with facts recorded on Sefton: a meeting
    cancelled, one moved, a dispute started."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'c.db'}"
    else:
        url = new_pg_database(request.getfixturevalue("pg_admin_url"))
    app = App(
        ConfigSource(EXAMPLES),
        SqlStores(url),
        FixedClock(NOW),
        "tester",
        SiteSecret("s" * 40, tmp_path / "secret"),
    )
    app.record(c.CancelMeeting(SEFTON, BOARD, dt.date(2025, 6, 11)))
    moved_to = dt.datetime(2025, 7, 10, 15, 0, tzinfo=LONDON)
    app.record(c.MoveMeeting(SEFTON, BOARD, dt.date(2025, 7, 9), moved_to))
    app.record(c.StartProcedure(SEFTON, "dispute", "council", dt.date(2025, 5, 20), "Overspend"))
    yield app
    app.close()


@pytest.fixture
def base(concordat: App) -> Iterator[str]:
    """The base URL of a real uvicorn serving the feed route on a free port."""
    web = Starlette(
        routes=[Route("/feeds/{token}.ics", feed_endpoint, methods=["GET"])],
        middleware=[Middleware(PagesGZip, minimum_size=500)],  # as build_web has it
    )
    web.state.concordat = concordat
    web.state.feed_cache = True
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(web, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    sock.close()


def path_of(links: FeedLinks) -> str:
    return "/" + links.url.split("/", 3)[3]


def moment(value: Any) -> str:
    """A start as comparable text: an instant in UTC, or a date."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    assert isinstance(value, dt.date)
    return value.isoformat()


def expanded(body: bytes, first: dt.date, last: dt.date) -> Counter[str]:
    calendar = Calendar.from_ical(body)
    events = recurring_ical_events.of(calendar).between(first, last + dt.timedelta(days=1))
    return Counter(moment(event["DTSTART"].dt) for event in events)


def category(event: Any) -> str:
    """The event's one category (the occurrence's kind), loosely typed like `expanded`."""
    return str(event["CATEGORIES"].cats[0])


def planned(occurrences: list[Occurrence]) -> Counter[str]:
    return Counter(moment(o.start if o.start is not None else o.date) for o in occurrences)


@pytest.mark.parametrize("agreement", [SEFTON, NOTTS])
def test_an_agreement_feed_expands_to_the_apps_occurrences(
    concordat: App, base: str, agreement: str
) -> None:
    _, links = issue_feed(concordat, FeedScope("agreement", agreement), "board pack")
    response = httpx.get(base + path_of(links))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    first, last = feed_window(concordat.today(), concordat.configuration().calendar)
    want = concordat.occurrences(first, last, agreement, with_facts=True)
    assert want, "the window holds something"
    assert expanded(response.content, first, last) == planned(want)


def test_the_feed_follows_the_recorded_facts(concordat: App, base: str) -> None:
    _, links = issue_feed(concordat, FeedScope("meeting", f"{SEFTON}:{BOARD}"))
    body = httpx.get(base + path_of(links)).content
    starts = set(expanded(body, dt.date(2025, 6, 1), dt.date(2025, 8, 1)))
    assert moment(dt.datetime(2025, 6, 11, 14, 0, tzinfo=LONDON)) not in starts  # cancelled
    assert moment(dt.datetime(2025, 7, 10, 15, 0, tzinfo=LONDON)) in starts  # moved
    assert moment(dt.datetime(2025, 7, 9, 14, 0, tzinfo=LONDON)) not in starts
    calendar = Calendar.from_ical(body)
    assert "METHOD" not in calendar
    assert str(calendar["X-WR-CALNAME"]).startswith("Concordat: ")
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H" in body
    assert b"X-PUBLISHED-TTL:PT1H" in body
    assert list(calendar.walk("VTIMEZONE"))
    uids = {str(event["UID"]) for event in calendar.walk("VEVENT")}
    assert uids == {f"{SEFTON}.{BOARD}@localhost"}  # the invites' UID, on the sender's domain


def test_a_contacts_feed_holds_only_their_agreements_and_meetings(
    concordat: App, base: str
) -> None:
    _, links = issue_feed(concordat, FeedScope("contact", "council-chair"))
    body = httpx.get(base + path_of(links)).content
    calendar = Calendar.from_ical(body)
    uids = [str(event["UID"]) for event in calendar.walk("VEVENT")]
    assert uids
    assert all(uid.startswith(f"{SEFTON}.") for uid in uids), uids
    assert f"{SEFTON}.{BOARD}@localhost" in uids
    kinds = {category(event) for event in calendar.walk("VEVENT") if "CATEGORIES" in event}
    assert OccurrenceKind.PROCEDURE_STEP.value in kinds  # the open dispute's steps
    assert OccurrenceKind.VARIATION_CHASER.value not in kinds
    assert OccurrenceKind.TERM_START.value not in kinds


def test_a_contacts_feed_expands_to_their_share_of_the_apps_occurrences(
    concordat: App, base: str
) -> None:
    """The chair's feed: Sefton's meetings the chair is invited to, its reviews, deadlines,
    notice and term dates, and the open dispute's steps, exactly as the App plans them."""
    _, links = issue_feed(concordat, FeedScope("contact", "council-chair"))
    body = httpx.get(base + path_of(links)).content
    first, last = feed_window(concordat.today(), concordat.configuration().calendar)
    sefton = concordat.agreement(SEFTON)
    chair = next(contact for contact in sefton.contacts if contact.id == "council-chair")
    agreement_level = {
        OccurrenceKind.REVIEW,
        OccurrenceKind.DEADLINE,
        OccurrenceKind.NOTICE_DEADLINE,
        OccurrenceKind.TERM_END,
        OccurrenceKind.PROCEDURE_STEP,  # the one case is open
    }
    want = [
        o
        for o in concordat.occurrences(first, last, SEFTON, with_facts=True)
        if o.kind in agreement_level
        or (o.kind is OccurrenceKind.MEETING and chair in sefton.recipients(o.recipients))
    ]
    assert any(o.kind is OccurrenceKind.PROCEDURE_STEP for o in want)
    assert expanded(body, first, last) == planned(want)


def test_wrong_revoked_and_rotated_tokens_are_404(concordat: App, base: str) -> None:
    record, links = issue_feed(concordat, FeedScope("agreement", SEFTON))
    assert httpx.get(base + path_of(links)).status_code == 200
    bad = [
        "/feeds/" + "0" * 64 + ".ics",
        "/feeds/" + links.token.upper() + ".ics",
        "/feeds/" + links.token[:-1] + ".ics",
        "/feeds/" + "a" * 5000 + ".ics",
        "/feeds/%0d%0aSet-Cookie:x.ics",
    ]
    for path in bad:
        response = httpx.get(base + path)
        assert (response.status_code, response.text) == (404, "no such feed\n"), path
    _, rotated = rotate_feed(concordat, record.id)
    assert httpx.get(base + path_of(links)).status_code == 404
    assert httpx.get(base + path_of(rotated)).status_code == 200
    revoke_feed(concordat, record.id)
    response = httpx.get(base + path_of(rotated))
    assert (response.status_code, response.text) == (404, "no such feed\n")
    assert find_feed(concordat, rotated.token) is None


def test_etag_304_head_and_gzip(concordat: App, base: str) -> None:
    _, links = issue_feed(concordat, FeedScope("agreement", SEFTON))
    url = base + path_of(links)
    first = httpx.get(url, headers={"Accept-Encoding": "identity"})
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert etag.endswith('"')
    assert first.headers["cache-control"] == "private, max-age=300"
    assert first.headers["last-modified"].endswith("GMT")
    for header in (etag, f"W/{etag}", f'"nope", {etag}', "*"):
        again = httpx.get(url, headers={"If-None-Match": header, "Accept-Encoding": "identity"})
        assert again.status_code == 304, header
        assert again.content == b""
        assert again.headers["etag"] == etag
    assert httpx.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    head = httpx.head(url, headers={"Accept-Encoding": "identity"})
    assert (head.status_code, head.content, head.headers["etag"]) == (200, b"", etag)
    zipped = httpx.get(url, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == first.content  # httpx decodes it
    gzipped = {"Accept-Encoding": "gzip"}
    with httpx.Client() as client, client.stream("GET", url, headers=gzipped) as raw:
        compressed = b"".join(raw.iter_raw())
    assert gzip.decompress(compressed) == first.content  # compressed once, not twice
    assert len(compressed) < len(first.content)


def vary(header: str) -> set[str]:
    """The Vary header's members (GZipMiddleware may repeat the route's own)."""
    return {member.strip().lower() for member in header.split(",")}


def test_each_encoding_has_its_own_etag_and_either_revalidates(concordat: App, base: str) -> None:
    """The body and its gzip encoding are two representations: two strong ETags, both
    naming today's document for If-None-Match; GZipMiddleware compresses nothing again."""
    _, links = issue_feed(concordat, FeedScope("contact", "council-chair"))
    url = base + path_of(links)
    with httpx.Client() as client:
        plain = client.get(url, headers={"Accept-Encoding": "identity"})
        with client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as raw:
            compressed = b"".join(raw.iter_raw())
            zipped_headers = raw.headers
    etag = plain.headers["etag"]
    assert "content-encoding" not in plain.headers
    assert vary(plain.headers["vary"]) == {"accept-encoding"}
    assert zipped_headers["content-encoding"] == "gzip"
    assert zipped_headers["etag"] == etag[:-1] + '-gz"'
    assert vary(zipped_headers["vary"]) == {"accept-encoding"}
    assert int(zipped_headers["content-length"]) == len(compressed)
    assert gzip.decompress(compressed) == plain.content
    assert plain.content.startswith(b"BEGIN:VCALENDAR")
    for accept, expected in (("identity", etag), ("gzip", zipped_headers["etag"])):
        for held in (etag, zipped_headers["etag"]):
            answer = httpx.get(url, headers={"Accept-Encoding": accept, "If-None-Match": held})
            assert answer.status_code == 304, (accept, held)
            assert answer.headers["etag"] == expected
            assert vary(answer.headers["vary"]) == {"accept-encoding"}
            assert answer.content == b""
    other = httpx.get(url, headers={"Accept-Encoding": "gzip;q=0, br", "If-None-Match": '"x"'})
    assert other.status_code == 200
    assert other.headers["etag"] == etag
    assert "content-encoding" not in other.headers
    assert other.content == plain.content


def test_the_etag_changes_when_a_recorded_fact_changes_the_feed(concordat: App, base: str) -> None:
    record, links = issue_feed(concordat, FeedScope("contact", "council-chair"))
    url = base + path_of(links)
    before = httpx.get(url)
    assert httpx.get(url).headers["etag"] == before.headers["etag"]  # stable
    concordat.record(c.CancelMeeting(SEFTON, BOARD, dt.date(2025, 8, 13)))
    after = httpx.get(url, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]
    gone = moment(dt.datetime(2025, 8, 13, 14, 0, tzinfo=LONDON))
    assert gone in expanded(before.content, dt.date(2025, 8, 1), dt.date(2025, 9, 1))
    assert gone not in expanded(after.content, dt.date(2025, 8, 1), dt.date(2025, 9, 1))
    fresh = feed_document(concordat, record, cached=False)
    assert fresh.body == after.content  # the cache answers what a fresh render gives
