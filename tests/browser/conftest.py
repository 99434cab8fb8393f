"""The browser tests' harness: a real `concordat serve` on 127.0.0.1 (a subprocess over a copy
of the example configuration, a fresh SQLite database and data directory), Debian's headless
Chromium driven by Playwright, a screenshot of every step under test-artifacts/screenshots/,
and `check_accessibility`, which runs axe-core in the page.

Chromium and axe-core come from scripts/ensure-browser.sh (which scripts/test.sh and so CI
run). When either is missing the tests fail, saying so: a browser test that quietly skips on a
machine without a browser would let CI pass on nothing. `CONCORDAT_SKIP_BROWSER=1` is the one
way to leave them out, on purpose.

Playwright's sync API is used: it refuses to start inside a running asyncio loop, and these
tests and fixtures are plain functions, so pytest-asyncio (asyncio_mode=auto) gives them none.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.conftest import EXAMPLES

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN_PASSWORD = "browser-test-admin-password"
SECRET = "browser-test-site-secret-of-at-least-32-characters"
BLOCKING_IMPACTS = ("serious", "critical")
STARTUP_SECONDS = 30.0


def pytest_configure(config: pytest.Config) -> None:
    """Registers the marker here (pyproject.toml belongs to the whole project); `--strict-markers`
    would refuse it otherwise."""
    config.addinivalue_line(
        "markers", "browser: drives headless Chromium against a real `concordat serve`"
    )


def _skipped() -> bool:
    return os.environ.get("CONCORDAT_SKIP_BROWSER") == "1"


def require_tools() -> None:
    """Skip only when asked to; otherwise fail, naming what is missing and how to get it."""
    if _skipped():
        pytest.skip("CONCORDAT_SKIP_BROWSER=1")
    missing = [str(p) for p in (CHROMIUM, AXE) if not p.is_file()]
    if missing:
        pytest.fail(
            f"browser tests need {', '.join(missing)}: run scripts/ensure-browser.sh "
            "(or set CONCORDAT_SKIP_BROWSER=1 to leave these tests out)",
            pytrace=False,
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Server:
    """A running `concordat serve`, and what a test needs to run other commands beside it."""

    url: str
    config: Path
    db: str
    env: dict[str, str]
    cwd: Path

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `concordat ARGS` on the same configuration, database and secret as the server;
        fails the test, with its output, when it exits non-zero."""
        done = subprocess.run(
            [sys.executable, "-m", "concordat", *args],
            cwd=self.cwd, env=self.env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            pytest.fail(f"concordat {' '.join(args)} exited {done.returncode}:\n"
                        f"{done.stdout}\n{done.stderr}")  # fmt: skip
        return done


def site_config(directory: Path, port: int) -> Path:
    """A copy of the example configuration whose [web] table names this server, so feed URLs and
    signed links point at it."""
    target = directory / "config"
    shutil.copytree(EXAMPLES, target)
    site = target / "site.toml"
    text, count = re.subn(
        r"(?m)^port = 8080\b.*$",
        f'port = {port}\nbase_url = "http://127.0.0.1:{port}"',
        site.read_text(encoding="utf-8"),
    )
    assert count == 1, "config/examples/site.toml no longer has `port = 8080` under [web]"
    site.write_text(text, encoding="utf-8")
    return target


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll /healthz until it answers 200; fail with the server's log if it dies or is slow."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"concordat serve exited {process.returncode}:\n{log.read_text()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    pytest.fail(f"concordat serve not healthy after {STARTUP_SECONDS}s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`concordat serve` over the examples, planned first so the outbox has rows to show."""
    require_tools()
    directory = tmp_path_factory.mktemp("serve")
    port = free_port()
    config = site_config(directory, port)
    db = f"sqlite:///{directory / 'concordat.db'}"
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "CONCORDAT_CONFIG": str(config),
        "CONCORDAT_DB": db,
        "CONCORDAT_DATA": str(directory / "data"),
        "CONCORDAT_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "CONCORDAT_SECRET": SECRET,
    }
    served = Server(f"http://127.0.0.1:{port}", config, db, env, directory)
    served.cli("replan")
    log = directory / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "concordat", "serve", "--host", "127.0.0.1",
             "--port", str(port)],
            cwd=directory, env=env, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_healthy(served.url, process, log)
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    # A page can look right while the server logged a crash behind it (a 500 the test never
    # read, a failure in a background task): any traceback fails the module.
    output = log.read_text(encoding="utf-8", errors="replace")
    if "Traceback" in output:
        pytest.fail(f"concordat serve logged a traceback:\n{output}")


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """Module-scoped, not session-scoped: between its calls Playwright's sync API marks its own
    asyncio loop as the running one, so while it is alive no other test could run a loop
    (pytest-asyncio's tests, `asyncio.run`). It ends with the browser tests' module."""
    require_tools()
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, never a downloaded one. Playwright gives each launch a fresh
    temporary profile (user data directory) and removes it on close."""
    launched = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield launched
    launched.close()


def new_context(browser: Browser, *, admin: bool) -> BrowserContext:
    """A context (cookies, cache) of its own; `admin` sends the administrator's HTTP Basic
    credentials. CSP is bypassed only so that axe-core can be injected."""
    credentials: Any = {"username": "admin", "password": ADMIN_PASSWORD} if admin else None
    context = browser.new_context(
        http_credentials=credentials,
        bypass_csp=True,
        viewport={"width": 1280, "height": 900},
        locale="en-GB",
        timezone_id="Europe/London",
    )
    context.set_default_timeout(10_000)
    return context


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keeps each phase's report on the test item, so that a page fixture can tell, as it
    closes, whether the test failed."""
    report = yield
    item.stash.setdefault(REPORTS, {})[call.when] = report
    return report


REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


def _open_page(browser: Browser, request: pytest.FixtureRequest, *, admin: bool) -> Iterator[Page]:
    """A page in a context of its own; when the test fails, the page as it was is saved as
    `<test>-failed.png` beside the step screenshots."""
    context = new_context(browser, admin=admin)
    page = context.new_page()
    yield page
    call = request.node.stash.get(REPORTS, {}).get("call")
    if call is not None and call.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(Exception):  # the page may be gone; the failure says why
            path = SCREENSHOTS / f"{_safe(request.node.name)}-failed.png"
            page.screenshot(path=str(path), full_page=True)
    context.close()


@pytest.fixture
def admin_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page signed in as the administrator (HTTP Basic)."""
    yield from _open_page(browser, request, admin=True)


@pytest.fixture
def public_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page with no credentials: what a contact opening their link sees."""
    yield from _open_page(browser, request, admin=False)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


class Shots:
    """Numbered screenshots of one test's steps, under test-artifacts/screenshots/."""

    def __init__(self, test_name: str) -> None:
        self.prefix = _safe(test_name)
        self.count = 0
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def __call__(self, page: Page, step: str) -> Path:
        self.count += 1
        path = SCREENSHOTS / f"{self.prefix}-{self.count:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Shots:
    return Shots(request.node.name)


AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(" ") + " :: " + n.failureSummary),
  }));
}"""


def accessibility_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations for the page as it stands, every impact."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(AXE_RUN)
    return found


def check_accessibility(page: Page) -> None:
    """Fail listing every serious or critical axe-core violation on the page."""
    blocking = [v for v in accessibility_violations(page) if v["impact"] in BLOCKING_IMPACTS]
    if blocking:
        lines = [f"{len(blocking)} serious/critical accessibility violation(s) on {page.url}:"]
        for v in blocking:
            lines.append(f"- [{v['impact']}] {v['id']}: {v['help']}")
            lines.extend(f"    {node}" for node in v["nodes"])
        pytest.fail("\n".join(lines), pytrace=False)
