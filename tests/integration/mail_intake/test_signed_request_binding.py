"""A signed document verifies only the request it carries — by e-mail, on loopback SMTP.

smtplib -> our SMTP server -> durable store -> worker (parse, validate, bind) -> outbox ->
our sender -> a capturing relay; SQLite and PostgreSQL (``app``).

Personas: Līga Kalniņa, the real customer, who signs her own request with eParaksts (a
qualified certificate of the test PKI); Ilze, an impostor who holds signed files of other
people (a real 2021 eParaksts ``.edoc`` of a stranger, a request Līga signed for another shop,
Līga's own signed request from earlier) and attaches them to an unsigned erasure e-mail.
"""

from __future__ import annotations

import functools
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from mail_intake.evidence import SignatureChecker
from rightsdesk.bootstrap import App
from rightsdesk.demo_kit.asice import addressed, edoc
from tests.support.mail.capture import CaptureSmtpServer, capture_smtp  # noqa: F401
from tests.support.mail.processing import all_requests, customer_mail, events_of
from tests.support.pki.authority import TestPki
from tests.support.pki.certs import Issued
from tests.support.pki.fixtures import pki, trust_dir, trust_store  # noqa: F401
from tests.support.signed_requests import EDOC, ILZE, LIGA, LIGA_CODE, MailDesk, checker, desk, liga, mail_with_edoc  # noqa: F401

VECTORS = Path(__file__).resolve().parents[3] / ".." / "shared" / "testvectors"
@functools.lru_cache(maxsize=1)
def _trust_snapshot_2023() -> Any:
    """The EU and Latvian trusted lists of 2023 that the real 2021 signature chains to."""
    from signature.trust import TrustStore

    return TrustStore.from_directory(VECTORS / "trust")


def _failure_reason(app: App, request: Any) -> str:
    (failed,) = events_of(app, request.id, "IdentityVerificationFailed")
    return str(failed.data["reason"])


@pytest.mark.skipif(not VECTORS.is_dir(), reason="../shared/testvectors is absent")
def test_ilze_attaching_a_strangers_2021_eparaksts_edoc_to_an_unsigned_erasure_is_not_verified(
    desk: MailDesk,
) -> None:
    stranger_edoc = (VECTORS / "signed" / "lv-qes-2021.edoc").read_bytes()
    desk.send(mail_with_edoc(ILZE, "Lūdzu dzēst visus manus personas datus. Paraksts pielikumā.", stranger_edoc),
              mail_from=ILZE[1])

    desk.settle(SignatureChecker(_trust_snapshot_2023()))

    (request,) = all_requests(desk.app)
    assert (request.state, request.verified_method, request.verified_personal_code) == (
        "awaiting_identity", None, None
    )
    assert _failure_reason(desk.app, request).startswith("signature_not_recent: signed on 2021-03-04")
    reply = desk.reply_text(request.reference, "identitāti")
    assert "dokuments nav parakstīts nesen" in reply
    assert "parakstiet paša šī pieprasījuma tekstu" in reply


def test_a_fresh_signature_over_a_request_to_another_shop_goes_to_staff_as_not_addressed_to_us(
    desk: MailDesk, checker: SignatureChecker, pki: TestPki, liga: Issued
) -> None:
    for_another_shop = addressed("Lūdzu dzēst visus manus personas datus.", to="SIA Citsveikals")
    container = edoc(pki, liga, {"pieprasijums.txt": for_another_shop}, signed_at=desk.app.engine.clock.now())
    desk.send(mail_with_edoc(ILZE, "Lūdzu dzēst manus datus.", container), mail_from=ILZE[1])

    desk.settle(checker)

    (request,) = all_requests(desk.app)
    assert (request.state, request.verified_method) == ("awaiting_identity", None)
    assert request.attention.startswith("signed, but not addressed to us")
    assert _failure_reason(desk.app, request).startswith("not_addressed_to_controller")
    reply = desk.reply_text(request.reference, "identitāti")
    assert "nav adresēts mums" in reply and "MonaOK group" in reply


def test_liga_signed_request_replayed_by_ilze_for_a_second_request_is_refused_and_flagged(
    desk: MailDesk, checker: SignatureChecker, pki: TestPki, liga: Issued
) -> None:
    signed = edoc(
        pki, liga, {"pieprasijums.txt": addressed("Lūdzu izsniegt visus manus datus.")},
        signed_at=desk.app.engine.clock.now(),
    )
    desk.send(mail_with_edoc(LIGA, "Pielikumā parakstīts pieprasījums.", signed), mail_from=LIGA[1])
    desk.settle(checker)
    desk.send(mail_with_edoc(ILZE, "Lūdzu izsniegt visus manus datus.", signed), mail_from=ILZE[1])

    desk.settle(checker)

    first, second = sorted(all_requests(desk.app), key=lambda r: r.reference)
    assert (first.state, first.verified_personal_code) == ("in_progress", LIGA_CODE)
    assert (second.state, second.verified_method) == ("awaiting_identity", None)
    assert second.attention.startswith(f"the same signed document already verified request {first.reference}")
    assert _failure_reason(desk.app, second).startswith("signature_already_used")
    assert "jau izmantots citam pieprasījumam" in desk.reply_text(second.reference, "identitāti")


