"""The web server end to end: probes, the admin login, security headers, errors as statuses,
gzip and CSRF, over a real uvicorn on 127.0.0.1."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from tests.web.conftest import PASSWORD, Served, make_app
from web.security import (
    CSRF_COOKIE,
    CSRF_FIELD,
    check_csrf,
    csrf_token,
    is_public,
    set_csrf_cookie,
)
from web.server import PortUnusable, listen

CSP = (
    "default-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'"
)


def test_healthz_and_readyz_answer_without_a_login(served: Served) -> None:
    health = served.get("/healthz", auth=None)
    ready = served.get("/readyz", auth=None)
    assert (health.status_code, health.text) == (200, "ok")
    assert (ready.status_code, ready.text) == (200, "ready")


def test_readyz_is_503_naming_the_database_when_the_file_is_not_a_database(
    tmp_path: Path, serve: Callable[..., Served]
) -> None:
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not an SQLite database\n" * 100)
    served = serve(make_app(tmp_path, f"sqlite:///{broken}"))
    answer = served.get("/readyz", auth=None)
    assert answer.status_code == 503
    assert answer.text.startswith("not ready\ndatabase: ")
    assert "configuration" not in answer.text
    assert served.get("/healthz", auth=None).status_code == 200
    assert served.get("/outbox").status_code == 503  # the page says the database is unusable


def test_readyz_is_503_while_the_scheduler_is_not_running(
    tmp_path: Path, serve: Callable[..., Served]
) -> None:
    served = serve(make_app(tmp_path), ready=lambda: False)
    answer = served.get("/readyz", auth=None)
    assert answer.status_code == 503
    assert "scheduler: not running" in answer.text


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Basic " + base64.b64encode(b"admin:wrong").decode(),
        "Basic " + base64.b64encode(f"root:{PASSWORD}".encode()).decode(),
        "Basic " + base64.b64encode(PASSWORD.encode()).decode(),  # no user at all
        "Basic not-base64!!",
        "Basic " + base64.b64encode(b"admin:\xff\xfe").decode(),  # not UTF-8
        "Bearer " + PASSWORD,
        "Basic " + "A" * 5000,
    ],
)
@pytest.mark.parametrize("path", ["/", "/outbox", "/agreements/halton-st-helens-s31", "/nope"])
def test_admin_pages_need_the_admin_login(
    served: Served, path: str, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"authorization": authorization}
    answer = httpx.get(served.url + path, headers=headers, timeout=30)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith('Basic realm="Concordat"')
    assert "Halton" not in answer.text


def test_without_a_password_the_admin_pages_are_closed_and_say_how_to_open_them(
    tmp_path: Path, serve: Callable[..., Served]
) -> None:
    served = serve(make_app(tmp_path), password=None)
    for auth in (None, ("admin", ""), ("admin", PASSWORD)):
        answer = served.get("/", auth=auth)
        assert answer.status_code == 503
        assert "CONCORDAT_ADMIN_PASSWORD" in answer.text
        assert "Halton" not in answer.text
    assert served.get("/healthz", auth=None).status_code == 200
    assert served.get("/me/whatever", auth=None).status_code == 404


def test_every_response_carries_the_security_headers(served: Served) -> None:
    answers = [
        served.get("/"),
        served.get("/", auth=None),
        served.get("/healthz", auth=None),
        served.get("/readyz", auth=None),
        served.get("/static/style.css", auth=None),
        served.get("/agreements/no-such-agreement"),
        served.get("/feeds/" + "0" * 64 + ".ics", auth=None),
        served.get("/me/" + "0" * 64, auth=None),
        served.get("/outbox?offset=-1"),
    ]
    for answer in answers:
        assert answer.headers["content-security-policy"] == CSP, answer.url
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "no-referrer"
    assert all("<script" not in answer.text for answer in answers)


def test_errors_from_the_app_become_statuses(served: Served) -> None:
    assert served.get("/agreements/no-such-agreement").status_code == 404
    assert "no-such-agreement" in served.get("/agreements/no-such-agreement").text
    for offset in ("-1", "abc", "1e3", "9" * 40, "%0d%0aX-Injected:%201"):
        answer = served.get(f"/outbox?offset={offset}")
        assert answer.status_code == 422, offset
        assert "x-injected" not in answer.headers
    assert served.get("/agreements/" + "x" * 10_000).status_code in (404, 414)
    odd = served.get("/agreements/%0d%0aSet-Cookie:%20x=1")
    assert odd.status_code == 404
    assert "x=1" not in odd.headers.get("set-cookie", "")


def test_pages_are_gzipped_when_asked(served: Served) -> None:
    with httpx.Client(timeout=30) as client:
        answer = client.get(served.url + "/", auth=("admin", PASSWORD),
                            headers={"accept-encoding": "gzip"})  # fmt: skip
    assert answer.headers["content-encoding"] == "gzip"
    assert "Halton" in answer.text  # httpx inflated it


async def _form(request: Request) -> Response:
    """A route using the CSRF helpers as a recording form does."""
    if request.method == "GET":
        response = PlainTextResponse(csrf_token(request))
        set_csrf_cookie(request, response)
        return response
    check_csrf(request, await request.form())
    return PlainTextResponse("recorded")


FORM = Route("/test-form", _form, methods=["GET", "POST"])


def test_csrf_refuses_forms_without_the_token_of_their_cookie_or_from_another_site(
    tmp_path: Path, serve: Callable[..., Served]
) -> None:
    base = serve(make_app(tmp_path), routes=[FORM]).url
    auth = ("admin", PASSWORD)
    with httpx.Client(base_url=base, auth=auth, timeout=30) as browser:
        first = browser.get("/test-form")
        token, cookie = first.text, browser.cookies[CSRF_COOKIE]
        assert re.fullmatch(r"[0-9a-f]{64}", token)
        assert token != cookie
        set_cookie = first.headers["set-cookie"].lower()
        assert "httponly" in set_cookie
        assert "samesite=strict" in set_cookie
        assert "secure" not in set_cookie  # the examples' public URL is http
        assert browser.get("/test-form").text == token  # the same while the cookie lives
        ok = browser.post("/test-form", data={CSRF_FIELD: token})
        assert (ok.status_code, ok.text) == (200, "recorded")
        refused = [
            browser.post("/test-form", data={}),
            browser.post("/test-form", data={CSRF_FIELD: "0" * 64}),
            browser.post("/test-form", data={CSRF_FIELD: token + "\r\nX: y"}),
            browser.post("/test-form", data={CSRF_FIELD: "é" * 10_000}),
            browser.post(
                "/test-form", data={CSRF_FIELD: token}, headers={"origin": "https://evil.example"}
            ),
            browser.post("/test-form", data={CSRF_FIELD: token}, headers={"origin": "null"}),
        ]
        assert [answer.status_code for answer in refused] == [403] * len(refused)
        assert "CSRF" in refused[0].text
        same_site = browser.post("/test-form", data={CSRF_FIELD: token}, headers={"origin": base})
        assert same_site.status_code == 200
    with httpx.Client(base_url=base, auth=auth, timeout=30) as stranger:
        # the token alone, without the browser's cookie, is worth nothing
        assert stranger.post("/test-form", data={CSRF_FIELD: token}).status_code == 403
        stranger.cookies.set(CSRF_COOKIE, "y" * 43)
        assert stranger.post("/test-form", data={CSRF_FIELD: token}).status_code == 403


def test_a_taken_port_is_refused_in_one_line() -> None:
    first = listen("127.0.0.1", 0)
    port = first.getsockname()[1]
    try:
        with pytest.raises(PortUnusable, match=f"cannot listen on 127.0.0.1:{port}: the address is "
                           "already in use"):  # fmt: skip
            listen("127.0.0.1", port)
    finally:
        first.close()


async def _broken(request: Request) -> Response:
    raise RuntimeError("a bug")


def test_an_unexpected_error_is_a_bare_500_that_still_carries_the_headers(
    tmp_path: Path, serve: Callable[..., Served]
) -> None:
    served = serve(make_app(tmp_path), routes=[Route("/broken", _broken)])
    answer = served.get("/broken")
    assert answer.status_code == 500
    assert "a bug" not in answer.text  # no traceback for the browser
    assert answer.headers["content-security-policy"] == CSP


@pytest.mark.parametrize(
    ("path", "public"),
    [
        ("/healthz", True),
        ("/readyz", True),
        ("/feeds/abc.ics", True),
        ("/me/abc", True),
        ("/sign/abc", True),
        ("/static/style.css", True),
        ("/", False),
        ("/healthz/", False),
        ("/healthzx", False),
        ("/outbox", False),
        ("/agreements/x/record/extend", False),
        ("/feeds", False),
        ("/mex/abc", False),
        ("//me/abc", False),
    ],
)
def test_only_probes_and_token_paths_are_public(path: str, public: bool) -> None:
    assert is_public(path) is public


def test_the_status_table_gives_each_kind_of_error_its_status() -> None:
    from concordat.app import InvalidInput
    from jobs.ports import OutboxConflict
    from lifecycle.errors import ConcordatError, Refused, UnknownName
    from storage.engine import DatabaseError
    from web.server import HTTP_STATUSES, http_status

    assert http_status(UnknownName("agreement", "x", [])) == 404
    assert http_status(Refused("no")) == 409
    assert http_status(InvalidInput("bad")) == 422
    assert http_status(DatabaseError("down")) == 503
    assert http_status(OutboxConflict("a", ["k"])) == 503
    assert http_status(ConcordatError("other")) == 409
    assert http_status(RuntimeError("a bug")) == 500
    assert DatabaseError in HTTP_STATUSES  # the forms look statuses up in the table itself
