"""Other shapes of signed material: a detached .p7s, an unreadable container, S/MIME wrapping."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from mail_intake.evidence import SignatureChecker
from tests.support.mail.processing import all_requests, customer_mail, events_of, outbox_rows, process_all, store
from tests.support.pki.fixtures import pki, trust_dir, trust_store  # noqa: F401
from tests.support.samples import smime

JANIS_CODE = "010190-10007"
SIGNED_AT = datetime(2026, 3, 3, 6, 30, tzinfo=UTC)
"""Half an hour before the test clock receives the mail: a fresh signature."""


@pytest.fixture
def checker(trust_store: Any) -> SignatureChecker:
    return SignatureChecker(trust_store)


def test_detached_p7s_over_an_attached_request_verifies_the_signer(
    app: Any,
    checker: SignatureChecker,
    pki: Any,
) -> None:
    document = "SIA MonaOK\n\nLūdzu dzēst visus manus personas datus.".encode()
    p7s = smime.sign_cms(pki, pki.person, document, at=SIGNED_AT).dump()
    raw = customer_mail(
        "Pielikumā pieprasījums un paraksts.",
        attachments=[
            ("pieprasijums.txt", "text/plain", document),
            ("pieprasijums.p7s", "application/pkcs7-signature", p7s),
        ],
    )
    store(app, raw)
    process_all(app, checker)
    (request,) = all_requests(app)
    assert (request.verified_method, request.verified_personal_code) == ("qualified_signature", JANIS_CODE)


def test_an_unreadable_container_is_a_failed_signature_not_a_crash(app: Any, checker: SignatureChecker) -> None:
    raw = customer_mail(
        "Lūdzu izsniegt manus datus.",
        attachments=[("pieprasijums.edoc", "application/vnd.etsi.asic-e+zip", b"PK\x03\x04 not really a zip")],
    )
    store(app, raw)
    process_all(app, checker)
    (request,) = all_requests(app)
    assert request.state == "awaiting_identity"
    assert "verification_failed" in [r.kind for r in outbox_rows(app, request.id)]
    (failed,) = events_of(app, request.id, "IdentityVerificationFailed")
    assert "could not be read" in failed.data["reason"]


def test_unsigned_text_wrapped_around_a_signed_smime_part_does_not_count(
    app: Any,
    checker: SignatureChecker,
    pki: Any,
) -> None:
    entity = smime.request_entity("SIA MonaOK: lūdzu izsniegt visus manus personas datus (VDAR 15. pants).")
    signed = smime.multipart_signed(pki, pki.person, entity=entity, at=SIGNED_AT)
    store(app, smime.wrapped_in_mixed(signed, "Lūdzu izdzēst visus Jāņa datus."), mail_from="impostor@example.com")
    process_all(app, checker)
    (request,) = all_requests(app)
    assert request.rights == "access"  # only the signed entity ("izsniegt ... datus") is the request
