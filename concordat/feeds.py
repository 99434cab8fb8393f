"""Calendar feeds for board members, agreements and meeting series: the use cases every door
(the `concordat feeds` commands, the web route, the dashboard) calls with the App.

Tokens. A feed's token is
`app.secret.sign("feed", "<salt>:<id>:<generation>:<kind>:<target>")` (hex), the salt being 16
random bytes made at issue and kept across rotations: the dashboard can show a feed's URL
again, yet the database keeps only its SHA-256, so a copy of the database opens no feed, a
token cannot be made without the site's secret, and another database with the same secret (a
fresh one, a restored copy) never hands out a token for feed 1 that opens its own feed 1.
Revoking stamps `revoked_at`; rotating bumps the generation, so the old URL stops working.

Documents. What a feed holds is chosen by `lifecycle.feeds` from `timeline.plan` and the
meeting series the invites carry, given the recorded facts, in a window of a year back to
about 18 months ahead of today. The bytes are deterministic (DTSTAMP is the document's
`last_modified`), so the ETag is the SHA-256 of the body. Documents are cached in-process by
everything they are made from (scope, the involved agreements' configuration digests, their
last fact's number and time, today, the UID domain): a repeated request costs the token
look-up and one read of the fact marks.
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import hashlib
import hmac
import re
import secrets
import threading
import unicodedata
import weakref
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

from concordat.app import App, InvalidInput
from concordat.sources import StoreSource
from jobs.ports import FeedRecord, FeedStore, Store, TokenHash
from lifecycle.errors import Refused, UnknownName
from lifecycle.feeds import (
    FEED_KINDS,
    FeedContent,
    FeedItem,
    FeedKind,
    FeedScope,
    check_target,
    display_name,
    feed_content,
    feed_items,
    feed_window,
    involved,
)
from lifecycle.state import fold
from lifecycle.text import INVISIBLE_CATEGORIES, control_character
from notifications.ical import domain_of, feed

__all__ = [
    "FEED_KINDS",
    "FeedDocument",
    "FeedItem",
    "FeedKind",
    "FeedLinks",
    "FeedRecord",
    "FeedRevoked",
    "FeedScope",
    "checked_label",
    "feed_document",
    "feed_items_between",
    "feeds_for",
    "find_feed",
    "issue_feed",
    "links_of",
    "list_feeds",
    "revoke_feed",
    "rotate_feed",
    "scope_of",
]

MAX_TEXT = 200  # a label or target longer than this is a mistake, not a name
TOKEN = re.compile(r"[0-9a-f]{64}")
CACHE_SIZE = 512  # documents kept per database; a board has a few hundred feeds at most
PURPOSE = "feed"
SALT_BYTES = 16
GZIP_LEVEL = 6  # zlib's default: most of level 9's gain for far less work
# Bidi embeddings, overrides and isolates: refused in a label even alone (a label of only
# zero-width spaces is merely empty), since they reorder whatever is shown after them.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
MAX_ID = 2**31 - 1


class FeedRevoked(Refused):
    """Raised when a revoked feed is rotated: a revoked feed stays dead; issue a new one."""

    def __init__(self, record: FeedRecord) -> None:
        self.record = record
        super().__init__(
            f"feed {record.id} was revoked at {record.revoked_at:%Y-%m-%d %H:%M} UTC and "
            "cannot be rotated; issue a new feed instead"
        )


@dataclass(frozen=True)
class FeedLinks:
    """A feed's token and its two URLs: https (or http) to paste, webcal:// to click."""

    token: str
    url: str
    webcal: str


