"""eID login (route b) against the local stand-in provider, for what a certified provider will
not do on request: ignore ``prompt=login``, leave out ``auth_time``, answer UserInfo for
another subject, sit behind a private CA. Also: claims from UserInfo, form-encoded client
secrets, the web page's login without a chat, and what the chat and the browser are told.

Personas: Līga Kalniņa, the customer whose request it is; Ilze, an impostor whose request
names Līga and who hopes a provider session of Līga's (a shared browser, a forwarded link)
confirms it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette

from bot.identity import OidcConfig, OidcRoute, OutcomeStatus, StaticCustomerDirectory
from bot.identity.oidc import (
    BROWSER_COOKIE,
    CallbackResult,
    basic_authorization,
    describe_http_error,
    oidc_http_routes,
)
from rightsdesk.bootstrap import App
from tests.support.oidc.cases import complete_and_answer, outbox_rows, press_async, request_row
from tests.support.oidc.provider import Forgery, OidcProvider
from tests.support.oidc.tls import private_tls
from workflows.adapters.identity_tables import oidc_logins
from workflows.domain.identity import ClaimedIdentity
from workflows.domain.rights import Channel, Language, Right
from workflows.service_layer.commands import OpenRequest

LIGA_CHAT, ILZE_CHAT = "8101", "8102"
LIGA_CODE = "150385-12345"
LIGA_LOGIN = {"sub": "LV-liga", "name": "Līga Kalniņa", "serialNumber": f"PNOLV-{LIGA_CODE}"}


@pytest.fixture
def provider(clock: Any) -> Iterator[OidcProvider]:
    with OidcProvider(now=lambda: clock.now().timestamp()) as running:
        running.login_as(LIGA_LOGIN)
        yield running


def _config(provider: OidcProvider, **overrides: Any) -> OidcConfig:
    values: dict[str, Any] = {"issuer": provider.issuer, "client_id": provider.client_id,
                              "client_secret": provider.client_secret, "redirect_uri": provider.redirect_uri}
    return OidcConfig(**{**values, **overrides})


@pytest.fixture
def route(app: App, provider: OidcProvider) -> OidcRoute:
    return OidcRoute(app.engine, app.database, StaticCustomerDirectory([]), _config(provider))


def _request(app: App, chat: str = LIGA_CHAT, language: Language = Language.EN) -> str:
    reference: str = app.engine.handle(OpenRequest(
        channel=Channel.TELEGRAM, rights=frozenset({Right.ACCESS, Right.ERASURE}), language=language,
        claimed=ClaimedIdentity(chat_id=chat, personal_code=LIGA_CODE), received_at=app.engine.clock.now(),
    ))
    return reference


def _link(route: OidcRoute, reference: str, chat: str = LIGA_CHAT) -> str:
    outcome = asyncio.run(route.start(reference, chat))
    assert outcome.url is not None, outcome.status
    return outcome.url


def _complete(route: OidcRoute, params: dict[str, str]) -> CallbackResult:
    """The callback, then "Yes, this is my request" where it asks."""
    return complete_and_answer(route, params)


def _attention(app: App, reference: str) -> str:
    with app.engine.uow() as uow:
        return uow.requests.get_by_reference(reference).attention or ""


def _chat_told(app: App, chat: str) -> list[str]:
    return [row.text for row in outbox_rows(app, "eid_outcome") if row.recipient == chat]


def _page(route: OidcRoute, params: dict[str, str], *, cookies: dict[str, str] | None = None) -> httpx.Response:
    """The callback's page, and where it asks "Is this your request?", the page after "Yes"."""
    web = Starlette(routes=oidc_http_routes(route))

    async def follow() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="https://desk.example",
                                     cookies=cookies) as b:
            page = await b.get("/identity/oidc/callback", params=params)
            return await press_async(b, page) if "name='token'" in page.text else page

    return asyncio.run(follow())


# -- a fresh login, every time -------------------------------------------------------------


def test_the_login_link_demands_a_fresh_login_with_prompt_login_and_max_age_zero(app: App, route: OidcRoute) -> None:
    query = parse_qs(urlsplit(_link(route, _request(app))).query)

    assert (query["prompt"], query["max_age"]) == (["login"], ["0"])


def test_a_provider_that_honours_prompt_login_verifies_liga(app: App, route: OidcRoute,
                                                            provider: OidcProvider, clock: Any) -> None:
    provider.session_auth_time = clock.now().timestamp() - 3600  # an old session in her browser
    reference = _request(app)

    result = _complete(route, provider.authorize(_link(route, reference)))

    assert result.outcome is not None and result.outcome.status is OutcomeStatus.VERIFIED
    assert request_row(app, reference).verified_method == "qualified_eid"


