"""The one-time code step in the chat, over the real PTB Application, the Bot API stand-in
and the real :class:`OneTimeCodeRoute`: only something shaped like a code is an attempt,
"Resend code" and "I didn't get it", and a lock-out per contact and chat that a stranger
cannot turn against the customer.

Personas: Līga Kalniņa (on file with her e-mail) in her own chat, and the impostor "Ilze",
who in her own chat claims Līga's e-mail and types wrong codes while Līga verifies in hers.
The clock stands at 09:00 Riga time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.identity import CustomerOnFile, OneTimeCodeRoute, ShopVisitRoute, StaticCustomerDirectory
from bot.services import VerificationHooks, hooks_from_routes
from rightsdesk.bootstrap import App
from tests.conftest import FixedClock
from tests.support.telegram.bot_api import FakeBotApi
from tests.support.telegram.harness import last_buttons, run, running_bot, texts_of
from workflows.adapters.identity_tables import identity_codes
from workflows.adapters.orm import outbox, requests

LIGA = 5555001
ILZE = 5555002
LIGA_EMAIL = "liga.kalnina@example.lv"
SECRET = b"test-identity-secret-0123456789abcdef"
VERIFIED = "Paldies, Jūsu identitāte ir apstiprināta."


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as stand_in:
        yield stand_in


def _hooks(app: App) -> VerificationHooks:
    customers = StaticCustomerDirectory([CustomerOnFile(key="customers:7", email=LIGA_EMAIL)])
    codes = OneTimeCodeRoute(app.engine, app.database, customers, secret=SECRET)
    return hooks_from_routes(codes=codes, shop=ShopVisitRoute(app.engine))


async def _to_code_step(api: FakeBotApi, chat_id: int) -> str:
    """Register a rectification with Līga's e-mail and ask for a code; the reference."""
    api.send_text(chat_id, "/start")
    api.press(chat_id, "r:rectification")
    api.press(chat_id, "r:go")
    await api.wait_for_messages(chat_id, 2)
    api.send_text(chat_id, "Mans uzvārds ir Kalniņa, nevis Kalnina")
    await api.wait_for_messages(chat_id, 3)
    api.send_text(chat_id, LIGA_EMAIL)
    await api.wait_for_messages(chat_id, 4)
    api.press(chat_id, "s:ok")
    await api.wait_for_messages(chat_id, 6)
    found = re.search(r"DSR-\d{4}-\d{6}", texts_of(api, chat_id)[4])
    assert found is not None
    reference = found.group(0)
    await _answer(api, chat_id, press=f"v:otc:{reference}")
    return reference


async def _answer(api: FakeBotApi, chat_id: int, *, text: str | None = None, press: str | None = None) -> str:
    before = len(api.sent(chat_id))
    if text is not None:
        api.send_text(chat_id, text)
    else:
        assert press is not None
        api.press(chat_id, press)
    await api.wait_for_messages(chat_id, before + 1)
    return texts_of(api, chat_id)[before]


def _code_for(app: App, reference: str) -> str:
    with app.database.connect() as connection:
        bodies = connection.execute(
            select(outbox.c.text).where(outbox.c.kind == "identity_code").order_by(outbox.c.created_at)
        ).scalars().all()
    codes = [m.group(1) for body in bodies if reference in body for m in [re.search(r": (\d{6})$", body, re.M)] if m]
    assert codes, f"no code e-mail for {reference}"
    return codes[-1]


def _wrong(code: str, n: int = 1) -> str:
    return f"{(int(code) + n) % 1_000_000:06d}"


def _state(app: App, reference: str) -> str:
    with app.database.connect() as connection:
        state: str = connection.execute(select(requests.c.state).where(requests.c.reference == reference)).scalar_one()
    return state


def _attempts(app: App) -> list[int]:
    with app.database.connect() as connection:
        return list(connection.execute(select(identity_codes.c.attempts)).scalars())


