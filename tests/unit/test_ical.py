"""The iCalendar a partner receives: stable UID, SEQUENCE, cancellations, time zone, attendees,
and the RFC 5545 line format (CRLF, 75-octet folding)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from icalendar import Calendar

from config.loader import Configuration
from lifecycle.agreement import Agreement, Meeting
from lifecycle.series import MeetingSeries, meeting_series, series_window
from lifecycle.state import AgreementState
from notifications.ical import feed, invite, uid

LONDON = ZoneInfo("Europe/London")
STAMP = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
DOMAIN = "concordat.example"
ATTENDEES = [
    ("Ann Lee", "ann@party.example", "CHAIR"),
    ("Bob Øster", "bob@other.example", "REQ-PARTICIPANT"),
]


def series_of(examples: Configuration, agreement_id: str, meeting_id: str) -> MeetingSeries:
    agreement = examples.agreement(agreement_id)
    assert agreement is not None
    meeting = next(m for m in agreement.meetings if m.id == meeting_id)
    return build(examples, agreement, meeting)


def build(examples: Configuration, agreement: Agreement, meeting: Meeting) -> MeetingSeries:
    state = AgreementState()
    window = series_window(agreement, state, dt.date(2031, 12, 31))
    series = meeting_series(
        agreement, meeting, examples.calendar, examples.settings, state, *window
    )
    assert series is not None
    return series


@pytest.fixture
def psd(examples: Configuration) -> MeetingSeries:
    """Quarterly, with three occurrences moved off bank holidays by the policy."""
    return series_of(examples, "halton-st-helens-s31", "psd-board")


def render(series: MeetingSeries, **changes: object) -> bytes:
    arguments: dict[str, object] = {
        "method": "REQUEST",
        "sequence": 3,
        "organizer": "clerk@site.example",
        "attendees": ATTENDEES,
        "domain": DOMAIN,
        "stamp": STAMP,
        **changes,
    }
    return invite(series, **arguments)  # type: ignore[arg-type]


def parsed(body: bytes) -> Any:
    """The calendar read back, loosely typed: icalendar types every property as a union of
    all its value types, which only `isinstance` checks could narrow."""
    return Calendar.from_ical(body)


def events(body: bytes) -> list[Any]:
    return list(parsed(body).walk("VEVENT"))


def test_uid_is_stable_and_distinct_per_meeting(examples: Configuration) -> None:
    uids = set()
    for agreement in examples.agreements:
        for meeting in agreement.meetings:
            one, two = build(examples, agreement, meeting), build(examples, agreement, meeting)
            first = {str(event["UID"]) for event in events(render(one))}
            assert first == {str(event["UID"]) for event in events(render(two))}
            assert first == {uid(one, DOMAIN)}
            uids |= first
    assert len(uids) == 11


def test_sequence_stamp_and_status(psd: MeetingSeries) -> None:
    found = events(render(psd, sequence=7))
    assert len(found) == 1 + len(psd.overrides)
    assert {int(event["SEQUENCE"]) for event in found} == {7}
    assert {event["DTSTAMP"].dt for event in found} == {STAMP}
    assert {str(event["STATUS"]) for event in found} == {"CONFIRMED"}
    assert parsed(render(psd))["METHOD"] == "REQUEST"


def test_master_rrule_until_is_utc_end_of_last_day(psd: MeetingSeries) -> None:
    master = next(e for e in events(render(psd)) if "RECURRENCE-ID" not in e)
    until = master["RRULE"]["UNTIL"][0]
    # 31 Mar 2011 ends at 23:59:59 BST, 22:59:59 UTC.
    assert until == dt.datetime(2011, 3, 31, 22, 59, 59, tzinfo=dt.UTC)
    assert b"UNTIL=20110331T225959Z" in render(psd)
    assert master["DTSTART"].params["TZID"] == "Europe/London"
    assert master["DTSTART"].dt == dt.datetime(2008, 5, 5, 14, tzinfo=LONDON)


def test_overrides_carry_recurrence_id_and_new_times(psd: MeetingSeries) -> None:
    overrides = [e for e in events(render(psd)) if "RECURRENCE-ID" in e]
    got = {
        e["RECURRENCE-ID"].dt.astimezone(LONDON): (e["DTSTART"].dt, e["DTEND"].dt)
        for e in overrides
    }
    assert got == psd.override_map


def test_exdates_are_rendered(examples: Configuration, psd: MeetingSeries) -> None:
    cancelled = replace(psd, exdates=(psd.first,))
    master = next(e for e in events(render(cancelled)) if "RECURRENCE-ID" not in e)
    assert [d.dt for d in master["EXDATE"].dts] == [psd.first]


def test_cancel_of_the_whole_series(psd: MeetingSeries) -> None:
    body = render(psd, method="CANCEL", sequence=4)
    assert Calendar.from_ical(body)["METHOD"] == "CANCEL"
    (event,) = events(body)
    assert str(event["STATUS"]) == "CANCELLED"
    assert "RECURRENCE-ID" not in event
    assert int(event["SEQUENCE"]) == 4
    assert str(event["UID"]) == uid(psd, DOMAIN)


def test_cancel_of_one_occurrence(psd: MeetingSeries) -> None:
    raw = dt.datetime(2008, 8, 4, 14, tzinfo=LONDON)
    (event,) = events(render(psd, method="CANCEL", cancel_occurrence=raw))
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["RECURRENCE-ID"].dt == raw
    assert event["RECURRENCE-ID"].params["TZID"] == "Europe/London"
    assert "RRULE" not in event


def test_cancel_of_a_moved_occurrence_names_its_rule_start(psd: MeetingSeries) -> None:
    raw, (start, _) = psd.overrides[0]
    (event,) = events(render(psd, method="CANCEL", cancel_occurrence=raw))
    assert event["RECURRENCE-ID"].dt == raw
    assert event["DTSTART"].dt == start


def test_cancel_occurrence_must_be_one_of_the_series(psd: MeetingSeries) -> None:
    with pytest.raises(ValueError, match="not an occurrence"):
        render(psd, method="CANCEL", cancel_occurrence=dt.datetime(2008, 8, 5, 14, tzinfo=LONDON))
    with pytest.raises(ValueError, match="goes with method CANCEL"):
        render(psd, cancel_occurrence=psd.first)


def test_attendees_and_organizer(psd: MeetingSeries) -> None:
    master = events(render(psd))[0]
    attendees = master["ATTENDEE"]
    assert [str(a) for a in attendees] == ["mailto:ann@party.example", "mailto:bob@other.example"]
    assert [a.params["CN"] for a in attendees] == ["Ann Lee", "Bob Øster"]
    assert [a.params["ROLE"] for a in attendees] == ["CHAIR", "REQ-PARTICIPANT"]
    assert {a.params["PARTSTAT"] for a in attendees} == {"NEEDS-ACTION"}
    assert {a.params["RSVP"] for a in attendees} == {"TRUE"}
    assert str(master["ORGANIZER"]) == "mailto:clerk@site.example"
    assert b"RSVP=TRUE" in render(psd)


def test_bad_role_and_naive_stamp_are_refused(psd: MeetingSeries) -> None:
    with pytest.raises(ValueError, match="RFC 5545 role"):
        render(psd, attendees=[("Ann", "ann@x.example", "boss")])
    with pytest.raises(ValueError, match="aware"):
        render(psd, stamp=dt.datetime(2026, 1, 5, 9))


def test_vtimezone_for_london_is_present(psd: MeetingSeries) -> None:
    calendar = parsed(render(psd))
    zones = [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")]
    assert zones == ["Europe/London"]
    names = {str(part["TZNAME"]) for part in calendar.walk() if "TZNAME" in part}
    assert names == {"GMT", "BST"}


def test_crlf_and_75_octet_folding(psd: MeetingSeries) -> None:
    long_title = "Partnership board – Café Ünïcode and a very long title " * 4
    body = render(replace(psd, title=long_title, location="Town Hall, Bootle " * 6))
    assert body.endswith(b"\r\n")
    assert re.search(rb"(?<!\r)\n", body) is None
    lines = body.split(b"\r\n")[:-1]
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)  # something was folded
    assert str(events(body)[0]["SUMMARY"]) == long_title


def test_feed_has_no_method_attendees_and_expands_to_every_series(
    examples: Configuration,
) -> None:
    everything = [
        build(examples, agreement, meeting)
        for agreement in examples.agreements
        for meeting in agreement.meetings
    ]
    body = feed(everything, domain=DOMAIN, stamp=STAMP)
    calendar = Calendar.from_ical(body)
    assert "METHOD" not in calendar
    assert b"ATTENDEE" not in body
    assert b"RSVP" not in body
    assert len({str(e["UID"]) for e in calendar.walk("VEVENT")}) == 11
    expanded = recurring_ical_events.of(calendar).between(dt.date(2008, 1, 1), dt.date(2034, 1, 1))
    want = sum(len(series.rule_starts()) - len(series.exdates) for series in everything)
    assert len(expanded) == want
