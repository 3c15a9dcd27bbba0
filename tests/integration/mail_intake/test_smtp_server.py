"""The inbound SMTP/LMTP server on 127.0.0.1 (OS-chosen port), driven by smtplib.

Runs on SQLite and, when RIGHTSDESK_TEST_POSTGRES_URL is set, on PostgreSQL (the ``app``
fixture): a 250 must mean the raw message is committed, byte for byte.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from mail_intake.config import SmtpInConfig
from mail_intake.server import SmtpIntake
from mail_intake.smtp_store import GroupCommitStore
from rightsdesk.bootstrap import App
from tests.support.mail.smtp_intake import (
    CUSTOMER_ADDRESS,
    PRIVACY_ADDRESS,
    request_message,
    self_signed_certificate,
)
from workflows.adapters.orm import inbound_mail, jobs
from workflows.service_layer.commands import StoreInboundEmail

BASE_CONFIG = SmtpInConfig(
    host="127.0.0.1", port=0, recipients=(PRIVACY_ADDRESS,), max_recipients=3, max_message_bytes=64 * 1024
)

StartIntake = Callable[..., SmtpIntake]


@pytest.fixture
def start_intake(app: App) -> Iterator[StartIntake]:
    """Start servers on free ports; each is stopped after the test."""
    started: list[SmtpIntake] = []

    def start(store: Callable[[StoreInboundEmail], str] | None = None, **changes: Any) -> SmtpIntake:
        intake = SmtpIntake(replace(BASE_CONFIG, **changes), store or app.engine.handle, clock=app.engine.clock)
        intake.start()
        started.append(intake)
        return intake

    yield start
    for intake in started:
        intake.stop()


def _client(intake: SmtpIntake) -> smtplib.SMTP:
    assert intake.port is not None
    return smtplib.SMTP("127.0.0.1", intake.port, local_hostname="client.example.lv", timeout=10)


def _stored(app: App) -> list[Any]:
    with app.database.connect() as connection:
        return list(connection.execute(select(inbound_mail)).all())


def _queued_jobs(app: App) -> list[Any]:
    with app.database.connect() as connection:
        return list(connection.execute(select(jobs).where(jobs.c.kind == "process_email")).all())


def test_message_to_privacy_address_is_stored_byte_for_byte_before_250(app: App, start_intake: StartIntake) -> None:
    intake = start_intake()
    # A line starting with a dot checks the dot-unstuffing (RFC 5321 §4.5.2); 8-bit UTF-8 body.
    raw = request_message(body="Lūdzu, dzēsiet manus datus.\r\n.tas ir punkts\r\nAr cieņu")
    with _client(intake) as client:
        client.ehlo()
        client.mail(CUSTOMER_ADDRESS)
        client.rcpt(PRIVACY_ADDRESS)
        code, reply = client.data(raw)
    assert code == 250
    (row,) = _stored(app)
    assert reply.decode().endswith(row.id)
    assert bytes(row.raw) == raw
    assert (row.mail_from, list(row.rcpt_to), row.peer) == (CUSTOMER_ADDRESS, [PRIVACY_ADDRESS], "127.0.0.1")


def test_group_commit_store_gives_each_concurrent_message_its_own_stored_row(
    app: App, start_intake: StartIntake
) -> None:
    intake = start_intake(store=GroupCommitStore(app.engine))
    raws = [request_message() for _ in range(12)]
    replies: list[bytes] = []

    def send(raw: bytes) -> None:
        with _client(intake) as client:
            client.ehlo()
            client.mail(CUSTOMER_ADDRESS)
            client.rcpt(PRIVACY_ADDRESS)
            code, reply = client.data(raw)
            if code == 250:
                replies.append(reply)

    threads = [threading.Thread(target=send, args=(raw,)) for raw in raws]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    stored = {row.id: bytes(row.raw) for row in _stored(app)}
    assert sorted(stored.values()) == sorted(raws)
    assert sorted(reply.decode().rsplit(" ", 1)[-1] for reply in replies) == sorted(stored)
    assert len(_queued_jobs(app)) == len(raws)


def test_stored_message_has_its_processing_job_queued(app: App, start_intake: StartIntake) -> None:
    intake = start_intake()
    with _client(intake) as client:
        client.sendmail(CUSTOMER_ADDRESS, [PRIVACY_ADDRESS], request_message())
    (row,) = _stored(app)
    (job,) = _queued_jobs(app)
    assert job.payload == {"mail_id": row.id}


def test_recipient_matches_case_insensitively(app: App, start_intake: StartIntake) -> None:
    intake = start_intake()
    with _client(intake) as client:
        client.ehlo()
        client.mail(CUSTOMER_ADDRESS)
        code, _ = client.rcpt(PRIVACY_ADDRESS.upper())
    assert code == 250


def test_unknown_recipient_is_refused_with_550(app: App, start_intake: StartIntake) -> None:
    intake = start_intake()
    with _client(intake) as client:
        client.ehlo()
        client.mail(CUSTOMER_ADDRESS)
        code, reply = client.rcpt("sales@shop.example.lv")
    assert code == 550
    assert reply.startswith(b"5.1.1")


@pytest.mark.parametrize("postmaster", ["postmaster", "Postmaster@shop.example.lv", "postmaster@rightsdesk.local"])
def test_postmaster_is_always_accepted(app: App, start_intake: StartIntake, postmaster: str) -> None:
    intake = start_intake()
    with _client(intake) as client:
        client.ehlo()
        client.mail(CUSTOMER_ADDRESS)
        code, _ = client.rcpt(postmaster)
    assert code == 250


def test_postmaster_of_another_domain_is_refused(app: App, start_intake: StartIntake) -> None:
    intake = start_intake()
    with _client(intake) as client:
        client.ehlo()
        client.mail(CUSTOMER_ADDRESS)
        code, _ = client.rcpt("postmaster@elsewhere.example.com")
    assert code == 550


def test_recipient_beyond_the_limit_gets_452(app: App, start_intake: StartIntake) -> None:
    intake = start_intake(max_recipients=2)
    with _client(intake) as client:
        client.ehlo()
        client.mail(CUSTOMER_ADDRESS)
        codes = [client.rcpt(PRIVACY_ADDRESS)[0], client.rcpt("postmaster")[0]]
        code, reply = client.rcpt(PRIVACY_ADDRESS)
    assert codes == [250, 250]
    assert (code, reply[:5]) == (452, b"4.5.3")


def test_size_is_advertised_in_ehlo(app: App, start_intake: StartIntake) -> None:
    intake = start_intake()
    with _client(intake) as client:
        client.ehlo()
        assert client.esmtp_features.get("size") == str(BASE_CONFIG.max_message_bytes)


def test_declared_size_over_the_limit_is_refused_at_mail(app: App, start_intake: StartIntake) -> None:
    intake = start_intake()
    with _client(intake) as client:
        client.ehlo()
        code, reply = client.mail(CUSTOMER_ADDRESS, options=[f"SIZE={BASE_CONFIG.max_message_bytes + 1}"])
    assert (code, reply[:5]) == (552, b"5.3.4")


def test_message_over_the_limit_is_refused_with_552_and_not_stored(app: App, start_intake: StartIntake) -> None:
    intake = start_intake()
    with _client(intake) as client:
        client.ehlo()
        client.mail(CUSTOMER_ADDRESS)
        client.rcpt(PRIVACY_ADDRESS)
        code, reply = client.data(request_message(padding=BASE_CONFIG.max_message_bytes + 1000))
    assert (code, reply[:5]) == (552, b"5.3.4")
    assert _stored(app) == []


def test_storage_failure_answers_451_so_the_client_retries(app: App, start_intake: StartIntake) -> None:
    def broken_store(command: StoreInboundEmail) -> str:
        raise OSError("disk full")

    intake = start_intake(store=broken_store)
    with _client(intake) as client:
        client.ehlo()
        client.mail(CUSTOMER_ADDRESS)
        client.rcpt(PRIVACY_ADDRESS)
        code, reply = client.data(request_message())
    assert (code, reply[:5]) == (451, b"4.3.0")


def test_starttls_with_configured_certificate_carries_the_message(
    app: App, start_intake: StartIntake, tmp_path: Path
) -> None:
    cert, key = self_signed_certificate(tmp_path)
    intake = start_intake(tls_cert=cert, tls_key=key, require_starttls=True)
    context = ssl.create_default_context(cafile=str(cert))
    with _client(intake) as client:
        client.starttls(context=context)
        client.sendmail(CUSTOMER_ADDRESS, [PRIVACY_ADDRESS], request_message())
    assert len(_stored(app)) == 1


def test_required_starttls_refuses_mail_before_tls(app: App, start_intake: StartIntake, tmp_path: Path) -> None:
    cert, key = self_signed_certificate(tmp_path)
    intake = start_intake(tls_cert=cert, tls_key=key, require_starttls=True)
    with _client(intake) as client:
        client.ehlo()
        code, _ = client.mail(CUSTOMER_ADDRESS)
    assert code == 530


def test_lmtp_answers_once_per_recipient(app: App, start_intake: StartIntake) -> None:
    intake = start_intake(lmtp=True)
    assert intake.port is not None
    with smtplib.LMTP("127.0.0.1", intake.port, local_hostname="mx.example.lv", timeout=10) as client:
        client.ehlo_or_helo_if_needed()
        client.mail(CUSTOMER_ADDRESS)
        client.rcpt(PRIVACY_ADDRESS)
        client.rcpt("postmaster")
        code, _ = client.data(request_message())
        # smtplib reads the first reply only; the second recipient's reply follows it.
        second = client.getreply()
    assert code == 250
    assert second[0] == 250
    assert len(_stored(app)) == 1


def test_garbage_commands_get_replies_and_the_server_keeps_serving(app: App, start_intake: StartIntake) -> None:
    intake = start_intake()
    assert intake.port is not None
    with socket.create_connection(("127.0.0.1", intake.port), timeout=10) as raw:
        raw.recv(1024)
        raw.sendall(b"\xff\xfe\x00GARBAGE\r\nMAIL FROM:<<<>>>\r\nRCPT TO:\r\n" + b"A" * 5000 + b"\r\n")
        replies = raw.recv(4096)
    assert replies.startswith(b"5")
    with _client(intake) as client:
        client.sendmail(CUSTOMER_ADDRESS, [PRIVACY_ADDRESS], request_message())
    assert len(_stored(app)) == 1


def test_binary_junk_data_is_stored_as_it_came(app: App, start_intake: StartIntake) -> None:
    intake = start_intake()
    junk = bytes(range(256)) * 3 + b"\r\n" + b"\x00\x01\xfe" * 100 + b"\r\n"
    with _client(intake) as client:
        refused = client.sendmail(CUSTOMER_ADDRESS, [PRIVACY_ADDRESS], junk)
    assert refused == {}
    assert bytes(_stored(app)[0].raw) == junk


def test_overlong_data_line_gets_500_and_the_server_keeps_serving(app: App, start_intake: StartIntake) -> None:
    intake = start_intake()
    with _client(intake) as client:
        client.ehlo()
        client.mail(CUSTOMER_ADDRESS)
        client.rcpt(PRIVACY_ADDRESS)
        code, _ = client.data(b"\x00\xfe" * 2000 + b"\r\n")
        refused = client.sendmail(CUSTOMER_ADDRESS, [PRIVACY_ADDRESS], request_message())
    # Lines over 1000 octets break RFC 5321 §4.5.3.1.6; the session goes on.
    assert code == 500
    assert refused == {}
    assert len(_stored(app)) == 1
