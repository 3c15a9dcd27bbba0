"""Helpers for identity-route tests: open a chat request and read what the engine holds."""

from __future__ import annotations

import asyncio
import html
import re
from typing import Any

import httpx
from sqlalchemy import select

from bot.identity.oidc import CallbackResult, OidcRoute
from rightsdesk.bootstrap import App
from workflows.adapters.orm import outbox, requests
from workflows.domain.identity import ClaimedIdentity
from workflows.domain.rights import Channel, Language, Right
from workflows.service_layer.commands import OpenRequest


def open_chat_request(app: App, chat_id: str, rights: set[Right], **claimed: str) -> str:
    """A request opened from the chat, as the conversation does after the summary."""
    reference: str = app.engine.handle(
        OpenRequest(
            channel=Channel.TELEGRAM,
            rights=frozenset(rights),
            language=Language.EN,
            claimed=ClaimedIdentity(chat_id=chat_id, **claimed),
            received_at=app.engine.clock.now(),
        )
    )
    return reference


def request_row(app: App, reference: str) -> Any:
    with app.database.connect() as connection:
        return connection.execute(select(requests).where(requests.c.reference == reference)).one()


def outbox_rows(app: App, kind: str) -> list[Any]:
    with app.database.connect() as connection:
        return list(connection.execute(select(outbox).where(outbox.c.kind == kind).order_by(outbox.c.created_at)))


# -- "Is this your request?" ------------------------------------------------------------------

_CONFIRM_TOKEN = re.compile(r"name='token' value='([^']+)'")


def answer(route: OidcRoute, result: CallbackResult, *, yes: bool = True, browser: str | None = None) -> CallbackResult:
    """Press "Yes" (or "No") on the confirmation the callback asked for; other results as they are."""
    if result.confirmation is None:
        return result
    return asyncio.run(route.answer(result.confirmation.token, confirmed=yes, browser=browser))


def complete_and_answer(route: OidcRoute, params: dict[str, str], *, yes: bool = True,
                        browser: str | None = None) -> CallbackResult:
    """The provider's redirect, then the person's answer to "Is this your request?"."""
    return answer(route, asyncio.run(route.complete(params, browser=browser)), yes=yes, browser=browser)


def confirmation_token(page: str) -> str:
    """The single-use token of the confirmation page's form (a failure page has none)."""
    found = _CONFIRM_TOKEN.search(page)
    if found is None:
        raise AssertionError("the page asks no confirmation")
    return html.unescape(found.group(1))


def press(client: httpx.Client, base: str, page: httpx.Response, *, yes: bool = True) -> httpx.Response:
    """Press a button of the confirmation page, as the browser that shows it (its cookies)."""
    token = confirmation_token(page.text)
    return client.post(f"{base}/identity/oidc/confirm", data={"token": token, "answer": "yes" if yes else "no"})


async def press_async(client: httpx.AsyncClient, page: httpx.Response, *, yes: bool = True) -> httpx.Response:
    token = confirmation_token(page.text)
    return await client.post("/identity/oidc/confirm", data={"token": token, "answer": "yes" if yes else "no"})
