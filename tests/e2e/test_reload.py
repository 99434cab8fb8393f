"""`concordat run` follows its configuration directory: a valid change is re-planned within
seconds, an invalid one is logged with its errors and the last good configuration stays."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lifecycle.ids import split_follow_up
from storage.engine import make_engine
from storage.store import SqlStore
from tests.conftest import EXAMPLES

WAIT = 30.0


class Lines:
    """A subprocess's standard output, read line by line in a thread, waited on by text."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.seen: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        assert process.stdout is not None
        self.stream = process.stdout
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.stream:
            self._queue.put(line)

    def close(self) -> None:
        """After the process ended: the reader reaches the end, then the pipe is closed."""
        self.reader.join(timeout=WAIT)
        self.stream.close()

    def wait_for(self, text: str, timeout: float = WAIT) -> str:
        """The first line from now on that contains `text`."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"no line with {text!r} within {timeout} s: {self.seen[-20:]}")


@contextmanager
def running_service(cwd: Path, *args: str) -> Iterator[tuple[subprocess.Popen[str], Lines]]:
    """`concordat run ARGS` as a subprocess with its output read line by line; killed if
    still running when the block ends (its standard error is kept in `cwd/stderr`)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with (cwd / "stderr").open("w", encoding="utf-8") as errors:
        service = subprocess.Popen(
            [sys.executable, "-m", "concordat", "run", "--no-web", *args],
            cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=errors, text=True,
        )  # fmt: skip
        lines = Lines(service)
        try:
            lines.wait_for("stop with Ctrl-C or SIGTERM")
            yield service, lines
        finally:
            if service.poll() is None:
                service.kill()
            service.wait()
            lines.close()


def stop(service: subprocess.Popen[str], lines: Lines) -> None:
    """SIGTERM, then wait for the clean stop."""
    service.send_signal(signal.SIGTERM)
    lines.wait_for("stopped; nothing held")
    service.wait(timeout=60)


def test_the_service_follows_changes_and_keeps_the_last_good_configuration(
    tmp_path: Path,
) -> None:
    config = tmp_path / "config"
    shutil.copytree(EXAMPLES, config)
    db = f"sqlite:///{tmp_path / 'c.db'}"
    with running_service(tmp_path, "--config", str(config), "--db", db) as (service, lines):
        time.sleep(1)  # the watcher starts with the service
        source = (config / "sefton-partnership.toml").read_text(encoding="utf-8")
        copy = source.replace('id = "sefton-partnership"', 'id = "sefton-copy"', 1)
        assert copy != source
        (config / "sefton-copy.toml").write_text(copy, encoding="utf-8")
        added = lines.wait_for("reloaded:")
        assert "1 changed (sefton-copy)" in added
        store = SqlStore(make_engine(db))
        assert store.outbox("sefton-copy"), "the new agreement was planned"

        (config / "broken.toml").write_text("id = [\n", encoding="utf-8")
        lines.wait_for("invalid-configuration:")
        lines.wait_for("broken.toml")
        lines.wait_for("the last good configuration stays")
        assert service.poll() is None, "an invalid change does not stop the service"
        (config / "broken.toml").unlink()
        lines.wait_for("the configuration is valid again")

        (config / "sefton-copy.toml").unlink()
        removed = lines.wait_for("reloaded:")
        assert "1 removed (sefton-copy)" in removed
        rows = store.outbox("sefton-copy")
        pending = [e.message.key for e in rows if e.state.value == "pending"]
        # only follow-ups of invites already sent (their series ended or cancelled)
        assert all(split_follow_up(key)[1] for key in pending), pending
        assert any(e.state.value == "withdrawn" for e in rows), "the rest is withdrawn"
        store.engine.dispose()
        stop(service, lines)
    assert service.returncode == 0, (tmp_path / "stderr").read_text(encoding="utf-8")
