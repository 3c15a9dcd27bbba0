"""Every verification button carries its request and acts only on the chat's current one,
over the real PTB Application and the Bot API stand-in.

Personas: Līga Kalniņa (on file with her e-mail), who has two requests in her chat, and the
impostor "Ilze", who presses a button with Līga's reference in her own chat.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.identity import CustomerOnFile, OneTimeCodeRoute, ShopVisitRoute, StaticCustomerDirectory
from bot.services import VerificationHooks, hooks_from_routes
from rightsdesk.bootstrap import App
from tests.support.telegram.bot_api import FakeBotApi
from tests.support.telegram.harness import last_buttons, run, running_bot, texts_of
from workflows.adapters.orm import outbox, requests

LIGA = 5554001
ILZE = 5554002
LIGA_EMAIL = "liga.kalnina@example.lv"
SECRET = b"test-identity-secret-0123456789abcdef"
FIRST, SECOND = "DSR-2026-000001", "DSR-2026-000002"


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as stand_in:
        yield stand_in


def _hooks(app: App) -> VerificationHooks:
    customers = StaticCustomerDirectory([CustomerOnFile(key="customers:7", email=LIGA_EMAIL)])
    codes = OneTimeCodeRoute(app.engine, app.database, customers, secret=SECRET)
    return hooks_from_routes(codes=codes, shop=ShopVisitRoute(app.engine))


async def _register_rectification(api: FakeBotApi, chat_id: int, email: str = LIGA_EMAIL) -> None:
    start = len(api.sent(chat_id))
    api.send_text(chat_id, "/start")
    api.press(chat_id, "r:rectification")
    api.press(chat_id, "r:go")
    await api.wait_for_messages(chat_id, start + 2)
    api.send_text(chat_id, "Mans uzvārds ir Kalniņa, nevis Kalnina")
    await api.wait_for_messages(chat_id, start + 3)
    api.send_text(chat_id, email)
    await api.wait_for_messages(chat_id, start + 4)
    api.press(chat_id, "s:ok")
    await api.wait_for_messages(chat_id, start + 6)  # registered, then the verification routes


async def _press(api: FakeBotApi, chat_id: int, data: str) -> str:
    before = len(api.sent(chat_id))
    api.press(chat_id, data)
    await api.wait_for_messages(chat_id, before + 1)
    return texts_of(api, chat_id)[before]


def _codes_sent(app: App) -> int:
    with app.database.connect() as connection:
        return len(connection.execute(select(outbox.c.id).where(outbox.c.kind == "identity_code")).all())


def test_every_verification_button_names_its_request(app: App, api: FakeBotApi) -> None:
    async def scenario() -> None:
        async with running_bot(app, api, hooks=_hooks(app)):
            await _register_rectification(api, LIGA)
            await _press(api, LIGA, f"v:otc:{FIRST}")

    run(scenario())
    offered = api.sent(LIGA)[5].buttons()
    code_step = last_buttons(api, LIGA)
    assert [data for _, data in offered] == [f"v:otc:{FIRST}", f"v:shop:{FIRST}"]
    assert [data for _, data in code_step] == [f"v:resend:{FIRST}", f"v:nocode:{FIRST}"]


def test_a_button_of_an_earlier_request_is_refused_naming_the_current_one(app: App, api: FakeBotApi) -> None:
    async def scenario() -> str:
        async with running_bot(app, api, hooks=_hooks(app)):
            await _register_rectification(api, LIGA)
            await _register_rectification(api, LIGA)  # her current request is now the second
            return await _press(api, LIGA, f"v:otc:{FIRST}")

    said = run(scenario())
    assert said == (
        "Šī poga attiecas uz citu pieprasījumu. Jūsu pašreizējais pieprasījums ir DSR-2026-000002: "
        "lūdzu, izmantojiet pogas zem pēdējās ziņas."
    )
    assert _codes_sent(app) == 0


def test_the_current_requests_button_still_works_after_a_refused_one(app: App, api: FakeBotApi) -> None:
    async def scenario() -> str:
        async with running_bot(app, api, hooks=_hooks(app)):
            await _register_rectification(api, LIGA)
            await _register_rectification(api, LIGA)
            await _press(api, LIGA, f"v:otc:{FIRST}")
            return await _press(api, LIGA, f"v:otc:{SECOND}")

    said = run(scenario())
    assert said.startswith("Nosūtījām 6 ciparu kodu uz Jūsu e-pastu")
    with app.database.connect() as connection:
        row = connection.execute(select(outbox.c.text).where(outbox.c.kind == "identity_code")).one()
    assert SECOND in row.text


def test_a_button_of_an_earlier_request_is_refused_while_a_new_one_is_filled_in(app: App, api: FakeBotApi) -> None:
    async def scenario() -> str:
        async with running_bot(app, api, hooks=_hooks(app)):
            await _register_rectification(api, LIGA)
            api.send_text(LIGA, "/start")
            await api.wait_for_messages(LIGA, 7)
            return await _press(api, LIGA, f"v:otc:{FIRST}")

    said = run(scenario())
    assert said.startswith("Šī poga attiecas uz citu pieprasījumu. Jūs pašlaik aizpildāt jaunu pieprasījumu")
    assert _codes_sent(app) == 0


def test_impostor_ilze_pressing_a_button_with_ligas_reference_is_refused(app: App, api: FakeBotApi) -> None:
    async def scenario() -> tuple[str, str]:
        async with running_bot(app, api, hooks=_hooks(app)):
            await _register_rectification(api, LIGA)
            without_request = await _press(api, ILZE, f"v:otc:{FIRST}")
            await _register_rectification(api, ILZE, email="ilze@example.lv")
            with_request = await _press(api, ILZE, f"v:shop:{FIRST}")
            return without_request, with_request

    without_request, with_request = run(scenario())
    assert without_request == "Šī poga vairs nav derīga. Jūsu pieprasījumi: /status."
    assert with_request.startswith("Šī poga attiecas uz citu pieprasījumu. Jūsu pašreizējais pieprasījums ir "
                                   "DSR-2026-000002")
    assert FIRST not in with_request and LIGA_EMAIL not in with_request
    assert _codes_sent(app) == 0
    with app.database.connect() as connection:
        states = dict(connection.execute(select(requests.c.reference, requests.c.state)).all())
    assert states == {FIRST: "awaiting_identity", SECOND: "awaiting_identity"}


def test_impostor_ilze_cannot_withdraw_ligas_request_and_is_told_so(app: App, api: FakeBotApi) -> None:
    async def scenario() -> str:
        async with running_bot(app, api, hooks=_hooks(app)):
            await _register_rectification(api, LIGA)
            return await _press(api, ILZE, f"w:{FIRST}")

    said = run(scenario())
    assert said == "Šī poga vairs nav derīga. Jūsu pieprasījumi: /status."
    with app.database.connect() as connection:
        assert connection.execute(select(requests.c.state)).scalar_one() == "awaiting_identity"
