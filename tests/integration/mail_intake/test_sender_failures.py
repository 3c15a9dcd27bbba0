"""Outbound mail when things go wrong: deferrals, refusals, a dead relay, a crash, two senders.

Exactly one send per outbox row while a lease holds; after a crash the resend carries the
same Message-ID. Runs on SQLite and PostgreSQL against a capturing aiosmtpd relay.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from mail_intake.config import SmtpOutConfig
from rightsdesk.bootstrap import App
from tests.conftest import FixedClock
from tests.support.mail.capture import LOOPBACK, CaptureSmtpServer
from tests.support.mail.outbound import (
    A_CUSTOMER,
    make_sender,
    open_by_email,
    outbox_rows,
    request_attention,
    send_batch,
)
from workflows.adapters import outbox
from workflows.domain.identity import ClaimedIdentity

LEASE = timedelta(minutes=2)
PLAIN_TEXT_AUTH = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
"""aiosmtpd warns about AUTH without TLS; fine on loopback, where these relays live."""


@pytest.fixture
def relay() -> Iterator[CaptureSmtpServer]:
    with CaptureSmtpServer() as server:
        yield server


def _closed_port_config() -> SmtpOutConfig:
    """A loopback port the OS gave us and nobody listens on: connections are refused."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port = int(probe.getsockname()[1])
    return SmtpOutConfig(host=LOOPBACK, port=port, timeout_seconds=2.0)


def test_temporary_refusal_is_retried_after_back_off(app: App, clock: FixedClock, relay: CaptureSmtpServer) -> None:
    open_by_email(app)
    relay.fail_next(1)
    sender = make_sender(app, relay.smtp_out_config())
    assert send_batch(sender) == 0
    assert send_batch(sender) == 0  # not before the back-off has passed
    clock.advance(seconds=30)
    assert send_batch(sender) == 1


def test_temporary_refusal_ends_in_exactly_one_delivery(app: App, clock: FixedClock, relay: CaptureSmtpServer) -> None:
    open_by_email(app)
    relay.fail_next(1)
    sender = make_sender(app, relay.smtp_out_config())
    send_batch(sender)
    clock.advance(minutes=10)
    send_batch(sender)
    clock.advance(hours=2)
    send_batch(sender)
    [row] = outbox_rows(app)
    assert (relay.data_attempts, len(relay.messages), row.status) == (2, 1, "sent")


def test_permanent_refusal_marks_the_row_dead_with_its_reason(app: App, relay: CaptureSmtpServer) -> None:
    open_by_email(app)
    relay.reject(str(A_CUSTOMER.email))
    assert send_batch(make_sender(app, relay.smtp_out_config())) == 0
    [row] = outbox_rows(app)
    assert row.status == "dead"
    assert "550" in row.last_error


def test_permanent_refusal_flags_the_request_for_staff(app: App, relay: CaptureSmtpServer) -> None:
    reference = open_by_email(app)
    relay.reject(str(A_CUSTOMER.email))
    send_batch(make_sender(app, relay.smtp_out_config()))
    attention = request_attention(app, reference)
    assert attention is not None and "could not be delivered" in attention


def test_malformed_recipient_is_given_up_without_contacting_the_relay(app: App, relay: CaptureSmtpServer) -> None:
    reference = open_by_email(app, claimed=ClaimedIdentity(name="Jānis", email="janis@example.lv, x@evil.example"))
    assert send_batch(make_sender(app, relay.smtp_out_config())) == 0
    [row] = outbox_rows(app)
    assert (row.status, relay.data_attempts) == ("dead", 0)
    assert request_attention(app, reference) is not None


def test_unreachable_relay_leaves_the_row_for_a_later_attempt(app: App, clock: FixedClock) -> None:
    open_by_email(app)
    assert send_batch(make_sender(app, _closed_port_config())) == 0
    [row] = outbox_rows(app)
    assert (row.status, row.attempts, row.next_attempt_at > clock.now()) == ("pending", 1, True)


