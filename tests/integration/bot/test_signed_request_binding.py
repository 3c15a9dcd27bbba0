"""A signed document verifies only the request it carries — in the chat: the real PTB
Application over HTTP against the Bot API stand-in, with the signed-document route the
serve command builds; SQLite and PostgreSQL (``app``).

Personas: Līga Kalniņa, the real customer, who signs her own request with eParaksts (a
qualified certificate of the test PKI); Ilze, an impostor in another chat, who skips the
contact step, chooses "Signed document" and uploads signed files she holds: a real 2021
eParaksts ``.edoc`` of a stranger, a fresh request Līga signed for another shop, and the
very file Līga used to verify her own request.
"""

from __future__ import annotations

import functools
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from rightsdesk.bootstrap import App
from rightsdesk.demo_kit.asice import addressed, edoc
from tests.support.pki.authority import TestPki
from tests.support.pki.certs import Issued
from tests.support.pki.fixtures import pki, trust_dir, trust_store  # noqa: F401
from tests.support.signed_requests import api, document_hooks, erasure_with_document, liga, said  # noqa: F401
from tests.support.telegram.bot_api import FakeBotApi
from tests.support.telegram.harness import run, running_bot, texts_of
from workflows.adapters.orm import events, requests

VECTORS = Path(__file__).resolve().parents[3] / ".." / "shared" / "testvectors"
LIGA_CHAT = 7300001
ILZE_CHAT = 7300666
LIGA_CODE = "150390-10008"
VERIFIED = "Paldies, Jūsu identitāte ir apstiprināta."


@functools.lru_cache(maxsize=1)
def _trust_snapshot_2023() -> Any:
    from signature.trust import TrustStore

    return TrustStore.from_directory(VECTORS / "trust")


def _request(app: App, reference: str) -> Any:
    with app.database.connect() as connection:
        return connection.execute(select(requests).where(requests.c.reference == reference)).one()


def _failure_reason(app: App, reference: str) -> str:
    row = _request(app, reference)
    with app.database.connect() as connection:
        failed = connection.execute(
            select(events).where(events.c.request_id == row.id, events.c.type == "IdentityVerificationFailed")
        ).one()
    return str(failed.data["reason"])


@pytest.mark.skipif(not VECTORS.is_dir(), reason="../shared/testvectors is absent")
def test_ilze_uploading_a_strangers_2021_eparaksts_edoc_is_not_verified_and_told_what_to_do(
    app: App, api: FakeBotApi
) -> None:
    stranger_edoc = (VECTORS / "signed" / "lv-qes-2021.edoc").read_bytes()

    async def scenario() -> str:
        async with running_bot(app, api, hooks=document_hooks(app, _trust_snapshot_2023())):
            await erasure_with_document(api, ILZE_CHAT, "DSR-2026-000001", stranger_edoc)
            return await said(api, ILZE_CHAT, "nav parakstīts nesen")

    answer = run(scenario())

    assert "paša šī pieprasījuma (DSR-2026-000001) tekstu" in answer and "MonaOK group" in answer
    assert VERIFIED not in texts_of(api, ILZE_CHAT)
    row = _request(app, "DSR-2026-000001")
    assert (row.state, row.verified_method, row.verified_personal_code) == ("awaiting_identity", None, None)
    assert _failure_reason(app, "DSR-2026-000001").startswith("signature_not_recent: signed on 2021-03-04")


def test_a_fresh_signature_over_a_request_to_another_shop_goes_to_staff_as_not_addressed_to_us(
    app: App, api: FakeBotApi, trust_store: Any, pki: TestPki, liga: Issued
) -> None:
    for_another_shop = edoc(
        pki, liga, {"pieprasijums.txt": addressed("Lūdzu dzēst visus manus datus.", to="SIA Citsveikals")},
        signed_at=app.engine.clock.now(),
    )

    async def scenario() -> str:
        async with running_bot(app, api, hooks=document_hooks(app, trust_store)):
            await erasure_with_document(api, ILZE_CHAT, "DSR-2026-000001", for_another_shop)
            return await said(api, ILZE_CHAT, "nav adresēts mums")

    answer = run(scenario())

    assert "norādot MonaOK group vai DSR-2026-000001" in answer
    row = _request(app, "DSR-2026-000001")
    assert (row.state, row.verified_method) == ("awaiting_identity", None)
    assert row.attention.startswith("signed, but not addressed to us")
    assert _failure_reason(app, "DSR-2026-000001").startswith("not_addressed_to_controller")


def test_liga_signed_request_replayed_by_ilze_for_her_own_request_is_refused_and_flagged(
    app: App, api: FakeBotApi, trust_store: Any, pki: TestPki, liga: Issued
) -> None:
    ligas_file = edoc(
        pki, liga, {"pieprasijums.txt": addressed("Lūdzu dzēst visus manus datus.")}, signed_at=app.engine.clock.now()
    )

    async def scenario() -> str:
        async with running_bot(app, api, hooks=document_hooks(app, trust_store)):
            await erasure_with_document(api, LIGA_CHAT, "DSR-2026-000001", ligas_file)
            await said(api, LIGA_CHAT, VERIFIED)
            await erasure_with_document(api, ILZE_CHAT, "DSR-2026-000002", ligas_file)
            return await said(api, ILZE_CHAT, "jau izmantots citam pieprasījumam")

    answer = run(scenario())

    assert "jaunu tekstu šim pieprasījumam (DSR-2026-000002)" in answer
    assert VERIFIED not in texts_of(api, ILZE_CHAT)
    assert _request(app, "DSR-2026-000001").verified_personal_code == LIGA_CODE
    replayed = _request(app, "DSR-2026-000002")
    assert (replayed.state, replayed.verified_method) == ("awaiting_identity", None)
    assert replayed.attention.startswith("the same signed document already verified request DSR-2026-000001")
    assert _failure_reason(app, "DSR-2026-000002").startswith("signature_already_used")


def test_liga_fresh_signed_request_naming_the_controller_still_verifies_her_erasure(
    app: App, api: FakeBotApi, trust_store: Any, pki: TestPki, liga: Issued
) -> None:
    signed = edoc(
        pki, liga, {"pieprasijums.txt": addressed("Lūdzu dzēst visus manus personas datus.")},
        signed_at=app.engine.clock.now() - timedelta(days=2),
    )

    async def scenario() -> None:
        async with running_bot(app, api, hooks=document_hooks(app, trust_store)):
            await erasure_with_document(api, LIGA_CHAT, "DSR-2026-000001", signed)
            await said(api, LIGA_CHAT, VERIFIED)

    run(scenario())

    row = _request(app, "DSR-2026-000001")
    assert (row.state, row.verified_method, row.verified_personal_code) == (
        "in_progress", "qualified_signature", LIGA_CODE
    )


def test_a_signed_scan_without_text_goes_to_staff_instead_of_verifying(
    app: App, api: FakeBotApi, trust_store: Any, pki: TestPki, liga: Issued
) -> None:
    scan = edoc(pki, liga, {"skenets.jpg": b"\xff\xd8\xff\xe0 a photo of a letter"}, signed_at=app.engine.clock.now())

    async def scenario() -> None:
        async with running_bot(app, api, hooks=document_hooks(app, trust_store)):
            await erasure_with_document(api, LIGA_CHAT, "DSR-2026-000001", scan)
            await said(api, LIGA_CHAT, "Mūsu darbinieki pārbaudīs")

    run(scenario())

    row = _request(app, "DSR-2026-000001")
    assert (row.state, row.verified_method) == ("awaiting_identity", None)
    assert row.attention.startswith("the signed document has no text that can be read")
