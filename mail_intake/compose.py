"""Turn an outbox row into the e-mail that goes to the relay.

Everything that reaches a header (subject, names, recipient, threading ids, extra
headers a template asked for) passes through :func:`one_line`, so no value can break
out of its header and add one of its own (header injection, RFC 5322 §2.2).

Threading (RFC 5322 section 3.6.4): ``In-Reply-To`` names the person's latest e-mail in
the case, ``References`` the chain of their e-mails, so the reply lands in their thread;
the ``[DSR-…]`` tag in the subject lets our intake find the case even when a client
drops those headers.

``Message-ID`` is derived from the outbox row's message id, never generated at send
time: a resend after a crash carries the same id and the receiver can drop the
duplicate (exactly-once delivery over SMTP is impossible; see :mod:`mail_intake.sender`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from mail_intake.config import SmtpOutConfig
from mail_intake.errors import DeliveryFailed
from workflows.adapters.outbox import OutboxItem
from workflows.domain.messages import Attachment

AUTO_REPLIED_KINDS = frozenset({"acknowledgement", "identity_verification_needed", "verification_failed"})
"""Answers the system gives by itself to a person's message: ``Auto-Submitted: auto-replied``
(RFC 3834 section 5), so their vacation responder does not answer back."""

AUTO_GENERATED_KINDS = frozenset({"staff_deadline_reminder", "recipient_notice"})
"""Messages the system originates by itself, not in answer to anyone: ``auto-generated``.
Replies sent after a staff decision (access reply, refusal, extension …) carry no
Auto-Submitted header: a person decided them (RFC 3834 section 5: "no")."""

STAFF_KINDS = frozenset({"staff_deadline_reminder"})
"""Kinds written in the staff language rather than the request's."""

_PROTECTED_HEADERS = frozenset(
    {
        "from", "sender", "reply-to", "to", "cc", "bcc", "subject", "date", "message-id",
        "in-reply-to", "references", "auto-submitted", "content-language", "mime-version",
        "content-type", "content-transfer-encoding", "return-path", "received",
    }
)  # fmt: skip
"""Headers the composer owns; an outbox row's extra headers may not override them."""

_HEADER_NAME = re.compile(r"^[!-9;-~]{1,76}$")  # RFC 5322 ftext, short enough to fold
_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")
_DOT_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_ADDR_SPEC = re.compile(rf"^{_DOT_ATOM}@{_DOT_ATOM}$")
_MSG_ID = re.compile(r"^<?([!-;=?-~]{1,450})>?$")  # no spaces, no angle brackets inside
_REFERENCES_KEPT = 20
"""Longest References chain we write; the oldest ids after the first are dropped
(RFC 5322 section 3.6.4 allows trimming; the first id anchors the thread)."""


class UndeliverableAddress(DeliveryFailed):
    """The recipient is not a single plain address; no relay could deliver it.

    Permanent: retrying cannot help, staff must look at the contact on file.
    """

    smtp_code = 550
    permanent = True


@dataclass(frozen=True)
class ThreadContext:
    """What the composer needs to know about the case an outbox row belongs to."""

    reference: str | None = None
    """The request reference (``DSR-2026-000001``), for the subject tag."""
    language: str | None = None
    """The request's language (lv, en, ru), for ``Content-Language``."""
    incoming_message_ids: tuple[str, ...] = field(default_factory=tuple)
    """Message-IDs of the person's e-mails in the case, oldest first, as stored."""


def one_line(value: str) -> str:
    """``value`` with every control character (CR, LF, NEL, line/paragraph separators …)
    turned into a space, so it can never start a header of its own."""
    return " ".join(_LINE_BREAKS.sub(" ", value).split())


def checked_address(address: str) -> str:
    """The recipient as a plain ``local@domain``; raises :class:`UndeliverableAddress`
    for anything else (display names, lists, line breaks, route syntax)."""
    local, at, domain = address.strip().rpartition("@")
    try:
        # Internationalised domains (e.g. ``piemērs.lv``) go out in their ASCII form (RFC 5890).
        ascii_domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        ascii_domain = ""
    candidate = f"{local}{at}{ascii_domain}"
    if len(candidate) > 254 or not _ADDR_SPEC.match(candidate):
        # Non-ASCII local parts (SMTPUTF8, RFC 6531) are refused too: not every relay takes them.
        raise UndeliverableAddress("the recipient is not a single plain e-mail address")
    return candidate


