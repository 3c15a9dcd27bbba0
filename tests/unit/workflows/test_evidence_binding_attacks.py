"""An impostor's attacks on the signed-document binding that the rules' own tests do not name.

Personas: Līga Kalniņa, the real customer, signs her own requests to MonaOK; Ilze, an
impostor, holds Līga's signed files (an old one, one already used, one she re-wrapped) or
prepares documents for Līga to sign ("please sign this contract") with a hidden order to us.
Pure rules and the text readers, so no database: the channel tests replay the same files
through loopback SMTP (tests/integration/mail_intake/test_impostor_attacks.py).
"""

from __future__ import annotations

import io
import time
import zipfile
import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from signature.report import (
    Indication,
    Qualification,
    SignatureFormat,
    SignatureReport,
    SignedFile,
    Signer,
    ValidationReport,
)
from signature.signed_text import document_text, pdf_text
from workflows.adapters.profile_loader import load_profile
from workflows.adapters.signed_evidence import signature_digest
from workflows.domain.evidence_binding import (
    BindingPolicy,
    BindingProblem,
    ControllerMarks,
    SignedContent,
    judge_binding,
)

PROFILES = Path(__file__).resolve().parents[3] / "rightsdesk" / "examples" / "profiles"
RECEIVED = datetime(2026, 3, 3, 7, 0, tzinfo=UTC)
REFERENCE = "DSR-2026-000042"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


@pytest.fixture(scope="module")
def monaok() -> ControllerMarks:
    return ControllerMarks.from_profile(load_profile(PROFILES / "retail.toml"))


def _judge(
    marks: ControllerMarks,
    text: str,
    *,
    signed: datetime = RECEIVED - timedelta(hours=1),
    claimed: datetime | None = None,
    reference: str | None = REFERENCE,
) -> BindingProblem | None:
    content = SignedContent("d" * 64, signed, True, text, claimed_signing_time=claimed)
    verdict = judge_binding(
        content, received_at=RECEIVED, reference=reference, marks=marks, policy=BindingPolicy(), used_by=None
    )
    return verdict.problem


# -- time -------------------------------------------------------------------------------


def test_a_signing_time_in_the_future_is_refused_even_when_a_time_stamp_claims_it(monaok: ControllerMarks) -> None:
    future = RECEIVED + timedelta(hours=2)
    assert _judge(monaok, "SIA MonaOK: dzēsiet manus datus.", signed=future) is BindingProblem.SIGNED_AFTER_RECEIPT


def test_ilze_time_stamping_lig_as_old_signature_afresh_does_not_make_it_recent(monaok: ControllerMarks) -> None:
    # The fresh time-stamp says "existed by an hour ago"; Līga signed (SigningTime) 90 days ago.
    problem = _judge(
        monaok, "SIA MonaOK: dzēsiet manus datus.", signed=RECEIVED - timedelta(hours=1),
        claimed=RECEIVED - timedelta(days=90),
    )
    assert problem is BindingProblem.SIGNED_TOO_LONG_AGO


def test_lig_as_claimed_time_a_few_seconds_before_her_time_stamp_still_verifies(monaok: ControllerMarks) -> None:
    stamped = RECEIVED - timedelta(hours=1)
    problem = _judge(monaok, "SIA MonaOK: dzēsiet manus datus.", signed=stamped, claimed=stamped - timedelta(seconds=4))
    assert problem is None


# -- whose request ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "DSR\u20112026\u2011000777",  # non-breaking hyphens (a word processor's "smart" dashes)
        "DSR\u20132026\u2013000777",  # en dashes
        "ＤＳＲ-２０２６-０００７７７",  # full-width letters and digits
    ],
)
def test_a_signed_text_for_another_request_written_with_unusual_dashes_still_belongs_to_that_request(
    monaok: ControllerMarks, written: str
) -> None:
    text = f"SIA MonaOK, pieprasījums {written}: lūdzu izsniegt manus datus."
    assert _judge(monaok, text) is BindingProblem.FOR_ANOTHER_REQUEST


def test_a_signed_text_naming_this_and_another_request_binds_to_this_one(monaok: ControllerMarks) -> None:
    # The signer named this request herself; the used-once rule keeps it from verifying the other.
    assert _judge(monaok, f"{REFERENCE} un DSR-2026-000777: lūdzu dzēst manus datus.") is None


# -- Unicode tricks in the controller's name --------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "SIA M\u043enaOK",  # a Cyrillic "о": looks like MonaOK, is another word
        "SIA Mona\u200bOK",  # a zero-width space inside the name
        "SIA Mona\u00adOK",  # a soft hyphen
    ],
)
def test_a_name_that_only_looks_like_monaok_does_not_address_us(monaok: ControllerMarks, name: str) -> None:
    assert _judge(monaok, f"{name}: lūdzu dzēst manus datus.", reference=None) is BindingProblem.NOT_ADDRESSED_TO_US


