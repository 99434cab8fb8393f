"""What a feed holds (lifecycle.feeds), its iCalendar (notifications.ical.feed), the feed use
cases on the in-memory store (concordat.feeds) and the route's If-None-Match matching."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from concordat.app import App, InvalidInput
from concordat.feeds import (
    FeedRevoked,
    feed_document,
    feeds_for,
    find_feed,
    issue_feed,
    links_of,
    list_feeds,
    revoke_feed,
    rotate_feed,
    scope_of,
)
from concordat.secret import SiteSecret
from concordat.sources import ConfigSource, GivenStore
from config.loader import Configuration
from jobs.clock import FixedClock
from jobs.memory import MemoryStore
from jobs.ports import FeedRecord
from lifecycle.errors import UnknownName
from lifecycle.feeds import (
    DayItem,
    FeedScope,
    concerns,
    feed_content,
    feed_window,
    involved,
    only_meeting,
)
from lifecycle.occurrence import OccurrenceKind
from lifecycle.series import meeting_series
from lifecycle.state import AgreementState
from lifecycle.timeline import plan
from notifications.ical import day_uid, domain_of, feed, uid
from tests.conftest import EXAMPLES
from web.feed_route import accepts_gzip, matches

TODAY = dt.date(2025, 6, 2)
STAMP = dt.datetime(2025, 6, 2, 0, 0, tzinfo=dt.UTC)


def content(examples: Configuration, scope: FeedScope) -> Any:
    first, last = feed_window(TODAY, examples.calendar)
    return feed_content(
        scope, examples.agreements, examples.calendar_for, examples.settings, {}, first, last
    )


@pytest.fixture
def app(tmp_path: Path) -> App:
    return fresh_app(tmp_path)


def test_the_window_is_a_year_back_to_18_months_ahead_within_the_calendar(
    examples: Configuration,
) -> None:
    assert feed_window(TODAY, examples.calendar) == (dt.date(2024, 6, 2), dt.date(2026, 12, 2))
    near_end = examples.calendar.last - dt.timedelta(days=10)
    assert feed_window(near_end, examples.calendar)[1] == examples.calendar.last
    near_start = examples.calendar.first + dt.timedelta(days=10)
    assert feed_window(near_start, examples.calendar)[0] == examples.calendar.first


def test_a_contacts_feed_never_holds_another_agreements_items(examples: Configuration) -> None:
    for agreement in examples.agreements:
        for contact in agreement.contacts:
            found = content(examples, FeedScope("contact", contact.id))
            theirs = {a.id for a in examples.agreements if contact in a.contacts}
            assert {s.agreement for s in found.series} <= theirs
            assert {d.agreement for d in found.days} <= theirs
            for series in found.series:
                meeting = next(m for m in agreement.meetings if m.id == series.meeting)
                assert contact in agreement.recipients(meeting.attendees)
            kinds = {day.kind for day in found.days}
            assert OccurrenceKind.VARIATION_CHASER not in kinds
            assert OccurrenceKind.TERM_START not in kinds


def test_a_contact_not_invited_to_a_meeting_does_not_get_it(examples: Configuration) -> None:
    notts = examples.agreement("nottinghamshire-healthy-families")
    assert notts is not None
    everyone = {c.id for c in notts.contacts}
    invited = {
        meeting.id: {c.id for c in notts.recipients(meeting.attendees)}
        for meeting in notts.meetings
    }
    outsider = next((cid, mid) for mid, ids in invited.items() for cid in sorted(everyone - ids))
    found = content(examples, FeedScope("contact", outsider[0]))
    assert outsider[1] not in {series.meeting for series in found.series}


def test_a_contact_gets_a_date_only_when_notified_of_it(examples: Configuration) -> None:
    """The one rule (`concerns`, as the messages resolve recipients): Sefton's report to the
    Health and Wellbeing Board goes to whom its `notify` names (deputies included), and is
    in their feeds only; every agreement-level date in any contact's feed names them."""
    sefton = examples.agreement("sefton-partnership")
    assert sefton is not None
    review = next(r for r in sefton.reviews if r.id == "hwb-report")
    told = {c.id for c in sefton.recipients(review.notify)}
    assert told
    assert {c.id for c in sefton.contacts} - told
    for contact in sefton.contacts:
        found = content(examples, FeedScope("contact", contact.id))
        has = any(d.key.split(".")[1:3] == ["review", "hwb-report"] for d in found.days)
        assert has == (contact.id in told), contact.id
    for agreement in examples.agreements:
        for contact in agreement.contacts:
            found = content(examples, FeedScope("contact", contact.id))
            first, last = feed_window(TODAY, examples.calendar)
            planned = {
                (o.agreement, o.date, o.title): o
                for o in plan(
                    agreement, examples.calendar_for(agreement), examples.settings, first, last
                )
            }
            for day in found.days:
                occurrence = planned.get((day.agreement, day.date, day.summary))
                if occurrence is not None:
                    assert concerns(agreement, occurrence.recipients, contact.id), day


