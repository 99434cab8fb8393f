"""Read-only use cases of the dashboard's pages, over the App: each reads the configuration
and the database once and hands the templates plain values. Dates come from the domain
(`timeline.plan`, `lifecycle.dashboard`), never computed here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from concordat.app import App, OutboxPage
from concordat.feeds import (
    FeedItem,
    FeedRecord,
    FeedScope,
    feed_items_between,
    feeds_for,
    find_feed,
    links_of,
)
from jobs.ports import Activity
from lifecycle.agreement import Agreement, Contact
from lifecycle.dashboard import (
    NoticeDeadline,
    OpenStep,
    Standing,
    current_step,
    next_notice_deadline,
    standing,
    unsigned,
)
from lifecycle.feeds import display_name, involved
from lifecycle.occurrence import Occurrence
from lifecycle.outbox import Entry, State
from lifecycle.state import AgreementState, Variation, fold, last_day


@dataclass(frozen=True)
class AgreementRow:
    """One line of the agreements list."""

    agreement: Agreement
    standing: Standing
    term_end: dt.date | None
    notice: NoticeDeadline | None


def agreement_rows(app: App) -> list[AgreementRow]:
    """Every configured agreement, in the configuration's order, with where it stands."""
    configuration = app.configuration()
    today = app.today()
    facts = app.facts()
    rows: list[AgreementRow] = []
    for agreement in configuration.agreements:
        state = fold(facts.get(agreement.id, []))
        rows.append(_row(app, agreement, state, today))
    return rows


def _row(app: App, agreement: Agreement, state: AgreementState, today: dt.date) -> AgreementRow:
    configuration = app.configuration()
    calendar = configuration.calendar_for(agreement)
    notice = next_notice_deadline(agreement, state, calendar, configuration.settings, today)
    return AgreementRow(
        agreement, standing(agreement, state, today), last_day(agreement, state), notice
    )


TIMELINE_DAYS = 90
RECENT_MESSAGES = 25


@dataclass(frozen=True)
class FeedLink:
    """A live feed and its URLs, for the page to show again."""

    label: str
    scope: str
    url: str
    webcal: str


@dataclass(frozen=True)
class AgreementView:
    """Everything the agreement page shows."""

    agreement: Agreement
    row: AgreementRow
    state: AgreementState
    today: dt.date
    timeline_first: dt.date
    timeline_last: dt.date
    timeline: list[Occurrence]
    open_steps: list[OpenStep]
    variations: list[tuple[Variation, tuple[str, ...]]]
    messages: list[Entry]
    feeds: list[FeedLink]
    zone: dt.tzinfo


def agreement_view(app: App, agreement_id: str) -> AgreementView:
    """One agreement's page: `UnknownName` (404) when it is not configured."""
    agreement = app.agreement(agreement_id)
    configuration = app.configuration()
    today = app.today()
    state = fold(recorded.fact for recorded in app.history(agreement.id))
    calendar = configuration.calendar_for(agreement)
    last = min(today + dt.timedelta(days=TIMELINE_DAYS - 1), calendar.last)
    timeline = app.occurrences(today, last, agreement.id, with_facts=True)
    steps = [current_step(agreement, case, calendar, today) for case in state.cases.values()]
    variations = [(v, unsigned(agreement, state, v.id)) for v in state.variations.values()]
    return AgreementView(
        agreement,
        _row(app, agreement, state, today),
        state,
        today,
        today,
        last,
        timeline,
        [step for step in steps if step is not None],
        variations,
        _recent_messages(app, agreement.id),
        agreement_feeds(app, agreement),
        configuration.settings.timezone,
    )


def _recent_messages(app: App, agreement_id: str) -> list[Entry]:
    """The agreement's latest messages: those already due, newest first, then the soonest
    ones still to come."""
    entries = app.stores.reader().outbox(agreement_id)
    now = app.clock.now()
    done = sorted((e for e in entries if e.message.due_at <= now),
                  key=lambda e: e.message.due_at, reverse=True)  # fmt: skip
    coming = sorted((e for e in entries if e.message.due_at > now and e.state is State.PENDING),
                    key=lambda e: e.message.due_at)  # fmt: skip
    half = RECENT_MESSAGES // 2
    return coming[:half][::-1] + done[: RECENT_MESSAGES - min(half, len(coming))]


