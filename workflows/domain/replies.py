"""What a reply says: its kind and the facts the engine hands to the renderer.

The engine builds one facts object per reply; the renderer turns it into a subject, a
plain-text body and an HTML body in the person's language, using the controller profile
for everything that does not depend on the request. Facts refer to profile entries by id
(category, purpose, recipient, retention rule, legal hold, source) so that the reply is
localised from the profile and tailored to this person (EDPB 01/2022 ¶¶112-113).

Values that come from a person (names, old and new values, staff notes) are plain strings;
the renderer keeps them on one line in text and escapes them in HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import ClassVar

from workflows.domain.errors import WorkflowError
from workflows.domain.rights import Channel, Language, Right


class ReplyKind(StrEnum):
    """Every kind of message rightsdesk sends; the value names the template files."""

    ACKNOWLEDGEMENT = "acknowledgement"
    """Art. 12(3): the request is registered; reference and due date."""
    IDENTITY_VERIFICATION_NEEDED = "identity_verification_needed"
    """Art. 12(6): proportionate proof of identity is needed before acting."""
    VERIFICATION_FAILED = "verification_failed"
    """Art. 12(6): the proof offered did not establish identity; why, and what to do."""
    DEADLINE_EXTENDED = "deadline_extended"
    """Art. 12(3): extension by up to two months, with reasons, before the first deadline."""
    ACCESS_REPLY = "access_reply"
    """Art. 15(1)-(3) (and Art. 20 for portability): the information and the copy."""
    ERASURE_DONE = "erasure_done"
    """Art. 17: what was erased; what is kept, why and until when (Art. 17(3))."""
    RECTIFICATION_DONE = "rectification_done"
    """Art. 16: what was corrected."""
    RESTRICTION_APPLIED = "restriction_applied"
    """Art. 18: processing is restricted; the person is told before it is lifted (Art. 18(3))."""
    OBJECTION_APPLIED = "objection_applied"
    """Art. 21 and Art. 7(3): processing stopped, including marketing and consent withdrawal."""
    REFUSAL = "refusal"
    """Art. 12(4): full or partial refusal, reasons, complaint to the DVI, judicial remedy."""
    RECIPIENT_NOTICE = "recipient_notice"
    """Art. 19: notice to a recipient of a rectification, erasure or restriction."""
    STAFF_DEADLINE_REMINDER = "staff_deadline_reminder"
    """Internal: a request approaches its due date (docs/law.md §Deadlines: warn well before the ceiling)."""


class VerificationFailure(StrEnum):
    """Why the proof of identity did not work, in terms a person can act on."""

    SIGNATURE_INVALID = "signature_invalid"
    SIGNATURE_NOT_QUALIFIED = "signature_not_qualified"
    CERTIFICATE_REVOKED = "certificate_revoked"
    SIGNER_NOT_DATA_SUBJECT = "signer_not_data_subject"
    CODE_EXPIRED = "code_expired"
    CODE_WRONG = "code_wrong"
    DOCUMENT_NOT_SHOWN = "document_not_shown"
    MANDATE_NOT_SHOWN = "mandate_not_shown"
    NO_MATCHING_RECORDS = "no_matching_records"
    # A valid signature that is not bound to this request (workflows.domain.evidence_binding).
    SIGNED_TEXT_UNREADABLE = "signed_text_unreadable"
    """The signed file has no readable text (a scan): staff read it."""
    SIGNATURE_NOT_RECENT = "signature_not_recent"
    """Signed longer ago than the window before receipt allows, or with no signing time."""
    SIGNING_TIME_AFTER_RECEIPT = "signing_time_after_receipt"
    """The signing time is later than when the document reached us."""
    NOT_ADDRESSED_TO_CONTROLLER = "not_addressed_to_controller"
    """The signed text names neither this controller nor this request."""
    SIGNATURE_ALREADY_USED = "signature_already_used"
    """The same signed document verified, or names, another request."""
    RIGHTS_NOT_SIGNED = "rights_not_signed"
    """The signed text names the controller but not this request's reference, and does not ask
    for every right this request asks: it verifies only what its signer signed for."""


class ExtensionReason(StrEnum):
    """The only grounds Art. 12(3) allows for an extension; "a large effort" is not one."""

    COMPLEXITY = "complexity"
    NUMBER_OF_REQUESTS = "number_of_requests"


class RefusalReason(StrEnum):
    """Grounds for refusing a request in whole or in part (Art. 12(4)-(6), 17(3), 20, 21)."""

    IDENTITY_NOT_ESTABLISHED = "identity_not_established"
    """Art. 12(6), 11(2): the requester could not be identified as the data subject."""
    MANIFESTLY_UNFOUNDED = "manifestly_unfounded"
    """Art. 12(5)(b): decided by staff, with a written reason."""
    EXCESSIVE = "excessive"
    """Art. 12(5)(b): in particular repetitive; decided by staff, with a written reason."""
    LEGAL_OBLIGATION_TO_KEEP = "legal_obligation_to_keep"
    """Art. 17(3)(b): the law requires keeping the data."""
    LEGAL_CLAIMS = "legal_claims"
    """Art. 17(3)(e), 21(1): the data are needed for legal claims."""
    RIGHTS_OF_OTHERS = "rights_of_others"
    """Art. 15(4), 20(4): the copy would adversely affect the rights of others."""
    PORTABILITY_NOT_APPLICABLE = "portability_not_applicable"
    """Art. 20(1): the data were not provided by the person or are not processed by consent or contract."""
    COMPELLING_LEGITIMATE_GROUNDS = "compelling_legitimate_grounds"
    """Art. 21(1): compelling legitimate grounds override the person's interests."""
    NO_DATA_HELD = "no_data_held"
    """Nothing could be done because no data about the person is held."""


