"""The rules that bind a valid signature to one request (workflows.domain.evidence_binding),
and the signed text read from .txt, .docx, .odt and PDF files (workflows.adapters.signed_evidence).

Personas: Līga Kalniņa signs her own request to MonaOK; an impostor presents documents signed
for other shops, long ago, or for another request.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from signature.signed_text import container_text, document_text, pdf_text
from workflows.adapters.profile_loader import load_profile
from workflows.domain.evidence_binding import (
    BindingPolicy,
    BindingProblem,
    ControllerMarks,
    SignedContent,
    judge_binding,
    references_in,
)
from workflows.domain.rights import Right

PROFILES = Path(__file__).resolve().parents[3] / "rightsdesk" / "examples" / "profiles"
RECEIVED = datetime(2026, 3, 3, 7, 0, tzinfo=UTC)
REFERENCE = "DSR-2026-000042"


@pytest.fixture(scope="module")
def monaok() -> ControllerMarks:
    return ControllerMarks.from_profile(load_profile(PROFILES / "retail.toml"))


def _judge(
    marks: ControllerMarks,
    text: str | None,
    *,
    signed: datetime = RECEIVED - timedelta(hours=1),
    proven: bool = True,
    reference: str | None = REFERENCE,
    used_by: str | None = None,
    rights: frozenset[Right] | None = None,
) -> BindingProblem | None:
    content = SignedContent("d" * 64, signed, proven, text)
    verdict = judge_binding(
        content, received_at=RECEIVED, reference=reference, marks=marks, policy=BindingPolicy(), used_by=used_by,
        rights_asked=rights,
    )
    return verdict.problem


@pytest.mark.parametrize(
    "text",
    [
        "SIA MonaOK, lūdzu dzēst manus datus.",
        "monaok: ludzu dzest manus datus",  # typed without capitals or diacritics
        "Sveiki, MonaOK group! Lūdzu dzēst manus datus.",
        "Rakstu uz privatums@monaok.example: lūdzu dzēst manus datus.",
        f"Pieprasījums {REFERENCE.lower()}: lūdzu dzēst manus datus.",
    ],
)
def test_liga_text_naming_the_controller_or_her_reference_binds(monaok: ControllerMarks, text: str) -> None:
    assert _judge(monaok, text) is None


@pytest.mark.parametrize(
    "text",
    [
        "SIA Citsveikals, lūdzu dzēst manus datus.",
        "Lūdzu dzēst manus datus.",
        "SIA MonaOKsis, lūdzu dzēst manus datus.",  # another company whose name begins alike
    ],
)
def test_a_text_for_another_shop_or_no_one_is_not_addressed_to_us(monaok: ControllerMarks, text: str) -> None:
    assert _judge(monaok, text) is BindingProblem.NOT_ADDRESSED_TO_US


def test_a_text_carrying_another_requests_reference_belongs_to_that_request(monaok: ControllerMarks) -> None:
    assert _judge(monaok, "SIA MonaOK, DSR-2026-000007: dzēsiet datus.") is BindingProblem.FOR_ANOTHER_REQUEST


def test_signed_thirty_one_days_before_receipt_is_too_old_and_thirty_is_not(monaok: ControllerMarks) -> None:
    text = "SIA MonaOK, lūdzu dzēst manus datus."
    assert _judge(monaok, text, signed=RECEIVED - timedelta(days=31)) is BindingProblem.SIGNED_TOO_LONG_AGO
    assert _judge(monaok, text, signed=RECEIVED - timedelta(days=30)) is None


def test_a_signing_time_after_receipt_beyond_the_clock_skew_is_refused(monaok: ControllerMarks) -> None:
    text = "SIA MonaOK, lūdzu dzēst manus datus."
    assert _judge(monaok, text, signed=RECEIVED + timedelta(minutes=9)) is None
    assert _judge(monaok, text, signed=RECEIVED + timedelta(minutes=11)) is BindingProblem.SIGNED_AFTER_RECEIPT


def test_a_claimed_signing_time_counts_with_a_warning(monaok: ControllerMarks) -> None:
    content = SignedContent("d" * 64, RECEIVED - timedelta(hours=1), False, "SIA MonaOK: dzēsiet datus.")
    verdict = judge_binding(
        content, received_at=RECEIVED, reference=None, marks=monaok, policy=BindingPolicy(), used_by=None
    )
    assert verdict.bound and "only claimed" in verdict.warnings[0]


def test_no_signing_time_or_no_text_does_not_bind(monaok: ControllerMarks) -> None:
    content = SignedContent("d" * 64, None, False, "SIA MonaOK")
    verdict = judge_binding(
        content, received_at=RECEIVED, reference=None, marks=monaok, policy=BindingPolicy(), used_by=None
    )
    assert verdict.problem is BindingProblem.NO_SIGNING_TIME
    assert _judge(monaok, None) is BindingProblem.NO_SIGNED_TEXT
    assert _judge(monaok, "   ") is BindingProblem.NO_SIGNED_TEXT


def test_a_signature_used_for_another_request_is_refused_but_not_for_its_own(monaok: ControllerMarks) -> None:
    text = "SIA MonaOK, lūdzu dzēst manus datus."
    assert _judge(monaok, text, used_by="DSR-2026-000001") is BindingProblem.ALREADY_USED
    assert _judge(monaok, text, used_by=REFERENCE) is None
    assert _judge(monaok, text, reference=None, used_by="DSR-2026-000001") is BindingProblem.ALREADY_USED


def test_the_one_address_the_signed_text_names_becomes_the_verified_address(monaok: ControllerMarks) -> None:
    text = "SIA MonaOK (privatums@monaok.example): atbildi uz Liga@Example.lv."
    content = SignedContent("d" * 64, RECEIVED, True, text)
    verdict = judge_binding(
        content, received_at=RECEIVED, reference=None, marks=monaok, policy=BindingPolicy(), used_by=None
    )
    assert verdict.named_email == "liga@example.lv"


ERASURE = frozenset({Right.ERASURE})
ACCESS_LETTER = "SIA MonaOK, lūdzu izsniegt kopiju par maniem personas datiem."


def test_ligas_access_letter_naming_monaok_does_not_verify_an_erasure(monaok: ControllerMarks) -> None:
    assert _judge(monaok, ACCESS_LETTER, rights=ERASURE) is BindingProblem.RIGHTS_NOT_SIGNED
    assert _judge(monaok, ACCESS_LETTER, rights=frozenset({Right.ACCESS})) is None


def test_a_refusal_for_rights_not_signed_says_what_the_text_asks_and_what_it_lacks(monaok: ControllerMarks) -> None:
    content = SignedContent("d" * 64, RECEIVED - timedelta(hours=1), True, ACCESS_LETTER)
    verdict = judge_binding(
        content, received_at=RECEIVED, reference=REFERENCE, marks=monaok, policy=BindingPolicy(), used_by=None,
        rights_asked=frozenset({Right.ERASURE, Right.ACCESS}),
    )
    assert verdict.problem is BindingProblem.RIGHTS_NOT_SIGNED and verdict.problem.tells_staff
    assert verdict.signed_rights == {Right.ACCESS} and verdict.rights_not_signed == {Right.ERASURE}
    assert "asks for access" in verdict.reason and "does not ask for erasure" in verdict.reason


@pytest.mark.parametrize(
    "text",
    [
        "SIA MonaOK, es apstiprinu savu pieprasījumu.",  # names us, asks for nothing
        "SIA MonaOK, lūdzu labot manu adresi.",  # asks for another right
    ],
)
def test_a_text_naming_monaok_that_does_not_ask_for_the_requests_rights_verifies_nothing(
    monaok: ControllerMarks, text: str
) -> None:
    assert _judge(monaok, text, rights=ERASURE) is BindingProblem.RIGHTS_NOT_SIGNED


@pytest.mark.parametrize(
    "text",
    [
        "SIA MonaOK, lūdzu dzēst manus datus un izsniegt kopiju par maniem datiem.",  # asks for more
        "MonaOK, please erase my personal data.",
        "SIA MonaOK, прошу удалить мои данные.",
    ],
)
def test_a_text_naming_monaok_and_asking_for_the_requests_rights_verifies_in_any_language(
    monaok: ControllerMarks, text: str
) -> None:
    assert _judge(monaok, text, rights=ERASURE) is None


def test_a_text_quoting_the_reference_binds_the_whole_request_whatever_it_asks(monaok: ControllerMarks) -> None:
    text = f"Apstiprinu savu pieprasījumu {REFERENCE}."
    assert _judge(monaok, text, rights=frozenset({Right.ERASURE, Right.PORTABILITY})) is None


def test_a_general_objection_covers_the_objection_to_marketing_but_not_the_reverse(monaok: ControllerMarks) -> None:
    general = "SIA MonaOK, es iebilstu pret manu datu apstrādi."
    marketing = "SIA MonaOK, lūdzu nesūtiet man reklāmas SMS."
    assert _judge(monaok, general, rights=frozenset({Right.MARKETING_OBJECTION})) is None
    assert _judge(monaok, marketing, rights=frozenset({Right.OBJECTION})) is BindingProblem.RIGHTS_NOT_SIGNED


def test_a_replayed_access_letter_is_refused_as_a_replay_before_its_rights_are_compared(
    monaok: ControllerMarks,
) -> None:
    assert _judge(monaok, ACCESS_LETTER, rights=ERASURE, used_by="DSR-2026-000001") is BindingProblem.ALREADY_USED


def test_a_new_request_opened_by_the_signed_text_covers_itself(monaok: ControllerMarks) -> None:
    assert _judge(monaok, ACCESS_LETTER, reference=None, rights=None) is None


def test_references_are_found_in_any_case() -> None:
    assert references_in("dsr-2026-000001 un DSR-2026-000002.") == {"DSR-2026-000001", "DSR-2026-000002"}


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_the_text_of_a_signed_docx_is_read_paragraph_by_paragraph() -> None:
    xml = (
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
        b"<w:p><w:r><w:t>SIA MonaOK</w:t></w:r></w:p><w:p><w:r><w:t>L\xc5\xabdzu </w:t></w:r>"
        b"<w:r><w:t>dz\xc4\x93st manus datus.</w:t></w:r></w:p></w:body></w:document>"
    )
    assert document_text("pieprasijums.docx", _zip({"word/document.xml": xml})) == (
        "SIA MonaOK\n\nLūdzu dzēst manus datus."
    )


def test_the_text_of_a_signed_odt_is_read() -> None:
    xml = (
        b'<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
        b"<text:h>SIA MonaOK</text:h><text:p>L\xc5\xabdzu dz\xc4\x93st manus datus.</text:p>"
        b"</office:text></office:body></office:document-content>"
    )
    assert document_text("pieprasijums.odt", _zip({"content.xml": xml})) == "SIA MonaOK\n\nLūdzu dzēst manus datus."


def test_a_docx_with_a_doctype_entity_bomb_has_no_text() -> None:
    xml = b'<!DOCTYPE d [<!ENTITY a "aaaaaaaa">]><w:document xmlns:w="x"><w:p><w:t>&a;</w:t></w:p></w:document>'
    assert document_text("bomb.docx", _zip({"word/document.xml": xml})) is None


def test_an_image_or_a_scan_has_no_signed_text() -> None:
    assert document_text("scan.jpg", b"\xff\xd8\xff\xe0 not text") is None
    assert pdf_text(b"%PDF-1.7 broken") is None


def test_a_pdf_request_text_is_read_with_pypdf() -> None:
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=300, height=200)
    font = DictionaryObject(
        {NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
         NameObject("/BaseFont"): NameObject("/Helvetica")}
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    stream = DecodedStreamObject()
    stream.set_data(b"BT /F1 12 Tf 20 100 Td (SIA MonaOK: please erase my data.) Tj ET")
    page[NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    assert "SIA MonaOK: please erase my data." in (pdf_text(out.getvalue()) or "")


def test_only_covered_files_of_a_container_give_the_signed_text() -> None:
    from rightsdesk.demo_kit.asice import addressed

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:  # ASiC-E: mimetype first and stored (EN 319 162-1)
        archive.writestr("mimetype", b"application/vnd.etsi.asic-e+zip")
        archive.writestr("signed.txt", addressed("Lūdzu dzēst datus."), zipfile.ZIP_DEFLATED)
        archive.writestr("added.txt", b"SIA MonaOK, and erase Anna's data too.", zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/signatures0.xml", b"<XAdESSignatures/>")  # read, not validated, here
    container = out.getvalue()
    text = container_text(container, ["signed.txt"])
    assert text is not None and "Lūdzu dzēst datus." in text and "Anna" not in text
