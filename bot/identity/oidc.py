"""Route (b): eID login through an OpenID Connect provider (tier 3, QUALIFIED_EID).

eParaksts and Smart-ID are offered through OIDC brokers. The bot sends a one-time login
link (or the e-mail requesters' web page starts one, without a chat); ``rightsdesk serve``
hosts the callback, which checks state, PKCE and the ID token (:mod:`bot.identity.id_token`),
reads the claims from the ID token and, where they are not there, from the UserInfo
endpoint (OpenID Connect Core 1.0 §5.3), and records the name and personal code as a
verified identity. The person logged in must be the person the request is about
(:mod:`bot.identity.subject`).

Use::

    route = OidcRoute(engine, database, customers, OidcConfig(issuer=..., client_id=...,
                      client_secret=..., redirect_uri="https://desk.example/identity/oidc/callback"))
    outcome = await route.start(reference, chat_id)     # LINK_CREATED(url, expires_at) | NOT_FOUND | ...
    outcome = route.start_blocking(reference, chat_id)  # the same, from a worker thread
    outcome = await route.start_for_web(reference, browser=cookie)  # no chat: the web page for e-mail
                                                        # requesters; cookie: BROWSER_COOKIE's random value
    # send outcome.url to the chat without a link preview (or redirect the browser to it).
    await route.probe()                                 # discovery, or ProviderUnavailable saying why

Mount the routes in ``rightsdesk serve`` (Starlette)::

    routes += oidc_http_routes(route)   # GET /identity/oidc/start (pushed links), /identity/oidc/callback,
                                        # POST /identity/oidc/confirm ("Is this your request?")

Nothing is recorded at the callback alone. A verified login shows the person who just
logged in the request it would confirm (reference, channel, date received, the rights in
plain words, and the name she logged in with, never her personal code) and asks "Is this
your request?": "Yes" records the identity (the subject rules of :mod:`bot.identity.subject`
unchanged); "No" records nothing, flags staff as a possible impostor and tells the chat only
that the identity was not confirmed. A person phished into logging in for someone else's
request (GDPR Art. 5(1)(f), Art. 32) thus sees whose request it is before it counts. The
claims wait server-side only (keyed by the SHA-256 of the form's single-use token, for
``confirmation_lifetime``), never in the page or a URL.

The pages are in the request's language; a chat login's outcome (success, or each failure
with what to do next) is also queued to the chat through the outbox, so it reaches the chat
whichever process serves the callback. ``OidcRoute(on_result=...)`` takes
``async (chat_id, outcome) -> None`` too.

Security:

- ``state`` and ``nonce`` come from :mod:`secrets`, are stored only as SHA-256 digests,
  bound to the request (and the chat, for a chat login), expire after ``link_lifetime``
  and are consumed (atomically, before the code is exchanged) on first use; PKCE S256
  (RFC 7636); the ID token is verified against the provider's JWKS.
- A fresh login every time: ``prompt=login`` and ``max_age`` are sent (OIDC Core
  §3.1.2.1) and ``auth_time`` must be no older than ``max_age`` plus the skew, nor older
  than the link, so a provider session left in a shared browser, or a victim's session when
  she opens someone else's link, never confirms a request.
- Where the provider offers pushed authorisation requests (RFC 9126), the link is ours
  (``/identity/oidc/start?t=…``) and the parameters are pushed when it is opened: whoever
  forwards the provider's URL cannot strip ``prompt=login`` or widen ``max_age``.
- A callback naming another issuer (RFC 9207 ``iss``) is refused before its code is used.
- A web login is bound to the browser that started it: the page sets a random cookie
  (:data:`BROWSER_COOKIE`; HttpOnly, SameSite=Lax so that the provider's top-level redirect
  carries it) and only its SHA-256 is stored; a callback without it or with another is
  refused before the code is used and staff are told. Whoever forwards the provider's (or
  our pushed) link to a victim cannot have the victim's login confirm the sender's request.
- UserInfo is trusted only for the ``sub`` of the verified ID token (§5.3.2).
- ``client_secret_basic`` form-encodes the client id and secret before Base64
  (RFC 6749 §2.3.1), so secrets with ``+ / = &`` work.
- ``ca_file`` trusts a broker's private CA for this client's connections alone.

Tokens, codes and personal codes are never logged.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hmac
import ipaddress
import json
import logging
import secrets
import ssl
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote_plus, urlencode, urlsplit

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import Engine as SqlEngine
from sqlalchemy import and_, insert, select, update
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.identity import oidc_texts
from bot.identity.cases import CaseView, gate, load_any_case, load_case, personal_code_of
from bot.identity.customers import CustomerDirectory
from bot.identity.errors import IdentityConfigError, ProviderUnavailable
from bot.identity.id_token import (
    Freshness,
    IdTokenRejected,
    TokenProblem,
    digest,
    unknown_key_id,
    verify_id_token,
)
from bot.identity.outcome import Outcome, OutcomeStatus
from bot.identity.subject import SubjectMatch, match_subject
from workflows.adapters import outbox
from workflows.adapters.identity_tables import oidc_logins
from workflows.adapters.orm import requests as requests_table
from workflows.domain.deadlines import riga_date
from workflows.domain.errors import RequestNotFound
from workflows.domain.identity import IdentityTier, VerificationMethod, VerifiedIdentity
from workflows.domain.messages import Direction, Message
from workflows.domain.replies import VerificationFailure
from workflows.domain.rights import Channel
from workflows.service_layer.commands import FlagForStaff, RecordIdentityEvidence, RecordVerificationFailure

if TYPE_CHECKING:
    from workflows.service_layer.bus import Engine

log = logging.getLogger(__name__)

CALLBACK_PATH = "/identity/oidc/callback"
START_PATH = "/identity/oidc/start"
CONFIRM_PATH = "/identity/oidc/confirm"
BROWSER_COOKIE = "rd_eid_browser"
"""The web page's random per-login cookie (Path=/identity) binding a web login to its browser."""
_MAX_FORM_BYTES = 2048
CLIENT_AUTH_METHODS = ("client_secret_basic", "client_secret_post")