@dataclass(frozen=True)
class FeedDocument:
    """A rendered feed: deterministic bytes for the same inputs, their strong ETag, when the
    inputs last changed, and the calendar's name.

    Its gzip encoding is another representation, so it has its own strong ETag
    (`"<hex>-gz"`): one tag for two different byte sequences would let a cache answer a
    range or a revalidation with the wrong bytes. It is compressed once, when first asked
    for, and kept with the document (in the documents' cache)."""

    body: bytes
    etag: str
    last_modified: dt.datetime
    name: str

    @functools.cached_property
    def gzipped(self) -> bytes:
        """The body gzip-compressed, deterministically (no timestamp in the header)."""
        return gzip.compress(self.body, compresslevel=GZIP_LEVEL, mtime=0)

    @property
    def compressed(self) -> bool:
        """Whether `gzipped` is made already (asking for it otherwise is CPU work)."""
        return "gzipped" in self.__dict__

    @property
    def gzip_etag(self) -> str:
        """The strong ETag of `gzipped`: the body's with `-gz` inside the quotes."""
        return f'{self.etag[:-1]}-gz"'


def scope_of(kind: str, target: str) -> FeedScope:
    """A scope from text (a command's option, a form's field), refused with the reason
    (`InvalidInput`) when it cannot be one; whether the target exists is checked apart."""
    chosen = next((k for k in FEED_KINDS if k == kind), None)
    if chosen is None:
        raise InvalidInput(f"the feed kind must be one of {', '.join(FEED_KINDS)} (got {kind!r})")
    text = _one_line(f"{chosen} id", target)
    if not text:
        raise InvalidInput(f"the {chosen} id must not be empty")
    if chosen == "meeting":
        agreement, colon, meeting = text.partition(":")
        if not colon or not agreement or not meeting:
            raise InvalidInput(f"a meeting is AGREEMENT:MEETING (got {text!r})")
    return FeedScope(chosen, text)


def checked_label(label: str) -> str:
    """The administrator's note for a feed: one line, at most 200 characters, NFC; "" when it
    shows nothing (only spaces or zero-width marks). A format character (category Cf: the
    bidi overrides and isolates U+202A-U+202E and U+2066-U+2069, zero-width spaces and joiners)
    is refused, since it would make the label read otherwise than it is stored, in the
    terminal and on the dashboard alike."""
    bidi = next((ch for ch in label if ch in BIDI_CONTROLS), None)
    text = _one_line("label", unicodedata.normalize("NFC", label))
    character = bidi or next((ch for ch in text if unicodedata.category(ch) == "Cf"), None)
    if character is not None:
        raise InvalidInput(
            f"the label must be plain text: it contains the invisible format character "
            f"U+{ord(character):04X} ({unicodedata.name(character, 'unnamed')})"
        )
    return text


def issue_feed(app: App, scope: FeedScope, label: str = "") -> tuple[FeedRecord, FeedLinks]:
    """Hand out a new feed for `scope` (its target must exist: `UnknownName` otherwise)."""
    scope = scope_of(scope.kind, scope.target)
    check_target(scope, app.configuration().agreements)
    note = checked_label(label)
    salt = secrets.token_hex(SALT_BYTES)
    store = _feeds(app.stores.writer())
    record = store.add_feed(scope, note, app.clock.now(), salt, _hasher(app))
    return record, links_of(app, record)


def list_feeds(app: App) -> list[FeedRecord]:
    """Every feed handed out, live and revoked, oldest first (the database is only read)."""
    return _feeds(app.stores.reader()).feeds()


def feeds_for(app: App, scope: FeedScope) -> list[FeedRecord]:
    """The live feeds of one scope, oldest first."""
    return [r for r in list_feeds(app) if r.scope == scope and r.revoked_at is None]


def revoke_feed(app: App, feed_id: int) -> FeedRecord:
    """Revoke a feed: its URL answers 404 from now on. Revoking twice keeps the first time."""
    store = _feeds(app.stores.writer())
    record = store.revoke_feed(_checked_id(feed_id), app.clock.now())
    if record is None:
        raise _unknown(store, feed_id)
    return record


