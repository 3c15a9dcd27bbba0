"""An impostor tries what the signed-document rules do not name, by e-mail on loopback SMTP.

smtplib -> our SMTP server -> durable store -> worker (parse, validate, bind) -> outbox ->
our sender -> a capturing relay; SQLite and PostgreSQL (``app``).

Personas: Līga Kalniņa, the real customer with an eParaksts certificate of the test PKI;
Ilze, an impostor who gets hold of Līga's signed files (an old one, one that already verified
a request, one signed for another request) and changes what a holder can change without
breaking a signature: the unsigned time-stamp, the unsigned parts of the e-mail around a
signed S/MIME entity, the headers that say where answers go.
"""

from __future__ import annotations

import asyncio
import base64
import io
import threading
import zipfile
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from lxml import etree

from mail_intake.evidence import SignatureChecker
from rightsdesk.bootstrap import App
from rightsdesk.demo_kit.asice import addressed, timestamp_callback
from tests.support.mail.capture import CaptureSmtpServer, capture_smtp  # noqa: F401
from tests.support.mail.processing import customer_mail, events_of
from tests.support.pki.authority import TestPki
from tests.support.pki.certs import Issued
from tests.support.pki.fixtures import pki, trust_dir, trust_store  # noqa: F401
from tests.support.signed_requests import EDOC, ILZE, LIGA, LIGA_CODE, MailDesk, checker, desk, liga, mail_with_edoc  # noqa: F401
from workflows.adapters import evidence_uses

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"


def _signed(pki: TestPki, liga: Issued, text: bytes, *, claimed: datetime, stamped: datetime) -> bytes:
    """Līga's LT-level container: SigningTime ``claimed``, time-stamp at ``stamped``, OCSP a minute later."""
    from signature.xades_sign import LocalKey, build_asice

    return build_asice(
        {"pieprasijums.txt": text}, LocalKey(liga.key, pki.chain_of(liga)), signing_time=claimed,
        timestamp=timestamp_callback(pki, at=stamped),
        ocsp_der=[pki.ocsp_response(liga, at=stamped + timedelta(minutes=1))],
    )


def _rewrite_signature_xml(container: bytes, change: Callable[[bytes], bytes]) -> bytes:
    """Ilze edits the unsigned parts of the signature file and zips the container again."""
    source = zipfile.ZipFile(io.BytesIO(container))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            body = source.read(info)
            if info.filename.startswith("META-INF/") and "signatures" in info.filename:
                body = change(body)
            target.writestr(info, body, compress_type=info.compress_type)
    return out.getvalue()


def _restamped(pki: TestPki, at: datetime) -> Callable[[bytes], bytes]:
    """Replace the SignatureTimeStamp with a fresh token over the same SignatureValue (as
    anyone can get from a time-stamping service): the signature itself is untouched."""

    def change(xml: bytes) -> bytes:
        root = etree.fromstring(xml)
        value = root.find(f".//{{{DS}}}SignatureValue")
        token = root.find(f".//{{{XADES}}}SignatureTimeStamp/{{{XADES}}}EncapsulatedTimeStamp")
        assert value is not None and token is not None
        c14n = bytes(etree.tostring(value, method="c14n", exclusive=True, with_comments=False))
        token.text = base64.b64encode(timestamp_callback(pki, at=at)(c14n)).decode()
        return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))

    return change


def _failure(app: App, request: Any) -> str:
    (failed,) = events_of(app, request.id, "IdentityVerificationFailed")
    return str(failed.data["reason"])


# -- time-stamps are unsigned --------------------------------------------------------------


def test_ilze_restamping_ligas_used_signature_does_not_make_it_a_new_one(
    desk: MailDesk, checker: SignatureChecker, pki: TestPki, liga: Issued
) -> None:
    now = desk.app.engine.clock.now()
    signed = _signed(pki, liga, addressed("Lūdzu izsniegt visus manus datus."),
                     claimed=now - timedelta(minutes=3), stamped=now - timedelta(minutes=2))
    desk.send(mail_with_edoc(LIGA, "Pielikumā.", signed), mail_from=LIGA[1])
    desk.settle(checker)
    restamped = _rewrite_signature_xml(signed, _restamped(pki, now - timedelta(seconds=90)))

    desk.send(mail_with_edoc(ILZE, "Lūdzu izsniegt visus manus datus.", restamped), mail_from=ILZE[1])
    desk.settle(checker)

    first, second = desk.requests()
    assert (first.state, first.verified_personal_code) == ("in_progress", LIGA_CODE)
    assert (second.state, second.verified_method, second.verified_personal_code) == ("awaiting_identity", None, None)
    assert _failure(desk.app, second).startswith("signature_already_used")
    assert second.attention.startswith(f"the same signed document already verified request {first.reference}")


