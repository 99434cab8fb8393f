"""`GET /feeds/{token}.ics` (and HEAD): a calendar feed for subscription (docs/feeds.md).

A wrong, malformed, rotated or revoked token gets the same short 404, so a probe learns
nothing about which feeds exist. A live one gets its document with a strong ETag (the
SHA-256 of the deterministic body), Last-Modified and a five-minute private cache; a client
revalidating with `If-None-Match` gets 304 without a body, and without rendering when the
document for today's inputs is cached. The App's work (a database read, perhaps a render) is
synchronous, so it runs in the thread pool and never blocks the event loop.
"""

from __future__ import annotations

from email.utils import format_datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from concordat.app import App
from concordat.exits import DATABASE, exit_code
from concordat.feeds import FeedDocument, feed_document, find_feed
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
    try:
        document = await run_in_threadpool(_document, app, token, cached)
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
        "ETag": document.etag,
        "Last-Modified": format_datetime(document.last_modified, usegmt=True),
        "Cache-Control": CACHE_CONTROL,
        "X-Content-Type-Options": "nosniff",
    }
    if matches(request.headers.get("if-none-match"), document.etag):
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = 'inline; filename="concordat.ics"'
    return Response(document.body, media_type=CALENDAR, headers=headers)


def _document(app: App, token: str, cached: bool) -> FeedDocument | None:
    """The live feed's document, or None (in a worker thread)."""
    record = find_feed(app, token)
    return None if record is None else feed_document(app, record, cached=cached)


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
