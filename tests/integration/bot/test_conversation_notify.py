"""Notifications to the chat, the conversation's hooks into the identity routes, and the
webhook route."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette

from bot.app import webhook_route
from bot.identity import CustomerOnFile, OneTimeCodeRoute, ShopVisitRoute, StaticCustomerDirectory
from bot.identity.outcome import Outcome, OutcomeStatus
from bot.services import VerificationHooks, hooks_from_routes
from rightsdesk.bootstrap import App
from tests.support.telegram.bot_api import FakeBotApi
from tests.support.telegram.harness import last_buttons, run, running_bot, texts_of
from tests.unit.workflows.reply_fact_examples import request_summary
from workflows.adapters.orm import outbox, requests
from workflows.domain.replies import IdentityVerificationFacts
from workflows.domain.rights import Right
from workflows.service_layer import commands as c

CUSTOMER = 5552001
SECRET = "s3cret-webhook"


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as stand_in:
        yield stand_in


async def _register_rectification(api: FakeBotApi, chat_id: int) -> None:
    api.send_text(chat_id, "/start")
    api.press(chat_id, "r:rectification")
    api.press(chat_id, "r:go")
    await api.wait_for_messages(chat_id, 2)
    api.send_text(chat_id, "Jaunā adrese: Brīvības iela 1, Rīga")
    await api.wait_for_messages(chat_id, 3)
    api.send_text(chat_id, "anna@example.lv")
    await api.wait_for_messages(chat_id, 4)
    api.press(chat_id, "s:ok")
    await api.wait_for_messages(chat_id, 6)


def test_the_bot_asks_for_identity_itself_so_no_identity_letter_follows_in_the_chat(app: App, api: FakeBotApi) -> None:
    """The chat shows the verification buttons at once; the engine's identity letter would
    arrive after Līga had chosen a route, or even verified, and read as if she had not."""

    async def scenario() -> int:
        async with running_bot(app, api) as runner:
            await _register_rectification(api, CUSTOMER)
            return await runner.notifier.run_once()

    assert run(scenario()) == 0
    assert not any("Lūdzam apstiprināt Jūsu identitāti" in text for text in texts_of(api, CUSTOMER))
    with app.database.connect() as connection:
        assert connection.execute(select(outbox.c.id)).all() == []
        assert connection.execute(select(requests.c.state)).scalar_one() == "awaiting_identity"


def test_a_staff_reply_in_the_outbox_is_sent_to_the_chat_and_marked_sent(app: App, api: FakeBotApi) -> None:
    async def scenario() -> int:
        async with running_bot(app, api) as runner:
            await _register_rectification(api, CUSTOMER)
            reminder = IdentityVerificationFacts(
                replace(request_summary(Right.RECTIFICATION), reference="DSR-2026-000001")
            )
            app.engine.handle(c.SendReply("DSR-2026-000001", reminder, actor="staff:agnese"))
            return await runner.notifier.run_once()

    assert run(scenario()) == 1
    assert "DSR-2026-000001" in texts_of(api, CUSTOMER)[-1]
    with app.database.connect() as connection:
        assert connection.execute(select(outbox.c.status)).scalars().all() == ["sent"]


def test_state_change_is_notified_once(app: App, api: FakeBotApi) -> None:
    async def scenario() -> None:
        async with running_bot(app, api) as runner:
            await _register_rectification(api, CUSTOMER)
            await runner.notifier.run_once()
            app.engine.handle(c.WithdrawRequest("DSR-2026-000001", actor="staff:approver"))
            await runner.notifier.run_once()
            await runner.notifier.run_once()

    run(scenario())
    notices = [t for t in texts_of(api, CUSTOMER) if t.startswith("Pieprasījums DSR-2026-000001:")]
    assert notices == ["Pieprasījums DSR-2026-000001: atsaukts."]


def test_one_time_code_route_verifies_through_the_conversation(app: App, api: FakeBotApi) -> None:
    checked: list[tuple[str, int, str]] = []

    def send_code(reference: str, chat_id: int) -> Outcome:
        return Outcome(OutcomeStatus.CODE_SENT, reference, channel="email")

    def check_code(reference: str, chat_id: int, code: str) -> Outcome:
        checked.append((reference, chat_id, code))
        return Outcome(OutcomeStatus.VERIFIED, reference)

    async def scenario() -> None:
        async with running_bot(app, api, hooks=VerificationHooks(send_code=send_code, check_code=check_code)):
            await _register_rectification(api, CUSTOMER)
            assert ("Kods uz e-pastu vai tālruni", "v:otc:DSR-2026-000001") in last_buttons(api, CUSTOMER)
            api.press(CUSTOMER, "v:otc:DSR-2026-000001")
            await api.wait_for_messages(CUSTOMER, 7)
            api.send_text(CUSTOMER, "123 456")
            await api.wait_for_messages(CUSTOMER, 8)

    run(scenario())
    assert checked == [("DSR-2026-000001", CUSTOMER, "123456")]
    assert texts_of(api, CUSTOMER)[-1] == "Paldies, Jūsu identitāte ir apstiprināta."


def test_wrong_code_says_how_many_attempts_are_left(app: App, api: FakeBotApi) -> None:
    hooks = VerificationHooks(
        send_code=lambda reference, chat_id: Outcome(OutcomeStatus.CODE_SENT, reference, channel="sms"),
        check_code=lambda reference, chat_id, code: Outcome(OutcomeStatus.CODE_WRONG, reference, attempts_left=4),
    )

    async def scenario() -> None:
        async with running_bot(app, api, hooks=hooks):
            await _register_rectification(api, CUSTOMER)
            api.press(CUSTOMER, "v:otc:DSR-2026-000001")
            api.send_text(CUSTOMER, "000000")
            await api.wait_for_messages(CUSTOMER, 8)

    run(scenario())
    assert texts_of(api, CUSTOMER)[-1] == "Kods nav pareizs. Atlikuši mēģinājumi: 4."


def test_webhook_refuses_a_request_without_the_secret(app: App, api: FakeBotApi) -> None:
    async def scenario() -> int:
        async with running_bot(app, api) as runner:
            web = Starlette(routes=[webhook_route(runner.application, secret=SECRET)])
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://bot") as client:
                response = await client.post("/telegram/webhook", json={"update_id": 1})
            return response.status_code

    assert run(scenario()) == 403


def test_webhook_update_is_answered_like_a_polled_one(app: App, api: FakeBotApi) -> None:
    update = {
        "update_id": 900001,
        "message": {
            "message_id": 1,
            "date": 1772521200,
            "chat": {"id": CUSTOMER, "type": "private"},
            "from": {"id": CUSTOMER, "is_bot": False, "first_name": "Customer", "language_code": "en"},
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }

    async def scenario() -> int:
        async with running_bot(app, api) as runner:
            web = Starlette(routes=[webhook_route(runner.application, secret=SECRET)])
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://bot") as client:
                response = await client.post(
                    "/telegram/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
                )
            await api.wait_for_messages(CUSTOMER, 1)
            return response.status_code

    assert run(scenario()) == 200
    assert texts_of(api, CUSTOMER)[0].startswith("Commands:")


def test_shop_visit_route_of_bot_identity_answers_through_the_conversation(app: App, api: FakeBotApi) -> None:
    async def scenario() -> None:
        hooks = hooks_from_routes(shop=ShopVisitRoute(app.engine))
        async with running_bot(app, api, hooks=hooks):
            await _register_rectification(api, CUSTOMER)
            api.press(CUSTOMER, "v:shop:DSR-2026-000001")
            await api.wait_for_messages(CUSTOMER, 7)

    run(scenario())
    said = texts_of(api, CUSTOMER)[-1]
    assert said.startswith("Apmeklējiet ") and "DSR-2026-000001" in said


def test_one_time_code_route_of_bot_identity_verifies_the_chat(app: App, api: FakeBotApi) -> None:
    customers = StaticCustomerDirectory([CustomerOnFile(key="customers:1", email="anna@example.lv")])
    codes = OneTimeCodeRoute(app.engine, app.database, customers, secret=b"test-secret-of-32-bytes-or-so-ok!")

    async def scenario() -> None:
        async with running_bot(app, api, hooks=hooks_from_routes(codes=codes)):
            await _register_rectification(api, CUSTOMER)
            api.press(CUSTOMER, "v:otc:DSR-2026-000001")
            await api.wait_for_messages(CUSTOMER, 7)
            api.send_text(CUSTOMER, _code_sent_by_email(app))
            await api.wait_for_messages(CUSTOMER, 8)

    run(scenario())
    assert texts_of(api, CUSTOMER)[-1] == "Paldies, Jūsu identitāte ir apstiprināta."
    with app.database.connect() as connection:
        assert connection.execute(select(requests.c.state)).scalar_one() == "in_progress"


def _code_sent_by_email(app: App) -> str:
    with app.database.connect() as connection:
        bodies = connection.execute(select(outbox.c.text).where(outbox.c.channel == "email")).scalars().all()
    found = [m.group(0) for body in bodies for m in [re.search(r"(?<![-\d])\d{6}(?!\d)", body)] if m]
    assert found, "no code e-mail in the outbox"
    return found[-1]


def test_a_reply_for_a_request_opened_in_a_group_is_never_posted_to_the_group(app: App, api: FakeBotApi) -> None:
    """A request registered from a group before the bot refused groups (or by a bug) must not
    have its replies, with the person's reference and state, read by everyone in the group."""
    from workflows.domain.identity import ClaimedIdentity
    from workflows.domain.rights import Channel, Language

    group = -1001234567890
    app.engine.handle(
        c.OpenRequest(
            channel=Channel.TELEGRAM,
            rights=frozenset({Right.ACCESS}),
            language=Language.LV,
            claimed=ClaimedIdentity(chat_id=str(group)),
            received_at=app.engine.clock.now(),
        )
    )

    async def scenario() -> int:
        async with running_bot(app, api) as runner:
            return await runner.notifier.run_once()

    assert run(scenario()) == 0
    assert texts_of(api, group) == []
    with app.database.connect() as connection:
        statuses = connection.execute(select(outbox.c.status)).scalars().all()
    assert statuses and all(status != "sent" for status in statuses)