_PROTOCOL_CLAIMS = frozenset({"iss", "aud", "azp", "exp", "iat", "nbf", "nonce", "auth_time", "acr", "amr",
                              "at_hash", "c_hash", "sid", "jti"})
"""Claims that only the verified ID token may say; UserInfo never overrides them."""

# Problems of the ID token that point at forgery or a broken provider, not at the person.
_SUSPICIOUS = frozenset({TokenProblem.SIGNATURE, TokenProblem.ISSUER, TokenProblem.AUDIENCE, TokenProblem.NONCE,
                         TokenProblem.MALFORMED, TokenProblem.USERINFO_SUBJECT})


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    scope: str = "openid"
    personal_code_claims: tuple[str, ...] = ("personal_code", "serialNumber", "serial_number")
    """Claims tried in order for the personal code (bare or ``PNOLV-…``); brokers differ."""
    name_claims: tuple[str, ...] = ("name",)
    given_name_claim: str = "given_name"
    family_name_claim: str = "family_name"
    acr_values: str | None = None
    """Asked of the provider, e.g. a qualified/high level of assurance."""
    required_acr: tuple[str, ...] = ()
    """When set, the token's ``acr`` must be one of these (VERIFY per broker)."""
    algorithms: tuple[str, ...] = ("RS256", "PS256", "ES256")
    link_lifetime: timedelta = field(default_factory=lambda: timedelta(minutes=10))
    leeway: timedelta = field(default_factory=lambda: timedelta(seconds=60))
    timeout_seconds: float = 10.0
    client_auth_method: str = "client_secret_basic"
    """Or ``client_secret_post`` (OIDC Core §9)."""
    max_age: timedelta = field(default_factory=timedelta)
    """Sent as ``max_age`` (OIDC Core §3.1.2.1). 0 demands an authentication now, the same as
    ``prompt=login`` for a provider that honours only one of the two."""
    auth_time_skew: timedelta = field(default_factory=lambda: timedelta(seconds=120))
    """How much older than ``max_age`` ``auth_time`` may be: clock skew plus the seconds
    between authenticating and the redirect reaching us."""
    pushed_authorization: bool = True
    """Use pushed authorisation requests (RFC 9126) when the provider advertises them: the
    link is then ours (``start_uri``) and the parameters are pushed when it is opened."""
    start_uri: str = ""
    """Where pushed logins' links point; empty: the redirect URI's origin + ``START_PATH``."""
    ca_file: str | None = None
    """PEM file of the CA(s) the provider's TLS certificate chains to; trusted for this client
    only (never added to the process's trust). None: the system's trust store."""
    confirmation_lifetime: timedelta = field(default_factory=lambda: timedelta(minutes=5))
    """How long the "Is this your request?" page may wait for its answer; the verified claims
    are kept server-side that long at most."""

    def __post_init__(self) -> None:
        if not self.start_uri:
            parts = urlsplit(self.redirect_uri)
            object.__setattr__(self, "start_uri", f"{parts.scheme}://{parts.netloc}{START_PATH}")
        if self.client_auth_method not in CLIENT_AUTH_METHODS:
            raise IdentityConfigError(f"client_auth_method must be one of {', '.join(CLIENT_AUTH_METHODS)}")


@dataclass(frozen=True, slots=True)
class CallbackResult:
    """What the browser is told; ``outcome`` is None when no identity was recorded.

    ``problem`` is None on success, else ``state`` (unknown, used or expired link),
    ``cancelled``, a :class:`~bot.identity.id_token.TokenProblem`, ``provider``,
    ``rejected`` or ``needs_staff``. ``reference``, ``rights`` and ``language`` are known
    whenever the login could be attributed to a request."""

    http_status: int
    outcome: Outcome | None
    problem: str | None = None
    reference: str | None = None
    rights: tuple[str, ...] = ()
    language: str | None = None
    chat_id: str | None = None
    confirmation: Confirmation | None = None
    """Set (with ``problem`` ``"confirm"``) when the login verified and waits for "Is this your request?"."""


@dataclass(frozen=True, slots=True)
class Confirmation:
    """What the "Is this your request?" page shows and posts back: never the personal code."""

    token: str
    """Single use; only its SHA-256 is stored, as the key of the pending claims."""
    name: str | None
    channel: str
    received_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class _Login:
    request_id: str
    reference: str
    chat_id: str | None
    nonce_digest: str
    code_verifier: str
    created_at: datetime
    rights: tuple[str, ...]
    language: str
    channel: str = ""
    received_at: datetime | None = None
    browser_digest: str | None = None
    state_digest: str = ""


@dataclass(frozen=True, slots=True)
class _LoginSecrets:
    state: str
    nonce: str
    verifier: str

    @classmethod
    def fresh(cls) -> _LoginSecrets:
        # 86 characters of verifier: within RFC 7636's 43-128.
        return cls(secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(64))


ResultHook = Callable[[str, Outcome], Awaitable[None]]


