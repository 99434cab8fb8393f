"""STUB (web branch only): the feeds helper's `feed_endpoint` replaces this file at merge."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response


async def feed_endpoint(request: Request) -> Response:  # noqa: ARG001 - a stub
    """No feeds on this branch: every token is unknown."""
    return PlainTextResponse("no such feed", status_code=404)