def test_a_meetings_series_is_the_same_from_the_trimmed_agreement(
    examples: Configuration,
) -> None:
    first, last = feed_window(TODAY, examples.calendar)
    for agreement in examples.agreements:
        calendar = examples.calendar_for(agreement)
        for meeting in agreement.meetings:
            whole = meeting_series(agreement, meeting, calendar, examples.settings,
                                   AgreementState(), first, last)  # fmt: skip
            trimmed = meeting_series(only_meeting(agreement, meeting), meeting, calendar,
                                     examples.settings, AgreementState(), first, last)  # fmt: skip
            assert trimmed == whole


def test_a_meeting_feed_is_that_series_and_nothing_else(examples: Configuration) -> None:
    found = content(examples, FeedScope("meeting", "sefton-partnership:partnership-board"))
    assert [(s.agreement, s.meeting) for s in found.series] == [
        ("sefton-partnership", "partnership-board")
    ]
    assert found.days == ()


def test_only_open_cases_steps_reach_a_contact(examples: Configuration) -> None:
    from lifecycle.state import Case

    sefton = examples.agreement("sefton-partnership")
    assert sefton is not None
    case = Case("sefton-partnership.dispute.1", "dispute", "council", dt.date(2025, 5, 20), "x")
    first, last = feed_window(TODAY, examples.calendar)

    def steps(state: AgreementState) -> list[DayItem]:
        found = feed_content(FeedScope("contact", "council-chair"), examples.agreements,
                             examples.calendar_for, examples.settings,
                             {"sefton-partnership": state}, first, last)  # fmt: skip
        return [d for d in found.days if d.kind is OccurrenceKind.PROCEDURE_STEP]

    open_state = AgreementState(cases={case.id: case})
    assert steps(open_state)
    closed = replace(case, closed_on=dt.date(2025, 5, 30))
    assert steps(AgreementState(cases={case.id: closed})) == []


def test_day_keys_are_unique_and_stable(examples: Configuration) -> None:
    keys: list[str] = []
    for agreement in examples.agreements:
        keys += [d.key for d in content(examples, FeedScope("agreement", agreement.id)).days]
    assert len(keys) == len(set(keys))
    again = [
        d.key
        for agreement in examples.agreements
        for d in content(examples, FeedScope("agreement", agreement.id)).days
    ]
    assert again == keys


def test_unknown_targets_list_the_known_ones(examples: Configuration, app: App) -> None:
    for scope, listed in [
        (FeedScope("contact", "nobody"), "council-chair"),
        (FeedScope("agreement", "nowhere"), "sefton-partnership"),
        (FeedScope("agreement", "sefton-partnership:partnership-board"), "stockport-0-19"),
        (FeedScope("meeting", "sefton-partnership:nothing"), "sefton-partnership:partnership"),
    ]:
        with pytest.raises(UnknownName, match=listed):
            issue_feed(app, scope)
    assert involved(FeedScope("contact", "nobody"), examples.agreements) == []


