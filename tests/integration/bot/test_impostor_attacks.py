"""An impostor spreads one-time-code guesses over many chats and parallel requests.

Ilze knows Līga Kalniņa's e-mail address (on file at MonaOK) and wants her codes. Each chat
has its own lock-out (so that Ilze cannot lock Līga out), so Ilze opens requests for Līga from
many chats at once and guesses in each: what bounds her guesses is how many live codes can
ever reach Līga's inbox in a day (the per-customer sending cap) times the tries per code.
Driven through the route API and the engine, on SQLite and PostgreSQL (the chat's own
conversation tests cover the PTB side of the code step).

And the signed-document route in the chat, through the real PTB application against the Bot
API stand-in: Ilze uploads Līga's signed file with its time-stamp replaced, and Līga's fresh
signed access letter to MonaOK for an erasure Ilze asked for in the chat.
"""

from __future__ import annotations

import base64
import io
import re
import zipfile
from datetime import timedelta
from typing import Any

from lxml import etree
from sqlalchemy import func, select

from bot.identity import (
    CodePolicy,
    CustomerOnFile,
    OneTimeCodeRoute,
    OutcomeStatus,
    StaticCustomerDirectory,
)
from rightsdesk.bootstrap import App
from rightsdesk.demo_kit.asice import addressed, edoc, timestamp_callback
from tests.conftest import FixedClock
from tests.support.oidc.cases import open_chat_request, outbox_rows
from tests.support.pki.authority import TestPki
from tests.support.pki.certs import Issued
from tests.support.pki.fixtures import pki, trust_dir, trust_store  # noqa: F401
from tests.support.signed_requests import api, document_hooks, erasure_with_document, liga, said  # noqa: F401
from tests.support.telegram.bot_api import FakeBotApi
from tests.support.telegram.harness import run, running_bot, texts_of
from workflows.adapters.identity_tables import identity_codes
from workflows.adapters.orm import events, requests
from workflows.domain.rights import Right

SECRET = b"test-identity-secret-0123456789abcdef"
LIGA = CustomerOnFile(key="cust-7", email="liga.kalnina@example.lv")
ILZE_CHATS = [f"66{n:02d}" for n in range(12)]
LIGA_CHAT = "7101"


def _route(app: App) -> OneTimeCodeRoute:
    return OneTimeCodeRoute(app.engine, app.database, StaticCustomerDirectory([LIGA]), secret=SECRET)


def _guess_until_refused(route: OneTimeCodeRoute, reference: str, chat: str, clock: FixedClock) -> int:
    """Ilze asks for codes and guesses in one chat for a whole day, waiting out every pause."""
    guesses = 0
    for _ in range(200):
        sent = route.send(reference, chat)
        if sent.status is OutcomeStatus.LOCKED:
            clock.advance(minutes=61)
            continue
        if sent.status is not OutcomeStatus.CODE_SENT:
            return guesses
        for attempt in range(10):
            outcome = route.check(reference, chat, f"{(attempt * 7919) % 1_000_000:06d}")
            if outcome.status in (OutcomeStatus.CODE_WRONG, OutcomeStatus.LOCKED, OutcomeStatus.CODE_EXPIRED):
                guesses += 1 if outcome.status is OutcomeStatus.CODE_WRONG else 0
            if outcome.status is OutcomeStatus.LOCKED:
                clock.advance(minutes=61)
            if outcome.status is OutcomeStatus.CODE_EXPIRED:
                break
        clock.advance(minutes=31)
    return guesses


def test_ilze_guessing_from_twelve_chats_at_once_gets_at_most_fifty_tries_a_day_at_ligas_codes(
    app: App, clock: FixedClock
) -> None:
    route = _route(app)
    policy = CodePolicy()
    start = clock.now()
    references = [
        open_chat_request(app, chat, {Right.RECTIFICATION}, email=LIGA.email) for chat in ILZE_CHATS
    ]

    for reference, chat in zip(references, ILZE_CHATS, strict=True):
        _guess_until_refused(route, reference, chat, clock)
        if clock.now() - start > policy.sends_per_customer.window:
            break

    with app.database.connect() as connection:
        codes = connection.execute(
            select(func.count(), func.coalesce(func.sum(identity_codes.c.attempts), 0)).where(
                identity_codes.c.created_at < start + policy.sends_per_customer.window
            )
        ).one()
    issued, compared = int(codes[0]), int(codes[1])
    assert issued == policy.sends_per_customer.count  # she did use up the cap
    assert compared > policy.pause.free * 2  # and guessed in several chats
    assert compared <= policy.sends_per_customer.count * policy.max_attempts
    # 50 guesses at a 6-digit code: a chance of 1 in 20 000 a day, never more.


