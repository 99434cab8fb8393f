"""Series invites as partners receive them: the email's text/calendar part, read back by
icalendar and expanded by the independent `recurring_ical_events`, gives exactly the plan's
meetings; an update carries SEQUENCE = its number with the same UID; a removed meeting gets
METHOD:CANCEL with STATUS:CANCELLED."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import recurring_ical_events
from icalendar import Calendar

from config.loader import Configuration, load_configuration
from jobs.clock import FixedClock
from jobs.handlers import Services, handle
from jobs.memory import MemoryStore
from jobs.planner import replan
from lifecycle import commands as c
from lifecycle.messages import Message, MessageKind
from lifecycle.outbox import State
from lifecycle.state import fold
from lifecycle.timeline import plan
from notifications.render import render
from tests.conftest import EXAMPLES

SENDER = "concordat@council.example.org"
TODAY = dt.date(2024, 10, 20)
NOW = dt.datetime(2024, 10, 20, 9, 0, tzinfo=dt.UTC)


def received(message: Message) -> tuple[EmailMessage, Any]:
    """The email as a mailbox reads it, and its calendar part parsed."""
    wire = render(message, SENDER, now=NOW).as_bytes()
    email = message_from_bytes(wire, policy=policy.default)
    assert isinstance(email, EmailMessage)
    parts = [p for p in email.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 2  # the alternative and the invite.ics attachment
    assert parts[1].get_filename() == "invite.ics"
    data = parts[0].get_content()
    assert data == parts[1].get_content()
    return email, Calendar.from_ical(data)


def planned_spans(
    examples: Configuration, store: MemoryStore, agreement_id: str, meeting: str
) -> list[tuple[dt.datetime, dt.datetime]]:
    agreement = examples.agreement(agreement_id)
    assert agreement is not None
    state = fold(item.fact for item in store.history(agreement_id))
    found = plan(agreement, examples.calendar_for(agreement), examples.settings,
                 agreement.term.start, dt.date(2028, 12, 31), state=state)  # fmt: skip
    return sorted(
        (o.start, o.end)
        for o in found
        if o.rule == f"meeting:{meeting}" and o.start is not None and o.end is not None
    )


def expanded(calendar: Any, first: dt.date, last: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    events = recurring_ical_events.of(calendar).between(first, last + dt.timedelta(days=1))
    return sorted((e["DTSTART"].dt, e["DTEND"].dt) for e in events)


def invites(store: MemoryStore, prefix: str, kind: MessageKind) -> list[Message]:
    rows = [e for k, e in store.rows.items() if k.startswith(prefix)]
    return [e.message for e in rows if e.message.kind is kind and e.state is State.PENDING]


def test_every_example_invite_expands_to_the_plan(examples: Configuration) -> None:
    store = MemoryStore()
    replan(examples, store, TODAY, NOW)
    checked = 0
    for agreement in examples.agreements:
        for meeting in agreement.meetings:
            prefix = f"invite:{agreement.id}:meeting:{meeting.id}:series:"
            sent = invites(store, prefix, MessageKind.INVITE)
            if not sent:
                continue  # a series with no meeting left wants no invite
            calendar = received(sent[0])[1]
            assert calendar["METHOD"] == "REQUEST"
            wanted = planned_spans(examples, store, agreement.id, meeting.id)
            got = expanded(calendar, agreement.term.start, wanted[-1][0].date())
            assert got == wanted, (agreement.id, meeting.id)
            master = next(e for e in calendar.walk("VEVENT") if "RECURRENCE-ID" not in e)
            assert int(master["SEQUENCE"]) == 0
            assert {str(a).removeprefix("mailto:") for a in master.get("ATTENDEE", [])} == {
                m.recipient for m in sent
            }
            checked += 1
    assert checked >= 4


def services(examples: Configuration, store: MemoryStore) -> Services:
    return Services(examples, store, FixedClock(NOW), "tester", TODAY)


def test_a_move_after_the_invite_went_out_sends_the_series_again_with_a_higher_sequence(
    examples: Configuration,
) -> None:
    store = MemoryStore()
    notts = "nottinghamshire-healthy-families"
    replan(examples, store, TODAY, NOW, only={notts})
    prefix = f"invite:{notts}:meeting:service-review:series:"
    first = invites(store, prefix, MessageKind.INVITE)
    _, original = received(first[0])
    for message in first:
        store.mark(message.key, State.SENT)
    to = dt.datetime(2024, 11, 14, 15, 0, tzinfo=dt.UTC)
    handle(c.MoveMeeting(notts, "service-review", dt.date(2024, 11, 12), to),
           services(examples, store))  # fmt: skip
    updates = invites(store, prefix, MessageKind.INVITE_UPDATE)
    assert len(updates) == len(first)
    email, calendar = received(updates[0])
    master = next(e for e in calendar.walk("VEVENT") if "RECURRENCE-ID" not in e)
    old = next(e for e in original.walk("VEVENT") if "RECURRENCE-ID" not in e)
    assert str(master["UID"]) == str(old["UID"])
    assert int(master["SEQUENCE"]) == 1
    assert to in [s for s, _ in expanded(calendar, dt.date(2024, 11, 1), dt.date(2024, 11, 30))]
    assert email["X-Concordat-Template"] == "meeting_update"


def removed_after_delivery(tmp_path: Path, today: dt.date) -> MemoryStore:
    """Stockport's series invites delivered, then its file removed, both on `today`."""
    directory = tmp_path / "conf"
    shutil.copytree(EXAMPLES, directory)
    store = MemoryStore()
    now = dt.datetime.combine(today, dt.time(9), tzinfo=dt.UTC)
    replan(load_configuration(directory), store, today, now, only={"stockport-0-19"})
    for message in invites(store, STOCKPORT, MessageKind.INVITE):
        store.mark(message.key, State.SENT)
    (directory / "stockport-0-19.toml").unlink()
    replan(load_configuration(directory), store, today, now)
    return store