class OidcRoute:
    def __init__(
        self,
        engine: Engine,
        database: SqlEngine,
        customers: CustomerDirectory,
        config: OidcConfig,
        *,
        on_result: ResultHook | None = None,
    ) -> None:
        self._engine = engine
        self._database = database
        self._customers = customers
        self._config = config
        self._on_result = on_result
        self._metadata: Mapping[str, Any] | None = None
        self._keys: KeySet | None = None
        self._tls = tls_verification(config.ca_file)

    @property
    def config(self) -> OidcConfig:
        return self._config

    # -- the link -----------------------------------------------------------------------

    async def start(self, reference: str, chat_id: str | int) -> Outcome:
        """A login link for the request ``reference`` opened from ``chat_id``."""
        case = await asyncio.to_thread(load_case, self._engine, reference, chat_id)
        return await self._start(case, reference, str(chat_id))

    def start_blocking(self, reference: str, chat_id: str | int) -> Outcome:
        """:meth:`start` for a worker thread without an event loop (the bot's ``StartEid`` hook)."""
        return asyncio.run(self.start(reference, chat_id))

    async def start_for_web(self, reference: str, *, browser: str) -> Outcome:
        """A login link for ``reference`` with no chat (the e-mail requesters' web page).

        This does not check who asks: the caller must first have proven that the visitor
        holds the link the acknowledgement gave for this reference. ``browser`` is the random
        value the caller set as :data:`BROWSER_COOKIE` in the visitor's browser: the callback
        refuses the login in any other browser. The login is bound to the request; its
        outcome is shown in the browser only (the answer itself comes by e-mail)."""
        if len(browser) < 16:
            raise ValueError("start_for_web needs the browser cookie's random value (at least 16 characters)")
        case = await asyncio.to_thread(load_any_case, self._engine, reference)
        return await self._start(case, reference, None, browser_digest=digest(browser))

    def start_for_web_blocking(self, reference: str, *, browser: str) -> Outcome:
        return asyncio.run(self.start_for_web(reference, browser=browser))

    async def _start(self, case: CaseView | None, reference: str, chat_id: str | None, *,
                     browser_digest: str | None = None) -> Outcome:
        stop = gate(case, reference, route_tier=IdentityTier.STRONG)
        if stop is not None or case is None:
            return stop or Outcome(OutcomeStatus.NOT_FOUND, reference)
        try:
            metadata = await self._provider_metadata()
        except ProviderUnavailable as error:
            log.warning("OpenID provider unavailable (%s); eID link not created for %s", error, case.reference)
            return Outcome(OutcomeStatus.UNAVAILABLE, case.reference)
        now = self._engine.clock.now()
        expires_at = now + self._config.link_lifetime
        login = _LoginSecrets.fresh()
        pushed = metadata.get("pushed_authorization_request_endpoint")
        if self._config.pushed_authorization and isinstance(pushed, str):
            # The parameters are pushed when the link is opened (a pushed request lives a
            # minute or so, a chat link ten): the link is ours and carries only a token.
            token = secrets.token_urlsafe(32)
            await asyncio.to_thread(self._store_login, case, chat_id, login, now, expires_at, digest(token),
                                    browser_digest)
            url = f"{self._config.start_uri}?{urlencode({'t': token})}"
        else:
            await asyncio.to_thread(self._store_login, case, chat_id, login, now, expires_at, None, browser_digest)
            url = prepare_grant_uri(
                str(metadata["authorization_endpoint"]), self._config.client_id, "code",
                redirect_uri=self._config.redirect_uri, scope=self._config.scope, **self._parameters(login),
            )
        return Outcome(OutcomeStatus.LINK_CREATED, case.reference, url=url, expires_at=expires_at)

    def _parameters(self, login: _LoginSecrets) -> dict[str, str]:
        parameters = {
            "state": login.state,
            "nonce": login.nonce,
            "code_challenge": create_s256_code_challenge(login.verifier),
            "code_challenge_method": "S256",
            # OIDC Core §3.1.2.1: never answer from an existing session; auth_time is then
            # REQUIRED in the ID token and checked by verify_id_token.
            "prompt": "login",
            "max_age": str(int(self._config.max_age.total_seconds())),
        }
        if self._config.acr_values:
            parameters["acr_values"] = self._config.acr_values
        return parameters

    async def open_link(self, token: str) -> str | None:
        """For a pushed login's link (``GET /identity/oidc/start?t=…``): push its parameters
        now and return the provider's authorisation URL, or None for an unknown, used or
        expired link. Each opening makes new state, nonce and PKCE verifier, so only the
        latest provider page can finish the login. :class:`ProviderUnavailable` if the
        provider refuses or cannot be reached."""
        if not token:
            return None
        login = _LoginSecrets.fresh()
        if not await asyncio.to_thread(self._renew_login, digest(token), login):
            return None
        metadata = await self._provider_metadata()
        pushed = metadata.get("pushed_authorization_request_endpoint")
        if not isinstance(pushed, str):
            raise ProviderUnavailable("the provider no longer offers pushed authorisation requests")
        request_uri = await self._push(pushed, **self._parameters(login))
        endpoint = str(metadata["authorization_endpoint"])
        query = urlencode({"client_id": self._config.client_id, "request_uri": request_uri})
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"  # RFC 9126 §4

    def _renew_login(self, start_digest: str, login: _LoginSecrets) -> bool:
        now = self._engine.clock.now()
        with self._database.begin() as connection:
            renewed = connection.execute(
                update(oidc_logins)
                .where(oidc_logins.c.start_digest == start_digest, oidc_logins.c.consumed_at.is_(None),
                       oidc_logins.c.expires_at > now)
                .values(state_digest=digest(login.state), nonce_digest=digest(login.nonce),
                        code_verifier=login.verifier)
            ).rowcount
        return bool(renewed == 1)

    async def _push(self, endpoint: str, **parameters: str) -> str:
        """RFC 9126: the authorisation parameters go to the provider server to server, and the
        link carries only an opaque ``request_uri``. Whoever forwards the link cannot strip
        ``prompt=login`` or widen ``max_age``: the provider ignores parameters beside it."""
        config = self._config
        form = {"response_type": "code", "client_id": config.client_id, "redirect_uri": config.redirect_uri,
                "scope": config.scope, **parameters}
        headers = self._authenticate(form)
        try:
            async with self._client() as client:
                response = await client.post(endpoint, data=form, headers=headers)
        except httpx.HTTPError as error:
            raise ProviderUnavailable(f"pushed authorisation endpoint unreachable: {describe_http_error(error)}") \
                from error
        body = response.json() if _is_json(response) else {}
        if response.status_code not in (200, 201) or not isinstance(body.get("request_uri"), str):
            raise ProviderUnavailable(
                f"pushed authorisation endpoint answered HTTP {response.status_code} {body.get('error') or ''}")
        return str(body["request_uri"])

    def _authenticate(self, form: dict[str, str]) -> dict[str, str]:
        """Client authentication (OIDC Core §9) into ``form`` or the returned headers."""
        config = self._config
        headers: dict[str, str] = {"Accept": "application/json"}
        if config.client_auth_method == "client_secret_post":
            form.update(client_id=config.client_id, client_secret=config.client_secret)
        else:
            form.pop("client_secret", None)
            headers["Authorization"] = basic_authorization(config.client_id, config.client_secret)
        return headers

    def _store_login(self, case: CaseView, chat_id: str | None, login: _LoginSecrets, now: datetime,
                     expires_at: datetime, start_digest: str | None, browser_digest: str | None) -> None:
        with self._database.begin() as connection:
            connection.execute(
                insert(oidc_logins).values(
                    state_digest=digest(login.state), request_id=case.id, chat_id=chat_id,
                    nonce_digest=digest(login.nonce), code_verifier=login.verifier, created_at=now,
                    expires_at=expires_at, start_digest=start_digest, browser_digest=browser_digest,
                )
            )

    # -- the callback -------------------------------------------------------------------

    async def complete(self, params: Mapping[str, str], *, browser: str | None = None) -> CallbackResult:
        """Check a login from the provider's redirect (``state``, ``code`` or ``error``).

        ``browser``: the request's :data:`BROWSER_COOKIE`, if any. A verified login records
        nothing yet: the result carries a :class:`Confirmation` for "Is this your request?",
        answered with :meth:`answer`."""
        state = params.get("state") or ""
        login = await asyncio.to_thread(self._consume, state) if state else None
        if login is None:
            log.warning("eID callback with an unknown, used or expired state refused")
            return CallbackResult(400, None, "state")
        if login.chat_id is None and not _same_browser(login, browser):
            # A web login finishing in another browser than the one that pressed "eID": its
            # provider link was forwarded (phishing). Refused before the code is used.
            log.warning("eID web login for %s arrived in another browser; refused", login.reference)
            await asyncio.to_thread(self._flag, login.reference,
                                    "an eID login for this request was finished in another browser than the one "
                                    "that started it from the request page: possibly a forwarded link (phishing); "
                                    "refused, nothing recorded")
            return await self._finish(login, 403, None, "other_browser")
        if params.get("iss") is not None and params["iss"] != self._config.issuer:
            # RFC 9207 §2.4: an answer that names another issuer is a mix-up; never exchange its code.
            log.warning("eID callback for %s names another issuer; refused", login.reference)
            await asyncio.to_thread(self._tell_staff, login, TokenProblem.ISSUER)
            return await self._finish(login, 400, None, str(TokenProblem.ISSUER))
        code = params.get("code")
        if params.get("error") or not code:
            log.info("eID login for %s cancelled at the provider (%r)", login.reference, params.get("error", "")[:64])
            return await self._finish(login, 400, None, "cancelled")
        try:
            claims = await self._claims(code, login)
        except IdTokenRejected as rejected:
            log.warning("eID login for %s refused: %s", login.reference, rejected.problem)
            if rejected.problem in _SUSPICIOUS or rejected.problem is TokenProblem.STALE_LOGIN:
                await asyncio.to_thread(self._tell_staff, login, rejected.problem)
            return await self._finish(login, 400, None, str(rejected.problem))
        except ProviderUnavailable as error:
            log.warning("eID token exchange for %s failed: %s", login.reference, error)
            return await self._finish(login, 502, None, "provider")
        pending = await asyncio.to_thread(self._await_confirmation, login, claims)
        if isinstance(pending, Outcome):  # closed or verified meanwhile: nothing to ask
            return await self._finish(login, 400, pending, "closed")
        return pending

    def _await_confirmation(self, login: _Login, claims: Mapping[str, Any]) -> CallbackResult | Outcome:
        """Keep the verified claims server-side for a few minutes and ask "Is this your request?"."""
        case = (load_case(self._engine, login.reference, login.chat_id) if login.chat_id is not None
                else load_any_case(self._engine, login.reference))
        stop = gate(case, login.reference, route_tier=IdentityTier.STRONG)
        if stop is not None or case is None:
            return stop or Outcome(OutcomeStatus.NOT_FOUND, login.reference)
        token = secrets.token_urlsafe(32)
        now = self._engine.clock.now()
        expires_at = now + self._config.confirmation_lifetime
        kept = self._claims_to_keep(claims)
        with self._database.begin() as connection:
            self._forget_expired(connection, now)
            connection.execute(
                update(oidc_logins).where(oidc_logins.c.state_digest == login.state_digest)
                .values(confirm_digest=digest(token), confirm_expires_at=expires_at,
                        pending_claims=json.dumps(kept, ensure_ascii=False))
            )
        confirmation = Confirmation(token, self._name(claims), login.channel,
                                    login.received_at or now, expires_at)
        return CallbackResult(200, None, "confirm", login.reference, login.rights, login.language, login.chat_id,
                              confirmation)

    def _claims_to_keep(self, claims: Mapping[str, Any]) -> dict[str, Any]:
        """Only what recording reads (data minimisation, GDPR Art. 5(1)(c))."""
        config = self._config
        wanted = {*config.personal_code_claims, *config.name_claims, config.given_name_claim,
                  config.family_name_claim, "sub", "acr", "amr", "auth_time"}
        return {k: v for k, v in claims.items() if k in wanted}

    async def answer(self, token: str, *, confirmed: bool, browser: str | None = None) -> CallbackResult:
        """The answer to "Is this your request?" (``POST /identity/oidc/confirm``).

        Yes: the identity is recorded as the subject rules say. No: nothing is recorded, staff
        are flagged about a possible impostor and the chat hears only that the identity was
        not confirmed; the request stays awaiting identity with its clock running. An unknown,
        used or expired token changes nothing."""
        taken = await asyncio.to_thread(self._take_pending, token) if token else None
        if taken is None:
            log.warning("eID confirmation with an unknown, used or expired token refused")
            return CallbackResult(400, None, "confirm_expired")
        login, claims = taken
        if login.chat_id is None and not _same_browser(login, browser):
            log.warning("eID confirmation for %s posted from another browser; refused", login.reference)
            await asyncio.to_thread(self._flag, login.reference,
                                    "an eID login's confirmation for this request was posted from another browser "
                                    "than the one that started it: refused, nothing recorded")
            return await self._finish(login, 403, None, "other_browser")
        if not confirmed:
            log.warning("eID login for %s: the person who logged in says the request is not theirs", login.reference)
            await asyncio.to_thread(self._flag, login.reference,
                                    "possible impostor: the person who logged in with eID says the request is not "
                                    "theirs; nothing recorded, the request still awaits identity")
            return await self._finish(login, 200, Outcome(OutcomeStatus.REJECTED, login.reference), "declined")
        outcome = await asyncio.to_thread(self._record, login, claims)
        failure: str | None = {OutcomeStatus.VERIFIED: None, OutcomeStatus.NOT_NEEDED: None,
                               OutcomeStatus.REJECTED: "rejected",
                               OutcomeStatus.NEEDS_STAFF: "needs_staff"}.get(outcome.status, "closed")
        return await self._finish(login, 200 if outcome.verified else 400, outcome, failure)

    def _take_pending(self, token: str) -> tuple[_Login, Mapping[str, Any]] | None:
        """The pending login of ``token``, cleared in the same transaction: single use."""
        now = self._engine.clock.now()
        key = digest(token)
        with self._database.begin() as connection:
            self._forget_expired(connection, now)
            row = connection.execute(
                self._login_query().where(oidc_logins.c.confirm_digest == key,
                                          oidc_logins.c.confirm_expires_at > now,
                                          oidc_logins.c.pending_claims.is_not(None))
            ).one_or_none()
            if row is None:
                return None
            taken = connection.execute(
                update(oidc_logins).where(oidc_logins.c.confirm_digest == key)
                .values(confirm_digest=None, pending_claims=None)
            ).rowcount
        if taken != 1:  # a concurrent answer took it first
            return None
        return self._login_of(row), json.loads(row.pending_claims)

    @staticmethod
    def _forget_expired(connection: Any, now: datetime) -> None:
        """Verified claims never outlive their confirmation page."""
        connection.execute(
            update(oidc_logins)
            .where(and_(oidc_logins.c.pending_claims.is_not(None), oidc_logins.c.confirm_expires_at <= now))
            .values(confirm_digest=None, pending_claims=None)
        )

    def _flag(self, reference: str, reason: str) -> None:
        with contextlib.suppress(RequestNotFound):  # the request was deleted meanwhile
            self._engine.handle(FlagForStaff(reference, reason))

    async def _finish(self, login: _Login, status: int, outcome: Outcome | None, problem: str | None) -> CallbackResult:
        result = CallbackResult(status, outcome, problem, login.reference, login.rights, login.language,
                                login.chat_id)
        if login.chat_id is not None:
            # The engine's own reply already tells the chat about a login by someone else.
            if problem not in ("rejected", "other_browser"):
                await asyncio.to_thread(self._tell_chat, login, problem or "verified")
            if self._on_result is not None:
                await self._on_result(login.chat_id, outcome or Outcome(OutcomeStatus.REJECTED, login.reference))
        return result

    def _consume(self, state: str) -> _Login | None:
        """Mark the login used before anything else: a second use of the state finds nothing."""
        now = self._engine.clock.now()
        key = digest(state)
        with self._database.begin() as connection:
            taken = connection.execute(
                update(oidc_logins)
                .where(oidc_logins.c.state_digest == key, oidc_logins.c.consumed_at.is_(None),
                       oidc_logins.c.expires_at > now)
                .values(consumed_at=now)
            ).rowcount
            if taken != 1:
                return None
            row = connection.execute(self._login_query().where(oidc_logins.c.state_digest == key)).one()
        return self._login_of(row)

    @staticmethod
    def _login_query() -> Any:
        return (
            select(oidc_logins, requests_table.c.reference, requests_table.c.rights, requests_table.c.language,
                   requests_table.c.channel.label("request_channel"), requests_table.c.received_at)
            .join(requests_table, requests_table.c.id == oidc_logins.c.request_id)
        )

    @staticmethod
    def _login_of(row: Any) -> _Login:
        return _Login(
            request_id=row.request_id, reference=row.reference, chat_id=row.chat_id, nonce_digest=row.nonce_digest,
            code_verifier=row.code_verifier, created_at=row.created_at,
            rights=tuple(r for r in (row.rights or "").split(",") if r),
            language=oidc_texts.language_of(row.language), channel=str(row.request_channel),
            received_at=row.received_at, browser_digest=row.browser_digest, state_digest=row.state_digest,
        )

    async def _claims(self, code: str, login: _Login) -> Mapping[str, Any]:
        metadata = await self._provider_metadata()
        raw, access_token = await self._exchange(metadata["token_endpoint"], code, login.code_verifier)
        keys = await self._key_set(metadata)
        if unknown_key_id(raw, keys):
            keys = await self._key_set(metadata, refresh=True)
        config = self._config
        claims = verify_id_token(
            raw, keys, issuer=config.issuer, client_id=config.client_id,
            nonce_digest=login.nonce_digest, now=self._engine.clock.now(), leeway=config.leeway,
            algorithms=config.algorithms, required_acr=config.required_acr,
            freshness=Freshness(max_age=config.max_age, link_created_at=login.created_at, skew=config.auth_time_skew),
        )
        if self._has_identity(claims) or not metadata.get("userinfo_endpoint") or not access_token:
            return claims
        userinfo = await self._userinfo(str(metadata["userinfo_endpoint"]), access_token, keys)
        # OIDC Core §5.3.2: the sub in the UserInfo Response MUST be verified to exactly
        # match the ID token's; if not, its values MUST NOT be used.
        if not isinstance(userinfo.get("sub"), str) or userinfo["sub"] != claims.get("sub"):
            raise IdTokenRejected(TokenProblem.USERINFO_SUBJECT)
        extra = {k: v for k, v in userinfo.items() if k not in _PROTOCOL_CLAIMS and k not in claims}
        return {**claims, **extra}

    def _has_identity(self, claims: Mapping[str, Any]) -> bool:
        """Whether the ID token itself names the person (a personal code and a name)."""
        has_code = any(claims.get(c) for c in self._config.personal_code_claims)
        return has_code and self._name(claims) is not None

    async def _exchange(self, endpoint: str, code: str, verifier: str) -> tuple[str, str | None]:
        config = self._config
        form: dict[str, str] = {"grant_type": "authorization_code", "code": code, "redirect_uri": config.redirect_uri,
                "code_verifier": verifier}
        headers = self._authenticate(form)
        try:
            async with self._client() as client:
                response = await client.post(endpoint, data=form, headers=headers)
        except httpx.HTTPError as error:
            raise ProviderUnavailable(f"token endpoint unreachable: {describe_http_error(error)}") from error
        if response.status_code != 200:
            # RFC 6749 §5.2: invalid_grant for a used or unknown code, invalid_client for a
            # wrong secret; nothing to retry. The error code only, never the body.
            code_name = response.json().get("error") if _is_json(response) else None
            raise ProviderUnavailable(f"token endpoint refused the code: HTTP {response.status_code} {code_name or ''}")
        body = response.json() if _is_json(response) else {}
        token = body.get("id_token")
        if not isinstance(token, str):
            raise ProviderUnavailable("token response without an id_token")
        access = body.get("access_token")
        return token, access if isinstance(access, str) else None

    async def _userinfo(self, endpoint: str, access_token: str, keys: KeySet) -> Mapping[str, Any]:
        """OIDC Core §5.3: the claims the ID token left out, with the access token."""
        try:
            async with self._client() as client:
                response = await client.get(endpoint, headers={"Authorization": f"Bearer {access_token}",
                                                               "Accept": "application/json, application/jwt"})
        except httpx.HTTPError as error:
            raise ProviderUnavailable(f"UserInfo endpoint unreachable: {describe_http_error(error)}") from error
        if response.status_code != 200:
            raise ProviderUnavailable(f"UserInfo endpoint answered HTTP {response.status_code}")
        if response.headers.get("content-type", "").split(";")[0].strip() == "application/jwt":
            # §5.3.2: a signed response; it SHOULD carry iss and aud, checked when present.
            try:
                document: Any = dict(jwt.decode(response.text.strip(), keys,
                                                algorithms=list(self._config.algorithms)).claims)
            except (JoseError, ValueError) as error:
                raise IdTokenRejected(TokenProblem.SIGNATURE) from error
            if document.get("iss", self._config.issuer) != self._config.issuer:
                raise IdTokenRejected(TokenProblem.ISSUER)
            audience = document.get("aud", self._config.client_id)
            if self._config.client_id not in ([audience] if isinstance(audience, str) else list(audience)):
                raise IdTokenRejected(TokenProblem.AUDIENCE)
        elif _is_json(response):
            document = response.json()
        else:
            raise ProviderUnavailable("UserInfo answer is neither JSON nor a JWT")
        return document  # type: ignore[no-any-return]

    async def probe(self) -> Mapping[str, Any]:
        """The discovery document, fetched afresh; :class:`ProviderUnavailable` says why not
        (TLS, connection, HTTP status, not JSON, another issuer, missing endpoints)."""
        self._metadata = None
        return await self._provider_metadata()

    async def _provider_metadata(self) -> Mapping[str, Any]:
        if self._metadata is None:
            self._metadata = await discover(self._config, self._tls)
        return self._metadata

    async def _key_set(self, metadata: Mapping[str, Any], *, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            document = await self._get_json(metadata["jwks_uri"], what="key set (jwks_uri)")
            try:
                self._keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
            except (JoseError, ValueError, KeyError, TypeError) as error:
                raise ProviderUnavailable(f"the key set at {metadata['jwks_uri']} cannot be read") from error
        return self._keys

    async def _get_json(self, url: str, *, what: str) -> dict[str, Any]:
        return await _get_json(url, what=what, config=self._config, tls=self._tls)

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=self._config.timeout_seconds, verify=self._tls)

    # -- recording ----------------------------------------------------------------------

    def _record(self, login: _Login, claims: Mapping[str, Any]) -> Outcome:
        reference = login.reference
        case = (load_case(self._engine, reference, login.chat_id) if login.chat_id is not None
                else load_any_case(self._engine, reference))
        stop = gate(case, reference, route_tier=IdentityTier.STRONG)
        if stop is not None or case is None:
            return stop or Outcome(OutcomeStatus.NOT_FOUND, reference)
        code = next((str(claims[c]) for c in self._config.personal_code_claims if claims.get(c)), None)
        summary = {"route": "oidc", "issuer": self._config.issuer, "acr": claims.get("acr"),
                   "amr": claims.get("amr"), "subject_digest": digest(str(claims.get("sub", "")))[:32],
                   "auth_time": claims.get("auth_time"), "channel": "chat" if login.chat_id else "web"}
        match = match_subject(case, self._customers, code)
        if match is SubjectMatch.DIFFERENT:
            self._engine.handle(RecordVerificationFailure(
                case.reference, VerificationFailure.SIGNER_NOT_DATA_SUBJECT,
                detail="the eID login is not the person the request is about", evidence_summary=summary,
            ))
            return Outcome(OutcomeStatus.REJECTED, case.reference, failure=VerificationFailure.SIGNER_NOT_DATA_SUBJECT)
        if match is SubjectMatch.UNKNOWN:
            self._engine.handle(FlagForStaff(
                case.reference, "an eID login could not be matched to the customer on file: check and record by hand"
            ))
            return Outcome(OutcomeStatus.NEEDS_STAFF, case.reference)
        verified = VerifiedIdentity(
            method=VerificationMethod.QUALIFIED_EID,
            verified_at=self._engine.clock.now(),
            evidence_ref=f"oidc:{summary['subject_digest']}",
            name=self._name(claims),
            personal_code=personal_code_of(code),
        )
        self._engine.handle(RecordIdentityEvidence(case.reference, verified, evidence_summary=summary))
        log.info("eID login verified %s", case.reference)
        return Outcome(OutcomeStatus.VERIFIED, case.reference)

    def _tell_staff(self, login: _Login, problem: TokenProblem) -> None:
        reasons = {
            TokenProblem.STALE_LOGIN: "an eID login answered from an earlier provider session (auth_time older "
            "than max_age or the link) was refused: a shared browser or a reused session",
            TokenProblem.USERINFO_SUBJECT: "the eID provider's UserInfo named another subject than its ID token: "
            "refused",
        }
        reason = reasons.get(problem, f"an eID login was refused: the ID token failed the {problem} check")
        with contextlib.suppress(RequestNotFound):  # the request was deleted meanwhile
            self._engine.handle(FlagForStaff(login.reference, reason))

    def _tell_chat(self, login: _Login, problem: str) -> None:
        """Queue the outcome for the chat (the bot's notifier sends channel-"telegram" rows)."""
        now = self._engine.clock.now()
        body = oidc_texts.chat_message(login.language, problem, login.reference, login.rights)
        message = Message(
            id=uuid.uuid4().hex, request_id=login.request_id, direction=Direction.OUT, channel=Channel.TELEGRAM,
            created_at=now, subject="", text=body, counterpart=login.chat_id, kind="eid_outcome",
        )
        with self._database.begin() as connection:
            outbox.add(connection, item_id=uuid.uuid4().hex, message=message, recipient=str(login.chat_id), now=now)

    def _name(self, claims: Mapping[str, Any]) -> str | None:
        for claim in self._config.name_claims:
            if isinstance(claims.get(claim), str) and claims[claim].strip():
                return str(claims[claim]).strip()[:200]
        parts = [claims.get(self._config.given_name_claim), claims.get(self._config.family_name_claim)]
        joined = " ".join(str(p).strip() for p in parts if isinstance(p, str) and p.strip())
        return joined[:200] or None


