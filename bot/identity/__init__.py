"""Identity verification routes of the Telegram bot (Art. 12(6); docs/law.md §Identity).

Which routes a request may use comes from its required tier (controller profile identity
tiers): tier 2 -> :class:`OneTimeCodeRoute`; tier 3 -> :class:`SignedDocumentRoute`,
:class:`OidcRoute` (eID) or :class:`ShopVisitRoute`. A route weaker than the request needs
answers ``INSUFFICIENT_ROUTE``. Every route takes the reference and the chat id and answers
with an :class:`Outcome` (never personal data); a chat can act only on its own requests.

    codes = OneTimeCodeRoute(app.engine, app.database, customers, secret=identity_secret())
    codes.send(reference, chat_id) / codes.check(reference, chat_id, text)        # blocking
    SignedDocumentRoute(app.engine, app.trust_store, customers).check(reference, chat_id, data, filename)
    await OidcRoute(app.engine, app.database, customers, OidcConfig(...)).start(reference, chat_id)
    ShopVisitRoute(app.engine).start(reference, chat_id)
    oidc_callback_route(oidc_route)   # a Starlette Route for `rightsdesk serve`

``customers`` is a :class:`CustomerDirectory` (``DataMapCustomerDirectory`` over the issue-5
subject finder, or ``StaticCustomerDirectory``). Blocking calls belong in
``asyncio.to_thread`` inside PTB handlers.
"""

from __future__ import annotations

import os

from bot.identity.customers import (
    CustomerDirectory,
    CustomerOnFile,
    DataMapCustomerDirectory,
    StaticCustomerDirectory,
)
from bot.identity.errors import IdentityConfigError, IdentityRouteError, ProviderUnavailable
from bot.identity.in_person import ShopVisitRoute
from bot.identity.oidc import CALLBACK_PATH, CallbackResult, OidcConfig, OidcRoute, oidc_callback_route
from bot.identity.one_time_code import CodePolicy, OneTimeCodeRoute
from bot.identity.outcome import Outcome, OutcomeStatus
from bot.identity.signed_document import SignedDocumentRoute

SECRET_ENV = "RIGHTSDESK_IDENTITY_SECRET"  # noqa: S105 (the variable name, not a secret)


def identity_secret(value: str | None = None, *, env: str = SECRET_ENV) -> bytes:
    """The server secret that keys code digests and throttle subjects (at least 32 bytes).

    From ``value`` (settings) or the environment variable ``env``; read when called, never
    at import time."""
    raw = value if value is not None else os.environ.get(env, "")
    secret = raw.encode()
    if len(secret) < 32:
        raise IdentityConfigError(f"the identity secret must be at least 32 bytes (set {env})", env=env)
    return secret


__all__ = [
    "CALLBACK_PATH",
    "CallbackResult",
    "CodePolicy",
    "CustomerDirectory",
    "CustomerOnFile",
    "DataMapCustomerDirectory",
    "IdentityConfigError",
    "IdentityRouteError",
    "OidcConfig",
    "OidcRoute",
    "OneTimeCodeRoute",
    "Outcome",
    "OutcomeStatus",
    "ProviderUnavailable",
    "ShopVisitRoute",
    "SignedDocumentRoute",
    "StaticCustomerDirectory",
    "identity_secret",
    "oidc_callback_route",
]