def test_ligas_two_month_old_signature_with_a_fresh_time_stamp_is_not_recent(
    desk: MailDesk, checker: SignatureChecker, pki: TestPki, liga: Issued
) -> None:
    now = desk.app.engine.clock.now()
    # Līga signed (SigningTime) 60 days ago; Ilze had it time-stamped a minute ago.
    old = _signed(pki, liga, addressed("Lūdzu dzēst visus manus personas datus."),
                  claimed=now - timedelta(days=60), stamped=now - timedelta(minutes=1))

    desk.send(mail_with_edoc(ILZE, "Lūdzu dzēst visus manus datus.", old), mail_from=ILZE[1])
    desk.settle(checker)

    (request,) = desk.requests()
    assert (request.state, request.verified_method) == ("awaiting_identity", None)
    assert _failure(desk.app, request).startswith("signature_not_recent: signed on")


def test_ligas_own_fresh_signature_with_its_time_stamp_still_verifies(
    desk: MailDesk, checker: SignatureChecker, pki: TestPki, liga: Issued
) -> None:
    now = desk.app.engine.clock.now()
    signed = _signed(pki, liga, addressed("Lūdzu dzēst visus manus personas datus."),
                     claimed=now - timedelta(minutes=3), stamped=now - timedelta(minutes=2))
    desk.send(mail_with_edoc(LIGA, "Pielikumā.", signed), mail_from=LIGA[1])
    desk.settle(checker)

    (request,) = desk.requests()
    assert (request.state, request.verified_personal_code, request.rights) == ("in_progress", LIGA_CODE, "erasure")


# -- another request's signed text ---------------------------------------------------------


def test_ligas_signed_text_for_her_earlier_request_does_not_verify_a_new_one_from_ilze(
    desk: MailDesk, checker: SignatureChecker, pki: TestPki, liga: Issued
) -> None:
    desk.send(customer_mail("Lūdzu izsniegt manus datus.", sender=LIGA), mail_from=LIGA[1])
    desk.settle(checker)
    (earlier,) = desk.requests()
    now = desk.app.engine.clock.now()
    # Signed for the earlier request (never sent in, so never recorded as used), names MonaOK too.
    signed = _signed(pki, liga, addressed("Apstiprinu pieprasījumu.", reference=earlier.reference),
                     claimed=now - timedelta(minutes=3), stamped=now - timedelta(minutes=2))

    desk.send(mail_with_edoc(ILZE, "Lūdzu dzēst visus manus datus.", signed), mail_from=ILZE[1])
    desk.settle(checker)

    _, new = desk.requests()
    assert (new.state, new.verified_method) == ("awaiting_identity", None)
    assert new.attention.startswith(f"the signed text names another request ({earlier.reference})")


# -- S/MIME: only the signed entity is the request -----------------------------------------


def test_an_smime_entity_not_naming_us_is_not_bound_by_an_unsigned_part_that_does(
    desk: MailDesk, checker: SignatureChecker, pki: TestPki, liga: Issued
) -> None:
    from tests.support.samples.smime import multipart_signed, request_entity, wrapped_in_mixed

    now = desk.app.engine.clock.now()
    entity = request_entity("Lūdzu izsniegt manus datus.")
    signed = multipart_signed(pki, liga, entity=entity, from_addr=LIGA[1], at=now)
    wrapped = wrapped_in_mixed(signed, "SIA MonaOK: lūdzu dzēst visus Līgas Kalniņas datus.")

    desk.send(wrapped, mail_from=ILZE[1])
    desk.settle(checker)

    (request,) = desk.requests()
    assert (request.state, request.verified_method) == ("awaiting_identity", None)


