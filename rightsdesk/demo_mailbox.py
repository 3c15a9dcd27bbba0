"""The demo's outgoing relay: a loopback SMTP server that writes every message it accepts as an
``.eml`` file, so a person trying rightsdesk can open the replies it sent in a mail reader."""

from __future__ import annotations

import re
import socket
import threading
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

LOOPBACK = "127.0.0.1"


def free_port(preferred: int | None = None) -> int:
    """``preferred`` when nothing listens on it, else a port the OS chooses."""
    for candidate in ((preferred,) if preferred else ()) + (0,):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((LOOPBACK, candidate))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise OSError("no free port on the loopback interface")


class _WriteEml:
    def __init__(self, mailbox: EmlMailbox) -> None:
        self._mailbox = mailbox

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        self._mailbox.write(content if isinstance(content, bytes) else content.encode())
        return "250 2.0.0 Message accepted"


class EmlMailbox:
    """Accepts mail on 127.0.0.1:``port`` and writes ``NNN-<recipient>-<subject>.eml`` into ``directory``."""

    def __init__(self, directory: Path, port: int) -> None:
        self.directory = directory
        self.port = port
        self._lock = threading.Lock()
        self._controller = Controller(_WriteEml(self), hostname=LOOPBACK, port=port, server_hostname="demo-relay")

    def write(self, data: bytes) -> Path:
        message = message_from_bytes(data, policy=policy.default)
        recipient = _slug(str(message.get("To", "unknown")), 40)
        subject = _slug(str(message.get("Subject", "")), 60)
        with self._lock:
            number = len(list(self.directory.glob("*.eml"))) + 1
            path = self.directory / f"{number:03d}-{recipient}-{subject}.eml"
            path.write_bytes(data)
        return path

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


def _slug(text: str, limit: int) -> str:
    found = re.search(r"<([^>]+)>", text)
    text = found.group(1) if found else text
    return re.sub(r"[^\w@.]+", "_", text, flags=re.UNICODE).strip("_")[:limit] or "none"
