"""The intake's durability promise: every message that got 250 is stored and processed exactly once.

The SMTP server runs as a separate OS process on a database in tmp_path (SQLite, and
PostgreSQL when RIGHTSDESK_TEST_POSTGRES_URL is set). Eight clients send 25 messages each
with unique Message-IDs; in the middle of the burst the server is killed with SIGKILL (no
clean-up of any kind) and restarted on the same database and port. Clients retry whatever
did not get 250, as a real MTA would (RFC 5321 §4.5.4.1). The server stores through
``GroupCommitStore``, the production path, where one commit carries several sessions'
messages. Then the worker processes every stored message, and the test checks: nothing
acknowledged is lost, no stored message is processed twice, and the only duplicates are
messages whose 250 the kill swallowed.
"""

from __future__ import annotations

import email.parser
import importlib
import os
import signal
import smtplib
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, MetaData, String, Table, insert, select

from rightsdesk.bootstrap import build_app
from tests.conftest import make_settings
from tests.support.mail.smtp_intake import CUSTOMER_ADDRESS, PRIVACY_ADDRESS, request_message
from workflows.adapters.inbound_mail import InboundStatus
from workflows.adapters.orm import inbound_mail, jobs
from workflows.service_layer.jobs import ProcessEmail

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX"),
]

CLIENTS = 8
MESSAGES_PER_CLIENT = 25
KILL_AFTER_ACKNOWLEDGED = 60
BURST_DEADLINE_SECONDS = 120.0
START_TIMEOUT_SECONDS = 30.0

SERVER_SCRIPT = """
import sys, threading
from rightsdesk.bootstrap import build_app
from rightsdesk.settings import Settings
from mail_intake.config import SmtpInConfig
from mail_intake.server import SmtpIntake
from mail_intake.smtp_store import GroupCommitStore

url, base_dir, port, recipient = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
app = build_app(Settings.model_validate({"database": {"url": url}, "base_dir": base_dir}))
intake = SmtpIntake(SmtpInConfig(host="127.0.0.1", port=port, recipients=(recipient,)), GroupCommitStore(app.engine))
print(intake.start(), flush=True)
threading.Event().wait()
"""

# Test-only tables the stand-in processing writes: a stored row can be processed at most
# once (primary key), and a Message-ID takes effect at most once (unique).
_test_metadata = MetaData()
processed_rows = Table("durability_processed_rows", _test_metadata, Column("mail_id", String(64), primary_key=True))
processed_messages = Table(
    "durability_processed_messages",
    _test_metadata,
    Column("message_id", String(500), unique=True, nullable=False),
    Column("mail_id", String(64), nullable=False),
)


def _message_id(raw: bytes) -> str:
    headers = email.parser.BytesHeaderParser().parsebytes(raw)
    return str(headers["Message-ID"]).strip()


def stand_in_process_email(payload: Mapping[str, Any], uow: Any, engine: Any) -> None:
    """What processing must at least do: take effect once per Message-ID, in the job's transaction.

    A second copy of a message (its first 250 was lost to the kill, the client resent it) is
    marked ignored, as RFC 5321 §6.1 lets a receiver do with duplicates.
    """
    mail = uow.inbound.get(payload["mail_id"])
    message_id = _message_id(mail.raw)
    connection = uow.connection
    connection.execute(insert(processed_rows).values(mail_id=mail.id))
    seen = connection.execute(
        select(processed_messages.c.mail_id).where(processed_messages.c.message_id == message_id)
    ).first()
    now = engine.clock.now()
    if seen is not None:
        uow.inbound.mark(mail.id, InboundStatus.IGNORED, at=now, reason="duplicate of an accepted message")
        return
    connection.execute(insert(processed_messages).values(message_id=message_id, mail_id=mail.id))
    uow.inbound.mark(mail.id, InboundStatus.PROCESSED, at=now)


def _real_process_email() -> Any | None:
    """The processing engineer's job handler, once mail_intake.processing provides one."""
    try:
        module = importlib.import_module("mail_intake.processing")
    except ImportError:
        return None
    handler = getattr(module, "process_email", None)
    return handler if callable(handler) else None


class ServerProcess:
    def __init__(self, database_url: str, base_dir: Path) -> None:
        self._database_url = database_url
        self._base_dir = base_dir
        self.process: subprocess.Popen[str] | None = None
        self.port = 0

    def start(self) -> int:
        repo = Path(__file__).resolve().parents[3]
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                SERVER_SCRIPT,
                self._database_url,
                str(self._base_dir),
                str(self.port),
                PRIVACY_ADDRESS,
            ],
            cwd=repo,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = _readline_within(self.process, START_TIMEOUT_SECONDS)
        self.port = int(line)
        return self.port

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def _readline_within(process: subprocess.Popen[str], seconds: float) -> str:
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(process.stdout.readline() if process.stdout else ""))
    reader.start()
    reader.join(seconds)
    if not result or not result[0].strip():
        process.kill()
        pytest.fail("the SMTP server process did not report its port in time")
    return result[0]