class DeliveryMethod(StrEnum):
    """How the copy of the data reaches the person (Art. 15(3): electronically if asked so)."""

    EMAIL_ATTACHMENT = "email_attachment"
    DOWNLOAD_LINK = "download_link"
    TELEGRAM = "telegram"
    IN_PERSON = "in_person"
    POST = "post"


class RestrictionGround(StrEnum):
    """Art. 18(1)(a)-(d)."""

    ACCURACY_CONTESTED = "accuracy_contested"
    UNLAWFUL_BUT_NOT_ERASED = "unlawful_but_not_erased"
    NEEDED_FOR_PERSONS_CLAIMS = "needed_for_persons_claims"
    OBJECTION_PENDING = "objection_pending"


class ReplyFactsError(WorkflowError):
    """The facts given for a reply are inconsistent (e.g. an extension without a new date)."""


@dataclass(frozen=True)
class RequestSummary:
    """The request as every reply refers to it."""

    reference: str
    rights: tuple[Right, ...]
    received_on: date
    due_on: date
    language: Language
    channel: Channel
    extended_due_on: date | None = None
    person_name: str | None = None

    @property
    def current_due_on(self) -> date:
        return self.extended_due_on or self.due_on


@dataclass(frozen=True)
class KeptRecord:
    """Something not erased: under a retention rule or a legal hold, until a date (Art. 17(3)).

    Give exactly one of ``retention_rule`` and ``legal_hold`` (profile ids). ``detail`` may
    name the records (e.g. invoice numbers); ``until`` is None for a hold with no end date.
    """

    until: date | None
    retention_rule: str | None = None
    legal_hold: str | None = None
    detail: str | None = None

    def __post_init__(self) -> None:
        if (self.retention_rule is None) == (self.legal_hold is None):
            raise ReplyFactsError(
                "a kept record names exactly one retention rule or legal hold",
                retention_rule=self.retention_rule,
                legal_hold=self.legal_hold,
            )


@dataclass(frozen=True)
class FieldChange:
    """One rectified value (Art. 16). ``field`` is a data field name, e.g. "email", "phone"."""

    field: str
    old: str
    new: str


@dataclass(frozen=True)
class CopyDelivery:
    """How and in which formats the copy is delivered (Art. 15(3), Art. 20(1))."""

    method: DeliveryMethod
    formats: tuple[str, ...] = ("PDF", "JSON")
    available_until: date | None = None
    sealed: bool = False
    """The copy comes in an ASiC-E container under the controller's qualified electronic seal
    (eIDAS Art. 35(2): presumed authentic and unaltered); the reply says how to check it."""


class IdentityRoute(StrEnum):
    """A way to prove identity that a letter may offer (Art. 12(6); EDPB 01/2022 ¶¶58-81).

    Each works for the channels it names and for tiers up to the one it proves
    (:attr:`proves_tier`): a one-time code proves control of the contact on file (tier 2),
    never enough for a copy of the data (tier 3)."""

    SIGNED_EMAIL = "signed_email"
    """A request signed with a qualified electronic signature (eIDAS Art. 25(2)), e-mailed to
    the address the mail intake receives, in reply to the letter (the reference in the subject)."""
    WEB_PAGE_EID = "web_page_eid"
    """eID login (eParaksts, Smart-ID) on the request's page of the web service."""
    WEB_PAGE_CODE = "web_page_code"
    """A one-time code sent to the contact on file, entered on the request's page."""
    CHAT_EID = "chat_eid"
    """eID login started in the Telegram chat the request came from."""
    CHAT_CODE = "chat_code"
    """A one-time code to the contact on file, entered in the chat the request came from."""
    CHAT_DOCUMENT = "chat_document"
    """A qualified-signed file sent in the chat the request came from."""
    SHOP_VISIT = "shop_visit"
    """An identity document shown at a shop; staff record the check (never a copy)."""

    @property
    def proves_tier(self) -> int:
        return 2 if self in (IdentityRoute.WEB_PAGE_CODE, IdentityRoute.CHAT_CODE) else 3