def test_the_right_code_verifies_liga(app: App, api: FakeBotApi) -> None:
    async def scenario() -> str:
        async with running_bot(app, api, hooks=_hooks(app)):
            reference = await _to_code_step(api, LIGA)
            code = _code_for(app, reference)
            return await _answer(api, LIGA, text=f"{code[:3]} {code[3:]}")

    assert run(scenario()) == VERIFIED
    assert _state(app, "DSR-2026-000001") == "in_progress"


def test_text_at_the_code_step_is_not_an_attempt_and_gets_a_hint(app: App, api: FakeBotApi) -> None:
    async def scenario() -> tuple[list[str], list[tuple[str, str]], list[int], str]:
        async with running_bot(app, api, hooks=_hooks(app)):
            reference = await _to_code_step(api, LIGA)
            hints = [
                await _answer(api, LIGA, text=typed)
                for typed in ("Labdien, kur ir kods?", LIGA_EMAIL, "+371 2000 0001", "1234567", "12345", "kods")
            ]
            buttons = last_buttons(api, LIGA)
            attempts = _attempts(app)
            verified = await _answer(api, LIGA, text=_code_for(app, reference))
            return hints, buttons, attempts, verified

    hints, buttons, attempts, verified = run(scenario())
    assert set(hints) == {
        "Tas neizskatās pēc koda: kodā ir 6 cipari, piemēram, 123 456. Ierakstiet kodu no mūsu ziņas vai izvēlieties "
        "zemāk."
    }
    assert buttons == [
        ("Sūtīt kodu vēlreiz", "v:resend:DSR-2026-000001"),
        ("Kodu nesaņēmu", "v:nocode:DSR-2026-000001"),
    ]
    assert attempts == [0]
    assert verified == VERIFIED


def test_resend_code_sends_a_new_code_that_verifies(app: App, api: FakeBotApi) -> None:
    async def scenario() -> tuple[str, str, str]:
        async with running_bot(app, api, hooks=_hooks(app)):
            reference = await _to_code_step(api, LIGA)
            first = _code_for(app, reference)
            resent = await _answer(api, LIGA, press=f"v:resend:{reference}")
            second = _code_for(app, reference)
            old = await _answer(api, LIGA, text=first) if first != second else "the same code twice"
            return resent, old, await _answer(api, LIGA, text=second)

    resent, old, verified = run(scenario())
    assert resent == (
        "Nosūtījām 6 ciparu kodu uz Jūsu e-pastu, kas ir mūsu rīcībā. Ierakstiet to šeit (derīgs 10 minūtes).\n"
        "Iepriekšējais kods vairs nav derīgs."
    )
    assert old in ("Kods nav pareizs. Atlikuši mēģinājumi: 2.", "the same code twice")
    assert verified == VERIFIED
    with app.database.connect() as connection:
        sent = connection.execute(select(outbox.c.recipient).where(outbox.c.kind == "identity_code")).scalars().all()
    assert sent == [LIGA_EMAIL, LIGA_EMAIL]


def test_resend_stays_within_the_send_limit_and_says_when_to_ask_again(app: App, api: FakeBotApi) -> None:
    async def scenario() -> tuple[str, list[tuple[str, str]], str]:
        async with running_bot(app, api, hooks=_hooks(app)):
            reference = await _to_code_step(api, LIGA)
            for _ in range(2):
                await _answer(api, LIGA, press=f"v:resend:{reference}")
            refused = await _answer(api, LIGA, press=f"v:resend:{reference}")  # the 4th code in 30 minutes
            buttons = last_buttons(api, LIGA)
            return refused, buttons, await _answer(api, LIGA, text=_code_for(app, reference))

    refused, buttons, verified = run(scenario())
    assert refused == (
        "Kodu jau lūdzāt vairākas reizes. Jaunu kodu varēsiet lūgt plkst. 09:30. "
        "Varat arī apstiprināt identitāti citā veidā:"
    )
    assert buttons == [("Veikalā ar personas dokumentu", "v:shop:DSR-2026-000001")]
    assert verified == VERIFIED  # the last code sent still works


