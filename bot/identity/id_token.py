"""ID token checks of OpenID Connect Core 1.0 §3.1.3.7 for the eID route.

The signature is checked with the provider's published JWKS (joserfc, the JOSE library
authlib's ``authlib.jose`` is deprecated in favour of), restricted to asymmetric algorithms
so that neither ``alg: none`` nor an HMAC keyed with the public key can pass; then issuer,
audience (and ``azp`` with several audiences), expiry, issue time, the nonce bound to this
login and, if configured, the assurance level (``acr``).

Freshness (OpenID Connect Core 1.0 §3.1.2.1, §2): the relying party sends ``max_age`` and
``prompt=login``, so the ID token MUST carry ``auth_time``; a token without it, or whose
authentication is older than ``max_age`` (plus the clock skew) or older than the login link
itself, is refused. An existing provider session (a shared browser, or a victim who opens
someone else's link) therefore never confirms a request the person did not log in for.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from joserfc import jwt
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import KeySet

from bot.identity.errors import IdentityRouteError


class TokenProblem(StrEnum):
    MALFORMED = "malformed"
    SIGNATURE = "signature"
    ISSUER = "issuer"
    AUDIENCE = "audience"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    NONCE = "nonce"
    ASSURANCE = "assurance"
    AUTH_TIME_MISSING = "auth_time_missing"
    STALE_LOGIN = "stale_login"
    """The authentication is older than ``max_age`` or than the login link: a reused session."""
    USERINFO_SUBJECT = "userinfo_subject"
    """UserInfo answered for another ``sub`` than the ID token (OIDC Core §5.3.2)."""


class IdTokenRejected(IdentityRouteError):
    """The ID token must not be trusted; ``problem`` says which check failed."""

    def __init__(self, problem: TokenProblem) -> None:
        super().__init__(f"ID token rejected: {problem}", problem=str(problem))
        self.problem = problem


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def unknown_key_id(raw: str, keys: KeySet) -> bool:
    """True when the token names a ``kid`` the key set lacks (the provider may have rotated)."""
    from joserfc.jws import extract_compact

    try:
        kid = extract_compact(raw.encode()).headers().get("kid")
    except (JoseError, ValueError):
        return False
    return kid is not None and all(key.kid != kid for key in keys.keys)


def verify_id_token(
    raw: str,
    keys: KeySet,
    *,
    issuer: str,
    client_id: str,
    nonce_digest: str,
    now: datetime,
    leeway: timedelta,
    algorithms: Collection[str],
    required_acr: Collection[str] = (),
    freshness: Freshness | None = None,
) -> Mapping[str, Any]:
    """The verified claims, or :class:`IdTokenRejected`."""
    try:
        token = jwt.decode(raw, keys, algorithms=list(algorithms))
    except (JoseError, ValueError) as error:
        problem = TokenProblem.SIGNATURE if isinstance(error, BadSignatureError) else TokenProblem.MALFORMED
        raise IdTokenRejected(problem) from error
    claims: dict[str, Any] = dict(token.claims)
    if claims.get("iss") != issuer:
        raise IdTokenRejected(TokenProblem.ISSUER)
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else list(audience or [])
    if client_id not in audiences or (len(audiences) > 1 and claims.get("azp") != client_id):
        raise IdTokenRejected(TokenProblem.AUDIENCE)
    moment = now.timestamp()
    slack = leeway.total_seconds()
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or moment > exp + slack:
        raise IdTokenRejected(TokenProblem.EXPIRED)
    if not isinstance(iat, int | float) or iat > moment + slack:
        raise IdTokenRejected(TokenProblem.NOT_YET_VALID)
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not hmac.compare_digest(digest(nonce), nonce_digest):
        raise IdTokenRejected(TokenProblem.NONCE)
    if required_acr and claims.get("acr") not in required_acr:
        raise IdTokenRejected(TokenProblem.ASSURANCE)
    if freshness is not None:
        check_auth_time(claims, freshness, now)
    return claims


@dataclass(frozen=True, slots=True)
class Freshness:
    """What ``auth_time`` must satisfy: the ``max_age`` sent, the link's creation, the skew."""

    max_age: timedelta
    link_created_at: datetime
    skew: timedelta


def check_auth_time(claims: Mapping[str, Any], freshness: Freshness, now: datetime) -> None:
    """OIDC Core §3.1.2.1: with ``max_age`` sent, ``auth_time`` is REQUIRED and the relying
    party checks it; §3.1.3.7 item 13. A provider that ignores ``prompt=login``/``max_age``
    and answers from an old session is caught here."""
    auth_time = claims.get("auth_time")
    if isinstance(auth_time, bool) or not isinstance(auth_time, int | float):
        raise IdTokenRejected(TokenProblem.AUTH_TIME_MISSING)
    slack = freshness.skew.total_seconds()
    if auth_time > now.timestamp() + slack:
        raise IdTokenRejected(TokenProblem.NOT_YET_VALID)
    if now.timestamp() - auth_time > freshness.max_age.total_seconds() + slack:
        raise IdTokenRejected(TokenProblem.STALE_LOGIN)
    # No skew here: a session that began even seconds before the link is not a login for it
    # (auth_time is in whole seconds). A provider clock behind ours only matters for a person
    # who completes the login within that lag of the link's creation, who is asked again.
    if auth_time < int(freshness.link_created_at.timestamp()):
        raise IdTokenRejected(TokenProblem.STALE_LOGIN)
