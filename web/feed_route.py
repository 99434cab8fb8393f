"""`GET /feeds/{token}.ics` (and HEAD): a calendar feed for subscription (docs/feeds.md).

A wrong, malformed, rotated or revoked token gets the same short 404, so a probe learns
nothing about which feeds exist. A live one gets its document with a strong ETag (the
SHA-256 of the deterministic body), Last-Modified and a five-minute private cache; a client
revalidating with `If-None-Match` gets 304 without a body, and without rendering when the
document for today's inputs is cached. A client that takes gzip gets the document's own
gzip encoding (compressed once per document) with its own ETag `"<hex>-gz"`,
`Content-Encoding: gzip` and `Vary: Accept-Encoding`; the server's GZipMiddleware is not
applied under `/feeds/` (`web.server.PagesGZip`), so nothing compresses a feed under the
plain body's ETag.
The App's work (a database read, perhaps a render, the compression) is synchronous, so it
runs in the thread pool and never blocks the event loop.
"""

from __future__ import annotations

from email.utils import format_datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from concordat.app import App
from concordat.exits import DATABASE, exit_code
from concordat.feeds import FeedDocument, cached_feed_document, feed_document, find_feed
from lifecycle.errors import ConcordatError

CALENDAR = "text/calendar; charset=utf-8"
CACHE_CONTROL = "private, max-age=300"
NOT_FOUND = "no such feed\n"
SUFFIX = ".ics"


async def feed_endpoint(request: Request) -> Response:
    """The feed named by the path's token, or 404; 304 when the client's copy is current."""
    app: App = request.app.state.concordat
    cached = bool(getattr(request.app.state, "feed_cache", True))
    token = str(request.path_params.get("token", "")).removesuffix(SUFFIX)
    zipped = accepts_gzip(request.headers.get("accept-encoding"))
    try:
        document = _revalidated(app, token, cached, zipped) if app.stores.local else None
        if document is None:
            document = await run_in_threadpool(_document, app, token, cached, zipped)
    except ConcordatError as error:
        if exit_code(error) != DATABASE:  # unreachable, busy, needs an upgrade: try later
            raise
        return PlainTextResponse(
            "the feed is unavailable for now; try again later\n",
            status_code=503,
            headers={"Retry-After": "60"},
        )
    if document is None:
        return PlainTextResponse(NOT_FOUND, status_code=404, headers={"Cache-Control": "no-store"})
    headers = {
        "ETag": document.gzip_etag if zipped else document.etag,
        "Last-Modified": format_datetime(document.last_modified, usegmt=True),
        "Cache-Control": CACHE_CONTROL,
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
    }
    # Either tag names today's document: a client holding the other encoding still has
    # the current calendar (the comparison is weak anyway).
    if_none_match = request.headers.get("if-none-match")
    if matches(if_none_match, document.etag) or matches(if_none_match, document.gzip_etag):
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = 'inline; filename="concordat.ics"'
    if zipped:
        headers["Content-Encoding"] = "gzip"
        return Response(document.gzipped, media_type=CALENDAR, headers=headers)
    return Response(document.body, media_type=CALENDAR, headers=headers)


def _revalidated(app: App, token: str, cached: bool, zipped: bool) -> FeedDocument | None:
    """On the event loop, for a local database only: the document when the cache already
    holds it in the encoding asked for, after the two indexed reads that say it is still
    current (the token, the facts' marks); None sends the request to a worker thread. A
    worker thread costs more than these reads: with it a 304 ran at 0.38 of a static
    response's rate, without it at 0.57 (bench/feeds.py)."""
    if not cached:
        return None
    record = find_feed(app, token)
    if record is None:
        return None  # answered by the worker alike, so wrong tokens take the same path
    document = cached_feed_document(app, record)
    if document is None or (zipped and not document.compressed):
        return None  # to render, or to compress: CPU work for a worker
    return document


def _document(app: App, token: str, cached: bool, zipped: bool) -> FeedDocument | None:
    """The live feed's document, or None (in a worker thread, which also compresses it when
    the client takes gzip, once per document)."""
    record = find_feed(app, token)
    if record is None:
        return None
    document = feed_document(app, record, cached=cached)
    if zipped:
        _ = document.gzipped
    return document


def accepts_gzip(header: str | None) -> bool:
    """Whether RFC 9110 Accept-Encoding lets us send gzip: `gzip` (or `x-gzip`, or `*`)
    listed with a quality above 0. An unparseable quality counts as refusal."""
    if not header:
        return False
    qualities: dict[str, float] = {}
    for member in header.split(","):
        coding, _, parameters = member.partition(";")
        name = coding.strip().lower()
        if name:
            qualities[name] = _quality(parameters)
    for name in ("gzip", "x-gzip", "*"):
        if name in qualities:
            return qualities[name] > 0
    return False


def _quality(parameters: str) -> float:
    """The `q=` weight of an Accept-Encoding member (1 when absent, 0 when malformed)."""
    for parameter in parameters.split(";"):
        key, _, value = parameter.strip().partition("=")
        if key.strip().lower() == "q":
            try:
                weight = float(value.strip())
            except ValueError:
                return 0.0
            return weight if 0.0 <= weight <= 1.0 else 0.0
    return 1.0


def matches(header: str | None, etag: str) -> bool:
    """RFC 9110 If-None-Match: `*`, or a list of entity tags compared weakly (a `W/`
    prefix on either side is ignored). An unparseable member matches nothing."""
    if header is None:
        return False
    if header.strip() == "*":
        return True
    ours = _opaque(etag)
    return any(_opaque(member.strip()) == ours for member in header.split(","))


def _opaque(tag: str) -> str | None:
    """The quoted part of an entity tag, without a weak prefix; None when malformed."""
    tag = tag.removeprefix("W/")
    if len(tag) < 2 or not tag.startswith('"') or not tag.endswith('"') or '"' in tag[1:-1]:
        return None
    return tag