STOCKPORT = "invite:stockport-0-19:meeting:contract-monitoring:series:"


def test_a_removed_meeting_already_begun_ends_the_series_keeping_past_meetings(
    tmp_path: Path,
) -> None:
    store = removed_after_delivery(tmp_path, TODAY)
    assert invites(store, STOCKPORT, MessageKind.INVITE_CANCEL) == []
    ended = invites(store, STOCKPORT, MessageKind.INVITE_UPDATE)
    assert ended
    assert {m.payload["ended_on"] for m in ended} == {"2024-10-19"}
    calendar = received(ended[0])[1]
    assert calendar["METHOD"] == "REQUEST"
    master = next(e for e in calendar.walk("VEVENT") if "RECURRENCE-ID" not in e)
    assert int(master["SEQUENCE"]) == 1
    held = expanded(calendar, dt.date(2022, 1, 1), dt.date(2030, 12, 31))
    assert held
    assert all(start.date() < TODAY for start, _ in held)  # the past stays, nothing ahead


def test_a_removed_meeting_not_yet_begun_is_cancelled_in_calendars(tmp_path: Path) -> None:
    store = removed_after_delivery(tmp_path, dt.date(2022, 3, 10))  # before its first meeting
    cancels = invites(store, STOCKPORT, MessageKind.INVITE_CANCEL)
    assert cancels
    email, calendar = received(cancels[0])
    assert calendar["METHOD"] == "CANCEL"
    assert {str(e["STATUS"]) for e in calendar.walk("VEVENT")} == {"CANCELLED"}
    assert email["X-Concordat-Template"] == "meeting_cancellation"


def test_a_reload_changing_the_time_then_notice_served_each_raise_the_sequence(
    tmp_path: Path,
) -> None:
    """The series invite went out; the administrator moves the meeting to 16:00 (a reload),
    then notice is served (the series ends early): each sends the series again with the
    same UID, SEQUENCE 1 then 2, the new time, then the earlier UNTIL."""
    halton, today = "halton-st-helens-s31", dt.date(2009, 9, 30)
    now = dt.datetime(2009, 9, 30, 9, 0, tzinfo=dt.UTC)
    directory = tmp_path / "conf"
    shutil.copytree(EXAMPLES, directory)
    store = MemoryStore()
    replan(load_configuration(directory), store, today, now, only={halton})
    prefix = f"invite:{halton}:meeting:team-meeting:series:"

    def deliver(kind: MessageKind) -> Any:
        pending = invites(store, prefix, kind)
        assert pending
        calendar = received(pending[0])[1]
        for message in pending:
            store.mark(message.key, State.SENT)
        return next(e for e in calendar.walk("VEVENT") if "RECURRENCE-ID" not in e)

    first = deliver(MessageKind.INVITE)
    path = directory / f"{halton}.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index('id = "team-meeting"')
    later = re.sub(r'time = "\d\d:\d\d"', 'time = "16:00"', text[start:], count=1)
    path.write_text(text[:start] + later, encoding="utf-8")
    configuration = load_configuration(directory)
    replan(configuration, store, today, now, only={halton})
    second = deliver(MessageKind.INVITE_UPDATE)
    assert str(second["UID"]) == str(first["UID"])
    assert int(second["SEQUENCE"]) == 1
    assert second["DTSTART"].dt.hour == 16
    services = Services(configuration, store, FixedClock(now), "tester", today)
    handle(c.ServeNotice(halton, "halton", today), services)
    third = deliver(MessageKind.INVITE_UPDATE)
    assert str(third["UID"]) == str(first["UID"])
    assert int(third["SEQUENCE"]) == 2
    assert third["RRULE"]["UNTIL"][0] < second["RRULE"]["UNTIL"][0]