@dataclass
class Burst:
    port: int
    acknowledged: dict[str, str] = field(default_factory=dict)
    """Message-ID -> the stored id the 250 reply named."""
    unanswered: set[str] = field(default_factory=set)
    """Message-IDs whose DATA was sent at least once without a 250 coming back."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send_until_accepted(self, message_id: str, deadline: float) -> None:
        raw = request_message(sender=CUSTOMER_ADDRESS, message_id=message_id)
        while time.monotonic() < deadline:
            data_sent = False
            try:
                with smtplib.SMTP("127.0.0.1", self.port, timeout=15) as client:
                    client.ehlo("mx.example.lv")
                    client.mail(CUSTOMER_ADDRESS)
                    client.rcpt(PRIVACY_ADDRESS)
                    data_sent = True
                    code, reply = client.data(raw)
                    if code == 250:
                        with self.lock:
                            self.acknowledged[message_id] = reply.decode().rsplit(" ", 1)[-1]
                        return
            except (OSError, smtplib.SMTPException):
                pass
            if data_sent:
                with self.lock:
                    self.unanswered.add(message_id)
            time.sleep(0.05)

    def client(self, number: int, deadline: float) -> None:
        for index in range(MESSAGES_PER_CLIENT):
            self.send_until_accepted(f"<burst-{number}-{index}@example.lv>", deadline)

    def count(self) -> int:
        with self.lock:
            return len(self.acknowledged)


def test_every_acknowledged_message_survives_sigkill_and_is_processed_once(database_url: str, tmp_path: Path) -> None:
    server = ServerProcess(database_url, tmp_path)
    server.start()
    burst = Burst(port=server.port)
    deadline = time.monotonic() + BURST_DEADLINE_SECONDS
    clients = [threading.Thread(target=burst.client, args=(n, deadline)) for n in range(CLIENTS)]
    try:
        for thread in clients:
            thread.start()
        while burst.count() < KILL_AFTER_ACKNOWLEDGED and time.monotonic() < deadline:
            time.sleep(0.005)
        acknowledged_before_kill = burst.count()
        server.kill()
        server.start()  # same database, same port
        for thread in clients:
            thread.join(BURST_DEADLINE_SECONDS)
    finally:
        server.kill()

    total = CLIENTS * MESSAGES_PER_CLIENT
    assert 0 < acknowledged_before_kill < total, "the kill did not land in the middle of the burst"
    assert burst.count() == total, "some messages never got 250 even after the restart"

    app = build_app(make_settings(database_url, tmp_path))
    try:
        _test_metadata.create_all(app.database)
        real = _real_process_email()
        worker = app.worker("durability")
        handler = real or stand_in_process_email
        worker.registry.register(
            ProcessEmail, lambda job, uow, engine: handler(job.to_json(), uow, engine), replace=True
        )
        while worker.run_once():
            pass
        with app.database.connect() as connection:
            stored = connection.execute(select(inbound_mail.c.id, inbound_mail.c.raw, inbound_mail.c.status)).all()
            unfinished = connection.execute(
                select(jobs.c.id).where(jobs.c.kind == "process_email", jobs.c.status != "done")
            ).all()
            rows_processed = connection.execute(select(processed_rows.c.mail_id)).scalars().all()
            messages_processed = dict(
                connection.execute(select(processed_messages.c.message_id, processed_messages.c.mail_id)).all()
            )
    finally:
        app.close()

    stored_ids = {row.id: _message_id(bytes(row.raw)) for row in stored}
    # No loss: the very row each 250 named is in the database with that message.
    for message_id, mail_id in burst.acknowledged.items():
        assert stored_ids.get(mail_id) == message_id
    # Every stored message was processed: its job completed, its status is final.
    assert unfinished == []
    assert all(row.status != InboundStatus.STORED for row in stored)
    # Extra copies exist only for messages whose 250 was lost to the kill.
    copies = [message_id for message_id in stored_ids.values()]
    duplicated = {message_id for message_id in copies if copies.count(message_id) > 1}
    assert duplicated <= burst.unanswered
    if real is None:
        # Exactly once: each stored row processed once (primary key), each message once (unique).
        assert sorted(rows_processed) == sorted(stored_ids)
        assert set(messages_processed) == set(burst.acknowledged)
