"""Route (b): eID login through an OpenID Connect provider (tier 3, QUALIFIED_EID).

eParaksts and Smart-ID are offered through OIDC brokers (issue 7). The bot sends a one-time
login link; ``rightsdesk serve`` hosts the callback, which checks state, PKCE and the ID
token (:mod:`bot.identity.id_token`) and records the name and personal code as a verified
identity (LAW.md §Identity tier 3). The person logged in must be the person the request is
about (:mod:`bot.identity.subject`).

Use::

    route = OidcRoute(engine, database, customers, OidcConfig(issuer=..., client_id=...,
                      client_secret=..., redirect_uri="https://desk.example/identity/oidc/callback"))
    outcome = await route.start(reference, chat_id)   # LINK_CREATED(url, expires_at) | NOT_FOUND | ...
    outcome = route.start_blocking(reference, chat_id)  # the same, from a worker thread
    # send outcome.url to the chat without a link preview.

Mount the callback in ``rightsdesk serve`` (Starlette)::

    routes.append(oidc_callback_route(route))          # GET /identity/oidc/callback

``OidcRoute(on_result=...)`` takes ``async (chat_id, outcome) -> None`` to tell the chat at
once. ``await route.complete(query_params)`` is what the callback runs (tests call it too).

Security: ``state`` and ``nonce`` come from :mod:`secrets`, are stored only as SHA-256
digests, bound to the request and the chat, expire after ``link_lifetime`` and are consumed
(atomically, before the code is exchanged) on first use, so a replayed callback fails even
if it races the first; PKCE S256 (RFC 7636); the ID token is verified against the
provider's JWKS. Tokens, codes and personal codes are never logged.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc.jwk import KeySet
from sqlalchemy import Engine as SqlEngine
from sqlalchemy import insert, select, update
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from bot.identity.cases import CaseView, gate, load_case, personal_code_of
from bot.identity.customers import CustomerDirectory
from bot.identity.errors import ProviderUnavailable
from bot.identity.id_token import IdTokenRejected, digest, unknown_key_id, verify_id_token
from bot.identity.outcome import Outcome, OutcomeStatus
from bot.identity.subject import SubjectMatch, match_subject
from workflows.adapters.identity_tables import oidc_logins
from workflows.adapters.orm import requests as requests_table
from workflows.domain.identity import IdentityTier, VerificationMethod, VerifiedIdentity
from workflows.domain.replies import VerificationFailure
from workflows.service_layer.commands import FlagForStaff, RecordIdentityEvidence, RecordVerificationFailure

if TYPE_CHECKING:
    from workflows.service_layer.bus import Engine

log = logging.getLogger(__name__)

CALLBACK_PATH = "/identity/oidc/callback"


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
    """Or ``client_secret_post``."""


@dataclass(frozen=True, slots=True)
class CallbackResult:
    """What the browser is told; ``outcome`` is None when no login could be attributed."""

    http_status: int
    outcome: Outcome | None
    problem: str | None = None


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

    # -- the link -----------------------------------------------------------------------

    async def start(self, reference: str, chat_id: str | int) -> Outcome:
        case = await asyncio.to_thread(load_case, self._engine, reference, chat_id)
        stop = gate(case, reference, route_tier=IdentityTier.STRONG)
        if stop is not None or case is None:
            return stop or Outcome(OutcomeStatus.NOT_FOUND, reference)
        try:
            metadata = await self._provider_metadata()
        except ProviderUnavailable:
            log.warning("OpenID provider unavailable; eID link not created for %s", case.reference)
            return Outcome(OutcomeStatus.UNAVAILABLE, case.reference)
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)  # 86 characters: within RFC 7636's 43-128
        now = self._engine.clock.now()
        expires_at = now + self._config.link_lifetime
        await asyncio.to_thread(self._store_login, case, str(chat_id), state, nonce, verifier, now, expires_at)
        extra = {"nonce": nonce, "code_challenge": create_s256_code_challenge(verifier),
                 "code_challenge_method": "S256"}
        if self._config.acr_values:
            extra["acr_values"] = self._config.acr_values
        url = prepare_grant_uri(
            metadata["authorization_endpoint"], self._config.client_id, "code",
            redirect_uri=self._config.redirect_uri, scope=self._config.scope, state=state, **extra,
        )
        return Outcome(OutcomeStatus.LINK_CREATED, case.reference, url=url, expires_at=expires_at)

    def start_blocking(self, reference: str, chat_id: str | int) -> Outcome:
        """:meth:`start` for a worker thread without an event loop (the bot's ``StartEid`` hook)."""
        return asyncio.run(self.start(reference, chat_id))

    def _store_login(self, case: CaseView, chat_id: str, state: str, nonce: str, verifier: str,
                     now: datetime, expires_at: datetime) -> None:
        with self._database.begin() as connection:
            connection.execute(
                insert(oidc_logins).values(
                    state_digest=digest(state), request_id=case.id, chat_id=chat_id, nonce_digest=digest(nonce),
                    code_verifier=verifier, created_at=now, expires_at=expires_at,
                )
            )

    # -- the callback -------------------------------------------------------------------

    async def complete(self, params: Mapping[str, str]) -> CallbackResult:
        """Finish a login from the provider's redirect (``state``, ``code`` or ``error``)."""
        state = params.get("state") or ""
        login = await asyncio.to_thread(self._consume, state) if state else None
        if login is None:
            log.warning("eID callback with an unknown, used or expired state refused")
            return CallbackResult(400, None, "state")
        reference, chat_id = login["reference"], login["chat_id"]
        code = params.get("code")
        if params.get("error") or not code:
            return CallbackResult(400, None, "cancelled")
        try:
            claims = await self._claims(code, login)
        except IdTokenRejected as rejected:
            log.warning("eID ID token for %s rejected: %s", reference, rejected.problem)
            return CallbackResult(400, None, str(rejected.problem))
        except ProviderUnavailable as error:
            log.warning("eID token exchange for %s failed: %s", reference, error)
            return CallbackResult(502, None, "provider")
        outcome = await asyncio.to_thread(self._record, reference, chat_id, claims)
        if self._on_result is not None:
            await self._on_result(chat_id, outcome)
        return CallbackResult(200 if outcome.verified else 400, outcome, None)

    def _consume(self, state: str) -> dict[str, str] | None:
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
            row = connection.execute(
                select(oidc_logins, requests_table.c.reference)
                .join(requests_table, requests_table.c.id == oidc_logins.c.request_id)
                .where(oidc_logins.c.state_digest == key)
            ).one()
        return {"reference": row.reference, "chat_id": row.chat_id, "nonce_digest": row.nonce_digest,
                "code_verifier": row.code_verifier}

    async def _claims(self, code: str, login: Mapping[str, str]) -> Mapping[str, Any]:
        metadata = await self._provider_metadata()
        raw = await self._exchange(metadata["token_endpoint"], code, login["code_verifier"])
        keys = await self._key_set(metadata)
        if unknown_key_id(raw, keys):
            keys = await self._key_set(metadata, refresh=True)
        return verify_id_token(
            raw, keys, issuer=self._config.issuer, client_id=self._config.client_id,
            nonce_digest=login["nonce_digest"], now=self._engine.clock.now(), leeway=self._config.leeway,
            algorithms=self._config.algorithms, required_acr=self._config.required_acr,
        )

    async def _exchange(self, endpoint: str, code: str, verifier: str) -> str:
        config = self._config
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": config.redirect_uri,
                "code_verifier": verifier}
        auth: httpx.BasicAuth | None = None
        if config.client_auth_method == "client_secret_post":
            form.update(client_id=config.client_id, client_secret=config.client_secret)
        else:
            auth = httpx.BasicAuth(config.client_id, config.client_secret)
        try:
            async with httpx.AsyncClient(timeout=config.timeout_seconds) as client:
                response = await client.post(
                    endpoint, data=form, auth=auth or httpx.USE_CLIENT_DEFAULT, headers={"Accept": "application/json"}
                )
        except httpx.HTTPError as error:
            raise ProviderUnavailable("token endpoint unreachable", error=type(error).__name__) from error
        if response.status_code != 200:
            # RFC 6749 §5.2: invalid_grant for a used or unknown code; nothing to retry.
            raise ProviderUnavailable("token endpoint refused the code", status=response.status_code)
        token = response.json().get("id_token") if _is_json(response) else None
        if not isinstance(token, str):
            raise ProviderUnavailable("token response without an id_token")
        return token

    async def _provider_metadata(self) -> Mapping[str, Any]:
        if self._metadata is None:
            url = self._config.issuer.rstrip("/") + "/.well-known/openid-configuration"
            document = await self._get_json(url)
            if document.get("issuer") != self._config.issuer:
                raise ProviderUnavailable("discovery document names another issuer")
            self._metadata = document
        return self._metadata

    async def _key_set(self, metadata: Mapping[str, Any], *, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            self._keys = KeySet.import_key_set(await self._get_json(metadata["jwks_uri"]))  # type: ignore[arg-type]
        return self._keys

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=self._config.timeout_seconds) as client:
                response = await client.get(url)
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise ProviderUnavailable("provider document unavailable", url=url, error=type(error).__name__) from error
        if not isinstance(document, dict):
            raise ProviderUnavailable("provider document is not an object", url=url)
        return document

    # -- recording ----------------------------------------------------------------------

    def _record(self, reference: str, chat_id: str, claims: Mapping[str, Any]) -> Outcome:
        case = load_case(self._engine, reference, chat_id)
        stop = gate(case, reference, route_tier=IdentityTier.STRONG)
        if stop is not None or case is None:
            return stop or Outcome(OutcomeStatus.NOT_FOUND, reference)
        code = next((str(claims[c]) for c in self._config.personal_code_claims if claims.get(c)), None)
        summary = {"route": "oidc", "issuer": self._config.issuer, "acr": claims.get("acr"),
                   "amr": claims.get("amr"), "subject_digest": digest(str(claims.get("sub", "")))[:32],
                   "auth_time": claims.get("auth_time")}
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

    def _name(self, claims: Mapping[str, Any]) -> str | None:
        for claim in self._config.name_claims:
            if isinstance(claims.get(claim), str) and claims[claim].strip():
                return str(claims[claim]).strip()[:200]
        parts = [claims.get(self._config.given_name_claim), claims.get(self._config.family_name_claim)]
        joined = " ".join(str(p).strip() for p in parts if isinstance(p, str) and p.strip())
        return joined[:200] or None