@dataclass(frozen=True)
class IdentityRoutes:
    """The routes this installation offers for one request, and where each one leads.

    Only routes that work for the request's channel and tier are listed; a shop visit is
    always possible (staff record an ID check in the console), so the list is never empty."""

    offered: tuple[IdentityRoute, ...] = (IdentityRoute.SHOP_VISIT,)
    signed_email_address: str | None = None
    """The privacy address the mail intake receives (``[smtp_in] recipients``)."""
    web_page_url: str | None = None
    """The request's page, with its capability; only for :attr:`IdentityRoute.WEB_PAGE_EID`/``CODE``."""
    web_page_until: date | None = None

    def __post_init__(self) -> None:
        if IdentityRoute.SIGNED_EMAIL in self.offered and not self.signed_email_address:
            raise ReplyFactsError("a signed e-mail route needs the intake address")
        on_page = {IdentityRoute.WEB_PAGE_EID, IdentityRoute.WEB_PAGE_CODE}.intersection(self.offered)
        if on_page and not self.web_page_url:
            raise ReplyFactsError("a web page route needs the page's address")

    def offers(self, route: IdentityRoute | str) -> bool:
        return IdentityRoute(route) in self.offered

    @property
    def only_shop_visit(self) -> bool:
        return self.offered == (IdentityRoute.SHOP_VISIT,)


@dataclass(frozen=True)
class InstallationRoutes:
    """What this installation can do to verify identity, from its settings (composition root)."""

    signed_email_address: str | None = None
    """Set when the mail intake runs: the address signed requests reach."""
    eid_login: bool = False
    """``[oidc]`` is configured."""
    one_time_codes: bool = False
    """``[identity] secret`` and a customer directory on file (the data map)."""
    telegram: bool = False
    """``[telegram]`` is configured, so chat routes work in the chat."""
    web_page: bool = False
    """The request page is served (``[serve] public_url``, web service, a capability secret)."""


def offered_routes(installation: InstallationRoutes, channel: Channel, required_tier: int) -> tuple[IdentityRoute, ...]:
    """The routes that work for a request of ``channel`` needing ``required_tier``.

    A chat request is verified in its chat (the chat's routes prove that chat's requests); any
    other request by reply e-mail or on its page. A route proving less than the tier is left
    out (Art. 12(6): proportionate, but sufficient)."""
    candidates: list[IdentityRoute] = []
    if channel is Channel.TELEGRAM:
        if installation.telegram:
            if installation.one_time_codes:
                candidates.append(IdentityRoute.CHAT_CODE)
            if installation.eid_login:
                candidates.append(IdentityRoute.CHAT_EID)
            candidates.append(IdentityRoute.CHAT_DOCUMENT)
    else:
        if installation.web_page and installation.one_time_codes:
            candidates.append(IdentityRoute.WEB_PAGE_CODE)
        if installation.web_page and installation.eid_login:
            candidates.append(IdentityRoute.WEB_PAGE_EID)
        if installation.signed_email_address:
            candidates.append(IdentityRoute.SIGNED_EMAIL)
    candidates.append(IdentityRoute.SHOP_VISIT)
    return tuple(route for route in candidates if route.proves_tier >= required_tier)


@dataclass(frozen=True)
class AcknowledgementFacts:
    kind: ClassVar[ReplyKind] = ReplyKind.ACKNOWLEDGEMENT
    request: RequestSummary
    identity_verification_needed: bool = False
    required_tier: int = 3
    routes: IdentityRoutes | None = None
    """Filled in by the renderer from the installation when left None."""


@dataclass(frozen=True)
class IdentityVerificationFacts:
    kind: ClassVar[ReplyKind] = ReplyKind.IDENTITY_VERIFICATION_NEEDED
    request: RequestSummary
    required_tier: int = 3
    routes: IdentityRoutes | None = None
    """Filled in by the renderer from the installation when left None."""


@dataclass(frozen=True)
class VerificationFailedFacts:
    kind: ClassVar[ReplyKind] = ReplyKind.VERIFICATION_FAILED
    request: RequestSummary
    reason: VerificationFailure
    required_tier: int = 3
    routes: IdentityRoutes | None = None
    """Filled in by the renderer from the installation when left None."""