def test_an_smime_request_signed_for_access_stays_access_whatever_the_unsigned_body_asks(
    desk: MailDesk, checker: SignatureChecker, pki: TestPki, liga: Issued
) -> None:
    from tests.support.samples.smime import multipart_signed, request_entity

    now = desk.app.engine.clock.now()
    entity = request_entity("SIA MonaOK: lūdzu izsniegt visus manus personas datus (GDPR 15. pants).")
    signed = multipart_signed(pki, liga, entity=entity, from_addr=LIGA[1], at=now)
    # The preamble of multipart/signed is outside the signed entity: Ilze writes an erasure there.
    tampered = signed.replace(b"This is an S/MIME signed message",
                              b"Ludzu dzest visus manus personas datus (GDPR 17. pants).")

    desk.send(tampered, mail_from=LIGA[1])
    desk.settle(checker)

    (request,) = desk.requests()
    assert request.rights == "access"
    assert (request.verified_personal_code, request.state) == (LIGA_CODE, "in_progress")


# -- where the answers go ------------------------------------------------------------------


def test_an_address_in_the_unsigned_body_does_not_become_the_verified_address(
    desk: MailDesk, checker: SignatureChecker, pki: TestPki, liga: Issued
) -> None:
    now = desk.app.engine.clock.now()
    signed = _signed(pki, liga, addressed("Lūdzu izsniegt visus manus datus."),
                     claimed=now - timedelta(minutes=3), stamped=now - timedelta(minutes=2))
    body = f"Kopiju lūdzu sūtīt uz {ILZE[1]}."

    desk.send(mail_with_edoc(ILZE, body, signed, headers={"Reply-To": ILZE[1]}), mail_from=ILZE[1])
    desk.settle(checker)

    (request,) = desk.requests()
    assert (request.verified_personal_code, request.verified_email) == (LIGA_CODE, None)
    assert _copy_route_is_held(desk.app, request.reference)


def test_an_address_the_signed_text_names_is_where_the_signer_wants_her_copy(
    desk: MailDesk, checker: SignatureChecker, pki: TestPki, liga: Issued
) -> None:
    now = desk.app.engine.clock.now()
    text = addressed(f"Lūdzu izsniegt visus manus datus. Kopiju sūtiet uz {ILZE[1]}.")
    signed = _signed(pki, liga, text, claimed=now - timedelta(minutes=3), stamped=now - timedelta(minutes=2))

    desk.send(mail_with_edoc(ILZE, "Pielikumā.", signed), mail_from=ILZE[1])
    desk.settle(checker)

    (request,) = desk.requests()
    # Līga signed that address herself: the rule lets it receive her copy (she named it).
    assert (request.verified_personal_code, request.verified_email) == (LIGA_CODE, ILZE[1])
    assert not _copy_route_is_held(desk.app, request.reference)


def test_reply_to_and_sender_headers_do_not_redirect_the_acknowledgement(
    desk: MailDesk, checker: SignatureChecker
) -> None:
    headers = {"Reply-To": ILZE[1], "Sender": ILZE[1]}
    desk.send(customer_mail("Lūdzu izsniegt manus datus.", sender=LIGA, headers=headers), mail_from=ILZE[1])
    desk.settle(checker)

    (request,) = desk.requests()
    assert request.claimed_email == LIGA[1]
    assert ILZE[1] not in desk.recipients()


def _copy_route_is_held(app: App, reference: str) -> bool:
    from workflows.domain.delivery import CopyHeld, copy_route

    with app.engine.uow() as uow:
        request = uow.requests.get_by_reference(reference)
        return isinstance(copy_route(request), CopyHeld)


# -- used once, under a race ---------------------------------------------------------------


def test_two_requests_claiming_one_signature_at_the_same_moment_cannot_both_win(
    desk: MailDesk, checker: SignatureChecker
) -> None:
    for who in (LIGA, ILZE):
        desk.send(customer_mail("Lūdzu izsniegt manus datus.", sender=who), mail_from=who[1])
    desk.settle(checker)
    first, second = desk.requests()
    digest = "e" * 64
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def claim(request_id: str) -> None:
        start.wait(timeout=10)
        try:
            with desk.app.database.begin() as connection:
                evidence_uses.record_use(connection, digest, request_id, at=desk.app.engine.clock.now())
            outcomes[request_id] = "won"
        except Exception as error:  # the loser's insert violates the primary key
            outcomes[request_id] = type(error).__name__

    threads = [threading.Thread(target=claim, args=(str(r.id),)) for r in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes.values()).count("won") == 1
    with desk.app.database.connect() as connection:
        assert evidence_uses.used_by(connection, digest) in (first.reference, second.reference)