def test_a_meeting_called_off_in_a_series_already_sent_is_cancelled_by_its_recurrence_id(
    examples: Configuration,
) -> None:
    store = MemoryStore()
    notts = "nottinghamshire-healthy-families"
    replan(examples, store, TODAY, NOW, only={notts})
    prefix = f"invite:{notts}:meeting:service-review:series:"
    first = invites(store, prefix, MessageKind.INVITE)
    store.mark(first[0].key, State.SENT)  # one attendee holds the series, the others not yet
    handle(c.CancelMeeting(notts, "service-review", dt.date(2024, 12, 10)),
           services(examples, store))  # fmt: skip
    called_off = f"invite:{notts}:meeting:service-review:cancel:2024-12-10:"
    cancels = invites(store, called_off, MessageKind.INVITE_CANCEL)
    assert [m.recipient for m in cancels] == [first[0].recipient]  # only who holds it
    email, calendar = received(cancels[0])
    assert calendar["METHOD"] == "CANCEL"
    (event,) = list(calendar.walk("VEVENT"))
    assert event["RECURRENCE-ID"].dt.date() == dt.date(2024, 12, 10)
    assert int(event["SEQUENCE"]) == 1
    assert email["X-Concordat-Template"] == "meeting_cancellation"
    assert str(email["Subject"]).endswith("cancelled, Tue 10 Dec 2024")  # the meeting itself
    assert cancels[0].payload["date"] == "2024-12-10"
    assert cancels[0].due_at <= NOW  # at once: the recipient holds the series
    update = invites(store, prefix, MessageKind.INVITE_UPDATE)
    assert all(m.due_at <= NOW for m in update)
    assert [m.recipient for m in update] == [first[0].recipient]
    for message in update:
        store.mark(message.key, State.SENT)
    tomorrow = NOW + dt.timedelta(days=1)
    replan(examples, store, TODAY + dt.timedelta(days=1), tomorrow, only={notts})
    # the series it holds now drops the meeting: the cancel not yet sent is not wanted
    assert invites(store, called_off, MessageKind.INVITE_CANCEL) == []


def test_calling_off_the_very_next_meeting_reaches_holders_at_once(
    examples: Configuration,
) -> None:
    """A quarterly series: the next meeting called off makes the update and the cancel due
    now, not four weeks before the meeting after it; a change of time alone cancels
    nothing."""
    store = MemoryStore()
    notts = "nottinghamshire-healthy-families"
    today, now = dt.date(2024, 12, 2), dt.datetime(2024, 12, 2, 9, 0, tzinfo=dt.UTC)
    replan(examples, store, today, now, only={notts})
    prefix = f"invite:{notts}:meeting:strategic-agreement-review:series:"
    held = invites(store, prefix, MessageKind.INVITE)
    assert held
    for message in held:
        store.mark(message.key, State.SENT)
    next_one = dt.date.fromisoformat(held[0].payload["start"][:10])
    services = Services(examples, store, FixedClock(now), "tester", today)
    handle(c.CancelMeeting(notts, "strategic-agreement-review", next_one), services)
    called_off = f"invite:{notts}:meeting:strategic-agreement-review:cancel:{next_one}:"
    cancels = invites(store, called_off, MessageKind.INVITE_CANCEL)
    updates = invites(store, prefix, MessageKind.INVITE_UPDATE)
    assert len(cancels) == len(updates) == len(held)
    assert all(m.due_at <= now for m in [*cancels, *updates])