@pytest.mark.parametrize(
    ("kind", "target", "reason"),
    [
        ("contact", "", "must not be empty"),
        ("contact", "   ", "must not be empty"),
        ("contact", "a\r\nb", r"U\+000D"),
        ("contact", "x" * 201, "at most 200"),
        ("meeting", "sefton-partnership", "AGREEMENT:MEETING"),
        ("meeting", ":board", "AGREEMENT:MEETING"),
        ("party", "icb", "must be one of"),
    ],
)
def test_hostile_scopes_are_invalid_input(kind: str, target: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        scope_of(kind, target)


@pytest.mark.parametrize(
    ("label", "reason"),
    [
        ("a\nb", r"U\+000A"),
        ("é" * 201, "at most 200"),
        ("\u202egpj.exe", r"U\+202E \(RIGHT-TO-LEFT OVERRIDE\)"),
        ("Jane\u2066x\u2069", r"U\+2066"),
        ("Jane\u202a", r"U\+202A"),
        ("Ja\u200bne", r"U\+200B"),
        ("Jane\u00ad", r"U\+00AD"),
    ],
)
def test_hostile_labels_are_refused_and_nothing_is_stored(
    app: App, label: str, reason: str
) -> None:
    with pytest.raises(InvalidInput, match=reason):
        issue_feed(app, FeedScope("agreement", "sefton-partnership"), label)
    assert list_feeds(app) == []


def test_labels_are_normalised_and_blank_ones_are_none(app: App) -> None:
    record, _ = issue_feed(app, FeedScope("agreement", "sefton-partnership"), "\u200b \u2060")
    assert record.label == ""
    composed, _ = issue_feed(app, FeedScope("agreement", "sefton-partnership"), "Re\u0301mi")
    assert composed.label == "Rémi"


def test_issue_find_rotate_revoke(app: App) -> None:
    scope = FeedScope("contact", "council-chair")
    record, links = issue_feed(app, scope, "  Jane's iPad  ")
    assert record.label == "Jane's iPad"
    assert len(record.salt) == 32
    signed = f"{record.salt}:{record.id}:0:contact:council-chair"
    assert links.token == app.secret.sign("feed", signed)
    assert links.url == f"http://127.0.0.1:8080/feeds/{links.token}.ics"
    assert links.webcal == f"webcal://127.0.0.1:8080/feeds/{links.token}.ics"
    assert links_of(app, record) == links
    assert find_feed(app, links.token) == record
    for wrong in ("", links.token.upper(), links.token + "0", "x" * 64, "0" * 64):
        assert find_feed(app, wrong) is None
    assert feeds_for(app, scope) == [record]
    rotated, new_links = rotate_feed(app, record.id)
    assert rotated.generation == 1
    assert rotated.salt == record.salt
    assert find_feed(app, links.token) is None
    assert find_feed(app, new_links.token) == rotated
    revoked = revoke_feed(app, record.id)
    assert revoked.revoked_at is not None
    assert find_feed(app, new_links.token) is None
    assert feeds_for(app, scope) == []
    with pytest.raises(FeedRevoked, match="cannot be rotated"):
        rotate_feed(app, record.id)
    with pytest.raises(UnknownName, match="unknown feed '99'"):
        revoke_feed(app, 99)
    for bad in (0, -1, 2**31, True):
        with pytest.raises(InvalidInput, match="whole number"):
            rotate_feed(app, bad)


def fresh_app(tmp_path: Path) -> App:
    """Another App with the same secret and a fresh database."""
    return App(
        ConfigSource(EXAMPLES),
        GivenStore(MemoryStore()),
        FixedClock(dt.datetime(2025, 6, 2, 10, 0, tzinfo=dt.UTC)),
        "tester",
        SiteSecret("k" * 40, tmp_path / "secret"),
    )


def test_tokens_are_tied_to_their_database_and_scope(app: App, tmp_path: Path) -> None:
    """Two fresh databases under one secret each issue feed 1: for different scopes, or even
    the same one, their tokens differ, and neither opens the other's feed 1."""
    other = fresh_app(tmp_path)
    mine, my_links = issue_feed(app, FeedScope("contact", "council-chair"))
    theirs, their_links = issue_feed(other, FeedScope("agreement", "sefton-partnership"))
    assert mine.id == theirs.id == 1
    assert mine.generation == theirs.generation == 0
    assert my_links.token != their_links.token
    assert find_feed(other, my_links.token) is None
    assert find_feed(app, their_links.token) is None
    third = fresh_app(tmp_path)
    same, same_links = issue_feed(third, FeedScope("contact", "council-chair"))
    assert same.id == 1
    assert same_links.token != my_links.token  # the salt alone keeps them apart
    assert find_feed(third, my_links.token) is None
    assert find_feed(app, same_links.token) is None


def test_documents_are_deterministic_and_cached(app: App) -> None:
    record, _ = issue_feed(app, FeedScope("agreement", "nottinghamshire-healthy-families"))
    one = feed_document(app, record)
    assert feed_document(app, record) is one  # the cache
    fresh = feed_document(app, record, cached=False)
    assert fresh is not one
    assert fresh == one
    assert one.last_modified == dt.datetime(2025, 6, 1, 23, 0, tzinfo=dt.UTC)  # local midnight
    assert one.etag.startswith('"')
    assert len(one.etag) == 66


def test_a_feed_whose_target_left_the_configuration_is_empty(app: App) -> None:
    """A feed issued before its contact or agreement was removed shows nothing (and no
    error): nothing of anyone else's takes its place."""
    gone = FeedRecord(7, FeedScope("contact", "left-the-board"), "", 0, STAMP, None)
    document = feed_document(app, gone)
    calendar = Calendar.from_ical(document.body)
    assert list(calendar.walk("VEVENT")) == []
    assert document.name == "Concordat: left-the-board"


def test_feed_text_is_safe_against_line_breaks(examples: Configuration) -> None:
    item = DayItem("a.review.x.20250601", dt.date(2025, 6, 1), "Review\r\nATTENDEE:evil",
                   "line one\nline two\rBEGIN:VEVENT", "a", OccurrenceKind.REVIEW)  # fmt: skip
    body = feed([], domain="site.example", stamp=STAMP, days=[item], name="Board\r\nX-EVIL:1")
    assert b"\r\nATTENDEE" not in body
    assert b"\r\nX-EVIL" not in body
    assert body.count(b"\r\nBEGIN:VEVENT") == 1  # only the real one starts a line
    calendar = Calendar.from_ical(body)
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Review\nATTENDEE:evil"  # one line break, escaped
    assert "ATTENDEE" not in event
    assert str(event["UID"]) == day_uid(item, "site.example") == "a.review.x.20250601@site.example"
    assert event["DTSTART"].params.get("VALUE") == "DATE"
    assert feed([], domain="site.example", stamp=STAMP, days=[item]) == feed(
        [], domain="site.example", stamp=STAMP, days=[item]
    )


@pytest.mark.parametrize("title", ["é" * 120, "a" * 74 + "€" * 40, "x" * 300, "€"])
def test_long_day_entries_fold_at_75_octets_and_read_back(title: str) -> None:
    item = DayItem("a.deadline.d.20250601", dt.date(2025, 6, 1), title, title + ";,\\",
                   "a", OccurrenceKind.DEADLINE)  # fmt: skip
    body = feed([], domain="site.example", stamp=STAMP, days=[item])
    lines = body.split(b"\r\n")
    assert lines[-1] == b""
    assert max(len(line) for line in lines) <= 75
    assert b"\n" not in body.replace(b"\r\n", b"")
    (event,) = Calendar.from_ical(body).walk("VEVENT")
    assert str(event["SUMMARY"]) == title
    assert str(event["DESCRIPTION"]) == title + ";,\\"


def test_series_uids_are_the_invites(examples: Configuration) -> None:
    found = content(examples, FeedScope("agreement", "sefton-partnership"))
    domain = domain_of(examples.mail.sender)
    body = feed(found.series, domain=domain, stamp=STAMP, days=found.days)
    uids = {str(event["UID"]) for event in Calendar.from_ical(body).walk("VEVENT")}
    assert uid(found.series[0], domain) in uids
    events = list(Calendar.from_ical(body).walk("VEVENT"))
    assert {str(event["SEQUENCE"]) for event in events if "RRULE" in event} == {"0"}
    assert domain_of("clerk@council.example.org") == "council.example.org"
    assert domain_of("clerk@") == "localhost"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('"abc"', True),
        ('W/"abc"', True),
        ('"x", "abc"', True),
        ("*", True),
        (' "x" ,W/"abc" ', True),
        ('"abcd"', False),
        ("abc", False),
        ('"a"bc"', False),
        ("", False),
        (None, False),
    ],
)
def test_if_none_match(header: str | None, expected: bool) -> None:
    assert matches(header, '"abc"') is expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, False),
        ("", False),
        ("gzip", True),
        ("GZIP", True),
        ("br, gzip;q=0.5", True),
        ("x-gzip", True),
        ("*", True),
        ("gzip;q=0", False),
        ("gzip; q=0.000", False),
        ("gzip;q=0, *", False),
        ("*;q=0", False),
        ("identity", False),
        ("br, deflate", False),
        ("gzip;q=nan", False),
        ("gzip;q=2", False),
        ("gzip;q=abc", False),
        (",,;;", False),
    ],
)
def test_accept_encoding(header: str | None, expected: bool) -> None:
    assert accepts_gzip(header) is expected


def test_the_gzip_encoding_is_deterministic_and_kept(app: App) -> None:
    record, _ = issue_feed(app, FeedScope("agreement", "sefton-partnership"))
    document = feed_document(app, record)
    assert document.gzipped is feed_document(app, record).gzipped  # compressed once
    assert document.gzipped == feed_document(app, record, cached=False).gzipped
    assert document.gzip_etag == document.etag[:-1] + '-gz"'
