"""Robust MIME parsing of a stored raw e-mail into the plain facts the intake needs.

Hostile or broken mail must never crash the worker: unknown charsets fall back to
UTF-8/Latin-1 with replacement, malformed headers fall back to their raw text, and
every problem is kept as a *defect* for staff. Only a message that breaks a hard
limit (nesting depth, number of parts, attachment size) or is empty raises
:class:`~mail_intake.errors.MalformedMessage`, which the job turns into a quarantine
reason, visible to staff.

Everything that may reach a reply template or an outgoing header is cleaned with
:func:`clean_line` (no CR/LF or other control characters: header injection).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

from mail_intake.errors import MalformedMessage

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_MESSAGE_ID = re.compile(r"<([^<>\s]{1,490})>")
MAX_HEADER_CHARS = 998
"""RFC 5322 §2.1.1 line limit; longer header values are cut."""


@dataclass(frozen=True)
class MimeLimits:
    """Hard limits on what the worker unpacks from one message."""

    max_depth: int = 20
    max_parts: int = 200
    max_attachment_bytes: int = 25 * 1024 * 1024
    """Total decoded size of all attachments."""
    max_text_chars: int = 200_000
    """The body text kept for the case file; longer text is cut (with a defect)."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes
    inside_smime: bool = False
    """A part of a multipart/signed structure (its signature is checked as S/MIME)."""


