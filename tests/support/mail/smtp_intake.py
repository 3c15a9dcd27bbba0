"""Helpers for driving the inbound SMTP server in tests: a self-signed certificate, messages.

The certificate is generated per test (``cryptography``), never checked in, and only ever
used on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

PRIVACY_ADDRESS = "privacy@shop.example.lv"
CUSTOMER_ADDRESS = "liga@example.lv"
"""A verified customer writing to the privacy address (a persona; no real person)."""


def self_signed_certificate(directory: Path, hostname: str = "localhost") -> tuple[Path, Path]:
    """Write ``cert.pem`` and ``key.pem`` for ``hostname`` into ``directory``; return their paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(hostname), x509.IPAddress(ipaddress.IPv4Address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "cert.pem"
    key_path = directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def request_message(
    *,
    sender: str = CUSTOMER_ADDRESS,
    recipient: str = PRIVACY_ADDRESS,
    message_id: str | None = None,
    body: str = "Lūdzu, dzēsiet manus personas datus.",
    padding: int = 0,
) -> bytes:
    """A plain erasure request as raw RFC 5322 bytes (CRLF line ends), ``padding`` extra body bytes."""
    message_id = message_id or f"<{uuid.uuid4().hex}@example.lv>"
    lines = [
        f"From: {sender}",
        f"To: {recipient}",
        "Subject: =?utf-8?q?Datu_dz=C4=93=C5=A1ana?=",
        f"Message-ID: {message_id}",
        "Date: Tue, 03 Mar 2026 09:00:00 +0200",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        "",
        body,
    ]
    lines.extend("x" * 76 for _ in range(padding // 78))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")