@pytest.mark.parametrize("session_age_seconds", [3600, 30], ids=["an-hour-old", "half-a-minute-old"])
def test_ilzes_request_is_not_verified_by_ligas_earlier_session_at_a_provider_ignoring_prompt(
    app: App, route: OidcRoute, provider: OidcProvider, clock: Any, session_age_seconds: int
) -> None:
    provider.ignore_prompt = True
    provider.session_auth_time = clock.now().timestamp() - session_age_seconds
    stolen = _request(app, ILZE_CHAT)

    result = _complete(route, provider.authorize(_link(route, stolen, ILZE_CHAT)))

    assert (result.http_status, result.outcome, result.problem) == (400, None, "stale_login")
    row = request_row(app, stolen)
    assert (row.state, row.verified_method) == ("awaiting_identity", None)
    assert "earlier provider session" in _attention(app, stolen)
    (told,) = _chat_told(app, ILZE_CHAT)
    assert "did not ask you to log in again" in told and stolen in told


def test_a_login_that_took_longer_than_max_age_and_the_skew_is_refused(
    app: App, route: OidcRoute, provider: OidcProvider, clock: Any
) -> None:
    reference = _request(app)
    params = provider.authorize(_link(route, reference))  # she logs in now ...
    clock.advance(seconds=150)  # ... but the redirect reaches us 2.5 minutes later

    assert _complete(route, params).problem == "stale_login"


def test_an_id_token_without_auth_time_is_refused(app: App, route: OidcRoute, provider: OidcProvider) -> None:
    reference = _request(app)
    params = provider.authorize(_link(route, reference))
    provider.forgery = Forgery.NO_AUTH_TIME

    result = _complete(route, params)

    assert (result.problem, request_row(app, reference).state) == ("auth_time_missing", "awaiting_identity")


# -- claims from UserInfo ------------------------------------------------------------------


def test_liga_is_verified_from_userinfo_claims_when_the_id_token_names_only_the_subject(
    app: App, route: OidcRoute, provider: OidcProvider
) -> None:
    provider.claims_in_userinfo = True
    reference = _request(app)

    _complete(route, provider.authorize(_link(route, reference)))

    row = request_row(app, reference)
    assert (row.verified_method, row.verified_personal_code, row.verified_name) == (
        "qualified_eid", LIGA_CODE, "Līga Kalniņa")


def test_userinfo_for_another_subject_is_not_used(app: App, route: OidcRoute, provider: OidcProvider) -> None:
    reference = _request(app)
    params = provider.authorize(_link(route, reference))
    provider.forgery = Forgery.USERINFO_OTHER_SUBJECT

    result = _complete(route, params)

    assert (result.http_status, result.problem) == (400, "userinfo_subject")
    assert request_row(app, reference).verified_method is None
    assert "UserInfo named another subject" in _attention(app, reference)


# -- client authentication and TLS -------------------------------------------------------


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_a_client_secret_with_reserved_characters_authenticates(app: App, clock: Any, method: str) -> None:
    secret = "a+b/c=d&e:f%g h"
    with OidcProvider(client_secret=secret, now=lambda: clock.now().timestamp()) as provider:
        provider.login_as(LIGA_LOGIN)
        route = OidcRoute(app.engine, app.database, StaticCustomerDirectory([]),
                          _config(provider, client_auth_method=method))
        reference = _request(app)

        result = _complete(route, provider.authorize(_link(route, reference)))

    assert result.outcome is not None and result.outcome.status is OutcomeStatus.VERIFIED


def test_basic_authorization_form_encodes_id_and_secret() -> None:
    assert basic_authorization("desk", "a+b/c=d&e") == "Basic ZGVzazphJTJCYiUyRmMlM0RkJTI2ZQ=="


def test_a_broker_behind_a_private_ca_is_trusted_through_ca_file_alone(
    app: App, clock: Any, tmp_path: Path
) -> None:
    tls = private_tls(tmp_path / "tls")
    with OidcProvider(now=lambda: clock.now().timestamp(), tls=(str(tls.cert_file), str(tls.key_file))) as provider:
        provider.login_as(LIGA_LOGIN)
        trusting = OidcRoute(app.engine, app.database, StaticCustomerDirectory([]),
                             _config(provider, ca_file=str(tls.ca_file)))
        plain = OidcRoute(app.engine, app.database, StaticCustomerDirectory([]), _config(provider))
        reference = _request(app)

        verified = _complete(trusting, provider.authorize(_link(trusting, reference)))
        untrusted = asyncio.run(plain.start(_request(app), LIGA_CHAT))
        with pytest.raises(httpx.ConnectError) as process_wide:
            httpx.get(provider.issuer + "/.well-known/openid-configuration", timeout=5)

    assert verified.outcome is not None and verified.outcome.status is OutcomeStatus.VERIFIED
    assert untrusted.status is OutcomeStatus.UNAVAILABLE
    assert "set [oidc] ca_file" in describe_http_error(process_wide.value)


