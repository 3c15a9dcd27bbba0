"""The chat intake as `rightsdesk serve` runs it: the HTTP app built from the settings, with
the bot started by its lifespan, talking over HTTP to the Bot API stand-in, the eID login's
callback mounted beside the console, and the sample shop behind the data map (the contacts
on file come from there).

Persona: Līga Bērziņa, a customer of the sample shop (e-mail, phone and personal code on
file), who chats in Latvian and verifies herself by each route in turn.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, select

from bot.services import SERVICES_KEY
from rightsdesk.bootstrap import App, build_app
from rightsdesk.chat import ChatIntake
from rightsdesk.demo import shop_datamap_path
from rightsdesk.demo_kit import asice as asice_kit
from rightsdesk.demo_kit import sample_shop
from rightsdesk.serve import build_http_app, chat_intake
from tests.conftest import FixedClock, make_settings
from tests.support.browser import served as served_app
from tests.support.oidc.cases import press
from tests.support.oidc.provider import OidcProvider
from tests.support.pki.authority import TestPki
from tests.support.pki.certs import make_natural_person
from tests.support.pki.fixtures import pki, trust_dir  # noqa: F401
from tests.support.samples import asice
from tests.support.telegram.bot_api import FakeBotApi
from workflows.adapters.orm import outbox, requests
from workflows.domain.errors import ConfigurationError
from workflows.service_layer import commands as c

LIGA = sample_shop.LIGA
CHAT = 6100001
REFERENCE = "DSR-2026-000001"
IDENTITY_SECRET = "e2e-identity-secret-0123456789abcdef"
WEBHOOK_SECRET = "e2e-webhook-secret-0123"


@dataclass
class Served:
    app: App
    api: FakeBotApi
    provider: OidcProvider
    url: str

    def said(self) -> list[str]:
        return [call.text for call in self.api.sent(CHAT)]

    def wait_for_messages(self, count: int, timeout: float = 15.0) -> list[str]:
        if not self.api.wait_for(lambda: len(self.api.sent(CHAT)) >= count, timeout):
            pytest.fail(f"the bot said {len(self.api.sent(CHAT))} things, expected {count}: {self.said()}")
        return self.said()

    def wait_to_be_told(self, text: str, *, after: int, timeout: float = 15.0) -> None:
        """Wait until the bot says ``text`` after its first ``after`` messages. By text, not by
        count: the worker may deliver the request's own reply to the chat in between."""
        if not self.api.wait_for(lambda: text in self.said()[after:], timeout):
            pytest.fail(f"the bot never said {text!r}; it said: {self.said()[after:]}")

    def wait_to_be_told_start(self, start: str, *, after: int, timeout: float = 15.0) -> None:
        """Wait until a message after the first ``after`` begins with ``start``."""
        if not self.api.wait_for(lambda: any(m.startswith(start) for m in self.said()[after:]), timeout):
            pytest.fail(f"the bot never said {start!r}…; it said: {self.said()[after:]}")

    def request_row(self) -> Any:
        with self.app.reader.connect() as connection:
            return connection.execute(select(requests).where(requests.c.reference == REFERENCE)).one()

    def register(self, right: str, detail: str | None) -> None:
        """/start, choose ``right``, answer its detail (a button "all" or text), give her e-mail, submit."""
        self.api.send_text(CHAT, "/start")
        self.wait_for_messages(1)
        self.api.press(CHAT, f"r:{right}")
        self.api.press(CHAT, "r:go")
        self.wait_for_messages(2)
        if detail is None:
            self.api.press(CHAT, "d:all")
        else:
            self.api.send_text(CHAT, detail)
        self.wait_for_messages(3)
        self.api.send_text(CHAT, LIGA.email)
        self.wait_for_messages(4)
        self.api.press(CHAT, "s:ok")
        self.wait_for_messages(6)

    def log_in_with_eid(self, claims: dict[str, str]) -> dict[str, str]:
        """Register an access request, press the eID button, follow the chat's link to the
        provider as the person with ``claims``; the callback's query parameters."""
        self.register("access", None)
        self.api.press(CHAT, f"v:eid:{REFERENCE}")
        link = re.search(r"https?://\S+", self.wait_for_messages(7)[6])
        assert link is not None, "no login link in the chat"
        self.provider.login_as(claims)
        return self.provider.authorize(link.group(0))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _settings(database_url: str, tmp_path: Path, api: FakeBotApi, provider: OidcProvider, trust: Path, port: int,
              **telegram: Any) -> Any:
    return make_settings(
        database_url,
        tmp_path,
        controller={"datamap": str(shop_datamap_path()), "export_dir": "exports"},
        signature={"trust_dir": str(trust)},
        serve={"public_url": f"http://127.0.0.1:{port}"},
        telegram={"token": api.token, "base_url": api.base_url, "base_file_url": api.base_file_url, **telegram},
        identity={"secret": IDENTITY_SECRET},
        oidc={"issuer": provider.issuer, "client_id": provider.client_id, "client_secret": provider.client_secret},
    )