async def discover(config: OidcConfig, tls: ssl.SSLContext | bool | None = None) -> Mapping[str, Any]:
    """The provider's discovery document (OpenID Connect Discovery 1.0 §4), checked; else
    :class:`ProviderUnavailable` saying why (TLS, connection, HTTP status, not JSON, another
    issuer, missing endpoints). ``rightsdesk config check`` shows the reason as it is."""
    url = config.issuer.rstrip("/") + "/.well-known/openid-configuration"
    tls = tls_verification(config.ca_file) if tls is None else tls
    document = await _get_json(url, what="discovery document", config=config, tls=tls)
    if document.get("issuer") != config.issuer:
        # Discovery §4.3: the issuer MUST be identical to the one the document was fetched for.
        raise ProviderUnavailable(
            f"the discovery document at {url} names issuer {document.get('issuer')!r}, "
            f"not the configured {config.issuer!r} (they must be identical, trailing slash included)"
        )
    endpoints = ("authorization_endpoint", "token_endpoint", "jwks_uri")
    missing = [k for k in endpoints if not isinstance(document.get(k), str)]
    if missing:
        raise ProviderUnavailable(f"the discovery document at {url} lacks {', '.join(missing)}")
    return document


async def _get_json(url: str, *, what: str, config: OidcConfig, tls: ssl.SSLContext | bool) -> dict[str, Any]:
    try:
        async with httpx.AsyncClient(timeout=config.timeout_seconds, verify=tls) as client:
            response = await client.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as error:
        raise ProviderUnavailable(f"{what} at {url}: {describe_http_error(error)}") from error
    if response.status_code != 200:
        raise ProviderUnavailable(f"{what} at {url} answered HTTP {response.status_code}")
    try:
        document = response.json()
    except ValueError as error:
        raise ProviderUnavailable(f"{what} at {url} is not JSON") from error
    if not isinstance(document, dict):
        raise ProviderUnavailable(f"{what} at {url} is not a JSON object")
    return document