def test_i_didnt_get_it_offers_the_other_routes_and_the_code_still_works(app: App, api: FakeBotApi) -> None:
    async def scenario() -> tuple[str, list[tuple[str, str]], str]:
        async with running_bot(app, api, hooks=_hooks(app)):
            reference = await _to_code_step(api, LIGA)
            said = await _answer(api, LIGA, press=f"v:nocode:{reference}")
            buttons = last_buttons(api, LIGA)
            return said, buttons, await _answer(api, LIGA, text=_code_for(app, reference))

    said, buttons, verified = run(scenario())
    assert said.startswith("Kods parasti pienāk dažu minūšu laikā; pārbaudiet arī mēstuļu (spam) mapi.")
    assert buttons == [
        ("Sūtīt kodu vēlreiz", "v:resend:DSR-2026-000001"),
        ("Veikalā ar personas dokumentu", "v:shop:DSR-2026-000001"),
    ]
    assert verified == VERIFIED


def test_a_paused_customer_is_told_when_to_try_again_and_offered_other_routes(
    app: App, api: FakeBotApi, clock: FixedClock
) -> None:
    async def scenario() -> tuple[list[str], list[tuple[str, str]], str, str]:
        async with running_bot(app, api, hooks=_hooks(app)):
            reference = await _to_code_step(api, LIGA)
            code = _code_for(app, reference)
            said = [await _answer(api, LIGA, text=_wrong(code, n)) for n in (1, 2, 3)]
            buttons = last_buttons(api, LIGA)
            during = await _answer(api, LIGA, text=code)  # even the right code waits for the pause
            clock.advance(minutes=1, seconds=1)
            return said, buttons, during, await _answer(api, LIGA, text=code)

    said, buttons, during, after = run(scenario())
    assert said[:2] == ["Kods nav pareizs. Atlikuši mēģinājumi: 2.", "Kods nav pareizs. Atlikuši mēģinājumi: 1."]
    assert said[2] == (
        "Pārāk daudz nepareizu kodu. Kodu varēsiet ievadīt atkal plkst. 09:01. "
        "Varat arī apstiprināt identitāti citā veidā:"
    )
    assert buttons == [("Veikalā ar personas dokumentu", "v:shop:DSR-2026-000001")]
    assert during == said[2]
    assert after == VERIFIED


def test_impostor_ilze_typing_wrong_codes_for_ligas_email_does_not_lock_liga_out(
    app: App, api: FakeBotApi, clock: FixedClock
) -> None:
    async def scenario() -> tuple[list[str], str, str]:
        async with running_bot(app, api, hooks=_hooks(app)):
            ilzes = await _to_code_step(api, ILZE)  # Ilze claims Līga's e-mail in her own chat
            ligas = await _to_code_step(api, LIGA)
            guesses = [await _answer(api, ILZE, text=f"{n:06d}") for n in range(8)]
            clock.advance(seconds=30)
            guesses += [await _answer(api, ILZE, text=f"{n:06d}") for n in range(8, 12)]
            ilze_again = await _answer(api, ILZE, press=f"v:resend:{ilzes}")
            return guesses, ilze_again, await _answer(api, LIGA, text=_code_for(app, ligas))

    guesses, ilze_again, liga = run(scenario())
    assert any(g.startswith("Pārāk daudz nepareizu kodu.") for g in guesses)
    assert ilze_again.startswith("Pārāk daudz nepareizu kodu.")  # Ilze's own chat waits
    assert liga == VERIFIED
    assert _state(app, "DSR-2026-000002") == "in_progress"
    assert _state(app, "DSR-2026-000001") == "awaiting_identity"
    events = app.queries.detail("DSR-2026-000001")["events"]
    assert any(e["type"] == "IdentityVerificationFailed" for e in events)  # staff see Ilze's failures