# -- what counts as the signed text --------------------------------------------------------


def _with_extra_file(container: bytes, name: str, data: bytes) -> bytes:
    """Ilze adds a file to Līga's signed container (no signature covers it)."""
    source = zipfile.ZipFile(io.BytesIO(container))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info), compress_type=info.compress_type)
        target.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def test_an_uncovered_second_text_file_in_ligas_container_verifies_no_one(
    desk: MailDesk, checker: SignatureChecker, pki: TestPki, liga: Issued
) -> None:
    now = desk.app.engine.clock.now()
    signed = _signed(pki, liga, addressed("Lūdzu izsniegt manus datus."),
                     claimed=now - timedelta(minutes=3), stamped=now - timedelta(minutes=2))
    extended = _with_extra_file(signed, "papildinajums.txt",
                                addressed(f"Lūdzu dzēst visus manus datus, kopiju uz {ILZE[1]}."))

    desk.send(mail_with_edoc(ILZE, "Pielikumā.", extended), mail_from=ILZE[1])
    desk.settle(checker)

    (request,) = desk.requests()
    assert (request.state, request.verified_method, request.verified_email) == ("awaiting_identity", None, None)
    assert "not covered by the signature" in _failure(desk.app, request)


def test_text_added_to_ligas_signed_pdf_in_a_later_revision_verifies_no_one(
    desk: MailDesk, checker: SignatureChecker, pki: TestPki, liga: Issued
) -> None:
    from tests.support.samples.pdf import blank_pdf, incremental_content_change, sign_pdf

    signed = sign_pdf(pki, liga, blank_pdf("SIA MonaOK: ludzu izsniegt manus datus", extra_objects=1),
                      at=desk.app.engine.clock.now())
    changed = incremental_content_change(signed, "SIA MonaOK: ludzu dzest visus manus datus")

    desk.send(customer_mail("Pielikumā.", sender=ILZE, attachments=[("p.pdf", "application/pdf", changed)]),
              mail_from=ILZE[1])
    desk.settle(checker)

    (request,) = desk.requests()
    assert (request.state, request.verified_method) == ("awaiting_identity", None)


def test_ligas_signed_pdf_with_a_later_archive_time_stamp_is_read_from_its_signed_revision(
    desk: MailDesk, checker: SignatureChecker, pki: TestPki, liga: Issued
) -> None:
    from tests.support.samples.pdf import blank_pdf, sign_pdf

    signed = sign_pdf(pki, liga, blank_pdf("SIA MonaOK: ludzu dzest visus manus personas datus", extra_objects=1),
                      at=desk.app.engine.clock.now(), lta=True)

    desk.send(customer_mail("Pielikumā.", sender=LIGA, attachments=[("p.pdf", "application/pdf", signed)]),
              mail_from=LIGA[1])
    desk.settle(checker)

    (request,) = desk.requests()
    assert (request.state, request.verified_personal_code, request.rights) == ("in_progress", LIGA_CODE, "erasure")


def test_a_personal_code_in_the_unsigned_body_is_not_the_signers(
    desk: MailDesk, checker: SignatureChecker, pki: TestPki, liga: Issued
) -> None:
    now = desk.app.engine.clock.now()
    signed = _signed(pki, liga, addressed("Lūdzu izsniegt visus manus datus."),
                     claimed=now - timedelta(minutes=3), stamped=now - timedelta(minutes=2))

    desk.send(mail_with_edoc(LIGA, "Mans personas kods: 010190-12345. Lūdzu dzēst visu.", signed), mail_from=LIGA[1])
    desk.settle(checker)

    (request,) = desk.requests()
    assert (request.verified_personal_code, request.claimed_personal_code, request.rights) == (
        LIGA_CODE, None, "access"
    )


# -- a thread: rights asked earlier, unsigned ----------------------------------------------


def _open_unsigned(desk: MailDesk, checker: SignatureChecker, who: tuple[str, str], body: str) -> Any:
    desk.send(customer_mail(body, sender=who), mail_from=who[1])
    desk.settle(checker)
    (request,) = desk.requests()
    return request