def rotate_feed(app: App, feed_id: int) -> tuple[FeedRecord, FeedLinks]:
    """A new URL for a live feed; the old one answers 404 from now on."""
    store = _feeds(app.stores.writer())
    record = store.rotate_feed(_checked_id(feed_id), _hasher(app))
    if record is None:
        raise _unknown(store, feed_id)
    if record.revoked_at is not None:
        raise FeedRevoked(record)
    return record, links_of(app, record)


def links_of(app: App, record: FeedRecord) -> FeedLinks:
    """The feed's current token and URLs (made again from the secret, never stored)."""
    token = _token(app, record)
    base = app.public_url().rstrip("/")
    url = f"{base}/feeds/{token}.ics"
    return FeedLinks(token, url, "webcal://" + url.partition("://")[2])


def find_feed(app: App, token: str) -> FeedRecord | None:
    """The live feed `token` opens; None when it is malformed, unknown, of an older
    generation or revoked (the caller answers all of them alike)."""
    if not TOKEN.fullmatch(token):
        return None
    record = _feeds(app.stores.reader()).feed_by_hash(_digest(token))
    if record is None or record.revoked_at is not None:
        return None
    expected = _token(app, record)
    return record if hmac.compare_digest(expected, token) else None


def feed_document(app: App, record: FeedRecord, *, cached: bool = True) -> FeedDocument:
    """The feed's iCalendar document for today; from the cache when its inputs are
    unchanged, unless `cached` is False (then rendered afresh and not kept)."""
    inputs = _inputs(app, record)
    cache = _cache(app.stores)
    if cached:
        found = cache.get(inputs.key)
        if found is not None:
            return found
    marks = inputs.marks
    latest = max((at for _, at in marks.values()), default=None)
    with_facts = [i for i in inputs.ids if i in marks]
    store = app.stores.reader()
    document = _render(app, record.scope, store, with_facts, inputs.today, latest)
    if cached:
        cache.put(inputs.key, document)
    return document


def cached_feed_document(app: App, record: FeedRecord) -> FeedDocument | None:
    """The document `feed_document` would return, if the cache holds it for today's inputs;
    None rather than render. One indexed read: what a revalidation (a 304) costs."""
    return _cache(app.stores).get(_inputs(app, record).key)


@dataclass(frozen=True)
class _Inputs:
    """What a feed's document depends on: its agreements' configuration and facts, today."""

    ids: list[str]
    marks: dict[str, tuple[int, dt.datetime]]
    today: dt.date
    key: Hashable


def _inputs(app: App, record: FeedRecord) -> _Inputs:
    configuration = app.configuration()
    today = app.today()
    ids = [a.id for a in involved(record.scope, configuration.agreements)]
    marks = _feeds(app.stores.reader()).fact_marks(ids)
    key = (
        record.scope,
        tuple((i, configuration.digests.get(i, "")) for i in ids),
        tuple(sorted(marks.items())),
        today,
    )
    return _Inputs(ids, marks, today, key)


def _render(
    app: App,
    scope: FeedScope,
    store: Store,
    with_facts: list[str],
    today: dt.date,
    latest: dt.datetime | None,
) -> FeedDocument:
    """Render the feed: states from the facts, content from the plan, bytes from icalendar."""
    configuration = app.configuration()
    settings = configuration.settings
    content = _content(app, scope, store, with_facts, today)
    day_start = dt.datetime.combine(today, dt.time(), tzinfo=settings.timezone).astimezone(dt.UTC)
    modified = max(day_start, latest or day_start).replace(microsecond=0)
    name = display_name(scope, configuration.agreements)
    body = feed(
        content.series,
        domain=domain_of(configuration.mail.sender),
        stamp=modified,
        days=content.days,
        name=name,
    )
    return FeedDocument(body, f'"{hashlib.sha256(body).hexdigest()}"', modified, name)


