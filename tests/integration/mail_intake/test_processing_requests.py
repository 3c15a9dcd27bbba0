"""New requests from e-mail: unsigned, signed with a QES, badly signed, S/MIME, signed by someone else.

Runs on SQLite and PostgreSQL (``app`` fixture); signatures come from the generated test PKI.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from typing import Any

import pytest

from mail_intake.evidence import SignatureChecker
from rightsdesk.demo_kit.asice import addressed
from tests.support.mail.processing import (
    all_requests,
    customer_mail,
    events_of,
    inbound,
    outbox_rows,
    process_all,
    store,
)
from tests.support.pki.fixtures import pki, trust_dir, trust_store  # noqa: F401
from tests.support.samples import asice, smime

EDOC = "application/vnd.etsi.asic-e+zip"
JANIS_CODE = "010190-10007"
ANNA_CODE = "320000-10002"
SIGNED_AT = datetime(2026, 3, 3, 6, 30, tzinfo=UTC)
"""Half an hour before the test clock receives the mail: a fresh signature."""


@pytest.fixture(scope="module")
def janis_edoc(pki: Any) -> bytes:
    """The verified customer's eParaksts-signed request."""
    return asice.edoc(
        pki, pki.person, {"pieprasijums.txt": addressed("Lūdzu izsniegt visus manus datus.")}, signed_at=SIGNED_AT
    )


@pytest.fixture(scope="module")
def anna_edoc(pki: Any) -> bytes:
    """A valid QES by Anna Kalniņa, who is not the person the request is about."""
    return asice.edoc(
        pki, pki.other_person, {"pieprasijums.txt": addressed("Lūdzu izsniegt Jāņa datus.")}, signed_at=SIGNED_AT
    )


@pytest.fixture(scope="module")
def anna_edoc_naming_janis(pki: Any) -> bytes:
    """Anna's valid QES over a request that names Jānis's personal code."""
    text = addressed(f"Lūdzu izsniegt datus par personas kodu {JANIS_CODE}.")
    return asice.edoc(pki, pki.other_person, {"pieprasijums.txt": text}, signed_at=SIGNED_AT)


@pytest.fixture
def checker(trust_store: Any) -> SignatureChecker:
    return SignatureChecker(trust_store)


def _tampered(container: bytes) -> bytes:
    """The same container with the signed text changed after signing."""
    source = zipfile.ZipFile(io.BytesIO(container))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "pieprasijums.txt":
                data = addressed("Lūdzu izdzēst visus Annas datus.")
            target.writestr(info, data)
    return out.getvalue()


def _only_request(app: Any) -> Any:
    (row,) = all_requests(app)
    return row


def test_unsigned_latvian_access_request_awaits_identity_with_latvian_reply(
    app: Any, checker: SignatureChecker
) -> None:
    mail_id = store(app, customer_mail("Labdien! Lūdzu izsniegt visus manus personas datus, kas jums ir."))
    process_all(app, checker)
    request = _only_request(app)
    assert (request.state, request.language, request.rights) == ("awaiting_identity", "lv", "access")
    (reply,) = outbox_rows(app, request.id)
    assert reply.kind == "identity_verification_needed"
    assert "eParaksts" in reply.text and "Labdien" in reply.text
    assert inbound(app, mail_id).status == "processed"


def test_valid_qes_edoc_verifies_the_customer_at_tier_three(
    app: Any, checker: SignatureChecker, janis_edoc: bytes
) -> None:
    raw = customer_mail("Pielikumā parakstīts pieprasījums.", attachments=[("pieprasijums.edoc", EDOC, janis_edoc)])
    store(app, raw)
    process_all(app, checker)
    request = _only_request(app)
    assert (request.state, request.verified_method, request.verified_personal_code) == (
        "in_progress",
        "qualified_signature",
        JANIS_CODE,
    )
    assert request.verified_evidence_ref.startswith("signature:")
    assert [r.kind for r in outbox_rows(app, request.id)] == ["acknowledgement"]
    (verified,) = events_of(app, request.id, "IdentityVerified")
    evidence = verified.data["evidence"]
    assert (evidence["indication"], evidence["qualification"]) == ("TOTAL-PASSED", "QESig")
    assert evidence["signed_files"] == ["pieprasijums.txt"]