def basic_authorization(client_id: str, client_secret: str) -> str:
    """RFC 6749 §2.3.1: the client id and secret are each encoded with the
    application/x-www-form-urlencoded algorithm before they are joined with ``:`` and Base64
    encoded (RFC 7617), so a secret holding ``+ / = & :`` reaches the provider intact."""
    pair = f"{quote_plus(client_id, safe='')}:{quote_plus(client_secret, safe='')}"
    return "Basic " + base64.b64encode(pair.encode()).decode("ascii")


def tls_verification(ca_file: str | None) -> ssl.SSLContext | bool:
    """An SSL context trusting only ``ca_file`` (for this client alone), or the system's."""
    if not ca_file:
        return True
    try:
        return ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as error:
        raise IdentityConfigError(f"[oidc] ca_file {ca_file!r} cannot be read as PEM certificates: {error}") from error


def describe_http_error(error: httpx.HTTPError) -> str:
    """Why a request failed, in words an operator can act on (never the URL's secrets)."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return (f"TLS certificate not trusted ({cause.verify_message}); if the broker uses a private CA, "
                    "set [oidc] ca_file to its PEM file")
        if isinstance(cause, ssl.SSLError):
            return f"TLS handshake failed ({cause.reason or cause})"
        cause = cause.__cause__ or cause.__context__
    if isinstance(error, httpx.TimeoutException):
        return f"no answer in time ({type(error).__name__})"
    if isinstance(error, httpx.ConnectError):
        return f"cannot connect ({error or type(error).__name__})"
    return f"{type(error).__name__}: {error}"


def is_loopback_url(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _same_browser(login: _Login, browser: str | None) -> bool:
    """Whether the web login's cookie came back from the browser that started it."""
    if not login.browser_digest or not browser:
        return False
    return hmac.compare_digest(login.browser_digest, digest(browser))