# -- what the browser and the chat are told ------------------------------------------------


def test_the_confirmation_page_names_the_reference_and_the_rights_in_the_requests_language(
    app: App, route: OidcRoute, provider: OidcProvider
) -> None:
    reference = _request(app, language=Language.RU)

    page = _page(route, provider.authorize(_link(route, reference)))

    assert page.status_code == 200 and "Личность подтверждена" in page.text
    assert reference in page.text and "получить доступ к данным" in page.text and "удалить данные" in page.text
    assert page.headers["cache-control"] == "no-store"


def test_the_chat_is_told_of_success_in_its_language(app: App, route: OidcRoute, provider: OidcProvider) -> None:
    reference = _request(app, language=Language.LV)

    _complete(route, provider.authorize(_link(route, reference)))

    (told,) = _chat_told(app, LIGA_CHAT)
    assert told.startswith("Paldies, Jūsu identitāte ir apstiprināta ar eID") and reference in told


@pytest.mark.parametrize(
    ("break_it", "problem", "says"),
    [
        (lambda p: setattr(p, "forgery", Forgery.WRONG_KEY), "signature", "could not be checked"),
        (lambda p: setattr(p, "client_secret", "rotated"), "provider", "not answering now"),
    ],
    ids=["forged-token", "provider-refuses-the-client"],
)
def test_each_failure_tells_the_chat_what_to_do_next(
    app: App, route: OidcRoute, provider: OidcProvider, break_it: Any, problem: str, says: str
) -> None:
    reference = _request(app)
    params = provider.authorize(_link(route, reference))
    break_it(provider)

    assert _complete(route, params).problem == problem

    (told,) = _chat_told(app, LIGA_CHAT)
    assert says in told and f"Request {reference} is still waiting" in told


def test_a_cancelled_login_tells_the_chat_to_ask_for_a_new_link(app: App, route: OidcRoute) -> None:
    reference = _request(app)
    state = parse_qs(urlsplit(_link(route, reference)).query)["state"][0]

    result = _complete(route, {"state": state, "error": "access_denied"})

    assert result.problem == "cancelled"
    (told,) = _chat_told(app, LIGA_CHAT)
    assert "cancelled" in told


def test_an_unknown_link_gets_a_page_in_all_three_languages(route: OidcRoute) -> None:
    page = _page(route, {"state": "made-up", "code": "x"})

    assert page.status_code == 400
    assert all(t in page.text for t in ("Identitāti neizdevās", "Identity not confirmed", "Личность не подтверждена"))


# -- the web page for e-mail requesters (no chat) --------------------------------------------


def _email_request(app: App) -> str:
    reference: str = app.engine.handle(OpenRequest(
        channel=Channel.EMAIL, rights=frozenset({Right.ACCESS}), language=Language.EN,
        claimed=ClaimedIdentity(email="liga@example.lv", personal_code=LIGA_CODE),
        received_at=app.engine.clock.now(),
    ))
    return reference


def test_an_email_requester_verifies_through_a_web_started_login_without_any_chat(
    app: App, route: OidcRoute, provider: OidcProvider
) -> None:
    reference = _email_request(app)
    browser = "liga-browser-cookie-0123456789"
    outcome = asyncio.run(route.start_for_web(reference, browser=browser))
    assert outcome.status is OutcomeStatus.LINK_CREATED and outcome.url is not None

    page = _page(route, provider.authorize(outcome.url), cookies={BROWSER_COOKIE: browser})

    assert page.status_code == 200 and reference in page.text and "the answer comes by e-mail" in page.text
    assert request_row(app, reference).verified_method == "qualified_eid"
    with app.database.connect() as connection:
        assert connection.execute(select(oidc_logins.c.chat_id)).scalar_one() is None
    assert outbox_rows(app, "eid_outcome") == []


def test_a_chat_cannot_start_a_login_for_an_email_request(app: App, route: OidcRoute) -> None:
    assert asyncio.run(route.start(_email_request(app), ILZE_CHAT)).status is OutcomeStatus.NOT_FOUND



def test_an_answer_naming_another_issuer_is_refused_before_its_code_is_used(
    app: App, route: OidcRoute, provider: OidcProvider
) -> None:
    reference = _request(app)
    params = {**provider.authorize(_link(route, reference)), "iss": "https://evil.example"}
    exchanges = provider.token_requests

    result = _complete(route, params)

    assert (result.problem, provider.token_requests) == ("issuer", exchanges)
    assert request_row(app, reference).state == "awaiting_identity"


