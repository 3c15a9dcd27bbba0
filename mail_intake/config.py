"""Plain settings the e-mail intake needs; the composition root fills them from the TOML."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class SmtpInConfig:
    host: str = "127.0.0.1"
    port: int = 2525
    recipients: tuple[str, ...] = ("privacy@example.lv",)
    """The controller's privacy addresses; anything else gets 550 (postmaster is always accepted, RFC 5321 4.5.1)."""
    lmtp: bool = False
    """Speak LMTP instead of SMTP, for running behind an MTA (Postfix ``lmtp:`` transport)."""
    tls_cert: Path | None = None
    tls_key: Path | None = None
    require_starttls: bool = False
    max_message_bytes: int = 25 * 1024 * 1024
    max_recipients: int = 20
    hostname: str = "rightsdesk.local"


@dataclass(frozen=True)
class SmtpOutConfig:
    host: str = "127.0.0.1"
    port: int = 25
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False
    use_tls: bool = False
    timeout_seconds: float = 30.0
    from_address: str = "privacy@example.lv"
    from_name: str = ""
    message_id_domain: str = "rightsdesk.local"
