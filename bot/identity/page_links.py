"""The capability in the identity letter's link to the request page (bot.identity.web_page).

``<reference>.<expiry>.<MAC>``: the MAC is HMAC-SHA256 (RFC 2104) under ``[identity] secret``
over a purpose label, the reference and the expiry (Unix seconds), base64url without padding.
Nothing is stored: a changed reference or expiry breaks the MAC, which is compared with
:func:`hmac.compare_digest` before anything else is read; a genuine link past its expiry says
so. The same key makes the page's CSRF tokens, under another purpose label, so one can never
stand in for the other.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from workflows.domain.deadlines import riga_date
from workflows.service_layer.ports import Clock

PAGE_PATH = "/identity/request"
LINK_LIFETIME = timedelta(days=30)
_MAC_PURPOSE = "rightsdesk identity page v1"
_CSRF_PURPOSE = "rightsdesk identity page form v1"


class LinkStatus(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    """Malformed, or the HMAC does not match (a changed reference or expiry)."""
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class PageLinkReading:
    status: LinkStatus
    reference: str | None = None
    expires_at: datetime | None = None


class PageLinks:
    """Makes and reads the capabilities in the letters' links (stateless: nothing is stored)."""

    def __init__(self, secret: bytes, public_url: str, clock: Clock, *, lifetime: timedelta = LINK_LIFETIME) -> None:
        if len(secret) < 32:
            raise ValueError("the identity page needs a secret of at least 32 bytes")
        self._secret = secret
        self._base = public_url.rstrip("/") + PAGE_PATH
        self._clock = clock
        self._lifetime = lifetime

    def link(self, reference: str) -> tuple[str, date]:
        """The page address for ``reference`` and the last (Riga) day it works."""
        expires_at = self._clock.now() + self._lifetime
        token = self.token(reference, expires_at)
        return f"{self._base}/{token}", riga_date(expires_at - timedelta(seconds=1))

    def token(self, reference: str, expires_at: datetime) -> str:
        reference = reference.strip().upper()
        expiry = int(expires_at.timestamp())
        return f"{reference}.{expiry}.{self._mac(reference, expiry)}"

    def read(self, token: str) -> PageLinkReading:
        """Whether ``token`` is one of ours for its reference, and still valid."""
        parts = token.strip().split(".")
        if len(parts) != 3 or not (parts[1].isascii() and parts[1].isdigit()) or len(parts[1]) > 12 \
                or len(parts[0]) > 40 or len(parts[2]) > 100:
            return PageLinkReading(LinkStatus.INVALID)
        reference, expiry_text, mac = parts
        expiry = int(expiry_text)
        if not hmac.compare_digest(self._mac(reference, expiry).encode(), mac.encode()):
            return PageLinkReading(LinkStatus.INVALID)
        expires_at = datetime.fromtimestamp(expiry, UTC)
        if expires_at <= self._clock.now():
            return PageLinkReading(LinkStatus.EXPIRED, reference, expires_at)
        return PageLinkReading(LinkStatus.VALID, reference, expires_at)

    def form_token(self, browser: str, reference: str) -> str:
        """The CSRF token of this browser's forms for ``reference``."""
        message = f"{_CSRF_PURPOSE}:{browser}:{reference}".encode()
        return _b64(hmac.new(self._secret, message, hashlib.sha256).digest())

    def _mac(self, reference: str, expiry: int) -> str:
        message = f"{_MAC_PURPOSE}:{reference}:{expiry}".encode()
        return _b64(hmac.new(self._secret, message, hashlib.sha256).digest())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