def agreement_feeds(app: App, agreement: Agreement) -> list[FeedLink]:
    """The agreement's live feeds, its meetings' and its contacts'."""
    scopes = [FeedScope("agreement", agreement.id)]
    scopes += [FeedScope("meeting", f"{agreement.id}:{m.id}") for m in agreement.meetings]
    scopes += [FeedScope("contact", contact.id) for contact in agreement.contacts]
    found: list[FeedLink] = []
    for scope in scopes:
        for record in feeds_for(app, scope):
            links = links_of(app, record)
            shown = f"{scope.kind} {scope.target}"
            found.append(FeedLink(record.label or shown, shown, links.url, links.webcal))
    return found


PAGE_SIZE = 50
RECENT_ACTIVITY = 10


@dataclass(frozen=True)
class OutboxView:
    """What the outbox page shows: the counts `concordat status` prints, the latest sends,
    failures and misses with the server's reply, and a page of pending rows."""

    counts: dict[State, int]
    next_due: dt.datetime | None
    recent: dict[State, list[Activity]]
    pending: OutboxPage
    zone: dt.tzinfo


def outbox_view(app: App, offset: int) -> OutboxView:
    """The outbox page from `offset` into the pending rows (`InvalidInput` when negative)."""
    store = app.stores.reader()
    counts = store.state_counts()
    recent = {
        state: store.recent(state, RECENT_ACTIVITY) if counts[state] else []
        for state in (State.SENT, State.FAILED, State.MISSED)
    }
    pending = app.outbox(None, State.PENDING, PAGE_SIZE, offset)
    zone = app.configuration().settings.timezone
    return OutboxView(counts, store.next_due(), recent, pending, zone)


MAX_TOKEN = 200  # a longer "token" is not looked up at all


@dataclass(frozen=True)
class Subscription:
    """A feed and the links that add it to each calendar program, under the calendar's own
    name (never the administrator's label, which is a note for them only)."""

    name: str
    url: str
    webcal: str
    outlook: str
    google: str


@dataclass(frozen=True)
class ContactView:
    """A contact's own page: their agreements, what is coming up for them, and the one feed
    whose token opened the page."""

    contact: Contact
    agreements: list[Agreement]
    upcoming: list[FeedItem]
    subscription: Subscription
    first: dt.date
    last: dt.date


def contact_view(app: App, token: str) -> ContactView | None:
    """The page a contact's feed token opens; None for a wrong, revoked or malformed token,
    a feed of another scope, or a contact no longer configured.

    It shows that feed only: the contact's other feeds (another device's, one being rotated
    because it leaked) are not the holder's business, so rotating or revoking a leaked URL
    locks its holder out. The dates are the feed's own entries in the page's window."""
    if not token or len(token) > MAX_TOKEN or not token.isascii():
        return None
    record = find_feed(app, token)
    if record is None or record.scope.kind != "contact":
        return None
    contact_id = record.scope.target
    configuration = app.configuration()
    mine = involved(record.scope, configuration.agreements)
    if not mine:
        return None
    contact = next(c for c in mine[0].contacts if c.id == contact_id)
    today = app.today()
    last = min(today + dt.timedelta(days=TIMELINE_DAYS - 1), configuration.calendar.last)
    upcoming = feed_items_between(app, record, today, last)
    name = display_name(record.scope, configuration.agreements)
    return ContactView(contact, mine, upcoming, subscription(app, record, name), today, last)


def subscription(app: App, record: FeedRecord, name: str) -> Subscription:
    """The feed's URLs and its subscribe links for Outlook on the web, Google Calendar and
    Apple Calendar (the webcal:// URL itself), each URL-encoded as a query value; `name` is
    the calendar's name the subscriber sees (the feed's X-WR-CALNAME)."""
    links = links_of(app, record)
    outlook = "https://outlook.office.com/calendar/0/addfromweb?" + urlencode(
        {"url": links.url, "name": name}, quote_via=quote
    )
    google = "https://calendar.google.com/calendar/r?" + urlencode(
        {"cid": links.webcal}, quote_via=quote
    )
    return Subscription(name, links.url, links.webcal, outlook, google)