def test_ligas_signed_access_letter_does_not_verify_ilzes_unsigned_erasure_request_in_its_thread(
    desk: MailDesk, checker: SignatureChecker, pki: TestPki, liga: Issued
) -> None:
    erasure = _open_unsigned(desk, checker, ("Līga Kalniņa", ILZE[1]), "Lūdzu dzēst visus manus personas datus.")
    now = desk.app.engine.clock.now()
    # A letter Līga signed for MonaOK (an access request she sent on paper, never through here).
    letter = _signed(pki, liga, addressed("Lūdzu izsniegt visus manus personas datus."),
                     claimed=now - timedelta(minutes=3), stamped=now - timedelta(minutes=2))

    reply = mail_with_edoc(
        ("Līga Kalniņa", ILZE[1]), "Paraksts pielikumā.", letter, subject=f"Re: [{erasure.reference}]"
    )
    desk.send(reply, mail_from=ILZE[1])
    desk.settle(checker)

    (row,) = desk.requests()
    assert (row.rights, row.state, row.verified_method) == ("erasure", "awaiting_identity", None)
    assert _failure(desk.app, row).startswith("rights_not_signed")
    assert "asks for access, and does not ask for erasure" in row.attention  # staff are told
    told = _reply_text(desk, erasure.reference, "Neizdevās apstiprināt")
    assert "nav lūgts tas, ko lūdz šis pieprasījums" in told
    assert "parakstiet tekstu, kurā lūgts tieši tas (personas datu dzēšana" in told.lower()
    assert erasure.reference in told


def _reply_text(desk: MailDesk, reference: str, subject_words: str) -> str:
    for message in desk.relay.messages:
        subject = str(message.message["Subject"])
        if reference in subject and subject_words in subject:
            return str(message.message.get_body(("plain",)).get_content())
    subjects = [m.message["Subject"] for m in desk.relay.messages]
    raise AssertionError(f"no reply {subject_words!r} for {reference}: {subjects}")


def test_ligas_signed_confirmation_naming_monaok_and_asking_the_same_right_verifies_her_thread(
    desk: MailDesk, checker: SignatureChecker, pki: TestPki, liga: Issued
) -> None:
    access = _open_unsigned(desk, checker, LIGA, "Lūdzu izsniegt kopiju par maniem personas datiem.")
    now = desk.app.engine.clock.now()
    confirmation = _signed(
        pki, liga, addressed("Apstiprinu savu pieprasījumu izsniegt kopiju par maniem personas datiem."),
        claimed=now - timedelta(minutes=3), stamped=now - timedelta(minutes=2),
    )

    desk.send(mail_with_edoc(LIGA, "Apstiprinu.", confirmation, subject=f"Re: [{access.reference}]"), mail_from=LIGA[1])
    desk.settle(checker)

    (row,) = desk.requests()
    assert (row.rights, row.state, row.verified_personal_code) == ("access", "in_progress", LIGA_CODE)
    (verified,) = events_of(desk.app, row.id, "IdentityVerified")
    assert (verified.data["evidence"]["bound_by"], verified.data["evidence"]["signed_rights"]) == ("name", ["access"])


def test_a_signed_text_quoting_the_reference_verifies_every_right_of_the_thread(
    desk: MailDesk, checker: SignatureChecker, pki: TestPki, liga: Issued
) -> None:
    both = _open_unsigned(desk, checker, LIGA, "Lūdzu izsniegt kopiju par maniem datiem un pēc tam tos dzēst.")
    assert both.rights == "access,erasure"
    now = desk.app.engine.clock.now()
    # It asks for nothing by name: the reference the acknowledgement gave her binds the whole request.
    confirmation = _signed(pki, liga, f"{both.reference}: apstiprinu šo pieprasījumu.".encode(),
                           claimed=now - timedelta(minutes=3), stamped=now - timedelta(minutes=2))

    desk.send(mail_with_edoc(LIGA, "Apstiprinu.", confirmation, subject=f"Re: [{both.reference}]"), mail_from=LIGA[1])
    desk.settle(checker)

    (row,) = desk.requests()
    assert (row.state, row.verified_personal_code) == ("in_progress", LIGA_CODE)
    (verified,) = events_of(desk.app, row.id, "IdentityVerified")
    assert verified.data["evidence"]["bound_by"] == "reference"


