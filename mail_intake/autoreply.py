"""Mail we must not answer automatically (RFC 3834) and delivery status notifications.

RFC 3834 §2 forbids automatic responses to automatically submitted mail; answering an
out-of-office reply or a mailing list with an acknowledgement starts mail loops and
spreads personal data. A delivery status notification (RFC 3464) about one of our own
replies is never answered either: it tells staff that a reply did not reach the person
(Art. 12(3) asks us to inform them; staff must find another way).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser

from mail_intake.mime import ParsedMail, clean_line, message_ids

_DAEMON_LOCAL_PARTS = frozenset({"mailer-daemon", "postmaster", "noreply", "no-reply", "do-not-reply", "donotreply"})
_BULK_PRECEDENCE = frozenset({"bulk", "list", "junk"})


def no_reply_reason(mail: ParsedMail, envelope_sender: str) -> str | None:
    """Why no automatic reply may be sent to this message, or None when one may (RFC 3834 §2)."""
    if mail.auto_submitted and mail.auto_submitted.split(";", 1)[0].strip() != "no":
        return f"Auto-Submitted: {mail.auto_submitted} (RFC 3834)"
    if mail.precedence in _BULK_PRECEDENCE:
        return f"Precedence: {mail.precedence}"
    if mail.list_id or mail.list_unsubscribe:
        return "mailing-list message (List-Id / List-Unsubscribe)"
    if not envelope_sender.strip() or envelope_sender.strip() == "<>":
        return "empty envelope sender (a bounce or notification, RFC 5321 §4.5.5)"
    for address in (envelope_sender, mail.from_address):
        local = address.strip("<> ").split("@", 1)[0].lower()
        if local in _DAEMON_LOCAL_PARTS:
            return f"sent by {local}"
    if _looks_like_out_of_office(mail):
        return "out-of-office auto-reply (X-Autoreply / X-Autorespond)"
    return None


def _looks_like_out_of_office(mail: ParsedMail) -> bool:
    # Non-standard headers some clients still send instead of Auto-Submitted.
    keys = {key.lower() for key in mail.message}
    return bool(keys & {"x-autoreply", "x-autorespond"})


@dataclass(frozen=True)
class BouncedRecipient:
    address: str
    action: str
    status: str
    diagnostic: str


@dataclass(frozen=True)
class DeliveryReport:
    """A parsed RFC 3464 delivery status notification."""

    recipients: tuple[BouncedRecipient, ...]
    original_message_ids: tuple[str, ...]
    """Message-IDs of the message that bounced, from the returned headers."""

    @property
    def failed(self) -> tuple[BouncedRecipient, ...]:
        return tuple(r for r in self.recipients if r.action in ("failed", "") or r.status.startswith("5"))

    def describe(self) -> str:
        """Plain words for staff: which address, which status (never the message body)."""
        parts = [f"{r.address or 'unknown address'}: {r.status or r.action or 'failed'}" for r in self.failed]
        return "; ".join(parts) or "delivery failed"


def is_delivery_report(mail: ParsedMail) -> bool:
    """multipart/report; report-type=delivery-status (RFC 3464 / RFC 6522)."""
    return mail.content_type == "multipart/report" and mail.report_type == "delivery-status"


def read_delivery_report(mail: ParsedMail) -> DeliveryReport:
    """The recipients and status codes of a DSN, and the returned message's Message-ID."""
    recipients: list[BouncedRecipient] = []
    original: list[str] = []
    for part in mail.message.walk():
        content_type = _content_type(part)
        if content_type in ("message/delivery-status", "message/global-delivery-status"):
            recipients.extend(_status_fields(part))
        elif content_type in ("message/rfc822", "message/global"):
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, Message):
                original.extend(message_ids(str(inner.get("Message-ID", ""))))
        elif content_type == "text/rfc822-headers":
            text = _text_payload(part)
            original.extend(message_ids(str(HeaderParser().parsestr(text).get("Message-ID", ""))))
    return DeliveryReport(tuple(recipients), tuple(dict.fromkeys(original)))


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "application/octet-stream"


def _text_payload(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload.decode("utf-8", "replace")
    raw = part.get_payload()
    return raw if isinstance(raw, str) else ""


def _status_fields(part: Message) -> list[BouncedRecipient]:
    """Per-recipient blocks of a message/delivery-status part (RFC 3464 §2.3)."""
    payload = part.get_payload()
    blocks: list[Message] = []
    if isinstance(payload, list):
        blocks = [b for b in payload if isinstance(b, Message)]
    elif isinstance(payload, str):
        blocks = [HeaderParser().parsestr(chunk) for chunk in payload.replace("\r\n", "\n").split("\n\n")]
    found = []
    for block in blocks:
        recipient = str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
        if not recipient:
            continue  # the per-message block
        address = recipient.split(";", 1)[-1]
        found.append(
            BouncedRecipient(
                address=clean_line(address, 320).lower(),
                action=clean_line(str(block.get("Action", "")), 40).lower(),
                status=clean_line(str(block.get("Status", "")), 40),
                diagnostic=clean_line(str(block.get("Diagnostic-Code", "")), 300),
            )
        )
    return found
