"""Rendering pages: one jinja2 environment (autoescaped, StrictUndefined, so a misspelt
variable is an error rather than an empty cell) and `render`, which every page and form uses.

Templates extend `layout.html.j2` and fill its blocks `title` and `main`. Every template gets
`request`, `csrf_token(request)` and `CSRF_FIELD` (the hidden field's name), and the date
filters `day` ("Mon 03 Mar 2025") and `instant` (a UTC instant in the site's time zone).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, Response

from concordat.app import App, InvalidInput
from web import queries
from web.security import CSRF_FIELD, csrf_token, set_csrf_cookie
from web.svg import timeline_svg

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
UTC = ZoneInfo("UTC")
# The recording forms (the forms' module serves /agreements/{id}/record/{action}).
ACTIONS = (
    ("notice-serve", "Serve notice"),
    ("notice-withdraw", "Withdraw notice"),
    ("dispute-raise", "Raise a dispute"),
    ("dispute-escalate", "Escalate a dispute"),
    ("dispute-resolve", "Resolve a dispute"),
    ("procedure-start", "Start a procedure"),
    ("procedure-close", "Close a procedure"),
    ("meeting-move", "Move a meeting"),
    ("meeting-cancel", "Cancel a meeting"),
    ("variation-propose", "Propose a variation"),
    ("variation-sign", "Sign a variation"),
    ("extend", "Extend the term"),
)


@functools.cache
def environment() -> Environment:
    """The pages' jinja2 environment, built once."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["csrf_token"] = csrf_token
    env.globals["CSRF_FIELD"] = CSRF_FIELD
    env.globals["template_exists"] = template_exists
    env.filters["day"] = format_day
    env.filters["instant"] = format_instant
    return env


def template_exists(name: str) -> bool:
    """True when a template ships (lets a page include another helper's template only when
    it is there)."""
    return (TEMPLATES / name).is_file()


def render(
    request: HTTPConnection,
    template_name: str,
    context: Mapping[str, Any],
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """The page `template_name` rendered with `context` (plus `request`), never cached (pages
    show live state and some carry a CSRF token), with the CSRF cookie set when the page made
    one."""
    body = environment().get_template(template_name).render({"request": request, **context})
    response = HTMLResponse(body, status_code=status, headers=dict(headers or {}))
    response.headers["cache-control"] = "no-store"
    set_csrf_cookie(request, response)
    return response


def format_day(day: dt.date | None) -> str:
    """A day as people read it, with its weekday: "Mon 03 Mar 2025"; "" for none."""
    return "" if day is None else f"{day:%a %d %b %Y}"


def format_instant(moment: dt.datetime | None, zone: dt.tzinfo = UTC) -> str:
    """An instant in `zone` (the site's), to the minute: "Mon 03 Mar 2025 09:00 GMT"."""
    if moment is None:
        return ""
    local = moment.astimezone(zone)
    return f"{local:%a %d %b %Y %H:%M} {local.tzname() or ''}".rstrip()


async def agreements_page(request: Request) -> Response:
    """`/`: every agreement, where it stands and its next last day to serve notice."""
    app = _app(request)
    rows = await run_in_threadpool(queries.agreement_rows, app)
    return render(request, "agreements.html.j2", {"rows": rows, "today": app.today()})


async def agreement_page(request: Request) -> Response:
    """`/agreements/{id}`: one agreement's clocks, timeline, cases, variations and mail."""
    app = _app(request)
    view = await run_in_threadpool(queries.agreement_view, app, request.path_params["agreement_id"])
    picture = timeline_svg(view.timeline, view.timeline_first, view.timeline_last)
    return render(request, "agreement.html.j2", {
        "view": view, "agreement": view.agreement, "timeline_svg": picture, "actions": ACTIONS,
    })  # fmt: skip


async def outbox_page(request: Request) -> Response:
    """`/outbox`: what the outbox holds and what happened to the latest messages;
    `?offset=N` pages through the pending rows."""
    offset = _offset(request.query_params.get("offset", "0"))
    view = await run_in_threadpool(queries.outbox_view, _app(request), offset)
    return render(request, "outbox.html.j2", {"view": view, "page_size": queries.PAGE_SIZE})


def _offset(text: str) -> int:
    """A page offset from the query string: digits only, at most 9 of them."""
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise InvalidInput(f"offset must be a whole number from 0 (got {text[:40]!r})")
    return int(text)


async def contact_page(request: Request) -> Response:
    """`/me/{token}`: a contact's own page, opened by their feed's token (the credential:
    no admin login). Anything but a live contact feed's token is 404, and says no more."""
    app = _app(request)
    view = await run_in_threadpool(queries.contact_view, app, request.path_params["token"])
    if view is None:
        raise HTTPException(404, "There is no page at this address.")
    return render(request, "contact.html.j2", {"view": view})


def _app(request: HTTPConnection) -> App:
    found: App = request.app.state.concordat
    return found
