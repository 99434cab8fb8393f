"""The HTTP server: the administrators' dashboard, the contacts' own pages and the calendar
feeds, as one Starlette app over the one `App`.

Errors from the App become HTTP statuses through one table walked like the exit codes
(`concordat.exits.lookup`): an unknown agreement is 404 from every page, as it is exit 1 from
every command. Probes (`/healthz`, `/readyz`) need no login, so a load balancer can ask.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import importlib.util
import logging
import socket
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from concordat.app import App, InvalidInput
from concordat.exits import DATABASE, EXIT_CODES, lookup
from concordat.secret import SecretUnusable
from config.issues import ConfigurationError
from lifecycle.errors import (
    CalendarRangeError,
    ConcordatError,
    MalformedId,
    PeriodError,
    Refused,
    UnknownName,
)
from web import pages
from web.feed_route import feed_endpoint
from web.pages import STATIC, render
from web.security import PASSWORD_ENV, REALM, AdminLogin, SecurityHeaders, is_public

# Every error `concordat.exits` calls a database problem (exit 3: `DatabaseError`, which the
# web may not import from `storage`, and `OutboxConflict`) is 503 here.
HTTP_STATUSES: Mapping[type[BaseException], int] = {
    **{kind: 503 for kind, code in EXIT_CODES.items() if code == DATABASE},
    UnknownName: 404,
    MalformedId: 404,
    Refused: 409,
    InvalidInput: 422,
    CalendarRangeError: 422,
    PeriodError: 422,
    ConfigurationError: 503,  # the site's files are broken: nothing to do with the request
    SecretUnusable: 503,
    ConcordatError: 409,
}


def http_status(error: BaseException) -> int:
    """The HTTP status of an error from the App: 404 unknown, 409 refused, 422 invalid
    input, 503 the database or the site's configuration unusable; 500 for a bug."""
    return lookup(HTTP_STATUSES, error) or 500


# Modules that add routes (the recording forms) when they are installed: each has
# `routes() -> list[BaseRoute]`, and its routes are admin pages unless public by path.
ROUTE_MODULES = ("web.forms",)
Ready = Callable[[], bool]
LOG = logging.getLogger("concordat.web")
GRACE = 10  # seconds a stopping server waits for the requests in flight


def build_web(
    app: App,
    *,
    admin_password: str | None,
    ready: Ready | None = None,
    feed_cache: bool = True,
) -> Starlette:
    """The web app over `app`: admin pages behind HTTP Basic (`admin` and `admin_password`;
    closed with a 503 when it is None), contact pages and feeds by token, the probes.
    `ready` says whether the rest of the process (the scheduler in `run`) is serving."""
    web = _Web(
        routes=_routes(),
        middleware=[
            Middleware(PagesGZip, minimum_size=500),
            Middleware(AdminGate, login=AdminLogin(admin_password)),
        ],
        exception_handlers={ConcordatError: _app_error, HTTPException: _http_error},
    )
    web.router.redirect_slashes = False  # its redirect is built from the Host header
    web.state.concordat = app
    web.state.ready = ready or (lambda: True)
    web.state.feed_cache = feed_cache
    return web


class PagesGZip(GZipMiddleware):
    """gzip for the pages, not for the feeds: a feed compresses itself once per document,
    under an ETag of its own (`web/feed_route.py`); compressing it again here would send
    two encodings under one strong ETag, and misread `gzip;q=0`."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/feeds/"):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


class _Web(Starlette):
    """Starlette with the security headers outside everything, so that even the bare 500
    page of an unexpected error carries them."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack())


def _routes() -> list[BaseRoute]:
    """Probes, feeds, contact pages, the stylesheet, the dashboard, and any add-on routes."""
    return [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/feeds/{token}.ics", feed_endpoint),
        Route("/me/{token}", pages.contact_page),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
        Route("/", pages.agreements_page),
        Route("/agreements/{agreement_id}", pages.agreement_page),
        Route("/outbox", pages.outbox_page),
        *_add_on_routes(),
    ]


def _add_on_routes() -> list[BaseRoute]:
    found: list[BaseRoute] = []
    for name in ROUTE_MODULES:
        if importlib.util.find_spec(name) is not None:
            module: Any = importlib.import_module(name)
            found += module.routes()
    return found


async def healthz(_request: Request) -> Response:
    """Alive: the process answers. Says nothing about the database."""
    return PlainTextResponse("ok")