def normalised_message_id(stored: str) -> str | None:
    """``<id>`` for a stored Message-ID with or without brackets; None for anything
    that is not one token (those cannot be referenced safely)."""
    match = _MSG_ID.match(stored.strip())
    return f"<{match.group(1)}>" if match else None


def message_id_for(item: OutboxItem, domain: str) -> str:
    """The stable Message-ID of an outbox row: the same on every attempt."""
    return f"<{one_line(item.message_id).replace(' ', '')}@{one_line(domain).replace(' ', '')}>"


def auto_submitted_for(kind: str) -> str | None:
    """The RFC 3834 ``Auto-Submitted`` value for a reply kind, or None for a person's decision."""
    if kind in AUTO_REPLIED_KINDS:
        return "auto-replied"
    if kind in AUTO_GENERATED_KINDS:
        return "auto-generated"
    return None


def tagged_subject(subject: str, reference: str | None) -> str:
    """The subject on one line, with ``[reference]`` in front unless it is already there."""
    line = one_line(subject)
    if reference and f"[{reference}]" not in line:
        line = f"[{one_line(reference)}] {line}".rstrip()
    return line


def compose(
    item: OutboxItem,
    *,
    config: SmtpOutConfig,
    thread: ThreadContext,
    now: datetime,
    staff_language: str | None = None,
    files: Sequence[tuple[Attachment, bytes]] = (),
) -> EmailMessage:
    """The e-mail for ``item``: headers, a plain-text part and, when the template has
    one, an HTML alternative, then the attached ``files`` (the copy of the data, read and
    checked by the caller). Raises :class:`UndeliverableAddress` for a bad recipient."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = Address(display_name=one_line(config.from_name), addr_spec=checked_address(config.from_address))
    message["To"] = Address(addr_spec=checked_address(item.recipient))
    message["Subject"] = tagged_subject(item.subject, thread.reference)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id_for(item, config.message_id_domain)
    _thread_headers(message, thread.incoming_message_ids)
    auto = auto_submitted_for(item.kind)
    if auto is not None:
        message["Auto-Submitted"] = auto
        # Exchange ignores RFC 3834; this keeps its out-of-office replies away too.
        message["X-Auto-Response-Suppress"] = "All"
    _extra_headers(message, item.headers)
    # Quoted-printable: 7-bit clean, so no relay needs 8BITMIME for Latvian or Russian text.
    message.set_content(item.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    if item.html:
        message.add_alternative(item.html, subtype="html", charset="utf-8", cte="quoted-printable")
    for attachment, data in files:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=one_line(attachment.filename))
    language = _language(item, thread, staff_language)
    if language:
        # After the body: set_content() clears every Content-* header it finds.
        message["Content-Language"] = language
    return message


def _thread_headers(message: EmailMessage, stored_ids: Iterable[str]) -> None:
    ids = list(dict.fromkeys(i for i in (normalised_message_id(s) for s in stored_ids) if i))
    if not ids:
        return
    message["In-Reply-To"] = ids[-1]
    chain = ids if len(ids) <= _REFERENCES_KEPT else [ids[0], *ids[-(_REFERENCES_KEPT - 1) :]]
    message["References"] = " ".join(chain)


def _language(item: OutboxItem, thread: ThreadContext, staff_language: str | None) -> str | None:
    asked = item.headers.get("Content-Language")
    if asked:
        chosen: str | None = asked
    elif item.kind in STAFF_KINDS:
        chosen = staff_language
    else:
        chosen = thread.language
    if not chosen:
        return None
    tag = one_line(chosen).replace(" ", "")
    return tag if re.fullmatch(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*", tag) else None


def _extra_headers(message: EmailMessage, headers: Mapping[str, str]) -> None:
    """Extra headers an outbox row carries; never one the composer owns, never a bad name."""
    for name, value in headers.items():
        clean_name = name.strip()
        if not _HEADER_NAME.match(clean_name) or clean_name.lower() in _PROTECTED_HEADERS:
            continue
        message[clean_name] = one_line(str(value))