def _bare_chat(tmp_path: Path, api: FakeBotApi, services: set[str]) -> tuple[App, ChatIntake]:
    """An app with only the bot configured (no shop, no eID) and its chat intake."""
    settings = make_settings(
        f"sqlite:///{tmp_path / 'rightsdesk.db'}",
        tmp_path,
        telegram={"token": api.token, "base_url": api.base_url, "base_file_url": api.base_file_url},
    )
    app = build_app(settings)
    chat = chat_intake(app, services)
    assert chat is not None
    return app, chat


@pytest.fixture
def shop(tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    engine = create_engine(url)
    sample_shop.create_schema(engine)
    sample_shop.seed(engine, today=clock.now().date())
    engine.dispose()
    monkeypatch.setenv("SHOP_DATABASE_URL", url)
    monkeypatch.setenv("SHOP_HASH_SECRET", "e2e-shop-secret-not-for-production")


@pytest.fixture
def served(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    clock: FixedClock,
    shop: None,
    trust_dir: Path,
) -> Iterator[Served]:
    yield from _serve(f"sqlite:///{tmp_path / 'rightsdesk.db'}", getattr(request, "param", {}), tmp_path, clock,
                      trust_dir)


@pytest.fixture
def served_eid(
    database_url: str,
    tmp_path: Path,
    clock: FixedClock,
    shop: None,
    trust_dir: Path,
) -> Iterator[Served]:
    """:func:`served` on SQLite and PostgreSQL, for the eID login's threats."""
    yield from _serve(database_url, {}, tmp_path, clock, trust_dir)


def _serve(database_url: str, telegram: dict[str, Any], tmp_path: Path, clock: FixedClock,
           trust: Path) -> Iterator[Served]:
    port = _free_port()
    callback = f"http://127.0.0.1:{port}/identity/oidc/callback"
    with FakeBotApi() as api, OidcProvider(redirect_uri=callback, now=lambda: clock.now().timestamp()) as provider:
        app = build_app(_settings(database_url, tmp_path, api, provider, trust, port, **telegram), clock=clock)
        chat = chat_intake(app, {"web", "telegram"})
        assert chat is not None
        try:
            with served_app(build_http_app(app, [], chat), port=port, lifespan="on") as url:
                if not api.wait_for(lambda: chat.started, 15):
                    pytest.fail("the bot did not start")
                yield Served(app, api, provider, url)
        finally:
            app.close()


def _code_emailed_to_liga(app: App) -> str:
    with app.reader.connect() as connection:
        rows = connection.execute(
            select(outbox.c.text).where(outbox.c.kind == "identity_code", outbox.c.recipient == LIGA.email)
        ).all()
    assert rows, "no code e-mailed to the address on file"
    found = re.search(r"(?<![-\d])\d{6}(?!\d)", rows[-1].text)
    assert found is not None
    return found.group(0)


def test_liga_verifies_a_rectification_with_a_code_sent_to_her_email_on_file(served: Served) -> None:
    served.register("rectification", "Jaunā adrese: Brīvības iela 2-7, Rīga")
    assert ("Kods uz e-pastu vai tālruni", f"v:otc:{REFERENCE}") in served.api.sent(CHAT)[-1].buttons()
    served.api.press(CHAT, f"v:otc:{REFERENCE}")
    served.wait_for_messages(7)
    served.api.send_text(CHAT, _code_emailed_to_liga(served.app))

    served.wait_to_be_told("Paldies, Jūsu identitāte ir apstiprināta.", after=7)
    row = served.request_row()
    assert (row.state, row.verified_method) == ("in_progress", "one_time_code")


LIGA_EID = {"sub": "LV-liga", "name": f"{LIGA.first_name} {LIGA.last_name}",
            "serialNumber": f"PNOLV-{LIGA.personal_code}"}


def _attention(served: Served) -> str:
    with served.app.engine.uow() as uow:
        return uow.requests.get_by_reference(REFERENCE).attention or ""


def test_liga_verifies_an_access_request_by_eid_login_after_saying_it_is_hers(served_eid: Served) -> None:
    served = served_eid
    params = served.log_in_with_eid(LIGA_EID)

    with httpx.Client(timeout=15) as browser:
        asked = browser.get(f"{served.url}/identity/oidc/callback", params=params)
        before = served.request_row()
        page = press(browser, served.url, asked, yes=True)

    # Asked first, in the chat's language, naming the request, its channel and its rights.
    assert asked.status_code == 200 and "Vai šis ir Jūsu pieprasījums?" in asked.text
    assert REFERENCE in asked.text and "Telegram tērzēšanā" in asked.text and "Jūsu datu kopija" in asked.text
    assert f"{LIGA.first_name} {LIGA.last_name}" in asked.text and LIGA.personal_code not in asked.text
    assert before.state == "awaiting_identity"
    assert page.status_code == 200 and "Identitāte apstiprināta" in page.text
    assert REFERENCE in page.text and "piekļūt saviem datiem" in page.text
    served.wait_to_be_told_start("Paldies, Jūsu identitāte ir apstiprināta ar eID", after=7)
    row = served.request_row()
    assert (row.state, row.verified_method) == ("in_progress", "qualified_eid")


def test_a_chat_eid_login_answered_no_records_nothing_and_flags_staff(served_eid: Served) -> None:
    """Ilze's chat request claims Līga's code; she forwards the chat's link to Līga ("please
    confirm"). Līga logs in, sees whose request it is, and answers "No"."""
    served = served_eid
    params = served.log_in_with_eid(LIGA_EID)

    with httpx.Client(timeout=15) as browser:
        asked = browser.get(f"{served.url}/identity/oidc/callback", params=params)
        declined = press(browser, served.url, asked, yes=False)
        again = press(browser, served.url, asked, yes=True)  # the form is single use

    assert declined.status_code == 200 and "Nekas netika reģistrēts" in declined.text
    assert again.status_code == 400
    served.wait_to_be_told_start("Identitāte ar eID netika apstiprināta", after=7)
    assert not any("says the request is not theirs" in said for said in served.said())  # neutral
    row = served.request_row()
    assert (row.state, row.verified_method) == ("awaiting_identity", None)
    assert "says the request is not theirs" in _attention(served)


def test_the_same_login_link_cannot_be_used_twice(served: Served) -> None:
    params = served.log_in_with_eid({"sub": "LV-liga", "serialNumber": f"PNOLV-{LIGA.personal_code}"})
    assert httpx.get(f"{served.url}/identity/oidc/callback", params=params, timeout=15).status_code == 200

    replay = httpx.get(f"{served.url}/identity/oidc/callback", params=params, timeout=15)

    assert replay.status_code == 400
    assert served.request_row().state == "awaiting_identity"  # the first opening only asked


def test_liga_verifies_an_erasure_with_her_signed_edoc_uploaded_in_the_chat(
    served: Served,
    pki: TestPki,
) -> None:
    signer = make_natural_person(
        issuer=pki.qualified_ca,
        given_name=LIGA.first_name,
        surname=LIGA.last_name,
        personal_code=LIGA.personal_code,
        not_before=pki.now - timedelta(days=365),
        not_after=pki.now + timedelta(days=4 * 365),
        email=LIGA.email,
    )
    text = asice_kit.addressed("Lūdzu dzēst visus manus personas datus.")
    edoc = asice.edoc(pki, signer, {"pieprasijums.txt": text}, signed_at=served.app.engine.clock.now())
    served.register("erasure", None)
    served.api.press(CHAT, f"v:doc:{REFERENCE}")
    served.wait_for_messages(7)
    served.api.send_document(CHAT, edoc, "pieprasijums.edoc")

    served.wait_to_be_told("Paldies, Jūsu identitāte ir apstiprināta.", after=7)
    row = served.request_row()
    assert (row.state, row.verified_method) == ("in_progress", "qualified_signature")


def test_liga_is_told_to_bring_her_id_and_the_reference_to_a_shop(served: Served) -> None:
    served.register("erasure", None)
    served.api.press(CHAT, f"v:shop:{REFERENCE}")

    said = served.wait_for_messages(7)[6]

    assert said.startswith("Apmeklējiet ") and REFERENCE in said
    assert served.request_row().state == "awaiting_identity"


def test_the_served_bot_tells_the_chat_when_staff_move_its_request_on(served: Served) -> None:
    served.register("rectification", "Jaunā adrese: Brīvības iela 2-7, Rīga")
    served.api.press(CHAT, f"v:otc:{REFERENCE}")
    served.wait_for_messages(7)
    served.api.send_text(CHAT, _code_emailed_to_liga(served.app))
    served.wait_to_be_told("Paldies, Jūsu identitāte ir apstiprināta.", after=7)
    before = len(served.said())

    served.app.engine.handle(c.CompleteRequest(REFERENCE, actor="staff:agnese", note="address corrected"))

    # The notifier of the served bot (every two seconds) says so without anyone asking.
    served.wait_to_be_told(f"Pieprasījums {REFERENCE}: izpildīts.", after=before, timeout=20)


@pytest.mark.parametrize("served", [{"mode": "webhook", "webhook_secret": WEBHOOK_SECRET}], indirect=True)
def test_webhook_mode_registers_the_webhook_and_answers_updates_posted_to_it(served: Served) -> None:
    (registered,) = served.api.sent(method="setWebhook")
    assert registered.params["url"] == f"{served.url}/telegram/webhook"
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 0,
            "text": "/help",
            "chat": {"id": CHAT, "type": "private"},
            "from": {"id": CHAT, "is_bot": False, "first_name": "Līga", "language_code": "lv"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }

    forged = httpx.post(f"{served.url}/telegram/webhook", json=update, timeout=10)
    accepted = httpx.post(
        f"{served.url}/telegram/webhook",
        json=update,
        timeout=10,
        headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
    )

    assert (forged.status_code, accepted.status_code) == (403, 200)
    assert served.wait_for_messages(1)


def test_no_token_means_no_chat_intake_and_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = build_app(make_settings(f"sqlite:///{tmp_path / 'rightsdesk.db'}", tmp_path))
    try:
        assert chat_intake(app, {"web", "worker", "telegram"}) is None
    finally:
        app.close()
    assert "RIGHTSDESK_TELEGRAM__TOKEN" in caplog.text


def test_webhook_mode_without_the_web_service_is_a_configuration_error(tmp_path: Path) -> None:
    settings = make_settings(
        f"sqlite:///{tmp_path / 'rightsdesk.db'}",
        tmp_path,
        serve={"public_url": "https://privacy.example.lv"},
        telegram={"token": "123:abc", "mode": "webhook", "webhook_secret": WEBHOOK_SECRET},
    )
    app = build_app(settings)
    try:
        with pytest.raises(ConfigurationError, match="web service"):
            chat_intake(app, {"worker", "telegram"})
    finally:
        app.close()


def test_without_the_web_service_the_bot_long_polls_in_a_thread_of_its_own(tmp_path: Path) -> None:
    stop = threading.Event()
    with FakeBotApi() as api:
        app, chat = _bare_chat(tmp_path, api, {"worker", "telegram"})
        thread = threading.Thread(target=chat.run_until, args=(stop,), daemon=True)
        thread.start()
        try:
            api.send_text(CHAT, "/help")
            assert api.wait_for(lambda: len(api.sent(CHAT)) >= 1, 15), "the polling bot did not answer"
        finally:
            stop.set()
            thread.join(timeout=20)
            app.close()
    assert not thread.is_alive()


def test_a_refused_token_turns_the_chat_off_but_the_console_keeps_serving(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with FakeBotApi() as api:
        settings = make_settings(
            f"sqlite:///{tmp_path / 'rightsdesk.db'}",
            tmp_path,
            telegram={
                "token": "999:revoked",
                "base_url": api.base_url,
                "base_file_url": api.base_file_url,
            },
        )
        app = build_app(settings)
        chat = chat_intake(app, {"web", "telegram"})
        assert chat is not None
        try:
            with served_app(build_http_app(app, [], chat), lifespan="on") as url:
                assert api.wait_for(lambda: "refused the bot token" in caplog.text, 15)
                assert httpx.get(f"{url}/login", timeout=10).status_code == 200
        finally:
            app.close()
    assert "999:revoked" not in caplog.text


def test_an_unreachable_bot_api_is_retried_without_stopping_the_console(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    nowhere = _free_port()
    settings = make_settings(
        f"sqlite:///{tmp_path / 'rightsdesk.db'}",
        tmp_path,
        telegram={"token": "123:abc", "base_url": f"http://127.0.0.1:{nowhere}/bot"},
    )
    app = build_app(settings)
    chat = chat_intake(app, {"web", "telegram"})
    assert chat is not None
    try:
        with served_app(build_http_app(app, [], chat), lifespan="on") as url:
            deadline = time.monotonic() + 15
            while "retrying in 2 s" not in caplog.text and time.monotonic() < deadline:
                time.sleep(0.1)
            assert "cannot reach the Telegram Bot API" in caplog.text and "retrying in 2 s" in caplog.text
            assert httpx.get(f"{url}/healthz", timeout=10).status_code == 200
    finally:
        app.close()
    assert not chat.started


def test_a_second_ctrl_c_cuts_the_bots_shutdown_short_with_one_warning_and_no_leaked_connection(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The operator presses Ctrl+C twice: uvicorn leaves at once and the event loop cancels
    the lifespan while the bot is still stopping. One warning, no traceback, and the Bot API
    connections are closed rather than reported as leaked at exit."""
    with FakeBotApi() as api:
        app, chat = _bare_chat(tmp_path, api, {"web", "telegram"})
        http_app = build_http_app(app, [], chat)

        async def serve_until_cancelled() -> None:
            async with http_app.router.lifespan_context(http_app):
                await asyncio.Event().wait()

        async def scenario() -> None:
            lifespan = asyncio.create_task(serve_until_cancelled())
            while not chat.started:
                await asyncio.sleep(0.05)
            lifespan.cancel()  # the first Ctrl+C: a graceful stop begins (it waits for a long poll)
            await asyncio.sleep(0.05)
            lifespan.cancel()  # the second: the loop cancels the stop midway
            await lifespan

        try:
            asyncio.run(asyncio.wait_for(scenario(), timeout=30))
        finally:
            app.close()
    services = chat.runner.application.bot_data[SERVICES_KEY]
    assert "stopped at once: the chat intake did not finish its shutdown" in caplog.text
    assert "Traceback" not in caplog.text
    assert services.http and all(client._session is None for client in services.http)