def test_ligas_signed_erasure_letter_in_the_thread_of_her_erasure_request_verifies_it(
    desk: MailDesk, checker: SignatureChecker, pki: TestPki, liga: Issued
) -> None:
    erasure = _open_unsigned(desk, checker, LIGA, "Lūdzu dzēst visus manus personas datus.")
    now = desk.app.engine.clock.now()
    letter = _signed(pki, liga, addressed("Lūdzu dzēst visus manus personas datus."),
                     claimed=now - timedelta(minutes=3), stamped=now - timedelta(minutes=2))

    reply = mail_with_edoc(LIGA, "Paraksts pielikumā.", letter, subject=f"Re: [{erasure.reference}]")
    desk.send(reply, mail_from=LIGA[1])
    desk.settle(checker)

    (row,) = desk.requests()
    assert (row.state, row.verified_personal_code) == ("in_progress", LIGA_CODE)


def test_a_time_stamp_from_a_tsa_on_no_trusted_list_proves_no_signing_time(
    desk: MailDesk, checker: SignatureChecker, pki: TestPki, liga: Issued
) -> None:
    import hashlib

    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    from signature.xades_sign import LocalKey, build_asice
    from tests.support.pki.authority import to_asn1_cert, to_asn1_key
    from tests.support.pki.certs import make_tsa

    now = desk.app.engine.clock.now()
    rogue = make_tsa(issuer=pki.untrusted_ca, not_before=pki.now - timedelta(days=365),
                     not_after=pki.now + timedelta(days=365))
    stamper = DummyTimeStamper(tsa_cert=to_asn1_cert(rogue.cert), tsa_key=to_asn1_key(rogue), fixed_dt=now)

    def rogue_stamp(data: bytes) -> bytes:
        return bytes(asyncio.run(stamper.async_timestamp(hashlib.sha256(data).digest(), "sha256")).dump())

    old = build_asice(
        {"pieprasijums.txt": addressed("Lūdzu dzēst visus manus datus.")}, LocalKey(liga.key, pki.chain_of(liga)),
        signing_time=now - timedelta(days=45), timestamp=rogue_stamp,
        ocsp_der=[pki.ocsp_response(liga, at=now)],
    )

    desk.send(mail_with_edoc(ILZE, "Pielikumā.", old), mail_from=ILZE[1])
    desk.settle(checker)

    (request,) = desk.requests()
    assert (request.state, request.verified_method) == ("awaiting_identity", None)
    (failed,) = events_of(desk.app, request.id, "IdentityVerificationFailed")
    evidence = failed.data["evidence"]
    assert evidence["signing_time_source"] == "claimed (SigningTime, unproven)"
    assert "signature time-stamp does not chain to a trust anchor; its time is not used" in evidence["warnings"]


def test_ligas_used_signature_rezipped_under_another_name_is_still_the_same_used_signature(
    desk: MailDesk, checker: SignatureChecker, pki: TestPki, liga: Issued
) -> None:
    now = desk.app.engine.clock.now()
    signed = _signed(pki, liga, addressed("Lūdzu izsniegt visus manus datus."),
                     claimed=now - timedelta(minutes=3), stamped=now - timedelta(minutes=2))
    desk.send(mail_with_edoc(LIGA, "Pielikumā.", signed), mail_from=LIGA[1])
    desk.settle(checker)
    source = zipfile.ZipFile(io.BytesIO(signed))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:  # another signature file name, other compression
        for info in source.infolist():
            name = "META-INF/signatures0.xml" if "signatures" in info.filename else info.filename
            method = zipfile.ZIP_STORED if name == "mimetype" or name.endswith(".txt") else zipfile.ZIP_DEFLATED
            target.writestr(name, source.read(info), compress_type=method)
    rewrapped = out.getvalue()

    desk.send(customer_mail("Pielikumā.", sender=ILZE, attachments=[("cits.asice", EDOC, rewrapped)]),
              mail_from=ILZE[1])
    desk.settle(checker)

    _, second = desk.requests()
    assert (second.state, second.verified_method) == ("awaiting_identity", None)
    assert _failure(desk.app, second).startswith("signature_already_used")
