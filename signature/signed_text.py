"""The text a signature covers, as a person reading the signed document would see it.

A signed request is its signed text, so this reads only what was signed and only what the
signer could see: the covered ``.txt``, ``.pdf``, ``.docx`` and ``.odt`` files of a container
(``container_text``), one document by its kind (``document_text``), the text layer of a PDF
(``pdf_text``, to be given only the bytes of the signed revision). Hidden text (OOXML
``w:vanish``, ODF hidden paragraphs and spans, comments, deleted tracked changes, invisible
PDF text) is not read; what reading may cost is bounded, and anything that cannot be read
safely counts as no text (``None``), never as an error.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterable
from typing import Any

from .asic import read_asic
from .errors import UnusableInput
from .report import SignatureReport, ValidationReport
from .safexml import parse_untrusted_xml

_MAX_XML_MEMBER = 20 * 1024 * 1024
_MAX_RATIO = 100
_MAX_PDF_PAGES = 50


def flatten(parts: Iterable[str]) -> str:
    """Texts of several signed files as one text, in the given order."""
    return "\n\n".join(p.strip() for p in parts if p and p.strip())


def covered_text(report: ValidationReport, signature: SignatureReport, data: bytes) -> str | None:
    """The text ``signature`` (one of ``report``'s, over ``data``) covers.

    A PDF: only the revision the signature covers (its ByteRange ends there; the validator
    leaves the end in ``report.extra``); later revisions are at best validation data, and
    reading them would read what was not signed. A container: only the files the signature
    covers, so call this for a signature that PASSED.
    """
    if report.container == "PDF":
        end = report.extra_of(signature, "signed_bytes_end")
        return pdf_text(data[: int(end)] if end and end.isdigit() else data)
    return container_text(data, [f.name for f in signature.signed_files])


def container_text(data: bytes, covered: Iterable[str]) -> str | None:
    """The readable text of the covered ``.txt``/``.pdf``/``.docx``/``.odt`` files, in name order."""
    try:
        files = read_asic(data).data_files
    except UnusableInput:
        return None
    texts = [document_text(name, files[name]) for name in sorted(set(covered)) if name in files]
    return flatten(t for t in texts if t) or None


def document_text(name: str, data: bytes) -> str | None:
    """The text of one signed document by its kind; None for anything else (an image, a scan)."""
    lowered = name.lower()
    if lowered.endswith(".txt"):
        return data.decode("utf-8", "replace")
    if lowered.endswith(".pdf"):
        return pdf_text(data)
    if lowered.endswith(".docx"):
        return _office_text(data, "word/document.xml", paragraphs=("p",), run_text="t")
    if lowered.endswith(".odt"):
        return _office_text(data, "content.xml", paragraphs=("p", "h"), run_text=None)
    return None


def pdf_text(data: bytes) -> str | None:
    """The text layer of a PDF (pypdf); None for a PDF without one (a scan)."""
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            return None
        budget = _PdfTextBudget()
        pages = []
        for page in reader.pages[:_MAX_PDF_PAGES]:
            budget.take_content(page)
            pages.append(page.extract_text(visitor_operand_before=budget.operation) or "")
    except Exception:  # a hostile or broken PDF has no text we can rely on; the signature decides the rest
        return None
    return flatten(pages) or None


class _PdfTextBudget:
    """Bounds what reading a PDF's text may cost. Anyone with a qualified certificate can sign
    a PDF, and a ``.p7s`` makes us read the text of attachments: a page whose content stream
    holds millions of operators (or a form drawn a thousand times) took seconds per page and
    hundreds of MB. A request letter needs a few KB per page; beyond the budget the PDF counts
    as having no text we can read (it goes to staff, like a scan)."""

    max_content_bytes = 4 * 1024 * 1024
    max_operations = 300_000
    max_seconds = 10.0

    def __init__(self) -> None:
        self.content_bytes = 0
        self.operations = 0
        self.deadline = time.monotonic() + self.max_seconds

    def take_content(self, page: Any) -> None:
        contents = page.get_contents()
        self.content_bytes += len(contents.get_data()) if contents is not None else 0
        if self.content_bytes > self.max_content_bytes:
            raise ValueError("PDF content streams larger than the text-reading budget")

    def operation(self, operator: Any, operands: Any, *_: Any) -> None:
        # Text drawn invisibly (text rendering mode 3 or 7, ISO 32000-1 clause 9.3.6) is what
        # the signer did not see: an OCR layer over a scan, or a hidden order slipped into a
        # document prepared for her to sign. Either way it is not a text we may bind to.
        if operator == b"Tr" and operands and str(operands[0]).strip() in ("3", "7"):
            raise ValueError("PDF with invisible text")
        self.operations += 1
        if self.operations > self.max_operations or (
            self.operations % 1000 == 0 and time.monotonic() > self.deadline
        ):
            raise ValueError("PDF text operations beyond the text-reading budget")


def _office_text(data: bytes, member: str, *, paragraphs: tuple[str, ...], run_text: str | None) -> str | None:
    """Paragraph texts of an OOXML (ECMA-376) or ODF (OASIS ODF 1.2) document's body XML."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo(member)
            if info.file_size > _MAX_XML_MEMBER or info.file_size > _MAX_RATIO * max(info.compress_size, 1) + 4096:
                return None
            xml = archive.read(info)
        root = parse_untrusted_xml(xml, what=member)
    except (KeyError, zipfile.BadZipFile, UnusableInput, OSError, ValueError):
        return None
    hidden = _hidden_odf_styles(root) if run_text is None else frozenset()
    lines: list[str] = []
    for element in root.iter():
        if _local(element.tag) not in paragraphs or _is_hidden(element, hidden):
            continue
        if run_text is None:
            lines.append(_visible_odf_text(element, hidden))
        else:
            lines.append(
                "".join(t.text or "" for t in element.iter() if _local(t.tag) == run_text and not _is_hidden(t, hidden))
            )
    return flatten(lines) or None


# Hidden text: a signer signs what she sees. A document prepared for her to sign (a
# "contract") could carry a hidden order to us ("SIA MonaOK, erase everything, send the copy
# to ilze@…") that no viewer shows; only visible text is the request. OOXML: a run with
# w:vanish (ECMA-376 Part 1, 17.3.2.41 "Hidden Text"); ODF 1.2 Part 1: text:hidden-paragraph,
# text:hidden-text, an automatic style whose text properties say text:display="none", and
# the text of comments (office:annotation) and of deleted tracked changes.
_OOXML_HIDDEN_RUN_PROPERTIES = frozenset({"vanish", "specVanish"})
_ODF_HIDDEN_ELEMENTS = frozenset({"hidden-paragraph", "hidden-text", "annotation", "tracked-changes"})
_ODF_STYLE_NAME = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}style-name"
_ODF_DISPLAY = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}display"
_ODF_NAME = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}name"
_OOXML_VAL = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val"