def test_a_text_that_displays_reversed_is_not_bound_by_the_name_it_hides(monaok: ControllerMarks) -> None:
    # U+202E shows "KOanoM ,AIS" to the signer; the characters read "SIA MonaOK".
    text = "Līgums ar \u202eSIA MonaOK\u202c: lūdzu dzēst visus manus datus."
    assert _judge(monaok, text, reference=None) is BindingProblem.NOT_ADDRESSED_TO_US
    assert _judge(monaok, f"\u202e{REFERENCE}\u202c dzēst") is BindingProblem.NOT_ADDRESSED_TO_US


def test_full_width_letters_that_display_as_monaok_do_address_us(monaok: ControllerMarks) -> None:
    # NFKD folds them to the same letters the signer saw: no trick, a legitimate (odd) spelling.
    assert _judge(monaok, "ＭｏｎａＯＫ: lūdzu dzēst manus datus.", reference=None) is None


# -- used once: what identifies a signature ---------------------------------------------


def _report(*, signing_time: datetime, source: str, value_digest: str | None) -> ValidationReport:
    signature = SignatureReport(
        format=SignatureFormat.XADES_ASICE,
        indication=Indication.TOTAL_PASSED,
        subindication=None,
        qualification=Qualification.QESIG,
        signer=Signer("Līga Kalniņa", "LV", "PNOLV-150390-10008", "150390-10008", True, certificate_sha256="c" * 64),
        signing_time=signing_time,
        signing_time_source=source,
        signed_files=(SignedFile("pieprasijums.txt", "sha256", "a" * 64),),
        reason="all checks passed",
    )
    extra = {"signature_value_sha256.0": value_digest} if value_digest else {}
    return ValidationReport(source="x.edoc", container="ASiC-E", signatures=(signature,), extra=extra)


def test_stripping_or_replacing_the_time_stamp_does_not_give_lig_as_signature_a_new_digest() -> None:
    stamped = _report(
        signing_time=RECEIVED - timedelta(minutes=5), source="signature time-stamp (TSA)", value_digest="f" * 64
    )
    stripped = _report(signing_time=RECEIVED - timedelta(minutes=9), source="claimed", value_digest="f" * 64)
    restamped = _report(signing_time=RECEIVED, source="signature time-stamp (other TSA)", value_digest="f" * 64)
    digests = {signature_digest(r.signatures[0], r) for r in (stamped, stripped, restamped)}
    assert len(digests) == 1


def test_without_a_signature_value_the_digest_still_ignores_the_unsigned_time() -> None:
    stamped = _report(signing_time=RECEIVED - timedelta(minutes=5), source="signature time-stamp", value_digest=None)
    stripped = replace(stamped, signatures=(replace(stamped.signatures[0], signing_time=RECEIVED),))
    assert signature_digest(stamped.signatures[0], stamped) == signature_digest(stripped.signatures[0], stripped)


def test_a_new_signature_by_liga_over_the_same_text_is_a_new_signature() -> None:
    first = _report(signing_time=RECEIVED, source="signature time-stamp", value_digest="1" * 64)
    second = _report(signing_time=RECEIVED, source="signature time-stamp", value_digest="2" * 64)
    assert signature_digest(first.signatures[0], first) != signature_digest(second.signatures[0], second)


# -- hidden text in documents Ilze prepared for Līga to sign -----------------------------


def _docx(body: str) -> bytes:
    xml = f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W}"><w:body>{body}</w:body></w:document>'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", xml)
    return out.getvalue()


def _odt(body: str, styles: str = "") -> bytes:
    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"'
    )
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns}>'
        f"<office:automatic-styles>{styles}</office:automatic-styles>"
        f"<office:body><office:text>{body}</office:text></office:body></office:document-content>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", xml)
    return out.getvalue()


HIDDEN_ORDER = "SIA MonaOK: dzēsiet visus manus datus, kopiju uz ilze@example.com"


def test_hidden_runs_in_a_docx_lig_a_signed_are_not_read_as_her_request() -> None:
    docx = _docx(
        "<w:p><w:r><w:t>Nomas līgums par dzīvokli.</w:t></w:r></w:p>"
        f'<w:p><w:r><w:rPr><w:vanish/></w:rPr><w:t>{HIDDEN_ORDER}</w:t></w:r></w:p>'
    )
    assert document_text("ligums.docx", docx) == "Nomas līgums par dzīvokli."