# -- "Is this your request?": nothing is recorded at the callback alone ----------------------


def _pending_claims(app: App) -> list[Any]:
    with app.database.connect() as connection:
        return list(connection.execute(select(oidc_logins.c.pending_claims)).scalars())


def test_the_callback_records_nothing_and_asks_liga_whether_the_request_is_hers(
    app: App, route: OidcRoute, provider: OidcProvider
) -> None:
    reference = _request(app)

    asked = asyncio.run(route.complete(provider.authorize(_link(route, reference))))

    assert asked.problem == "confirm" and asked.confirmation is not None and asked.outcome is None
    assert asked.confirmation.name == "Līga Kalniņa" and asked.confirmation.channel == "telegram"
    assert request_row(app, reference).state == "awaiting_identity"
    assert _chat_told(app, LIGA_CHAT) == []  # the chat hears only the answer's outcome
    (kept,) = _pending_claims(app)
    assert LIGA_CODE in kept and asked.confirmation.token not in str(kept)  # keyed by its digest only


def test_ilzes_forwarded_chat_link_answered_no_by_liga_records_nothing_and_flags_staff(
    app: App, route: OidcRoute, provider: OidcProvider
) -> None:
    stolen = _request(app, ILZE_CHAT)  # Ilze's chat request claims Līga's personal code
    asked = asyncio.run(route.complete(provider.authorize(_link(route, stolen, ILZE_CHAT))))
    assert asked.confirmation is not None

    declined = asyncio.run(route.answer(asked.confirmation.token, confirmed=False))
    yes_after_no = asyncio.run(route.answer(asked.confirmation.token, confirmed=True))

    assert (declined.http_status, declined.problem) == (200, "declined")
    assert yes_after_no.problem == "confirm_expired"
    row = request_row(app, stolen)
    assert (row.state, row.verified_method) == ("awaiting_identity", None)
    assert "possible impostor" in _attention(app, stolen)
    (told,) = _chat_told(app, ILZE_CHAT)
    assert told.startswith("Your identity was not confirmed by eID") and "impostor" not in told
    assert _pending_claims(app) == [None]


def test_an_unanswered_confirmation_expires_within_minutes_and_forgets_the_claims(
    app: App, route: OidcRoute, provider: OidcProvider, clock: Any
) -> None:
    reference = _request(app)
    asked = asyncio.run(route.complete(provider.authorize(_link(route, reference))))
    assert asked.confirmation is not None
    clock.advance(minutes=6)

    late = asyncio.run(route.answer(asked.confirmation.token, confirmed=True))

    assert (late.http_status, late.problem) == (400, "confirm_expired")
    assert request_row(app, reference).state == "awaiting_identity"
    assert _pending_claims(app) == [None]


def test_a_made_up_confirmation_token_changes_nothing(app: App, route: OidcRoute) -> None:
    reference = _request(app)

    result = asyncio.run(route.answer("made-up-token", confirmed=True))

    assert (result.http_status, result.problem) == (400, "confirm_expired")
    assert request_row(app, reference).state == "awaiting_identity"


def test_a_web_login_confirmed_from_another_browser_is_refused(
    app: App, route: OidcRoute, provider: OidcProvider
) -> None:
    reference = _email_request(app)
    outcome = asyncio.run(route.start_for_web(reference, browser="liga-browser-cookie-0123456789"))
    assert outcome.url is not None
    asked = asyncio.run(route.complete(provider.authorize(outcome.url), browser="liga-browser-cookie-0123456789"))
    assert asked.confirmation is not None

    refused = asyncio.run(route.answer(asked.confirmation.token, confirmed=True, browser="ilzes-browser-0123456789"))

    assert (refused.http_status, refused.problem) == (403, "other_browser")
    assert request_row(app, reference).state == "awaiting_identity"
    assert "another browser" in _attention(app, reference)


def test_the_confirmation_page_in_russian_names_the_request_in_plain_words(
    app: App, route: OidcRoute, provider: OidcProvider
) -> None:
    reference = _request(app, language=Language.RU)
    web = Starlette(routes=oidc_http_routes(route))
    params = provider.authorize(_link(route, reference))

    async def follow() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="https://desk.example") as b:
            return await b.get("/identity/oidc/callback", params=params)

    page = asyncio.run(follow())

    assert page.status_code == 200 and "Это ваш запрос?" in page.text and reference in page.text
    assert "в чате Telegram" in page.text and "удаление ваших данных" in page.text
    assert "Да, это мой запрос" in page.text and "Нет, я этого не просил(а)" in page.text
    assert "form-action 'self'" in page.headers["content-security-policy"] and LIGA_CODE not in page.text
