"""Example reply facts for every ReplyKind, built the way the engine will build them."""

from __future__ import annotations

from datetime import date

from workflows.domain.profile import ControllerProfile
from workflows.domain.replies import (
    AccessFacts,
    AcknowledgementFacts,
    CopyDelivery,
    DeadlineExtendedFacts,
    DeliveryMethod,
    ErasureFacts,
    ExtensionReason,
    FieldChange,
    IdentityVerificationFacts,
    KeptRecord,
    ObjectionFacts,
    RecipientNoticeFacts,
    RectificationFacts,
    RefusalFacts,
    RefusalReason,
    ReplyFacts,
    ReplyKind,
    RequestSummary,
    RestrictionFacts,
    RestrictionGround,
    StaffReminderFacts,
    VerificationFailedFacts,
    VerificationFailure,
)
from workflows.domain.rights import Channel, Language, Right

VERIFIED_CUSTOMER = "Anna Bērziņa"


def request_summary(
    right: Right = Right.ACCESS,
    language: Language = Language.LV,
    person_name: str | None = VERIFIED_CUSTOMER,
    extended: bool = False,
) -> RequestSummary:
    return RequestSummary(
        reference="DSR-2026-000123",
        rights=(right,),
        received_on=date(2026, 3, 5),
        due_on=date(2026, 4, 7),
        extended_due_on=date(2026, 6, 5) if extended else None,
        language=language,
        channel=Channel.EMAIL,
        person_name=person_name,
    )


def example_facts(kind: ReplyKind, request: RequestSummary, profile: ControllerProfile) -> ReplyFacts:
    """Facts of ``kind`` that touch every part of the profile the template can show."""
    categories = tuple(c.id for c in profile.categories)
    purposes = tuple(p.id for p in profile.purposes)
    recipients = tuple(r.id for r in profile.recipients)
    rules = tuple(r.id for r in profile.retention_rules)
    change = FieldChange(field="email", old="anna@old.example", new="anna@new.example")
    match kind:
        case ReplyKind.ACKNOWLEDGEMENT:
            return AcknowledgementFacts(request, identity_verification_needed=True)
        case ReplyKind.IDENTITY_VERIFICATION_NEEDED:
            return IdentityVerificationFacts(request, required_tier=3)
        case ReplyKind.VERIFICATION_FAILED:
            return VerificationFailedFacts(request, VerificationFailure.SIGNER_NOT_DATA_SUBJECT, required_tier=2)
        case ReplyKind.DEADLINE_EXTENDED:
            extended = RequestSummary(**{**request.__dict__, "extended_due_on": date(2026, 6, 5)})
            return DeadlineExtendedFacts(extended, reasons=tuple(ExtensionReason), explanation="Data in 4 systems.")
        case ReplyKind.ACCESS_REPLY:
            return AccessFacts(
                request, data_found=True, categories=categories, purposes=purposes, recipients=recipients,
                retention_rules=rules, sources=tuple(s.id for s in profile.sources),
                delivery=CopyDelivery(DeliveryMethod.DOWNLOAD_LINK, ("PDF", "JSON"), date(2026, 4, 30)),
                others_redacted=True,
            )
        case ReplyKind.ERASURE_DONE:
            kept = [KeptRecord(until=date(2031, 12, 31), retention_rule=rules[0], detail="INV-2025-0042")]
            kept += [KeptRecord(until=None, legal_hold=hold.id) for hold in profile.legal_holds[:1]]
            return ErasureFacts(request, erased_categories=categories[:3], kept=tuple(kept),
                                notified_recipients=recipients[:2])
        case ReplyKind.RECTIFICATION_DONE:
            return RectificationFacts(request, changes=(change,), notified_recipients=recipients[:1])
        case ReplyKind.RESTRICTION_APPLIED:
            return RestrictionFacts(request, RestrictionGround.ACCURACY_CONTESTED, categories[:2], recipients[:1])
        case ReplyKind.OBJECTION_APPLIED:
            return ObjectionFacts(request, purposes=purposes[:2])
        case ReplyKind.REFUSAL:
            return RefusalFacts(request, reasons=tuple(RefusalReason), partial=True, explanation="Asked 5 times.")
        case ReplyKind.RECIPIENT_NOTICE:
            return RecipientNoticeFacts(request, recipient=recipients[0], action=Right.RECTIFICATION,
                                        subject_reference="CUST-77", changes=(change,), categories=categories[:1])
        case ReplyKind.STAFF_DEADLINE_REMINDER:
            return StaffReminderFacts(request, days_left=5, state="awaiting_approval", assignee=None,
                                      console_url="http://127.0.0.1/requests/1")
