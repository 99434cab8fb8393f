"""`concordat serve` and `concordat run` serving the web, as subprocesses."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import EXAMPLES

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1", "CONCORDAT_DATA": str(tmp_path),
            "CONCORDAT_ADMIN_PASSWORD": "pw", "CONCORDAT_SECRET": "s" * 40}  # fmt: skip


def wait_for(url: str, process: subprocess.Popen[str], seconds: float = 60) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        assert process.poll() is None, process.communicate()
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            assert time.monotonic() < deadline, f"{url} never answered"
            time.sleep(0.1)


def stop(process: subprocess.Popen[str]) -> tuple[str, str]:
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    return out, err


def test_serve_answers_healthz_and_a_taken_port_is_one_line_and_exit_2(tmp_path: Path) -> None:
    env = environment(tmp_path)
    subprocess.run([sys.executable, "-m", "concordat", "db", "upgrade"], env=env, cwd=tmp_path,
                   check=True, capture_output=True, timeout=120)  # fmt: skip
    port = free_port()
    command = [sys.executable, "-m", "concordat", "serve", "--config", str(EXAMPLES),
               "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    server = subprocess.Popen(command, env=env, cwd=tmp_path, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    try:
        health = wait_for(f"http://127.0.0.1:{port}/healthz", server)
        assert (health.status_code, health.text) == (200, "ok")
        assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200
        page = httpx.get(f"http://127.0.0.1:{port}/", auth=("admin", "pw"), timeout=30)
        assert page.status_code == 200
        second = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True,
                                timeout=120)  # fmt: skip
        assert second.returncode == 2
        assert second.stderr.strip() == (
            f"error: cannot listen on 127.0.0.1:{port}: the address is already in use"
        )
        assert "Traceback" not in second.stderr
    finally:
        out, _ = stop(server)
    assert f"serving the dashboard at http://127.0.0.1:{port}" in out


def test_run_serves_the_dashboard_beside_the_scheduler_and_stops_both_on_sigterm(
    tmp_path: Path,
) -> None:
    port = free_port()
    command = [sys.executable, "-m", "concordat", "run", "--config", str(EXAMPLES),
               "--port", str(port)]  # fmt: skip
    service = subprocess.Popen(command, env=environment(tmp_path), cwd=tmp_path, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    try:
        ready = wait_for(f"http://127.0.0.1:{port}/readyz", service)
        assert (ready.status_code, ready.text) == (200, "ready")
        outbox = httpx.get(f"http://127.0.0.1:{port}/outbox", auth=("admin", "pw"), timeout=30)
        assert outbox.status_code == 200
    finally:
        out, _ = stop(service)
    assert f"  dashboard: http://127.0.0.1:{port}" in out
    assert out.rstrip().endswith("concordat: stopped; nothing held")
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (("--port", "70000"), "Invalid value for '--port'"),
        (("--port", "eighty"), "Invalid value for '--port'"),
        (("--host", "no-such-host.invalid"), "cannot listen on no-such-host.invalid:"),
        (("--host", "127.0.0.1\r\nX: y"), "cannot listen on 127.0.0.1"),
    ],
)
def test_serve_refuses_where_it_cannot_listen_with_exit_2(
    tmp_path: Path, options: tuple[str, str], said: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "concordat", "serve", "--config", str(EXAMPLES), *options],
        env=environment(tmp_path), cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert said in result.stderr
    assert "Traceback" not in result.stderr