def _is_json(response: httpx.Response) -> bool:
    try:
        return isinstance(response.json(), dict)
    except ValueError:
        return False


_PAGES = {
    200: ("Identitāte apstiprināta / Identity confirmed / Личность подтверждена",
          "Atgriezieties Telegram. / Please return to Telegram. / Вернитесь в Telegram."),
    400: ("Identitāti neizdevās apstiprināt / Identity not confirmed / Личность не подтверждена",
          "Pieprasiet jaunu saiti tērzēšanā. / Ask for a new link in the chat. / Запросите новую ссылку в чате."),
    502: ("Pakalpojums nav pieejams / Service unavailable / Сервис недоступен",
          "Mēģiniet vēlāk. / Please try again later. / Попробуйте позже."),
}


def oidc_callback_route(route: OidcRoute, path: str = CALLBACK_PATH) -> Route:
    """The Starlette route ``rightsdesk serve`` mounts for the provider's redirect."""

    async def callback(request: Request) -> HTMLResponse:
        result = await route.complete(dict(request.query_params))
        title, hint = _PAGES.get(result.http_status, _PAGES[400])
        page = (f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
                f"<body><h1>{title}</h1><p>{hint}</p></body></html>")
        return HTMLResponse(page, status_code=result.http_status, headers={"Cache-Control": "no-store",
                                                                            "Referrer-Policy": "no-referrer"})

    return Route(path, callback, methods=["GET"])