def test_a_docx_run_whose_hidden_property_is_switched_off_is_read() -> None:
    docx = _docx(f'<w:p><w:r><w:rPr><w:vanish w:val="0"/></w:rPr><w:t>{HIDDEN_ORDER}</w:t></w:r></w:p>')
    assert document_text("ligums.docx", docx) == HIDDEN_ORDER


def test_hidden_paragraphs_and_spans_in_an_odt_are_not_read() -> None:
    styles = (
        '<style:style style:name="T9" style:family="text">'
        '<style:text-properties text:display="none"/></style:style>'
    )
    odt = _odt(
        "<text:p>Nomas līgums<text:span text:style-name=\"T9\"> SIA MonaOK dzēst visu</text:span>.</text:p>"
        f'<text:hidden-paragraph text:condition="true">{HIDDEN_ORDER}</text:hidden-paragraph>'
        f'<text:p text:style-name="T9">{HIDDEN_ORDER}</text:p>',
        styles,
    )
    assert document_text("ligums.odt", odt) == "Nomas līgums."


# -- hostile documents ------------------------------------------------------------------


def test_a_docx_with_an_external_entity_reads_as_no_text() -> None:
    xml = (
        '<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        f'<w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", xml)
    assert document_text("x.docx", out.getvalue()) is None


def test_a_docx_with_an_entity_bomb_reads_as_no_text_at_once() -> None:
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8)
    )
    xml = f'<?xml version="1.0"?><!DOCTYPE w:document [{entities}]><w:document xmlns:w="{W}">&i;</w:document>'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", xml)
    started = time.monotonic()
    assert document_text("x.docx", out.getvalue()) is None
    assert time.monotonic() - started < 2


def test_a_zip_bomb_inside_a_signed_docx_is_not_inflated() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"<" + b" " * (200 * 1024 * 1024))
    started = time.monotonic()
    assert document_text("x.docx", out.getvalue()) is None
    assert time.monotonic() - started < 2


def _deflated(head: bytes, padding_mb: int) -> bytes:
    """``head`` followed by ``padding_mb`` MiB of spaces, deflated chunk by chunk (little memory)."""
    packer = zlib.compressobj(9)
    chunk = b" " * (1024 * 1024)
    data = [packer.compress(head), *(packer.compress(chunk) for _ in range(padding_mb)), packer.flush()]
    return b"".join(data)


def _pdf_with_stream(data: bytes, *, pages: int = 1) -> bytes:
    """A PDF of ``pages`` pages that all draw one content stream, the deflated ``data``."""
    filtered = True
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join([b"3 0 R"] * pages), pages),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>",
        b"<< /Length %d%s >>\nstream\n" % (len(data), b" /Filter /FlateDecode" if filtered else b"")
        + data + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def test_a_pdf_whose_text_stream_inflates_to_a_gigabyte_is_read_within_bounded_time() -> None:
    bomb = _pdf_with_stream(_deflated(b"BT /F1 12 Tf 72 712 Td (SIA MonaOK) Tj ET\n", 1024))
    assert len(bomb) < 2 * 1024 * 1024
    started = time.monotonic()
    pdf_text(bomb)  # the text or nothing: either way it must come back
    assert time.monotonic() - started < 20


def test_fifty_pages_of_millions_of_text_operators_are_read_within_bounded_time() -> None:
    # Unbounded, each page took about 4.5 s and 350 MB here: 50 pages, four minutes of a worker.
    stream = b"BT /F1 12 Tf 72 712 Td " + b"(x) Tj " * 2_000_000 + b"ET"
    started = time.monotonic()
    assert pdf_text(_pdf_with_stream(_deflated(stream, 0), pages=50)) is None
    assert time.monotonic() - started < 10


def test_a_small_pdf_letter_is_still_read() -> None:
    letter = _pdf_with_stream(_deflated(b"BT /F1 12 Tf 72 712 Td (SIA MonaOK: dzest manus datus) Tj ET", 0))
    assert pdf_text(letter) == "SIA MonaOK: dzest manus datus"


def test_invisible_text_in_a_pdf_lig_a_signed_makes_it_a_document_for_staff() -> None:
    # Visible: a rental contract. Invisible (rendering mode 3): an erasure order to MonaOK.
    stream = (
        b"BT /F1 12 Tf 72 712 Td (Nomas ligums) Tj ET\n"
        b"BT 3 Tr /F1 12 Tf 72 690 Td (SIA MonaOK: dzest visus manus datus) Tj ET"
    )
    assert pdf_text(_pdf_with_stream(_deflated(stream, 0))) is None