def _is_json(response: httpx.Response) -> bool:
    try:
        return isinstance(response.json(), dict)
    except ValueError:
        return False


def _page(result: CallbackResult) -> HTMLResponse:
    """The browser's page: the outcome in the request's language, naming reference and rights;
    for a verified login, the question "Is this your request?" with its two buttons."""
    if result.confirmation is not None:
        pending = result.confirmation
        title, body = oidc_texts.confirmation_page(
            result.language, reference=result.reference or "", rights=result.rights, channel=pending.channel,
            received_on=riga_date(pending.received_at), name=pending.name, token=pending.token,
            action=CONFIRM_PATH,
        )
    else:
        title, body = oidc_texts.page(result.language, result.problem or "verified", reference=result.reference,
                                      rights=result.rights,
                                      web=result.reference is not None and result.chat_id is None)
    lang = result.language or "lv"
    title = escape(title)
    page = (f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{title}</title></head>"
            f"<body><h1>{title}</h1>{body}</body></html>")
    return HTMLResponse(page, status_code=result.http_status, headers={
        "Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
        # The confirmation form posts to us only; nothing else loads or submits anywhere.
        "Content-Security-Policy": "default-src 'none'; form-action 'self'; frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
    })


def oidc_callback_route(route: OidcRoute, path: str = CALLBACK_PATH) -> Route:
    """The Starlette route ``rightsdesk serve`` mounts for the provider's redirect."""

    async def callback(request: Request) -> HTMLResponse:
        return _page(await route.complete(dict(request.query_params), browser=request.cookies.get(BROWSER_COOKIE)))

    return Route(path, callback, methods=["GET"])