async def readyz(request: Request) -> Response:
    """Ready: the database answers a cheap read, the configuration is loaded and the rest
    of the process is serving; otherwise 503 listing what is not."""
    app: App = request.app.state.concordat
    problems = await run_in_threadpool(not_ready, app, request.app.state.ready)
    if problems:
        return PlainTextResponse("not ready\n" + "\n".join(problems) + "\n", status_code=503)
    return PlainTextResponse("ready")


def not_ready(app: App, ready: Ready) -> list[str]:
    """What is not ready, one line each; empty when everything is. The probe is public, so
    it names the part only; the reason (a database URL, a file path) goes to the log."""
    problems: list[str] = []
    try:
        app.configuration()
    except ConcordatError as error:
        LOG.warning("not ready: configuration: %s", _one_line(error))
        problems.append("configuration: not loaded")
    try:
        app.stores.reader().next_due(leases=False)
    except Exception as error:  # a probe reports any failure, typed or not, as not ready
        LOG.warning("not ready: database: %s", _one_line(error))
        problems.append("database: unavailable")
    if not ready():
        problems.append("scheduler: not running")
    return problems


class AdminGate:
    """Every path but the public ones needs the admin's login: 401 without it, 503 (with how
    to set one) when no password is configured. New routes are admin pages by default."""

    def __init__(self, app: ASGIApp, login: AdminLogin) -> None:
        self.app, self.login = app, login

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_public(scope["path"]):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        if not self.login.configured:
            response: Response = _closed(request)
        elif not self.login.accepts(request.headers.get("authorization")):
            response = render(request, "error.html.j2", {
                "heading": "Sign in needed",
                "message": "The dashboard is for the site's administrators: sign in as "
                "'admin' with the administrator password.",
                "hint": "",
            }, status=401, headers={"www-authenticate": REALM})  # fmt: skip
        else:
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)


def _closed(request: Request) -> Response:
    return render(request, "error.html.j2", {
        "heading": "The dashboard is closed",
        "message": "No administrator password is set, so the dashboard stays closed.",
        "hint": f"Set the environment variable {PASSWORD_ENV} to a long random password for "
        "the service, restart it, and sign in as 'admin'.",
    }, status=503)  # fmt: skip


async def _app_error(request: Request, error: Exception) -> Response:
    status = http_status(error)
    return render(request, "error.html.j2", {
        "heading": _HEADINGS.get(status, "Something went wrong"),
        "message": str(error),
        "hint": "",
    }, status=status)  # fmt: skip


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    return render(request, "error.html.j2", {
        "heading": _HEADINGS.get(error.status_code, "Something went wrong"),
        "message": error.detail,
        "hint": "",
    }, status=error.status_code, headers=error.headers)  # fmt: skip


_HEADINGS = {
    400: "Bad request",
    403: "Refused",
    404: "Not found",
    405: "Method not allowed",
    409: "Refused",
    422: "Cannot use that input",
    503: "Not available",
}


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return (text[:300] + "...") if len(text) > 300 else text or type(error).__name__


class WebServer(uvicorn.Server):
    """uvicorn on a socket we bound ourselves, leaving signals to the command that runs it
    (`run` stops the scheduler and the server together on one Ctrl-C)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def stop(self) -> None:
        """Finish the requests in flight, then return from `serve`."""
        self.should_exit = True


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port; `PortUnusable` (exit 2) when it is taken or cannot
    be had, said in one line rather than a traceback."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family = infos[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(infos[0][4])
            sock.listen(128)
        except OSError:
            sock.close()
            raise
    except (OSError, UnicodeError, ValueError) as error:  # a label too long is a UnicodeError
        in_use = isinstance(error, OSError) and error.errno == errno.EADDRINUSE
        reason = "the address is already in use" if in_use else _one_line(error)
        shown = host if host.isprintable() and len(host) <= 100 else repr(host[:100])
        raise PortUnusable(f"cannot listen on {shown}:{port}: {reason}") from error
    sock.set_inheritable(True)
    return sock


class PortUnusable(InvalidInput):
    """Raised when the web server cannot listen where it was told (the port is taken, the
    host is not this machine's)."""


def web_server(web: Starlette) -> WebServer:
    """A quiet uvicorn for `web`: warnings only, no access log (feed URLs carry tokens)."""
    config = uvicorn.Config(
        web, log_level="warning", access_log=False, lifespan="off", proxy_headers=True,
        server_header=False, timeout_graceful_shutdown=GRACE,
    )  # fmt: skip
    return WebServer(config)