def test_crash_after_the_relay_accepted_resends_with_the_same_message_id(
    app: App, clock: FixedClock, relay: CaptureSmtpServer
) -> None:
    open_by_email(app)
    crashed = make_sender(app, relay.smtp_out_config(), "sender-crashed")
    [item] = outbox.claim(app.database, "email", "sender-crashed", now=clock.now(), lease=LEASE)
    asyncio.run(crashed.deliver(item))  # the relay says 250 … and the process dies before mark_sent
    clock.advance(seconds=LEASE.total_seconds() + 1)
    assert send_batch(make_sender(app, relay.smtp_out_config(), "sender-restarted")) == 1
    first, second = relay.wait_for(2)
    assert first.message_id == second.message_id


def test_row_leased_by_a_crashed_sender_waits_for_its_lease(
    app: App, clock: FixedClock, relay: CaptureSmtpServer
) -> None:
    open_by_email(app)
    outbox.claim(app.database, "email", "sender-crashed", now=clock.now(), lease=LEASE)
    clock.advance(seconds=LEASE.total_seconds() - 1)
    assert send_batch(make_sender(app, relay.smtp_out_config(), "sender-restarted")) == 0


def test_two_senders_at_once_never_send_the_same_row_twice(app: App, relay: CaptureSmtpServer) -> None:
    for number in range(6):
        open_by_email(app, claimed=ClaimedIdentity(name=f"Klients {number}", email=f"klients{number}@example.lv"))
    relay.delay_seconds = 0.05  # keep both senders' sessions open at the same time
    first = make_sender(app, relay.smtp_out_config(), "sender-a", batch_size=3)
    second = make_sender(app, relay.smtp_out_config(), "sender-b", batch_size=3)

    async def both() -> list[int]:
        return list(await asyncio.gather(first.send_batch(), second.send_batch(), first.send_batch()))

    sent = asyncio.run(both())
    ids = Counter(mail.message_id for mail in relay.messages)
    assert sum(sent) == 6
    assert len(ids) == 6 and set(ids.values()) == {1}


@PLAIN_TEXT_AUTH
def test_relay_requiring_authentication_gets_the_configured_credentials(app: App) -> None:
    open_by_email(app)
    with CaptureSmtpServer(credentials=("rightsdesk", "relay-secret")) as relay:
        config = relay.smtp_out_config(username="rightsdesk", password="relay-secret")
        assert send_batch(make_sender(app, config)) == 1


@PLAIN_TEXT_AUTH
def test_relay_refusing_our_credentials_defers_instead_of_giving_up(app: App) -> None:
    open_by_email(app)
    with CaptureSmtpServer(credentials=("rightsdesk", "relay-secret")) as relay:
        config = relay.smtp_out_config(username="rightsdesk", password="wrong")
        assert send_batch(make_sender(app, config)) == 0
    [row] = outbox_rows(app)
    assert row.status == "pending"


def test_credentials_never_go_to_a_remote_relay_without_tls(app: App) -> None:
    open_by_email(app)
    remote = SmtpOutConfig(host="relay.example.invalid", port=587, username="rightsdesk", password="relay-secret")
    assert send_batch(make_sender(app, remote)) == 0
    [row] = outbox_rows(app)
    assert (row.status, row.last_error.startswith("relay no-tls")) == ("pending", True)


def test_mail_goes_out_over_starttls_when_configured(app: App, tmp_path: Path) -> None:
    from tests.support.mail.smtp_intake import self_signed_certificate

    cert, key = self_signed_certificate(tmp_path, hostname="localhost")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))
    open_by_email(app)
    with CaptureSmtpServer(tls_context=server_context, require_starttls=True) as relay:
        config = relay.smtp_out_config(starttls=True)
        assert send_batch(make_sender(app, config, tls_context=client_context)) == 1
