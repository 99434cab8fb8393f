"""Who may see what: the administrators' HTTP Basic login, CSRF tokens for every form, and the
security headers every response carries.

The admin pages are closed unless `$CONCORDAT_ADMIN_PASSWORD` is set: a missing password
answers 503 with how to set it, never an open dashboard. Feed and contact pages are not
behind the login: their unguessable token is the credential, so `Referrer-Policy:
no-referrer` keeps it from leaking to other sites. Pages carry no JavaScript at all, which
the Content-Security-Policy enforces.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from concordat.app import App
from lifecycle.errors import ConcordatError

ADMIN_USER = "admin"
PASSWORD_ENV = "CONCORDAT_ADMIN_PASSWORD"
REALM = 'Basic realm="Concordat", charset="UTF-8"'
CSRF_COOKIE = "concordat_csrf"
CSRF_FIELD = "csrf"
CSRF_PURPOSE = "csrf"
MAX_CREDENTIALS = 1024  # a longer Authorization header is refused unread
# Paths anyone may ask for: probes, feeds, contact pages and signed variation links (whose
# token is the credential), the stylesheet. Everything else is an admin page.
PUBLIC_PATHS = ("/healthz", "/readyz")
PUBLIC_PREFIXES = ("/feeds/", "/me/", "/sign/", "/static/")

SECURITY_HEADERS: Mapping[str, str] = {
    "content-security-policy": (
        "default-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


class AdminLogin:
    """Checks the admin's HTTP Basic credentials against the configured password."""

    def __init__(self, password: str | None) -> None:
        self.password = password or None  # an empty variable is as good as unset

    @property
    def configured(self) -> bool:
        """False when no password is set: the admin pages then stay closed (503)."""
        return self.password is not None

    def accepts(self, authorization: str | None) -> bool:
        """True for `Basic base64(admin:<password>)`; anything else (absent, malformed, not
        UTF-8, too long, the wrong user or password) is False. Both halves are compared in
        constant time, and both always are, so timing says nothing about which was wrong."""
        if self.password is None or not authorization or len(authorization) > MAX_CREDENTIALS:
            return False
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, colon, password = decoded.partition(":")
        user_ok = hmac.compare_digest(user.encode(), ADMIN_USER.encode())
        password_ok = hmac.compare_digest(password.encode(), self.password.encode())
        return bool(colon) and user_ok and password_ok


def is_public(path: str) -> bool:
    """True for the paths that need no admin login."""
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


class SecurityHeaders:
    """Adds the security headers to every response, errors included (pure ASGI, so it
    wraps streaming and gzipped bodies alike)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [
                    (name.encode(), value.encode())
                    for name, value in SECURITY_HEADERS.items()
                    if name.encode() not in present
                ]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


def csrf_token(request: HTTPConnection) -> str:
    """The value a form's hidden `csrf` field must carry: the site secret's signature of this
    browser's CSRF cookie. A browser without the cookie gets a new one, which `render` (or
    `set_csrf_cookie`) sets on the response."""
    cookie = _csrf_cookie(request)
    if cookie is None:
        cookie = getattr(request.state, "new_csrf_cookie", None) or secrets.token_urlsafe(32)
        request.state.new_csrf_cookie = cookie
    return _app(request).secret.sign(CSRF_PURPOSE, cookie)


def set_csrf_cookie(request: HTTPConnection, response: Any) -> None:
    """Set the CSRF cookie `csrf_token` made for this request, if it made one.

    `response` is a starlette `Response`; HttpOnly, SameSite=Strict, and Secure when the
    site's public address is https."""
    cookie = getattr(request.state, "new_csrf_cookie", None)
    if cookie is None:
        return
    secure = _public_url(request).startswith("https://")
    response.set_cookie(
        CSRF_COOKIE, cookie, httponly=True, samesite="strict", secure=secure, path="/"
    )


def check_csrf(request: Request, form: FormData | Mapping[str, Any]) -> None:
    """Refuse (HTTP 403) a form whose `csrf` field is not the signature of the request's CSRF
    cookie, or that comes from another origin. Call it before reading anything else from
    the form."""
    origin = request.headers.get("origin")
    if origin is not None and origin != "null" and not _same_origin(request, origin):
        raise HTTPException(403, "refused: the form was sent from another site")
    if origin == "null":
        raise HTTPException(403, "refused: the form was sent from an opaque origin")
    cookie = _csrf_cookie(request)
    given = form.get(CSRF_FIELD)
    if cookie is None or not isinstance(given, str) or not given:
        raise HTTPException(403, "refused: the form's CSRF token is missing; reload the page")
    expected = _app(request).secret.sign(CSRF_PURPOSE, cookie)
    if not hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode()):
        raise HTTPException(403, "refused: the form's CSRF token is wrong; reload the page")


def _csrf_cookie(request: HTTPConnection) -> str | None:
    value = request.cookies.get(CSRF_COOKIE)
    if value is None or not 20 <= len(value) <= 100 or not value.isascii():
        return None
    return value


def _same_origin(request: HTTPConnection, origin: str) -> bool:
    """True when `origin` is the site's public address or the address this request came to
    (a reverse proxy that rewrites the Host header still matches the public one)."""
    allowed = {_origin_of(_public_url(request)), _origin_of(str(request.base_url))}
    return _origin_of(origin) in allowed


def _origin_of(url: str) -> str:
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _public_url(request: HTTPConnection) -> str:
    try:
        return _app(request).configuration().web.public_url
    except ConcordatError:  # a configuration that cannot load: the request's own address
        return str(request.base_url)


def _app(request: HTTPConnection) -> App:
    found: App = request.app.state.concordat
    return found