def test_a_code_for_one_request_does_not_verify_a_parallel_request_of_the_same_person(
    app: App, clock: FixedClock
) -> None:
    route = _route(app)
    ligas = open_chat_request(app, LIGA_CHAT, {Right.RECTIFICATION}, email=LIGA.email)
    ilzes = open_chat_request(app, ILZE_CHATS[0], {Right.RECTIFICATION}, email=LIGA.email)
    route.send(ligas, LIGA_CHAT)
    route.send(ilzes, ILZE_CHATS[0])
    found = re.search(r": (\d{6})$", outbox_rows(app, "identity_code")[0].text, re.MULTILINE)
    assert found is not None
    first_code = found.group(1)

    # Ilze cannot use the code of Līga's request in her own, nor in Līga's from her chat.
    in_her_own = route.check(ilzes, ILZE_CHATS[0], first_code)
    in_ligas_from_her_chat = route.check(ligas, ILZE_CHATS[0], first_code)

    assert in_her_own.status is not OutcomeStatus.VERIFIED
    assert in_ligas_from_her_chat.status is OutcomeStatus.NOT_FOUND


# -- the signed-document route in the chat -----------------------------------------------

LIGA_TG_CHAT = 7400001
ILZE_TG_CHAT = 7400666
LIGA_CODE = "150390-10008"
VERIFIED = "Paldies, Jūsu identitāte ir apstiprināta."
DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"


def _restamped(container: bytes, pki: TestPki, at: Any) -> bytes:
    """The same container with a fresh SignatureTimeStamp over the same SignatureValue."""
    source = zipfile.ZipFile(io.BytesIO(container))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            body = source.read(info)
            if info.filename.startswith("META-INF/") and "signatures" in info.filename:
                root = etree.fromstring(body)
                value = root.find(f".//{{{DS}}}SignatureValue")
                token = root.find(f".//{{{XADES}}}SignatureTimeStamp/{{{XADES}}}EncapsulatedTimeStamp")
                assert value is not None and token is not None
                c14n = bytes(etree.tostring(value, method="c14n", exclusive=True, with_comments=False))
                token.text = base64.b64encode(timestamp_callback(pki, at=at)(c14n)).decode()
                body = bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
            target.writestr(info, body, compress_type=info.compress_type)
    return out.getvalue()


def _row(app: App, reference: str) -> Any:
    with app.database.connect() as connection:
        return connection.execute(select(requests).where(requests.c.reference == reference)).one()


def test_ilze_uploading_ligas_used_file_with_a_fresh_time_stamp_is_refused_as_already_used(
    app: App, api: FakeBotApi, trust_store: Any, pki: TestPki, liga: Issued
) -> None:
    now = app.engine.clock.now()
    ligas_file = edoc(pki, liga, {"pieprasijums.txt": addressed("Lūdzu dzēst visus manus datus.")},
                      signed_at=now - timedelta(minutes=5))
    restamped = _restamped(ligas_file, pki, now - timedelta(minutes=4))

    async def scenario() -> None:
        async with running_bot(app, api, hooks=document_hooks(app, trust_store)):
            await erasure_with_document(api, LIGA_TG_CHAT, "DSR-2026-000001", ligas_file)
            await said(api, LIGA_TG_CHAT, VERIFIED)
            await erasure_with_document(api, ILZE_TG_CHAT, "DSR-2026-000002", restamped)
            await said(api, ILZE_TG_CHAT, "jau izmantots citam pieprasījumam")

    run(scenario())

    assert VERIFIED not in texts_of(api, ILZE_TG_CHAT)
    assert _row(app, "DSR-2026-000001").verified_personal_code == LIGA_CODE
    assert (_row(app, "DSR-2026-000002").verified_method, _row(app, "DSR-2026-000002").state) == (
        None, "awaiting_identity"
    )


def test_ligas_signed_access_letter_does_not_verify_an_erasure_ilze_asked_for_in_the_chat(
    app: App, api: FakeBotApi, trust_store: Any, pki: TestPki, liga: Issued
) -> None:
    letter = edoc(pki, liga, {"vestule.txt": addressed("Lūdzu izsniegt kopiju par maniem personas datiem.")},
                  signed_at=app.engine.clock.now() - timedelta(days=2))

    async def scenario() -> None:
        async with running_bot(app, api, hooks=document_hooks(app, trust_store)):
            await erasure_with_document(api, ILZE_TG_CHAT, "DSR-2026-000001", letter)
            await said(api, ILZE_TG_CHAT, "nav lūgts tas, ko lūdzat šajā pieprasījumā (DSR-2026-000001)")

    run(scenario())

    assert VERIFIED not in texts_of(api, ILZE_TG_CHAT)
    row = _row(app, "DSR-2026-000001")
    assert (row.verified_method, row.state) == (None, "awaiting_identity")
    with app.database.connect() as connection:
        found = {
            e.type: e.data for e in connection.execute(select(events).where(events.c.request_id == row.id))
        }
    reason = str(found["IdentityVerificationFailed"]["reason"])
    assert reason.startswith("rights_not_signed") and "asks for access" in reason
    assert "does not ask for erasure" in str(found["AttentionFlagged"])  # staff told what the text asks instead