def oidc_confirm_route(route: OidcRoute, path: str = CONFIRM_PATH) -> Route:
    """``POST /identity/oidc/confirm``: the answer to "Is this your request?" (``token``,
    ``answer`` = ``yes`` | ``no``). The token is the form's CSRF token: random, bound to the
    pending login, single use and short-lived; a cross-site page cannot know it."""

    async def confirm(request: Request) -> HTMLResponse:
        body = (await request.body())[:_MAX_FORM_BYTES]
        try:
            fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=10)
        except ValueError:
            fields = {}
        token = (fields.get("token") or [""])[0]
        answer = (fields.get("answer") or [""])[0]
        if answer not in ("yes", "no"):
            return _page(CallbackResult(400, None, "confirm_expired"))
        return _page(await route.answer(token, confirmed=answer == "yes",
                                        browser=request.cookies.get(BROWSER_COOKIE)))

    return Route(path, confirm, methods=["POST"])


def oidc_start_route(route: OidcRoute, path: str = START_PATH) -> Route:
    """``GET /identity/oidc/start?t=…``: a pushed login's link; pushes and redirects (303)."""

    async def start(request: Request) -> Response:
        headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
        try:
            url = await route.open_link(request.query_params.get("t", ""))
        except ProviderUnavailable as error:
            log.warning("eID link could not be opened: %s", error)
            return _page(CallbackResult(502, None, "provider"))
        if url is None:
            return _page(CallbackResult(400, None, "state"))
        return RedirectResponse(url, status_code=303, headers=headers)

    return Route(path, start, methods=["GET"])


def oidc_http_routes(route: OidcRoute) -> list[Route]:
    """What ``rightsdesk serve`` mounts for eID: the pushed links' start, the callback and
    the confirmation's answer."""
    return [oidc_start_route(route), oidc_callback_route(route), oidc_confirm_route(route)]
