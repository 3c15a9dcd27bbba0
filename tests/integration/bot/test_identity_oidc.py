"""Route (b): eID login through the local OpenID Connect provider (tier 3, QUALIFIED_EID).

Personas: a verified customer (Jānis, whose request claims his personal code), another
person logging in with her own eID, and a forger/replayer at the provider's edge."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from bot.identity import OidcConfig, OidcRoute, OutcomeStatus, StaticCustomerDirectory
from bot.identity.oidc import CallbackResult, oidc_http_routes
from rightsdesk.bootstrap import App
from tests.support.oidc.cases import complete_and_answer, open_chat_request, press_async, request_row
from tests.support.oidc.provider import Forgery, OidcProvider
from workflows.domain.rights import Right

CHAT = "8001"
JANIS_CODE = "010190-10007"
JANIS_LOGIN = {"sub": "LV-janis", "name": "Jānis Bērziņš", "serialNumber": f"PNOLV-{JANIS_CODE}"}
ANNA_LOGIN = {"sub": "LV-anna", "name": "Anna Kalniņa", "serialNumber": "PNOLV-320000-10002"}


@pytest.fixture
def provider(clock: Any) -> Iterator[OidcProvider]:
    with OidcProvider(now=lambda: clock.now().timestamp()) as running:
        running.login_as(JANIS_LOGIN)
        yield running


@pytest.fixture
def route(app: App, provider: OidcProvider) -> OidcRoute:
    config = OidcConfig(
        issuer=provider.issuer,
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        redirect_uri=provider.redirect_uri,
    )
    return OidcRoute(app.engine, app.database, StaticCustomerDirectory([]), config)


def _access_request(app: App) -> str:
    return open_chat_request(app, CHAT, {Right.ACCESS}, personal_code=JANIS_CODE)


def _login(route: OidcRoute, provider: OidcProvider, reference: str) -> dict[str, str]:
    outcome = asyncio.run(route.start(reference, CHAT))
    if outcome.url is None:
        raise AssertionError(f"no link: {outcome.status}")
    return provider.authorize(outcome.url)


def _complete(route: OidcRoute, params: dict[str, str]) -> CallbackResult:
    """The callback, then "Yes, this is my request" where it asks."""
    return complete_and_answer(route, params)


def test_eid_login_verifies_an_access_request(app: App, route: OidcRoute, provider: OidcProvider) -> None:
    reference = _access_request(app)

    result = _complete(route, _login(route, provider, reference))

    row = request_row(app, reference)
    assert result.outcome is not None and result.outcome.status is OutcomeStatus.VERIFIED
    assert (row.state, row.verified_method, row.required_tier) == ("in_progress", "qualified_eid", 3)


def test_eid_login_records_the_personal_code_and_name(app: App, route: OidcRoute, provider: OidcProvider) -> None:
    reference = _access_request(app)

    _complete(route, _login(route, provider, reference))

    row = request_row(app, reference)
    assert (row.verified_personal_code, row.verified_name) == (JANIS_CODE, "Jānis Bērziņš")


def test_login_link_uses_pkce_s256_and_fresh_state_and_nonce(app: App, route: OidcRoute) -> None:
    reference = _access_request(app)

    links = [asyncio.run(route.start(reference, CHAT)).url or "" for _ in range(2)]

    first, second = ({k: v[0] for k, v in parse_qs(urlsplit(link).query).items()} for link in links)
    assert first["code_challenge_method"] == "S256" and len(first["code_challenge"]) == 43
    assert first["state"] != second["state"] and first["nonce"] != second["nonce"]


@pytest.mark.parametrize("forgery", list(Forgery))
def test_forged_id_token_is_rejected(app: App, route: OidcRoute, provider: OidcProvider, forgery: Forgery) -> None:
    reference = _access_request(app)
    params = _login(route, provider, reference)
    provider.forgery = forgery

    result = _complete(route, params)

    assert (result.http_status, result.outcome) == (400, None)
    assert request_row(app, reference).state == "awaiting_identity"


def test_replayed_callback_is_refused(app: App, route: OidcRoute, provider: OidcProvider) -> None:
    reference = _access_request(app)
    params = _login(route, provider, reference)
    _complete(route, params)
    provider.allow_code_reuse = True  # our own state check must refuse, not only the provider
    requests_before = provider.token_requests

    replay = _complete(route, params)

    assert (replay.http_status, replay.problem) == (400, "state")
    assert provider.token_requests == requests_before


def test_expired_login_link_is_refused(app: App, route: OidcRoute, provider: OidcProvider, clock: Any) -> None:
    reference = _access_request(app)
    params = _login(route, provider, reference)
    clock.advance(minutes=11)

    assert _complete(route, params).problem == "state"


def test_unknown_state_is_refused(route: OidcRoute) -> None:
    assert _complete(route, {"state": "made-up", "code": "whatever"}).http_status == 400


def test_login_by_another_person_is_rejected(app: App, route: OidcRoute, provider: OidcProvider) -> None:
    reference = _access_request(app)
    provider.login_as(ANNA_LOGIN)

    result = _complete(route, _login(route, provider, reference))

    assert result.outcome is not None and result.outcome.failure == "signer_not_data_subject"
    assert request_row(app, reference).state == "awaiting_identity"


def test_link_for_anothers_reference_is_not_created(app: App, route: OidcRoute) -> None:
    reference = _access_request(app)

    outcome = route.start_blocking(reference, "impostor-chat")

    assert (outcome.status, outcome.url) == (OutcomeStatus.NOT_FOUND, None)


def test_callback_route_asks_is_this_your_request_and_records_only_after_yes(
    app: App, route: OidcRoute, provider: OidcProvider
) -> None:
    reference = _access_request(app)
    params = _login(route, provider, reference)
    web = Starlette(routes=oidc_http_routes(route))

    async def follow() -> tuple[httpx.Response, str | None, httpx.Response]:
        transport = httpx.ASGITransport(app=web)
        async with httpx.AsyncClient(transport=transport, base_url="https://desk.example") as browser:
            asked = await browser.get("/identity/oidc/callback", params=params)
            state_before_answer = request_row(app, reference).verified_method
            return asked, state_before_answer, await press_async(browser, asked)

    asked, before, answered = asyncio.run(follow())

    assert asked.status_code == 200 and asked.headers["cache-control"] == "no-store"
    assert "Is this your request?" in asked.text and "Jānis Bērziņš" in asked.text and reference in asked.text
    assert JANIS_CODE not in asked.text and before is None
    assert answered.status_code == 200 and "Identity confirmed" in answered.text
    assert request_row(app, reference).verified_method == "qualified_eid"
