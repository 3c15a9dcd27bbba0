"""eID login against a certified OpenID provider that nobody here wrote: the npm package
``oidc-provider`` (OpenID Foundation certified), started by the tests, with its defaults: the
person's claims come only from UserInfo, and a login session is kept in the browser.

The whole path is real: the bot (PTB) against the Bot API stand-in, `rightsdesk serve`'s HTTP
app on loopback with the callback mounted, and a browser (an HTTP client with a cookie jar)
that fills in the provider's login and consent forms. SQLite and PostgreSQL.

Personas: Līga Bērziņa, a customer of the sample shop (e-mail and personal code on file), and
Ilze, an impostor who files a request in her own chat giving Līga's e-mail and sends Līga
the login link, hoping Līga's live provider session confirms it with one click.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from sqlalchemy import create_engine, select

import bot.identity.oidc as oidc_module
from rightsdesk.bootstrap import App, build_app
from rightsdesk.demo import shop_datamap_path
from rightsdesk.demo_kit import sample_shop
from rightsdesk.serve import build_http_app, chat_intake
from tests.conftest import make_settings
from tests.support.browser import served as served_app
from tests.support.oidc.certified import Browser, CertifiedProvider, is_login_form
from tests.support.telegram.bot_api import FakeBotApi
from workflows.adapters.orm import requests

LIGA = sample_shop.LIGA
LIGA_CHAT, ILZE_CHAT = 6200001, 6200002
SECRET = "s3cr+t/with=signs&more"  # RFC 6749 §2.3.1: form-encoded before HTTP Basic
ACCOUNTS = {
    "liga": {"name": f"{LIGA.first_name} {LIGA.last_name}", "serialNumber": f"PNOLV-{LIGA.personal_code}"},
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Certified:
    provider: CertifiedProvider
    port: int


@pytest.fixture(scope="session")
def certified() -> Iterator[Certified]:
    """One provider for the session; its client's redirect URI is this port's callback."""
    port = _free_port()
    with CertifiedProvider(client_id="rightsdesk", client_secret=SECRET,
                           redirect_uri=f"http://127.0.0.1:{port}/identity/oidc/callback",
                           accounts=ACCOUNTS) as provider:
        yield Certified(provider, port)


@dataclass
class Desk:
    app: App
    api: FakeBotApi
    url: str
    id_tokens: list[dict[str, Any]]

    def said(self, chat: int) -> list[str]:
        return [call.text for call in self.api.sent(chat)]

    def wait_for(self, chat: int, count: int) -> list[str]:
        if not self.api.wait_for(lambda: len(self.api.sent(chat)) >= count, 15):
            pytest.fail(f"the bot said {self.said(chat)} to {chat}, expected {count} messages")
        return self.said(chat)

    def wait_to_be_told(self, chat: int, text: str, timeout: float = 20) -> None:
        if not self.api.wait_for(lambda: any(text in said for said in self.said(chat)), timeout):
            pytest.fail(f"the bot never said {text!r} to {chat}; it said {self.said(chat)}")

    def file_access_request(self, chat: int, email: str) -> str:
        """/start, "see my data", all of it, ``email`` as the contact, submit: the reference."""
        api = self.api
        api.send_text(chat, "/start")
        self.wait_for(chat, 1)
        api.press(chat, "r:access")
        api.press(chat, "r:go")
        self.wait_for(chat, 2)
        api.press(chat, "d:all")
        self.wait_for(chat, 3)
        api.send_text(chat, email)
        self.wait_for(chat, 4)
        api.press(chat, "s:ok")
        self.wait_for(chat, 6)
        buttons = [data for message in api.sent(chat) for _, data in message.buttons()]
        return next(data.removeprefix("v:eid:") for data in buttons if data.startswith("v:eid:"))

    def login_link(self, chat: int, reference: str) -> str:
        before = len(self.api.sent(chat))
        self.api.press(chat, f"v:eid:{reference}")
        link = re.search(r"https?://\S+", self.wait_for(chat, before + 1)[before])
        assert link is not None, "no login link in the chat"
        return link.group(0)

    def request(self, reference: str) -> Any:
        with self.app.reader.connect() as connection:
            return connection.execute(select(requests).where(requests.c.reference == reference)).one()


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    engine = create_engine(url)
    sample_shop.create_schema(engine)
    sample_shop.seed(engine, today=date.today())
    engine.dispose()
    monkeypatch.setenv("SHOP_DATABASE_URL", url)
    monkeypatch.setenv("SHOP_HASH_SECRET", "certified-shop-secret-not-for-production")


@pytest.fixture
def desk(request: pytest.FixtureRequest, certified: Certified, database_url: str, tmp_path: Path, shop: None,
         monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    """`rightsdesk serve` (console, callback, bot) on the port the provider redirects to.
    The real clock: the provider stamps auth_time with it. Indirect parameter: extra [oidc]."""
    extra_oidc: dict[str, Any] = getattr(request, "param", {})
    id_tokens: list[dict[str, Any]] = []
    verify = oidc_module.verify_id_token

    def spy(*args: Any, **kwargs: Any) -> Any:
        claims = verify(*args, **kwargs)
        id_tokens.append(dict(claims))
        return claims

    monkeypatch.setattr(oidc_module, "verify_id_token", spy)
    base = f"http://127.0.0.1:{certified.port}"
    with FakeBotApi() as api:
        settings = make_settings(
            database_url, tmp_path,
            controller={"datamap": str(shop_datamap_path()), "export_dir": "exports"},
            serve={"public_url": base},
            telegram={"token": api.token, "base_url": api.base_url, "base_file_url": api.base_file_url},
            oidc={"issuer": certified.provider.issuer, "client_id": "rightsdesk", "client_secret": SECRET,
                  "scope": "openid profile eid", **extra_oidc},
        )
        app = build_app(settings)
        chat = chat_intake(app, {"web", "telegram"})
        assert chat is not None
        try:
            with served_app(build_http_app(app, [], chat), port=certified.port, lifespan="on") as url:
                if not api.wait_for(lambda: chat.started, 15):
                    pytest.fail("the bot did not start")
                yield Desk(app, api, url, id_tokens)
        finally:
            app.close()


def _without(link: str, *names: str, **extra: str) -> str:
    """The link as an impostor edits it before sending it on."""
    parts = urlsplit(link)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in names] + list(extra.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_liga_verifies_her_access_request_through_the_certified_provider_with_claims_from_userinfo(
    desk: Desk,
) -> None:
    reference = desk.file_access_request(LIGA_CHAT, LIGA.email)
    browser = Browser()

    login_page = browser.open(desk.login_link(LIGA_CHAT, reference))
    asked = browser.consent(browser.log_in(login_page, "liga"))
    page = browser.confirm(asked)

    assert is_login_form(login_page)
    assert asked.status_code == 200 and str(asked.url).startswith(desk.url)
    assert "Vai šis ir Jūsu pieprasījums?" in asked.text and LIGA.personal_code not in asked.text
    assert page.status_code == 200
    assert "Identitāte apstiprināta" in page.text and reference in page.text
    assert "piekļūt saviem datiem" in page.text
    row = desk.request(reference)
    assert (row.state, row.verified_method, row.verified_personal_code) == (
        "in_progress", "qualified_eid", LIGA.personal_code)
    # The provider's ID token named only the subject: the personal code came from UserInfo.
    (id_token,) = desk.id_tokens
    assert "serialNumber" not in id_token and "auth_time" in id_token
    desk.wait_to_be_told(LIGA_CHAT, "Paldies, Jūsu identitāte ir apstiprināta ar eID")


def test_ilzes_link_opened_in_ligas_browser_with_a_live_session_asks_liga_to_log_in_again(desk: Desk) -> None:
    browser = Browser()  # Līga's browser: she verified her own request a moment ago
    own = desk.file_access_request(LIGA_CHAT, LIGA.email)
    browser.confirm(browser.consent(browser.log_in(browser.open(desk.login_link(LIGA_CHAT, own)), "liga")))
    stolen = desk.file_access_request(ILZE_CHAT, LIGA.email)

    page = browser.open(desk.login_link(ILZE_CHAT, stolen))

    # prompt=login: the provider does not answer from Līga's session, it shows its login form.
    assert is_login_form(page) and not str(page.url).startswith(desk.url)
    assert desk.request(stolen).state == "awaiting_identity"


EDITS = [
    pytest.param(lambda link: _without(link, "prompt", "max_age"), id="prompt-and-max-age-removed"),
    pytest.param(lambda link: _without(link, "prompt", "max_age", max_age="86400"), id="max-age-widened"),
]


def _liga_logs_in_then_ilze_files(desk: Desk, browser: Browser) -> str:
    own = desk.file_access_request(LIGA_CHAT, LIGA.email)
    browser.confirm(browser.consent(browser.log_in(browser.open(desk.login_link(LIGA_CHAT, own)), "liga")))
    time.sleep(1.1)  # auth_time has whole seconds: Ilze's link comes a second later
    return desk.file_access_request(ILZE_CHAT, LIGA.email)


@pytest.mark.parametrize("edit", EDITS)
def test_ilzes_pushed_link_cannot_be_edited_to_skip_the_fresh_login(desk: Desk, edit: Any) -> None:
    browser = Browser()
    stolen = _liga_logs_in_then_ilze_files(desk, browser)
    link = desk.login_link(ILZE_CHAT, stolen)
    # Ilze opens her link herself to see where it leads, and edits that before sending it on.
    provider_url = httpx.get(link, follow_redirects=False, timeout=10).headers["location"]

    page = browser.open(edit(provider_url))

    # RFC 9126: the parameters were pushed; what Ilze adds beside the request_uri is ignored.
    assert link.startswith(f"{desk.url}/identity/oidc/start?t=")
    assert "request_uri=" in provider_url and "prompt" not in provider_url
    assert is_login_form(page) and desk.request(stolen).state == "awaiting_identity"


def test_a_pushed_link_is_pushed_when_opened_and_dies_with_the_login(desk: Desk) -> None:
    """The chat link is ours: the push (whose request_uri lives a minute) happens each time
    Līga opens it, not when the bot sent it; once she has logged in, it is spent."""
    reference = desk.file_access_request(LIGA_CHAT, LIGA.email)
    link = desk.login_link(LIGA_CHAT, reference)
    browser = Browser()
    browser.open(link)  # she opens it, gets distracted, and opens it again later

    page = browser.confirm(browser.consent(browser.log_in(browser.open(link), "liga")))

    assert page.status_code == 200 and reference in page.text
    assert desk.request(reference).verified_method == "qualified_eid"
    spent = browser.open(link)
    assert spent.status_code == 400 and "This link is not valid" in spent.text


@pytest.mark.parametrize("desk", [{"pushed_authorization": False}], indirect=True)
@pytest.mark.parametrize("edit", EDITS)
def test_ilzes_plain_link_edited_to_reuse_ligas_session_is_refused_by_the_auth_time_check(
    desk: Desk, edit: Any
) -> None:
    browser = Browser()
    stolen = _liga_logs_in_then_ilze_files(desk, browser)
    link = desk.login_link(ILZE_CHAT, stolen)
    assert "prompt=login" in link and "max_age=0" in link

    page = browser.open(edit(link))

    # The provider answered from Līga's session straight to the callback, which refuses a
    # login without a fresh auth_time (missing, or older than Ilze's link).
    assert str(page.url).startswith(desk.url) and page.status_code == 400
    assert "Identitāti neizdevās apstiprināt" in page.text and stolen in page.text
    row = desk.request(stolen)
    assert (row.state, row.verified_method) == ("awaiting_identity", None)
    desk.wait_to_be_told(ILZE_CHAT, "Pakalpojums neprasīja jaunu pieteikšanos")
