"""Tables of the chat identity routes (bot/identity): one-time codes, eID logins, throttles.

Registered on :data:`workflows.adapters.orm.metadata` so that the Alembic migration test
compares them too. Nothing here lets a copy of the database verify anyone (Art. 32):
codes are kept only as HMAC-SHA256 digests under a server secret, OIDC ``state`` and
``nonce`` only as SHA-256 digests, chats and customers in throttles only as keyed digests.
The PKCE verifier is kept as is (it must be sent to the provider) but is single use and
expires with its login within minutes.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text

from workflows.adapters.orm import Id, UtcDateTime, metadata

identity_codes = Table(
    "identity_codes",
    metadata,
    Column("id", Id, primary_key=True),
    Column("request_id", Id, ForeignKey("requests.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("customer_key", String(64), nullable=False),
    Column("code_digest", String(64), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime),
)

oidc_logins = Table(
    "oidc_logins",
    metadata,
    Column("state_digest", String(64), primary_key=True),
    Column("request_id", Id, ForeignKey("requests.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("chat_id", String(64)),  # NULL: started from the web page, not a chat
    Column("nonce_digest", String(64), nullable=False),
    Column("code_verifier", String(128), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("consumed_at", UtcDateTime),
    # Digest of the link's token when the login is pushed to the provider only once opened
    # (RFC 9126 requests expire within a minute or so; a chat link lives longer).
    Column("start_digest", String(64)),
    # SHA-256 of the cookie of the browser that started a web login (a forwarded link fails).
    Column("browser_digest", String(64)),
    # A verified login waits for "Is this your request?": the SHA-256 of the form's single-use
    # token, its expiry (minutes) and the claims to record, cleared when answered or expired.
    Column("confirm_digest", String(64)),
    Column("confirm_expires_at", UtcDateTime),
    Column("pending_claims", Text),
    Index("ix_oidc_logins_start_digest", "start_digest", unique=True),
    Index("ix_oidc_logins_confirm_digest", "confirm_digest", unique=True),
)

# One row per counted attempt (a code sent, a code checked) per throttled subject; rows
# older than the longest window are deleted as new ones arrive.
identity_throttle = Table(
    "identity_throttle",
    metadata,
    Column("id", Id, primary_key=True),
    Column("subject", String(64), nullable=False),
    Column("action", String(20), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_identity_throttle_subject", "subject", "action", "at"),
)
