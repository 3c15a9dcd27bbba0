"""The e-mail requester's identity page, through the real channels: the request arrives over
SMTP on loopback, the letter leaves through the relay, the page is the served web app
(rightsdesk.serve.build_http_app on uvicorn) reached over real HTTP, and the one-time code
goes out through the relay as well. SQLite and PostgreSQL.

Personas: Līga Bērziņa, a customer of the sample shop (her e-mail and phone are on file);
Ilze, an impostor who writes from her own address claiming to be Līga, tampers with links and
tries to have the code sent to herself."""

from __future__ import annotations

import asyncio
import re
import smtplib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import create_engine

from mail_intake.config import SmtpInConfig
from mail_intake.evidence import SignatureChecker
from mail_intake.sender import EmailSender
from mail_intake.server import SmtpIntake
from mail_intake.smtp_store import GroupCommitStore
from rightsdesk.bootstrap import App, build_app
from rightsdesk.demo_kit import sample_shop
from rightsdesk.demo_kit.sample_shop import LIGA
from rightsdesk.serve import build_http_app, http_server_config
from tests.conftest import FixedClock, make_settings
from tests.integration.datamap.shop_databases import RETAIL_PROFILE, SHOP_DATAMAP, TODAY
from tests.support.mail.capture import CapturedMail, CaptureSmtpServer, capture_smtp  # noqa: F401
from tests.support.mail.processing import PRIVACY_ADDRESS, all_requests, customer_mail, process_all
from tests.support.oidc.cases import press
from tests.support.oidc.provider import OidcProvider
from tests.support.pki.fixtures import pki, trust_dir, trust_store  # noqa: F401

SECRET = "identity-page-test-secret-0123456789abcdef"
HASH_SECRET = "test-secret-not-for-production"
LIGA_SENDER = (f"{LIGA.first_name} {LIGA.last_name}", LIGA.email)
ILZE_SENDER = ("Līga Bērziņa", "ilze.impostor@example.com")
ACCESS_REQUEST = "Labdien! Lūdzu izsniegt kopiju par maniem personas datiem."


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Desk:
    app: App
    base: str
    smtp_port: int
    checker: SignatureChecker
    sender: EmailSender
    relay: CaptureSmtpServer
    clock: FixedClock

    def email(self, body: str, sender: tuple[str, str]) -> None:
        raw = customer_mail(body, sender=sender)
        wire = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=10) as client:
            client.sendmail(sender[1], [PRIVACY_ADDRESS], wire)

    def settle(self) -> None:
        process_all(self.app, self.checker)
        asyncio.run(self.sender.send_batch())

    def mail_to(self, address: str) -> list[CapturedMail]:
        return [m for m in self.relay.messages if address in m.rcpt_tos]

    def link_in_letter_to(self, address: str) -> str:
        (letter,) = self.mail_to(address)
        text = letter.message.get_body(("plain",)).get_content()
        found = re.search(re.escape(self.base) + r"/identity/request/\S+?(?=[\s)])", text)
        if found is None:
            raise AssertionError(f"no page link in the letter:\n{text}")
        return found.group(0)

    def browser(self) -> httpx.Client:
        return httpx.Client(timeout=10, follow_redirects=False)


def _profile_with_access_at_tier_two(tmp_path: Path) -> Path:
    """The retail profile with access proven by a code to the contact on file (a VERIFY choice
    the controller may make): the page's code route can then confirm an access request."""
    text = RETAIL_PROFILE.read_text(encoding="utf-8").replace("\naccess = 3\n", "\naccess = 2\n")
    path = tmp_path / "profile.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _build_desk(
    database_url: str,
    tmp_path: Path,
    clock: FixedClock,
    trust: Any,
    relay: CaptureSmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    *,
    port: int,
    profile: Path,
    **sections: dict[str, object],
) -> Iterator[Desk]:
    """The sample shop (Līga on file), the engine, the SMTP intake and the served web app."""
    shop_url = f"sqlite:///{tmp_path / 'shop.db'}"
    shop = create_engine(shop_url)
    sample_shop.create_schema(shop)
    sample_shop.seed(shop, today=TODAY)
    shop.dispose()
    monkeypatch.setenv("SHOP_DATABASE_URL", shop_url)
    monkeypatch.setenv("SHOP_HASH_SECRET", HASH_SECRET)
    base = f"http://127.0.0.1:{port}"
    settings = make_settings(
        database_url,
        tmp_path,
        serve={"public_url": base},
        identity={"secret": SECRET},
        controller={"profile": str(profile), "datamap": str(SHOP_DATAMAP)},
        smtp_in={"recipients": [PRIVACY_ADDRESS]},
        **sections,
    )
    app = build_app(settings, clock=clock)
    intake = SmtpIntake(
        SmtpInConfig(host="127.0.0.1", port=0, recipients=(PRIVACY_ADDRESS,)),
        GroupCommitStore(app.engine),
        clock=app.engine.clock,
    )
    smtp_port = intake.start()
    sender = EmailSender(app.database, relay.smtp_out_config(), clock, "test-sender", engine=app.engine)
    server = uvicorn.Server(http_server_config(build_http_app(app, []), host="127.0.0.1", port=port))
    serving = threading.Thread(target=server.run, name="identity-page-test", daemon=True)
    serving.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not serving.is_alive():
            raise RuntimeError("the web service did not start")
        time.sleep(0.02)
    try:
        yield Desk(app, base, smtp_port, SignatureChecker(trust), sender, relay, clock)
    finally:
        server.should_exit = True
        serving.join(timeout=10)
        intake.stop()
        app.close()