def _content(
    app: App, scope: FeedScope, store: Store, with_facts: list[str], today: dt.date
) -> FeedContent:
    """What the scope's feed holds today: its window of the plan, given the recorded facts of
    the agreements in `with_facts`."""
    configuration = app.configuration()
    states = {i: fold(item.fact for item in store.history(i)) for i in with_facts}
    first, last = feed_window(today, configuration.calendar)
    return feed_content(
        scope,
        configuration.agreements,
        configuration.calendar_for,
        configuration.settings,
        states,
        first,
        last,
    )


def feed_items_between(
    app: App, record: FeedRecord, first: dt.date, last: dt.date
) -> list[FeedItem]:
    """The feed's own entries (today's document's content) dated from `first` to `last`:
    what a page shows of a feed, so that the page and the calendar never disagree."""
    configuration = app.configuration()
    ids = [a.id for a in involved(record.scope, configuration.agreements)]
    store = app.stores.reader()
    content = _content(app, record.scope, store, ids, app.today())
    return feed_items(content, first, last)


class _Cache:
    """The latest documents by their inputs, least recently used dropped first."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.documents: OrderedDict[Hashable, FeedDocument] = OrderedDict()

    def get(self, key: Hashable) -> FeedDocument | None:
        with self.lock:
            found = self.documents.get(key)
            if found is not None:
                self.documents.move_to_end(key)
            return found

    def put(self, key: Hashable, document: FeedDocument) -> None:
        with self.lock:
            self.documents[key] = document
            while len(self.documents) > CACHE_SIZE:
                self.documents.popitem(last=False)


# One cache per database (its store source): documents of one database never answer for
# another's, and a source dropped takes its cache with it.
_caches: weakref.WeakKeyDictionary[StoreSource, _Cache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def _cache(source: StoreSource) -> _Cache:
    with _caches_lock:
        found = _caches.get(source)
        if found is None:
            found = _caches[source] = _Cache()
        return found


def _feeds(store: Store) -> FeedStore:
    """The store's feed port (the SQL store and the in-memory fake both have it)."""
    if not isinstance(store, FeedStore):
        raise TypeError(f"{type(store).__name__} does not keep calendar feeds")
    return store


def _token(app: App, record: FeedRecord) -> str:
    """The row's current token: its salt, id and generation, and the scope it opens (the
    target last, since it is the only part that may hold a colon)."""
    scope = record.scope
    message = f"{record.salt}:{record.id}:{record.generation}:{scope.kind}:{scope.target}"
    return app.secret.sign(PURPOSE, message)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _hasher(app: App) -> TokenHash:
    """What the store calls once it knows a feed's id: the SHA-256 of that generation's
    token, so the secret itself never reaches the store."""
    return lambda record: _digest(_token(app, record))


def _checked_id(feed_id: int) -> int:
    """A feed id the databases can hold (a 32-bit integer from 1), else `InvalidInput`."""
    if isinstance(feed_id, bool) or not isinstance(feed_id, int) or not 1 <= feed_id <= MAX_ID:
        raise InvalidInput(f"a feed id is a whole number from 1 to {MAX_ID} (got {feed_id!r})")
    return feed_id


def _unknown(store: FeedStore, feed_id: int) -> UnknownName:
    return UnknownName("feed", str(feed_id), [str(r.id) for r in store.feeds()])


def _one_line(field: str, text: str) -> str:
    """One line of text at most 200 characters long (surrounding spaces dropped; nothing
    when it shows nothing), else `InvalidInput` saying why."""
    stripped = text.strip()
    if all(unicodedata.category(ch) in INVISIBLE_CATEGORIES for ch in stripped):
        stripped = ""
    character = control_character(stripped)
    if character is not None:
        raise InvalidInput(
            f"the {field} must be one line of text: it contains the control character "
            f"U+{ord(character):04X}"
        )
    if len(stripped) > MAX_TEXT:
        raise InvalidInput(
            f"the {field} is {len(stripped)} characters long; at most {MAX_TEXT} are allowed"
        )
    return stripped
