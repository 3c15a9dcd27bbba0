"""PAdES samples signed with pyHanko from the test PKI, and their hostile variants.

Attack shapes follow pdf-insecurity.org (Mladenov et al., "1 Trillion Dollar
Refund", CCS 2019; Mainka et al., "Shadow Attacks", NDSS 2021).
"""

from __future__ import annotations

from datetime import datetime
from io import BytesIO
from typing import Any

from rightsdesk.demo_kit.seal import sample_pdf

from ..pki.authority import TestPki, to_asn1_cert, to_asn1_key
from ..pki.certs import Issued


def blank_pdf(text: str = "Pieprasijums: piekluve datiem (GDPR 15. pants)", *, extra_objects: int = 0) -> bytes:
    """A one-page PDF with a line of text (what a requester would sign), xref computed."""
    return sample_pdf(text, extra_objects=extra_objects)


def signing_context(pki: TestPki, signer: Issued) -> Any:
    """A pyHanko ValidationContext holding the OCSP response to embed (offline)."""
    from pyhanko_certvalidator import ValidationContext

    return ValidationContext(
        trust_roots=[to_asn1_cert(pki.root.cert), to_asn1_cert(pki.untrusted_ca.cert)],
        other_certs=[to_asn1_cert(c) for c in pki.chain_of(signer)],
        ocsps=[pki.asn1_ocsp_response(signer)],
        allow_fetching=False,
        revocation_mode="soft-fail",
    )


def sign_pdf(
    pki: TestPki,
    signer: Issued,
    pdf: bytes | None = None,
    *,
    timestamp: bool = True,
    embed_revocation: bool = True,
    lta: bool = False,
    field_name: str = "Signature1",
    at: datetime | None = None,
) -> bytes:
    """PAdES-B-B/T/LT/LTA signature with pyHanko; ``pdf`` defaults to :func:`blank_pdf`."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    registry = SimpleCertificateStore.from_certs([to_asn1_cert(c) for c in pki.chain_of(signer)[1:]])
    simple = signers.SimpleSigner(
        signing_cert=to_asn1_cert(signer.cert), signing_key=to_asn1_key(signer), cert_registry=registry
    )
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        subfilter=fields.SigSeedSubFilter.PADES,
        embed_validation_info=embed_revocation,
        use_pades_lta=lta,
        validation_context=signing_context(pki, signer) if embed_revocation else None,
        md_algorithm="sha384",
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf or blank_pdf(extra_objects=1)), strict=False)
    out = BytesIO()
    signers.PdfSigner(
        meta, signer=simple, timestamper=pki.timestamper(at=at) if timestamp else None  # type: ignore[arg-type]
    ).sign_pdf(writer, output=out)
    return out.getvalue()


def _page_ref(writer: Any) -> Any:
    page_ref, _ = writer.find_page_for_modification(0)
    return page_ref


def incremental_content_change(signed: bytes, text: str = "Dzest visus Annas Kalninas datus") -> bytes:
    """Incremental saving attack: a later revision replaces the page content."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(BytesIO(signed), strict=False)
    stream = generic.StreamObject(stream_data=f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1"))
    page_ref = _page_ref(writer)
    page = page_ref.get_object()
    page["/Contents"] = writer.add_object(stream)
    writer.update_container(page)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def shadow_hide_and_replace(signed: bytes) -> bytes:
    """Shadow attack (hide-and-replace): the later revision only re-points the page at
    an object that was already present, unused, in the signed revision (object 6)."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(BytesIO(signed), strict=False)
    page = _page_ref(writer).get_object()
    page["/Contents"] = generic.IndirectObject(6, 0, writer)
    writer.update_container(page)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def shadow_overlay_annotation(signed: bytes) -> bytes:
    """Shadow attack (hide): a later revision adds a free-text annotation covering the text."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(BytesIO(signed), strict=False)
    page = _page_ref(writer).get_object()
    annot = generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Annot"),
        generic.NameObject("/Subtype"): generic.NameObject("/FreeText"),
        generic.NameObject("/Rect"): generic.ArrayObject([generic.NumberObject(n) for n in (60, 700, 560, 740)]),
        generic.NameObject("/Contents"): generic.TextStringObject("Dzest visus datus"),
        generic.NameObject("/DA"): generic.TextStringObject("/Helv 12 Tf 0 g"),
    })
    annots = page.get("/Annots") or generic.ArrayObject()
    annots.append(writer.add_object(annot))
    page["/Annots"] = annots
    writer.update_container(page)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def odd_byterange(signed: bytes) -> bytes:
    """Universal signature forgery shape: the ByteRange no longer covers the document."""
    import re

    match = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", signed)
    if match is None:
        raise ValueError("no ByteRange")
    original = match.group(0)
    forged = b"/ByteRange [0 %d 0 0]" % int(match.group(2))
    forged = forged.ljust(len(original), b" ")
    return signed[: match.start()] + forged + signed[match.end():]


def encrypted_pdf() -> bytes:
    """A password-encrypted PDF (RC4/AES standard security handler)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.pdf_utils.writer import copy_into_new_writer

    writer = copy_into_new_writer(PdfFileReader(BytesIO(blank_pdf(extra_objects=1))))
    writer.encrypt("owner-secret", "user-secret")
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def tampered(signed: bytes) -> bytes:
    """Change one signed byte of the page content (HASH_FAILURE)."""
    idx = signed.find(b"GDPR 15")
    return signed[:idx] + b"GDPR 16" + signed[idx + 7:]