@pytest.fixture
def desk(
    database_url: str,
    tmp_path: Path,
    clock: FixedClock,
    trust_store: Any,
    capture_smtp: CaptureSmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Desk]:
    """No [oidc], no [telegram]; one-time codes to the contact on file (access at tier 2)."""
    yield from _build_desk(
        database_url, tmp_path, clock, trust_store, capture_smtp, monkeypatch,
        port=_free_port(), profile=_profile_with_access_at_tier_two(tmp_path),
    )


@dataclass
class EidDesk:
    desk: Desk
    provider: OidcProvider


@pytest.fixture
def eid_desk(
    database_url: str,
    tmp_path: Path,
    clock: FixedClock,
    trust_store: Any,
    capture_smtp: CaptureSmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[EidDesk]:
    """With [oidc] (the local provider) and the retail profile as shipped (access at tier 3)."""
    port = _free_port()
    callback = f"http://127.0.0.1:{port}/identity/oidc/callback"
    with OidcProvider(now=lambda: clock.now().timestamp(), redirect_uri=callback) as provider:
        oidc = {
            "issuer": provider.issuer,
            "client_id": provider.client_id,
            "client_secret": provider.client_secret,
            "redirect_uri": callback,
        }
        for desk in _build_desk(
            database_url, tmp_path, clock, trust_store, capture_smtp, monkeypatch,
            port=port, profile=RETAIL_PROFILE, oidc=oidc,
        ):
            yield EidDesk(desk, provider)


def _form(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the form posting to ``action`` (as a browser would send them)."""
    match = re.search(r'<form method="post" action="([^"]*/' + action + r')">(.*?)</form>', page, re.S)
    if match is None:
        raise AssertionError(f"no {action} form on the page:\n{page}")
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', match.group(2)))


def _post(browser: httpx.Client, link: str, action: str, page: str, **extra: str) -> httpx.Response:
    return browser.post(f"{link}/{action}", data={**_form(page, action), **extra})


def _code_in(mail: CapturedMail) -> str:
    body = mail.message.get_body(("plain",)).get_content()
    assert "Ievadiet to lapā, kurā to pieprasījāt." in body  # typed on the page, not in a chat
    found = re.search(r": (\d{6})\r?$", body, re.MULTILINE)
    if found is None:
        raise AssertionError("no code in the message")
    return found.group(1)


def _the_request(desk: Desk) -> Any:
    (request,) = all_requests(desk.app)
    return request


def test_an_emailed_access_request_gets_a_link_to_its_identity_page(desk: Desk) -> None:
    desk.email(ACCESS_REQUEST, LIGA_SENDER)
    desk.settle()

    link = desk.link_in_letter_to(LIGA.email)
    request = _the_request(desk)

    assert request.state == "awaiting_identity"
    assert link.startswith(f"{desk.base}/identity/request/{request.reference}.")
    letter = desk.mail_to(LIGA.email)[0].message.get_body(("plain",)).get_content()
    assert PRIVACY_ADDRESS in letter  # signed files go where the intake receives them
    assert "Telegram" not in letter and "Smart-ID" not in letter  # no [telegram], no [oidc] here


def test_liga_receives_a_code_at_her_email_on_file_and_verifies_on_the_page(desk: Desk) -> None:
    desk.email(ACCESS_REQUEST, LIGA_SENDER)
    desk.settle()
    link = desk.link_in_letter_to(LIGA.email)

    with desk.browser() as browser:
        page = browser.get(link)
        assert page.status_code == 200 and _the_request(desk).reference in page.text
        assert LIGA.email not in page.text and LIGA.last_name not in page.text  # the page names the reference only
        sent = _post(browser, link, "code", page.text)
        assert sent.status_code == 200 and "e-pasta adresi" in sent.text
        desk.settle()
        (code_mail,) = [m for m in desk.mail_to(LIGA.email) if "kods" in str(m.message["Subject"]).lower()]
        checked = _post(browser, link, "check", sent.text, code=_code_in(code_mail))

    assert checked.status_code == 200 and "ir apstiprināta" in checked.text
    request = _the_request(desk)
    assert (request.state, request.verified_method, request.verified_email) == (
        "in_progress",
        "one_time_code",
        LIGA.email,
    )


def test_the_page_speaks_english_and_russian_too(desk: Desk) -> None:
    desk.email(ACCESS_REQUEST, LIGA_SENDER)
    desk.settle()
    link = desk.link_in_letter_to(LIGA.email)

    with desk.browser() as browser:
        english = browser.get(link, params={"lang": "en"})
        russian = browser.get(link, params={"lang": "ru"})

    assert "Send a one-time code to the contact we hold" in english.text
    assert "Отправить одноразовый код" in russian.text


def test_ilze_who_tampers_with_the_link_is_told_it_is_not_valid(desk: Desk) -> None:
    desk.email(ACCESS_REQUEST, LIGA_SENDER)
    desk.settle()
    link = desk.link_in_letter_to(LIGA.email)
    reference = _the_request(desk).reference
    other_request = reference[:-1] + ("2" if not reference.endswith("2") else "3")

    with desk.browser() as browser:
        forged = browser.get(link.replace(reference, other_request), params={"lang": "en"})
        truncated = browser.get(link[:-3], params={"lang": "en"})
        forged_post = browser.post(link.replace(reference, other_request) + "/code", data={"lang": "en"})

    for response in (forged, truncated, forged_post):
        assert response.status_code == 403
        assert "This link is not valid: it is incomplete or was changed." in response.text
    assert [m for m in desk.relay.messages if "kods" in str(m.message["Subject"]).lower()] == []
    assert _the_request(desk).state == "awaiting_identity"


def test_a_link_used_after_it_expired_says_so_and_what_to_do(desk: Desk) -> None:
    desk.email(ACCESS_REQUEST, LIGA_SENDER)
    desk.settle()
    link = desk.link_in_letter_to(LIGA.email)

    desk.clock.advance(days=31)
    with desk.browser() as browser:
        expired = browser.get(link, params={"lang": "en"})

    assert expired.status_code == 410
    assert "This link has expired. Reply to our letter quoting the request number" in expired.text
    assert _the_request(desk).state == "awaiting_identity"  # the request stays registered


def test_ilze_cannot_have_the_code_sent_to_her_own_address(desk: Desk) -> None:
    # Ilze writes from her own address, names Līga and her personal code, and posts her own
    # address along with the form: the code goes only to the e-mail on file for Līga.
    desk.email(f"Esmu Līga Bērziņa, personas kods {LIGA.personal_code}. {ACCESS_REQUEST}", ILZE_SENDER)
    desk.settle()
    link = desk.link_in_letter_to(ILZE_SENDER[1])

    with desk.browser() as browser:
        page = browser.get(link, params={"lang": "en"})
        asked = _post(browser, link, "code", page.text, email=ILZE_SENDER[1], contact=ILZE_SENDER[1])
        desk.settle()
        guessed = _post(browser, link, "check", asked.text, code="000000")

    assert "we hold for you, we sent a code there" in asked.text
    assert ILZE_SENDER[1] not in asked.text and LIGA.email not in asked.text
    assert len(desk.mail_to(ILZE_SENDER[1])) == 1  # the letter with the link, never a code
    (code_mail,) = desk.mail_to(LIGA.email)
    assert "kods" in str(code_mail.message["Subject"]).lower()
    assert "The code is not correct. Check it and try again" in guessed.text
    assert _the_request(desk).state == "awaiting_identity"


def test_text_that_is_no_code_is_not_counted_as_an_attempt(desk: Desk) -> None:
    desk.email(ACCESS_REQUEST, LIGA_SENDER)
    desk.settle()
    link = desk.link_in_letter_to(LIGA.email)

    with desk.browser() as browser:
        page = browser.get(link, params={"lang": "en"})
        sent = _post(browser, link, "code", page.text)
        chatter = _post(browser, link, "check", sent.text, code="liga@example.com")

    assert "Enter the code as it is in the message: 6 digits." in chatter.text
    assert 'name="code"' in chatter.text  # she can still type the code


def test_a_verified_request_says_so_and_sends_no_more_codes(desk: Desk) -> None:
    desk.email(ACCESS_REQUEST, LIGA_SENDER)
    desk.settle()
    link = desk.link_in_letter_to(LIGA.email)
    with desk.browser() as browser:
        page = browser.get(link)
        sent = _post(browser, link, "code", page.text)
        desk.settle()
        (code_mail,) = [m for m in desk.mail_to(LIGA.email) if "kods" in str(m.message["Subject"]).lower()]
        _post(browser, link, "check", sent.text, code=_code_in(code_mail))

        again = browser.get(link, params={"lang": "en"})
        replayed = _post(browser, link, "code", sent.text, lang="en")

    assert "is already confirmed. There is nothing more to do" in again.text and "/code" not in again.text
    assert "is already confirmed" in replayed.text
    desk.settle()
    assert len([m for m in desk.mail_to(LIGA.email) if "kods" in str(m.message["Subject"]).lower()]) == 1


def test_a_form_posted_without_the_pages_token_is_refused(desk: Desk) -> None:
    desk.email(ACCESS_REQUEST, LIGA_SENDER)
    desk.settle()
    link = desk.link_in_letter_to(LIGA.email)

    with desk.browser() as browser:
        browser.get(link)
        forged = browser.post(f"{link}/code", data={"lang": "en", "csrf": "made-up"})

    assert forged.status_code == 403
    assert "The form has expired. Open the link in our letter again and retry." in forged.text
    assert [m for m in desk.relay.messages if "kods" in str(m.message["Subject"]).lower()] == []


LIGA_LOGIN = {"sub": "LV-liga", "name": "Līga Bērziņa", "serialNumber": f"PNOLV-{LIGA.personal_code}"}
ILZE_LOGIN = {"sub": "LV-ilze", "name": "Ilze Kalniņa", "serialNumber": "PNOLV-120590-10009"}


def _press_eid(browser: httpx.Client, link: str) -> str:
    """Press the page's eID button; the provider's address the page redirects to."""
    page = browser.get(link)
    started = _post(browser, link, "eid", page.text)
    assert started.status_code == 303, started.text
    return started.headers["location"]


def _eid_login(eid_desk: EidDesk, browser: httpx.Client, link: str, login: dict[str, str], *,
               yes: bool | None = True) -> httpx.Response:
    """Press the page's eID button, log in at the provider, bring its answer back and, where
    the page asks "Is this your request?", press "Yes" (or "No"; None: leave it unanswered)."""
    location = _press_eid(browser, link)
    eid_desk.provider.login_as(login)
    answer = eid_desk.provider.authorize(location)
    page = browser.get(f"{eid_desk.desk.base}/identity/oidc/callback", params=answer)
    if yes is None or "name='token'" not in page.text:
        return page
    return press(browser, eid_desk.desk.base, page, yes=yes)


def _attention(desk: Desk, reference: str) -> str:
    with desk.app.engine.uow() as uow:
        return uow.requests.get_by_reference(reference).attention or ""


def test_with_oidc_the_letter_offers_the_eid_login_on_the_page_and_no_code_for_a_copy(eid_desk: EidDesk) -> None:
    desk = eid_desk.desk
    desk.email(ACCESS_REQUEST, LIGA_SENDER)
    desk.settle()

    letter = desk.mail_to(LIGA.email)[0].message.get_body(("plain",)).get_content()
    link = desk.link_in_letter_to(LIGA.email)
    with desk.browser() as browser:
        page = browser.get(link, params={"lang": "en"})

    assert "eID (eParaksts mobile, Smart-ID" in letter and "vienreizējo kodu" not in letter
    assert "Log in with eID" in page.text and "/code" not in page.text


def test_liga_logs_in_with_eid_on_the_page_and_her_access_request_is_verified(eid_desk: EidDesk) -> None:
    desk = eid_desk.desk
    desk.email(ACCESS_REQUEST, LIGA_SENDER)
    desk.settle()
    link = desk.link_in_letter_to(LIGA.email)

    with desk.browser() as browser:
        asked = _eid_login(eid_desk, browser, link, LIGA_LOGIN, yes=None)
        unconfirmed = _the_request(desk)
        confirmed = press(browser, desk.base, asked, yes=True)

    request = _the_request(desk)
    assert asked.status_code == 200 and "Vai šis ir Jūsu pieprasījums?" in asked.text
    assert request.reference in asked.text and "pa e-pastu" in asked.text and "Jūsu datu kopija" in asked.text
    assert "Līga Bērziņa" in asked.text and LIGA.personal_code not in asked.text
    assert unconfirmed.state == "awaiting_identity"  # nothing is recorded before "Yes"
    assert confirmed.status_code == 200 and request.reference in confirmed.text
    assert (request.state, request.verified_method) == ("in_progress", "qualified_eid")


def test_ilzes_eid_link_forwarded_to_liga_is_refused_in_ligas_browser(eid_desk: EidDesk) -> None:
    """Ilze claims Līga's personal code by e-mail, presses "eID" on her own page and, instead of
    following the redirect, sends the provider's address to Līga ("please confirm")."""
    desk = eid_desk.desk
    desk.email(f"Esmu Līga Bērziņa, personas kods {LIGA.personal_code}. {ACCESS_REQUEST}", ILZE_SENDER)
    desk.settle()
    link = desk.link_in_letter_to(ILZE_SENDER[1])
    with desk.browser() as ilzes_browser:
        forwarded = _press_eid(ilzes_browser, link)
    eid_desk.provider.login_as(LIGA_LOGIN)
    exchanges = eid_desk.provider.token_requests

    with desk.browser() as ligas_browser:  # Līga opens it and logs in, fresh, as herself
        answer = eid_desk.provider.authorize(forwarded)
        refused = ligas_browser.get(f"{desk.base}/identity/oidc/callback", params=answer)

    request = _the_request(desk)
    assert refused.status_code == 403 and "name='token'" not in refused.text
    assert "Šī pieteikšanās tika sākta citā pārlūkā" in refused.text
    assert "Atveriet saiti no mūsu vēstules šajā pārlūkā un sāciet no jauna" in refused.text
    assert eid_desk.provider.token_requests == exchanges  # her login's code is never even used
    assert (request.state, request.verified_method) == ("awaiting_identity", None)
    assert "another browser" in _attention(desk, request.reference)


def test_liga_answering_no_on_the_page_records_nothing_and_flags_staff(eid_desk: EidDesk) -> None:
    desk = eid_desk.desk
    desk.email(ACCESS_REQUEST, LIGA_SENDER)
    desk.settle()
    link = desk.link_in_letter_to(LIGA.email)

    with desk.browser() as browser:
        declined = _eid_login(eid_desk, browser, link, LIGA_LOGIN, yes=False)

    request = _the_request(desk)
    assert declined.status_code == 200 and "Nekas netika reģistrēts" in declined.text
    assert (request.state, request.verified_method) == ("awaiting_identity", None)
    assert "says the request is not theirs" in _attention(desk, request.reference)


def test_ilze_logging_in_with_her_own_eid_does_not_verify_ligas_request(eid_desk: EidDesk) -> None:
    desk = eid_desk.desk
    desk.email(f"Esmu Līga Bērziņa, personas kods {LIGA.personal_code}. {ACCESS_REQUEST}", ILZE_SENDER)
    desk.settle()
    link = desk.link_in_letter_to(ILZE_SENDER[1])

    with desk.browser() as browser:
        refused = _eid_login(eid_desk, browser, link, ILZE_LOGIN)

    assert refused.status_code == 400
    assert _the_request(desk).state == "awaiting_identity"


def test_wrong_codes_pause_the_page_with_a_time_and_the_other_ways(desk: Desk) -> None:
    desk.email(ACCESS_REQUEST, LIGA_SENDER)
    desk.settle()
    link = desk.link_in_letter_to(LIGA.email)

    with desk.browser() as browser:
        page = browser.get(link, params={"lang": "en"})
        answer = _post(browser, link, "code", page.text)
        desk.settle()
        (code_mail,) = [m for m in desk.mail_to(LIGA.email) if "kods" in str(m.message["Subject"]).lower()]
        wrong = f"{(int(_code_in(code_mail)) + 1) % 1_000_000:06d}"
        seen = []
        for _ in range(5):
            answer = _post(browser, link, "check", answer.text if "/check" in answer.text else page.text, code=wrong)
            seen.append(answer.text)
            if "Too many wrong codes" in answer.text:
                break

    assert "The code is not correct" in seen[0]
    assert re.search(r"Too many wrong codes\. Try again after \d\d:\d\d, or choose another way named in our letter\.",
                     seen[-1])
    assert _the_request(desk).state == "awaiting_identity"
