"""Shared by the recording-form tests: an App on the examples at a chosen day, a logged-in
browser that keeps its CSRF cookie, and the form round trip (form, confirmation, record)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

from concordat.app import App
from jobs.clock import FixedClock
from lifecycle import commands as c
from lifecycle.facts import Fact
from tests.conftest import EXAMPLES
from tests.web.conftest import PASSWORD

SECRET = "forms-test-secret-" + "x" * 30
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
FormData = Mapping[str, str | Sequence[str]]


def app_at(tmp_path: Path, day: dt.date, name: str = "page", db: str | None = None) -> App:
    """An App on the examples whose clock reads 10:00 UTC on `day`, on its own SQLite file
    (or `db`)."""
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    environ = {"CONCORDAT_DATA": str(folder), "CONCORDAT_SECRET": SECRET}
    clock = FixedClock(dt.datetime.combine(day, dt.time(10, 0), tzinfo=dt.UTC))
    url = db or f"sqlite:///{folder}/concordat.db"
    return App.from_environment(EXAMPLES, url, clock=clock, environ=environ)


def facts_of(app: App, agreement: str) -> list[Fact]:
    return [item.fact for item in app.stores.writer().history(agreement)]


def record_all(app: App, commands: Sequence[c.Command]) -> None:
    for command in commands:
        app.record(command)


class Browser:
    """An administrator's browser: logged in, keeping its cookies (the CSRF cookie)."""

    def __init__(self, url: str, auth: tuple[str, str] | None = ("admin", PASSWORD)) -> None:
        self.client = httpx.Client(base_url=url, auth=auth, timeout=60)

    def token(self, path: str) -> str:
        page = self.client.get(path)
        assert page.status_code == 200, page.text
        found = CSRF.search(page.text)
        assert found is not None, page.text
        return found.group(1)

    def post(self, path: str, data: FormData, *, token_from: str | None = None) -> httpx.Response:
        """Post `data` with the CSRF token of the page at `token_from` (default `path`)."""
        token = self.token(token_from or path)
        return self.client.post(path, data={**data, "csrf": token})

    def close(self) -> None:
        self.client.close()


def hidden_fields(page: str) -> list[tuple[str, str]]:
    """The confirmation page's hidden inputs, as the browser would send them back."""
    import html

    pairs = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    return [(name, html.unescape(value)) for name, value in pairs]