@dataclass(frozen=True)
class ParsedMail:
    """The facts of one e-mail; every string is single-line and control-free except ``text``."""

    from_name: str
    from_address: str
    subject: str
    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    date: datetime | None
    auto_submitted: str
    precedence: str
    list_id: str
    list_unsubscribe: str
    content_type: str
    report_type: str
    text: str
    attachments: tuple[Attachment, ...]
    is_smime: bool
    defects: tuple[str, ...]
    message: EmailMessage = field(repr=False, compare=False)
    """The parsed tree, for DSN analysis (see :mod:`mail_intake.autoreply`)."""

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Message-IDs this message answers, most specific first (RFC 5322 §3.6.4)."""
        seen: dict[str, None] = {}
        for mid in (*self.in_reply_to, *reversed(self.references)):
            seen.setdefault(mid, None)
        return tuple(seen)


def clean_line(value: str, limit: int = MAX_HEADER_CHARS) -> str:
    """One line of plain text: control characters (CR, LF, NUL …) become spaces."""
    return " ".join(_CONTROL.sub(" ", value).split())[:limit]


def clean_text(value: str, limit: int) -> str:
    """Multi-line text: keep newlines and tabs, drop every other control character."""
    normalised = value.replace("\r\n", "\n").replace("\r", "\n")
    kept = "".join(ch for ch in normalised if ch in "\n\t" or not _CONTROL.fullmatch(ch))
    return kept[:limit]


def message_ids(value: str) -> tuple[str, ...]:
    """The ``<id>`` tokens of a Message-ID, In-Reply-To or References value, with brackets."""
    return tuple(f"<{m}>" for m in _MESSAGE_ID.findall(value))[:100]


def parse_message(raw: bytes, limits: MimeLimits | None = None) -> ParsedMail:
    """Parse ``raw`` (RFC 5322 / MIME) robustly; see the module docstring.

    :raises MalformedMessage: empty input, or a hard limit broken.
    """
    limits = limits or MimeLimits()
    if not raw.strip():
        raise MalformedMessage("the message is empty", reason="empty")
    message = BytesParser(policy=policy.default).parsebytes(raw)
    if not message.keys():
        raise MalformedMessage("the data is not an e-mail message (no header lines)", reason="not_email")
    walker = _Walker(limits)
    walker.walk(message, depth=0, inside_signed=False)
    defects = [*_defects(message), *walker.defects]
    header = _HeaderReader(message, defects)
    from_name, from_address = header.sender()
    text = walker.text()
    if len(text) > limits.max_text_chars:
        defects.append(f"body text cut to {limits.max_text_chars} characters")
    return ParsedMail(
        from_name=from_name,
        from_address=from_address,
        subject=header.text("Subject"),
        message_id=(message_ids(header.raw("Message-ID")) or (None,))[0],
        in_reply_to=message_ids(header.raw("In-Reply-To")),
        references=message_ids(header.raw("References")),
        date=header.date(),
        auto_submitted=header.text("Auto-Submitted").lower(),
        precedence=header.text("Precedence").lower(),
        list_id=header.text("List-Id"),
        list_unsubscribe=header.text("List-Unsubscribe"),
        content_type=_safe_content_type(message),
        report_type=clean_line(str(_safe_param(message, "report-type") or "")).lower(),
        text=clean_text(text, limits.max_text_chars),
        attachments=tuple(walker.attachments),
        is_smime=walker.smime,
        defects=tuple(dict.fromkeys(defects)),
        message=message,
    )


class _HeaderReader:
    """Header access that never raises: a header that the modern policy cannot parse is
    read from its raw source text instead, and the problem is recorded."""

    def __init__(self, message: EmailMessage, defects: list[str]) -> None:
        self._message = message
        self._defects = defects

    def raw(self, name: str) -> str:
        for key, value in self._message.raw_items():
            if key.lower() == name.lower():
                return str(value)
        return ""

    def text(self, name: str) -> str:
        try:
            value = self._message.get(name)
            return clean_line(str(value)) if value is not None else ""
        except Exception:  # malformed header: the raw text, RFC 2047 decoded where possible
            self._defects.append(f"malformed {name} header")
            return clean_line(_decode_words(self.raw(name)))

    def sender(self) -> tuple[str, str]:
        try:
            value = self._message.get("From")
            pairs = getaddresses([str(value)]) if value is not None else []
        except Exception:
            self._defects.append("malformed From header")
            pairs = getaddresses([_decode_words(self.raw("From"))])
        for name, address in pairs:
            if "@" in address:
                return clean_line(name, 200), clean_line(address, 320).lower()
        return "", ""

    def date(self) -> datetime | None:
        raw = self.raw("Date")
        if not raw:
            return None
        try:
            return parsedate_to_datetime(clean_line(raw))
        except (TypeError, ValueError, IndexError):
            self._defects.append("malformed Date header")
            return None


def _decode_words(value: str) -> str:
    try:
        return str(make_header(decode_header(value)))
    except Exception:  # unknown charset in an encoded word, broken base64 …
        return value


def _safe_content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "text/plain"


def _safe_param(part: Message, name: str) -> object:
    try:
        return part.get_param(name)
    except Exception:
        return None


def _defects(part: Message) -> list[str]:
    return [type(d).__name__ for d in getattr(part, "defects", ())]


class _Walker:
    """Depth-first walk with the hard limits; collects text and attachments."""

    def __init__(self, limits: MimeLimits) -> None:
        self.limits = limits
        self.parts = 0
        self.attachment_bytes = 0
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[Attachment] = []
        self.defects: list[str] = []
        self.smime = False

    def walk(self, part: Message, *, depth: int, inside_signed: bool) -> None:
        self.parts += 1
        if depth > self.limits.max_depth:
            raise MalformedMessage(
                f"MIME nesting deeper than {self.limits.max_depth} levels", reason="too_deep", depth=depth
            )
        if self.parts > self.limits.max_parts:
            raise MalformedMessage(f"more than {self.limits.max_parts} MIME parts", reason="too_many_parts")
        self.defects.extend(_defects(part))
        content_type = _safe_content_type(part)
        if content_type == "multipart/signed" or content_type in ("application/pkcs7-mime", "application/x-pkcs7-mime"):
            self.smime = True
        if part.is_multipart():
            children = part.get_payload()
            if isinstance(children, list):
                signed = inside_signed or content_type == "multipart/signed"
                for child in children:
                    if isinstance(child, Message):
                        self.walk(child, depth=depth + 1, inside_signed=signed)
            return
        self._leaf(part, content_type, inside_signed)

    def _leaf(self, part: Message, content_type: str, inside_signed: bool) -> None:
        filename = _filename(part)
        disposition = (part.get_content_disposition() or "") if _has_header(part, "Content-Disposition") else ""
        data = _payload_bytes(part, self.defects)
        if content_type in ("text/plain", "text/html") and not filename and disposition != "attachment":
            text = _decode_text(part, data, self.defects)
            (self.plain if content_type == "text/plain" else self.html).append(text)
            return
        self.attachment_bytes += len(data)
        if self.attachment_bytes > self.limits.max_attachment_bytes:
            raise MalformedMessage(
                f"attachments larger than {self.limits.max_attachment_bytes} bytes in all", reason="too_large"
            )
        name = filename or f"part{self.parts}"
        self.attachments.append(Attachment(name, content_type, data, inside_smime=inside_signed))

    def text(self) -> str:
        if any(t.strip() for t in self.plain):
            return "\n\n".join(t for t in self.plain if t.strip())
        return "\n\n".join(html_to_text(h) for h in self.html)


def _has_header(part: Message, name: str) -> bool:
    return any(key.lower() == name.lower() for key, _ in part.raw_items())


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    # Only the last path segment, and nothing that could reach a header or template raw.
    return clean_line(name.replace("\\", "/").rsplit("/", 1)[-1], 200)


def _payload_bytes(part: Message, defects: list[str]) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        defects.append("undecodable transfer encoding")
        payload = None
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    return raw.encode("utf-8", "replace") if isinstance(raw, str) else b""


def _decode_text(part: Message, data: bytes, defects: list[str]) -> str:
    try:
        charset = part.get_content_charset() or "us-ascii"
    except Exception:
        charset = "us-ascii"
    try:
        return data.decode(charset, "replace")
    except LookupError:
        defects.append(f"unknown charset {clean_line(charset, 40)!r}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


_BLOCK_TAGS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head", "title"):
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head", "title"):
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.chunks.append(data)


def html_to_text(html: str) -> str:
    """Readable text of an HTML body (stdlib only; scripts and styles dropped)."""
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
    except Exception:  # html.parser is lenient; this is belt and braces for hostile input
        return re.sub(r"<[^>]*>", " ", html)
    lines = (" ".join(line.split()) for line in "".join(extractor.chunks).splitlines())
    return "\n".join(line for line in lines if line)