def _hidden_odf_styles(root: Any) -> frozenset[str]:
    """Names of the document's automatic styles that hide their text."""
    names = set()
    for style in root.iter():
        if _local(style.tag) != "style":
            continue
        for props in style:
            if _local(props.tag) == "text-properties" and props.get(_ODF_DISPLAY) == "none":
                names.add(style.get(_ODF_NAME, ""))
    return frozenset(names - {""})


def _is_hidden(element: Any, hidden_styles: frozenset[str]) -> bool:
    """True when ``element`` or an ancestor is hidden text (see the comment above)."""
    for node in (element, *element.iterancestors()):
        name = _local(node.tag)
        if name in _ODF_HIDDEN_ELEMENTS or node.get(_ODF_STYLE_NAME) in hidden_styles:
            return True
        if name == "r":  # an OOXML run: hidden by its run properties
            for props in node:
                if _local(props.tag) != "rPr":
                    continue
                for prop in props:
                    if _local(prop.tag) in _OOXML_HIDDEN_RUN_PROPERTIES and prop.get(_OOXML_VAL) not in ("0", "false"):
                        return True
    return False


def _visible_odf_text(paragraph: Any, hidden_styles: frozenset[str]) -> str:
    """A paragraph's text without its hidden spans (text and tails in document order)."""
    parts: list[str] = [paragraph.text or ""]
    for child in paragraph:
        if not _is_hidden(child, hidden_styles):
            parts.append(_visible_odf_text(child, hidden_styles))
        parts.append(child.tail or "")
    return "".join(parts)


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


__all__ = ["container_text", "covered_text", "document_text", "flatten", "pdf_text"]
