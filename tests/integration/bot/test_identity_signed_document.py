"""Route (a): a signed document uploaded in the chat, validated with ``signature/`` against
the generated test PKI. Personas: a verified customer (``pki.person``, Jānis), another
person who signs for him (``pki.other_person``, Anna)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.identity import OutcomeStatus, SignedDocumentRoute, StaticCustomerDirectory
from rightsdesk.bootstrap import App
from tests.support.oidc.cases import open_chat_request, request_row
from tests.support.pki.fixtures import pki, trust_dir, trust_store  # noqa: F401
from workflows.domain.rights import Right

CHAT = "9001"
JANIS_CODE = "010190-10007"
SIGNED_AT = datetime(2026, 3, 3, 6, 30, tzinfo=UTC)
"""Half an hour before the test clock's upload: a fresh signature over a text naming the controller."""


@pytest.fixture(scope="module")
def janis_edoc(pki: Any) -> bytes:
    from tests.support.samples.asice import edoc

    return edoc(pki, pki.person, signed_at=SIGNED_AT)


@pytest.fixture(scope="module")
def janis_erasure_edoc(pki: Any) -> bytes:
    """Jānis signs the erasure he asks for in the chat: a text naming the controller verifies
    only the rights it asks for itself."""
    from rightsdesk.demo_kit.asice import addressed, edoc

    return edoc(pki, pki.person, {"pieprasijums.txt": addressed("Lūdzu dzēst manus datus.")}, signed_at=SIGNED_AT)


@pytest.fixture(scope="module")
def anna_edoc(pki: Any) -> bytes:
    from tests.support.samples.asice import edoc

    return edoc(pki, pki.other_person, signed_at=SIGNED_AT)


def _route(app: App, store: Any) -> SignedDocumentRoute:
    return SignedDocumentRoute(app.engine, store, StaticCustomerDirectory([]))


def test_document_signed_by_the_data_subject_verifies_an_erasure(
    app: App, trust_store: Any, janis_erasure_edoc: bytes
) -> None:
    reference = open_chat_request(app, CHAT, {Right.ERASURE}, personal_code=JANIS_CODE)

    outcome = _route(app, trust_store).check(reference, CHAT, janis_erasure_edoc, "pieprasijums.edoc")

    row = request_row(app, reference)
    assert outcome.status is OutcomeStatus.VERIFIED
    assert (row.state, row.verified_method, row.verified_personal_code) == (
        "in_progress", "qualified_signature", JANIS_CODE
    )


def test_document_signed_by_another_person_is_rejected(
    app: App, trust_store: Any, anna_edoc: bytes
) -> None:
    reference = open_chat_request(app, CHAT, {Right.ACCESS}, personal_code=JANIS_CODE)

    outcome = _route(app, trust_store).check(reference, CHAT, anna_edoc, "pieprasijums.edoc")

    assert (outcome.status, outcome.failure) == (OutcomeStatus.REJECTED, "signer_not_data_subject")
    assert request_row(app, reference).state == "awaiting_identity"


def test_unreadable_file_is_a_failed_verification_not_a_crash(app: App, trust_store: Any) -> None:
    reference = open_chat_request(app, CHAT, {Right.ACCESS}, personal_code=JANIS_CODE)

    outcome = _route(app, trust_store).check(reference, CHAT, b"PK\x03\x04 not a zip", "x.asice")

    assert (outcome.status, outcome.failure) == (OutcomeStatus.REJECTED, "signature_invalid")


def test_signed_document_from_another_chat_is_ignored(
    app: App, trust_store: Any, janis_edoc: bytes
) -> None:
    reference = open_chat_request(app, CHAT, {Right.ACCESS}, personal_code=JANIS_CODE)

    outcome = _route(app, trust_store).check(reference, "impostor", janis_edoc, "pieprasijums.edoc")

    assert outcome.status is OutcomeStatus.NOT_FOUND and request_row(app, reference).verified_method is None