@dataclass(frozen=True)
class DeadlineExtendedFacts:
    kind: ClassVar[ReplyKind] = ReplyKind.DEADLINE_EXTENDED
    request: RequestSummary
    reasons: tuple[ExtensionReason, ...]
    explanation: str | None = None

    def __post_init__(self) -> None:
        if not self.reasons or self.request.extended_due_on is None:
            raise ReplyFactsError(
                "an extension notice needs reasons and the new due date (Art. 12(3))", reference=self.request.reference
            )


@dataclass(frozen=True)
class AccessFacts:
    """What was found for this person; ids refer to the controller profile (Art. 15(1))."""

    kind: ClassVar[ReplyKind] = ReplyKind.ACCESS_REPLY
    request: RequestSummary
    data_found: bool
    categories: tuple[str, ...] = ()
    purposes: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    retention_rules: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    delivery: CopyDelivery | None = None
    others_redacted: bool = False
    """Art. 15(4): other people (e.g. shoppers in CCTV footage) were blurred or removed."""


@dataclass(frozen=True)
class ErasureFacts:
    kind: ClassVar[ReplyKind] = ReplyKind.ERASURE_DONE
    request: RequestSummary
    erased_categories: tuple[str, ...]
    kept: tuple[KeptRecord, ...] = ()
    suppression_kept: bool = True
    """A minimal entry is kept so the person is not re-added to marketing."""
    notified_recipients: tuple[str, ...] = ()


@dataclass(frozen=True)
class RectificationFacts:
    kind: ClassVar[ReplyKind] = ReplyKind.RECTIFICATION_DONE
    request: RequestSummary
    changes: tuple[FieldChange, ...]
    notified_recipients: tuple[str, ...] = ()


@dataclass(frozen=True)
class RestrictionFacts:
    kind: ClassVar[ReplyKind] = ReplyKind.RESTRICTION_APPLIED
    request: RequestSummary
    ground: RestrictionGround
    restricted_categories: tuple[str, ...]
    notified_recipients: tuple[str, ...] = ()


@dataclass(frozen=True)
class ObjectionFacts:
    """Objection (Art. 21) or consent withdrawal (Art. 7(3)); ``purposes`` are the ones stopped."""

    kind: ClassVar[ReplyKind] = ReplyKind.OBJECTION_APPLIED
    request: RequestSummary
    purposes: tuple[str, ...]
    suppression_kept: bool = True


@dataclass(frozen=True)
class RefusalFacts:
    kind: ClassVar[ReplyKind] = ReplyKind.REFUSAL
    request: RequestSummary
    reasons: tuple[RefusalReason, ...]
    partial: bool = False
    explanation: str | None = None
    """Staff's written reason, in the reply language; required for Art. 12(5) refusals."""

    def __post_init__(self) -> None:
        if not self.reasons:
            raise ReplyFactsError("a refusal states its reasons (Art. 12(4))", reference=self.request.reference)
        staff_only = {RefusalReason.MANIFESTLY_UNFOUNDED, RefusalReason.EXCESSIVE}
        if staff_only.intersection(self.reasons) and not (self.explanation or "").strip():
            raise ReplyFactsError(
                "an Art. 12(5) refusal needs staff's written reason", reference=self.request.reference
            )


@dataclass(frozen=True)
class RecipientNoticeFacts:
    """Art. 19 notice to one recipient. ``subject_reference`` is how the recipient knows the person
    (their customer or shipment number), so the notice carries no more personal data than needed."""

    kind: ClassVar[ReplyKind] = ReplyKind.RECIPIENT_NOTICE
    request: RequestSummary
    recipient: str
    action: Right
    subject_reference: str
    changes: tuple[FieldChange, ...] = ()
    categories: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.action not in (Right.RECTIFICATION, Right.ERASURE, Right.RESTRICTION):
            raise ReplyFactsError(
                "Art. 19 covers rectification, erasure and restriction only", action=self.action.value
            )


@dataclass(frozen=True)
class StaffReminderFacts:
    kind: ClassVar[ReplyKind] = ReplyKind.STAFF_DEADLINE_REMINDER
    request: RequestSummary
    days_left: int
    state: str
    assignee: str | None = None
    console_url: str | None = None


ReplyFacts = (
    AcknowledgementFacts
    | IdentityVerificationFacts
    | VerificationFailedFacts
    | DeadlineExtendedFacts
    | AccessFacts
    | ErasureFacts
    | RectificationFacts
    | RestrictionFacts
    | ObjectionFacts
    | RefusalFacts
    | RecipientNoticeFacts
    | StaffReminderFacts
)
"""Any facts object; its ``kind`` names the reply it is for."""