def test_the_signed_container_text_decides_the_rights(app: Any, checker: SignatureChecker, janis_edoc: bytes) -> None:
    store(app, customer_mail("Skatīt pielikumu.", attachments=[("pieprasijums.edoc", EDOC, janis_edoc)]))
    process_all(app, checker)
    assert _only_request(app).rights == "access"


def test_tampered_edoc_registers_the_request_and_says_why_it_failed(
    app: Any, checker: SignatureChecker, janis_edoc: bytes
) -> None:
    raw = customer_mail("Pielikumā pieprasījums.", attachments=[("pieprasijums.edoc", EDOC, _tampered(janis_edoc))])
    store(app, raw)
    process_all(app, checker)
    request = _only_request(app)
    assert request.state == "awaiting_identity"
    assert request.verified_method is None
    assert "verification_failed" in [r.kind for r in outbox_rows(app, request.id)]
    (failed,) = events_of(app, request.id, "IdentityVerificationFailed")
    assert failed.data["reason"].startswith("signature_invalid: the signed document was changed after it was signed")


def test_smime_signer_is_taken_from_the_certificate_not_the_from_header(
    app: Any,
    checker: SignatureChecker,
    pki: Any,
) -> None:
    entity = smime.request_entity("SIA MonaOK: lūdzu izsniegt visus manus personas datus (VDAR 15. pants).")
    raw = smime.multipart_signed(pki, pki.person, entity=entity, from_addr="someone.else@example.com", at=SIGNED_AT)
    store(app, raw, mail_from="someone.else@example.com")
    process_all(app, checker)
    request = _only_request(app)
    assert (request.verified_method, request.verified_personal_code) == ("qualified_signature", JANIS_CODE)
    assert request.claimed_email == "someone.else@example.com"
    assert request.rights == "access"


def test_a_signer_who_is_not_the_sender_is_recorded_and_flagged(
    app: Any, checker: SignatureChecker, anna_edoc: bytes
) -> None:
    raw = customer_mail("Pielikumā pieprasījums.", attachments=[("pieprasijums.edoc", EDOC, anna_edoc)])
    store(app, raw)
    process_all(app, checker)
    request = _only_request(app)
    assert request.verified_personal_code == ANNA_CODE
    assert request.attention.startswith("the signer is not the person the request is about")


def test_a_personal_code_in_the_request_that_differs_from_the_signers_is_flagged(
    app: Any, checker: SignatureChecker, anna_edoc_naming_janis: bytes
) -> None:
    raw = customer_mail(
        "Pielikumā pieprasījums.",
        sender=("", "anna@example.lv"),
        attachments=[("pieprasijums.edoc", EDOC, anna_edoc_naming_janis)],
    )
    store(app, raw, mail_from="anna@example.lv")
    process_all(app, checker)
    request = _only_request(app)
    assert request.claimed_personal_code == JANIS_CODE
    assert "personal code" in request.attention


def test_marketing_objection_is_applied_without_a_signature(app: Any, checker: SignatureChecker) -> None:
    store(app, customer_mail("Lūdzu vairs nesūtīt man reklāmas īsziņas.", subject="Reklāmas"))
    process_all(app, checker)
    request = _only_request(app)
    assert (request.state, request.rights) == ("in_progress", "marketing_objection")
    assert request.details["marketing_channels"] == ["sms"]


def test_an_unrecognised_message_is_registered_and_flagged_for_staff(app: Any, checker: SignatureChecker) -> None:
    store(app, customer_mail("Kur ir mans pasūtījums Nr. 4411?", subject="Pasūtījums"))
    process_all(app, checker)
    request = _only_request(app)
    assert request.attention.startswith("rights not recognised")


def test_a_russian_request_is_answered_in_russian(app: Any, checker: SignatureChecker) -> None:
    store(app, customer_mail("Здравствуйте! Прошу удалить все мои персональные данные.", subject="Удаление"))
    process_all(app, checker)
    request = _only_request(app)
    assert (request.language, request.rights) == ("ru", "erasure")