def test_liga_fresh_signed_request_naming_the_controller_verifies_and_its_text_decides_the_rights(
    desk: MailDesk, checker: SignatureChecker, pki: TestPki, liga: Issued
) -> None:
    text = addressed(f"Lūdzu dzēst visus manus personas datus. Atbildi sūtiet uz {LIGA[1]}.")
    signed = edoc(pki, liga, {"pieprasijums.txt": text}, signed_at=desk.app.engine.clock.now() - timedelta(days=3))
    # The unsigned body asks for something else: only the signed text is the request.
    desk.send(mail_with_edoc(LIGA, "Lūdzu izsniegt kopiju par maniem datiem.", signed), mail_from=LIGA[1])

    desk.settle(checker)

    (request,) = all_requests(desk.app)
    assert (request.state, request.verified_method, request.verified_personal_code) == (
        "in_progress", "qualified_signature", LIGA_CODE
    )
    assert request.rights == "erasure"
    assert request.verified_email == LIGA[1]
    (verified,) = events_of(desk.app, request.id, "IdentityVerified")
    evidence = verified.data["evidence"]
    assert evidence["bound_by"] == "name"
    assert evidence["signing_time_source"] == "signature time-stamp (Test eParaksts TSA)"


def test_liga_signed_reply_quoting_her_reference_verifies_the_request_in_the_thread(
    desk: MailDesk, checker: SignatureChecker, pki: TestPki, liga: Issued
) -> None:
    desk.send(customer_mail("Lūdzu izsniegt manus datus.", sender=LIGA), mail_from=LIGA[1])
    desk.settle(checker)
    (request,) = all_requests(desk.app)
    # No controller name, only the reference the identity letter gave her.
    text = f"{request.reference}: apstiprinu savu pieprasījumu izsniegt manus datus.".encode()
    signed = edoc(pki, liga, {"apstiprinajums.txt": text}, signed_at=desk.app.engine.clock.now())
    desk.send(mail_with_edoc(LIGA, "Parakstīts apstiprinājums.", signed, subject=f"Re: [{request.reference}]"),
              mail_from=LIGA[1])

    desk.settle(checker)

    row = desk.request(request.reference)
    assert (row.state, row.verified_method, row.verified_personal_code) == (
        "in_progress", "qualified_signature", LIGA_CODE
    )


def test_liga_signed_pdf_request_is_read_from_the_pdf_itself_and_verifies(
    desk: MailDesk, checker: SignatureChecker, pki: TestPki, liga: Issued
) -> None:
    from tests.support.samples.pdf import blank_pdf, sign_pdf

    request_pdf = blank_pdf("SIA MonaOK: ludzu dzest visus manus personas datus", extra_objects=1)
    signed = sign_pdf(pki, liga, request_pdf, at=desk.app.engine.clock.now())
    desk.send(
        customer_mail("Pielikumā.", sender=LIGA, attachments=[("pieprasijums.pdf", "application/pdf", signed)]),
        mail_from=LIGA[1],
    )

    desk.settle(checker)

    (request,) = all_requests(desk.app)
    assert (request.state, request.verified_personal_code, request.rights) == ("in_progress", LIGA_CODE, "erasure")


def test_a_signed_pdf_to_another_shop_does_not_verify(
    desk: MailDesk, checker: SignatureChecker, pki: TestPki, liga: Issued
) -> None:
    from tests.support.samples.pdf import blank_pdf, sign_pdf

    other_shop_pdf = blank_pdf("SIA Citsveikals: ludzu dzest visus manus personas datus", extra_objects=1)
    signed = sign_pdf(pki, liga, other_shop_pdf, at=desk.app.engine.clock.now())
    desk.send(
        customer_mail("Lūdzu dzēst.", sender=ILZE, attachments=[("pieprasijums.pdf", "application/pdf", signed)]),
        mail_from=ILZE[1],
    )

    desk.settle(checker)

    (request,) = all_requests(desk.app)
    assert (request.state, request.verified_method) == ("awaiting_identity", None)
    assert request.attention.startswith("signed, but not addressed to us")


def test_a_signed_scan_without_text_goes_to_staff_and_verifies_no_one(
    desk: MailDesk, checker: SignatureChecker, pki: TestPki, liga: Issued
) -> None:
    photo = {"skenets.jpg": b"\xff\xd8\xff\xe0 a photo of a letter"}
    scan = edoc(pki, liga, photo, signed_at=desk.app.engine.clock.now())
    desk.send(mail_with_edoc(LIGA, "Lūdzu dzēst manus datus, pieprasījums pielikumā.", scan), mail_from=LIGA[1])

    desk.settle(checker)

    (request,) = all_requests(desk.app)
    assert (request.state, request.verified_method) == ("awaiting_identity", None)
    assert request.attention.startswith("the signed document has no text that can be read")
    assert _failure_reason(desk.app, request).startswith("signed_text_unreadable")
