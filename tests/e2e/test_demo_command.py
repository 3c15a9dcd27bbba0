"""`rightsdesk demo`, as the README's first command runs it after the install: a new user's
first minutes. Runs the real command in a subprocess in an empty folder, follows the chat step
of the printed guide through the chat page's endpoints, and stops it with Ctrl+C (SIGINT)."""

from __future__ import annotations

import email
import re
import signal
import subprocess
import sys
import time
from email import policy
from pathlib import Path

import httpx
import pytest

DEMO_HEADER = {"X-Rightsdesk-Demo": "chat"}


def _read_until(process: subprocess.Popen[str], marker: str, timeout: float) -> str:
    """The demo's output up to and including the line holding ``marker``."""
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                break
            continue
        lines.append(line)
        if marker in line:
            return "".join(lines)
    pytest.fail(f"the demo did not print {marker!r} in {timeout} s:\n{''.join(lines)}")


def _chat(page: str, path: str) -> str:
    base = page.split("?")[0].rstrip("/")
    return f"{base}/demo/chat/20000002/{path}"


@pytest.fixture
def demo(tmp_path: Path) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "rightsdesk", "demo", "--port", "0", "--smtp-port", "0"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
    )
    yield process
    if process.poll() is None:
        process.kill()
        process.wait(10)


def test_a_new_user_follows_the_printed_chat_step_to_a_verified_request(
    demo: subprocess.Popen[str], tmp_path: Path
) -> None:
    guide = _read_until(demo, "Press Ctrl+C here", timeout=180)
    assert "Notes:\n  - none" in guide, guide
    page = re.search(r"chat page (http://127\.0\.0\.1:\d+/\S*)", guide)
    assert page is not None, guide
    (reference,) = re.findall(r"(DSR-\d{4}-\d{6})\s+rectification\s+awaiting_identity", guide)

    # "Press 'Kods uz e-pastu vai tālruni'": on the bot's message that offers it.
    shown = httpx.get(_chat(page.group(1), "messages"), params={"after": 0}, timeout=10).json()["messages"]
    offer = next(
        m for m in shown if any(b.get("callback_data") == f"v:otc:{reference}" for r in m["buttons"] for b in r)
    )
    pressed = httpx.post(
        _chat(page.group(1), "press"),
        headers=DEMO_HEADER,
        timeout=10,
        json={"data": f"v:otc:{reference}", "message_id": offer["message_id"], "first_name": "Jānis"},
    )
    assert pressed.status_code == 200

    # "open the newest .eml for janis.ozols@example.lv in outbox-mail and type the six digits"
    outbox_mail = tmp_path / "rightsdesk-demo" / "outbox-mail"
    deadline = time.monotonic() + 30
    code_mails: list[Path] = []
    while not code_mails and time.monotonic() < deadline:
        code_mails = sorted(outbox_mail.glob(f"*janis.ozols@example.lv-{reference.replace('-', '_')}*kods*.eml"))
        time.sleep(0.2)
    assert code_mails, sorted(p.name for p in outbox_mail.iterdir())
    message = email.message_from_bytes(code_mails[-1].read_bytes(), policy=policy.default)
    code = re.search(r"(?<![-\d])(\d{6})(?!\d)", message.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert code is not None
    httpx.post(
        _chat(page.group(1), "send"),
        headers=DEMO_HEADER,
        timeout=10,
        json={"text": code.group(1), "first_name": "Jānis"},
    )

    deadline = time.monotonic() + 30
    said: list[str] = []
    while time.monotonic() < deadline and "Paldies, Jūsu identitāte ir apstiprināta." not in said:
        said = [m["text"] for m in httpx.get(_chat(page.group(1), "messages"), timeout=10).json()["messages"]]
        time.sleep(0.2)
    assert "Paldies, Jūsu identitāte ir apstiprināta." in said

    demo.send_signal(signal.SIGINT)
    rest, _ = demo.communicate(timeout=60)
    assert demo.returncode == 0, rest
    assert "rightsdesk demo stopped" in rest and "Traceback" not in rest
