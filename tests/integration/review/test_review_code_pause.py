"""Review findings: the one-time code route on the e-mail requester's identity page."""

from __future__ import annotations

import re

from rightsdesk.demo_kit.sample_shop import LIGA
from tests.integration.bot.test_identity_web_page import (
    ACCESS_REQUEST,
    ILZE_SENDER,
    LIGA_SENDER,
    Desk,
    _code_in,
    _post,
    desk,  # noqa: F401
)
from tests.support.mail.capture import capture_smtp  # noqa: F401
from tests.support.pki.fixtures import pki, trust_dir, trust_store  # noqa: F401

IMPOSTOR_REQUEST = f"Esmu Līga Bērziņa, personas kods {LIGA.personal_code}. {ACCESS_REQUEST}"


def _links_to_ilze(desk: Desk) -> list[str]:
    links = []
    for letter in desk.mail_to(ILZE_SENDER[1]):
        text = letter.message.get_body(("plain",)).get_content()
        found = re.search(re.escape(desk.base) + r"/identity/request/\S+?(?=[\s)])", text)
        if found:
            links.append(found.group(0))
    return links


def _codes_to_liga(desk: Desk) -> list[str]:
    return [_code_in(m) for m in desk.mail_to(LIGA.email) if "kods" in str(m.message["Subject"]).lower()]


def test_a_second_emailed_request_does_not_lift_the_pause_on_the_same_contact(desk: Desk) -> None:
    desk.email(IMPOSTOR_REQUEST, ILZE_SENDER)
    desk.settle()
    (first,) = _links_to_ilze(desk)
    with desk.browser() as browser:
        page = browser.get(first, params={"lang": "en"})
        answer = _post(browser, first, "code", page.text)
        desk.settle()
        (code,) = _codes_to_liga(desk)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        for _ in range(5):
            answer = _post(browser, first, "check", answer.text if "/check" in answer.text else page.text, code=wrong)
            if "Too many wrong codes" in answer.text:
                break
        assert "Too many wrong codes" in answer.text  # Līga's contact is paused for Ilze

    # Ilze simply e-mails the same request again: a new reference, a new page.
    desk.email(IMPOSTOR_REQUEST, ILZE_SENDER)
    desk.settle()
    second = next(link for link in _links_to_ilze(desk) if link != first)
    with desk.browser() as browser:
        page = browser.get(second, params={"lang": "en"})
        asked = _post(browser, second, "code", page.text)
        desk.settle()
        # Paused: the page may say so at once, with no code form to post to.
        guessed = _post(browser, second, "check", asked.text, code=wrong) if "/check" in asked.text else asked

    # The same person (Ilze, at the same address) against the same contact on file must still wait.
    assert len(_codes_to_liga(desk)) == 1, "a new code went to Līga's inbox during the pause"
    assert "Too many wrong codes" in guessed.text


def test_one_stranger_cannot_use_up_the_real_customers_daily_code_cap(desk: Desk) -> None:
    for _ in range(4):
        desk.email(IMPOSTOR_REQUEST, ILZE_SENDER)
    desk.settle()
    links = _links_to_ilze(desk)
    assert len(links) == 4
    for link in links:
        with desk.browser() as browser:
            page = browser.get(link, params={"lang": "en"})
            for _ in range(3):
                page = _post(browser, link, "code", page.text)
                desk.settle()
    stranger_codes = len(_codes_to_liga(desk))

    # Līga herself writes from her own address and asks for a code on her own page.
    desk.email(ACCESS_REQUEST, LIGA_SENDER)
    desk.settle()
    (letter,) = [m for m in desk.mail_to(LIGA.email) if "kods" not in str(m.message["Subject"]).lower()]
    text = letter.message.get_body(("plain",)).get_content()
    found = re.search(re.escape(desk.base) + r"/identity/request/\S+?(?=[\s)])", text)
    assert found is not None
    link = found.group(0)
    with desk.browser() as browser:
        page = browser.get(link, params={"lang": "en"})
        _post(browser, link, "code", page.text)
        desk.settle()

    # The docstring: "one stranger's chat can take at most half of that cap".
    assert stranger_codes <= 5, f"one stranger had {stranger_codes} codes sent to Līga's inbox"
    assert len(_codes_to_liga(desk)) == stranger_codes + 1, "Līga's own code was refused by the cap"
