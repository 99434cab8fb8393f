"""A real uvicorn on 127.0.0.1 (a free port) in a thread, serving the web app over an App
on the example configuration, a SQLite file and a fixed clock."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from starlette.routing import BaseRoute

from concordat.app import App
from jobs.clock import FixedClock
from tests.conftest import EXAMPLES
from web.server import build_web, listen, web_server

# Halton and St Helens (the one example with a notice rule) is running on this day.
TODAY = dt.datetime(2009, 6, 1, 8, 0, tzinfo=dt.UTC)
PASSWORD = "correct horse battery staple"


@dataclass
class Served:
    """A running server: its base URL and the App behind it."""

    url: str
    app: App

    def get(self, path: str, *, auth: tuple[str, str] | None = ("admin", PASSWORD),
            **options: object) -> httpx.Response:  # fmt: skip
        return httpx.get(self.url + path, auth=auth, timeout=30, **options)  # type: ignore[arg-type]


def make_app(tmp_path: Path, db: str | None = None, *, planned: bool | None = None) -> App:
    """An App on the examples and a SQLite file in `tmp_path`, or `db`; planned unless told
    (by default, only the SQLite file)."""
    environ = {"CONCORDAT_DATA": str(tmp_path), "CONCORDAT_SECRET": "s" * 40}
    app = App.from_environment(EXAMPLES, db or f"sqlite:///{tmp_path}/concordat.db",
                               clock=FixedClock(TODAY), environ=environ)  # fmt: skip
    if planned if planned is not None else db is None:
        app.replan()
    return app


@pytest.fixture
def serve() -> Iterator[Callable[..., Served]]:
    """Start servers; each is stopped when the test ends."""
    stops: list[Callable[[], None]] = []

    def start(app: App, password: str | None = PASSWORD, ready: Callable[[], bool] | None = None,
              routes: Sequence[BaseRoute] = ()) -> Served:  # fmt: skip
        sock = listen("127.0.0.1", 0)
        web = build_web(app, admin_password=password, ready=ready)
        web.router.routes.extend(routes)
        server = web_server(web)
        thread = threading.Thread(target=asyncio.run, args=(server.serve(sockets=[sock]),))
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)

        def stop() -> None:
            server.stop()
            thread.join(20)
            sock.close()
            app.close()

        stops.append(stop)
        return Served(f"http://127.0.0.1:{sock.getsockname()[1]}", app)

    yield start
    for stop in stops:
        stop()


@pytest.fixture
def served(tmp_path: Path, serve: Callable[..., Served]) -> Served:
    """The examples served with the admin password set."""
    return serve(make_app(tmp_path))
