"""`rightsdesk serve` as operators run it: a separate process, health and metrics over HTTP,
and a clean stop on SIGTERM (what systemd and container runtimes send)."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM semantics are POSIX")

START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(tmp_path: Path, port: int, *extra: str) -> subprocess.Popen[bytes]:
    config = tmp_path / "rightsdesk.toml"
    config.write_text(
        '[database]\nurl = "sqlite:///serve.db"\n\n'
        f'[serve]\nhost = "127.0.0.1"\nport = {port}\n\n'
        f'[smtp_in]\nhost = "127.0.0.1"\nport = {_free_port()}\n\n'
        "[worker]\nidle_seconds = 0.2\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not (k.startswith("RIGHTSDESK_") and "__" in k)}
    env.pop("RIGHTSDESK_CONFIG", None)
    command = [sys.executable, "-c", "from rightsdesk.cli import main; raise SystemExit(main())"]
    return subprocess.Popen(
        [*command, "--config", str(config), "serve", *extra],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = _free_port()
    process = _start(tmp_path, port)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(process, base)
        yield process, base
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=STOP_TIMEOUT)


def _wait_until_healthy(process: subprocess.Popen[bytes], base: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            _out, err = process.communicate()
            pytest.fail(f"rightsdesk serve exited with {process.returncode}: {err.decode()[-2000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"/healthz did not answer 200 within {START_TIMEOUT} s")


def test_healthz_reports_ok(server: tuple[subprocess.Popen[bytes], str]) -> None:
    _process, base = server
    response = httpx.get(f"{base}/healthz", timeout=5.0)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "problems": {}}


def test_metrics_are_prometheus_text_with_open_requests(server: tuple[subprocess.Popen[bytes], str]) -> None:
    _process, base = server
    response = httpx.get(f"{base}/metrics", timeout=5.0)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE rightsdesk_requests_open gauge" in response.text
    assert "rightsdesk_requests_open 0.0" in response.text


def test_sigterm_stops_the_server_cleanly(server: tuple[subprocess.Popen[bytes], str]) -> None:
    process, _base = server
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=STOP_TIMEOUT) == 0


def _wait_for_first_scan(process: subprocess.Popen[bytes], database: Path) -> None:
    """The worker offers its periodic jobs on its first turn: then it is surely running."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"rightsdesk serve exited with {process.returncode}")
        if database.exists():
            with closing(sqlite3.connect(database, timeout=5)) as connection:
                try:
                    if connection.execute("SELECT 1 FROM jobs WHERE kind = 'scan_deadlines'").fetchone():
                        return
                except sqlite3.OperationalError:
                    pass  # the schema is not there yet
        time.sleep(0.1)
    pytest.fail(f"the worker did not start within {START_TIMEOUT} s")


def test_worker_only_serve_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    process = _start(tmp_path, _free_port(), "--only", "worker")
    try:
        _wait_for_first_scan(process, tmp_path / "serve.db")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=STOP_TIMEOUT) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=STOP_TIMEOUT)
