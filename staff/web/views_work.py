"""Pages that change a request: reply editor, extension, refusal, in-person verification,
in-store intake. Each issues one engine command with ``actor="staff:<username>"``, so the
hash-chained audit log records who did it (Art. 5(2))."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from staff.errors import StaffError
from staff.web.context import Ctx
from workflows.domain.identity import ClaimedIdentity, VerificationMethod, VerifiedIdentity
from workflows.domain.replies import (
    AcknowledgementFacts,
    ExtensionReason,
    IdentityVerificationFacts,
    RefusalReason,
    ReplyFacts,
    RequestSummary,
    VerificationFailedFacts,
    VerificationFailure,
)
from workflows.domain.rights import Channel, Language, Right
from workflows.service_layer import commands as c

DOCUMENTS = ("id_card", "passport", "residence_permit")
DOCUMENT_NAMES = {"id_card": "ID card", "passport": "passport", "residence_permit": "residence permit"}
REPLY_KINDS = ("acknowledgement", "identity_verification_needed", "verification_failed")


def _summary(case: dict[str, Any]) -> RequestSummary:
    return RequestSummary(
        reference=case["reference"],
        rights=tuple(sorted(Right(r) for r in str(case["rights"]).split(",") if r)),
        received_on=case["received_on"],
        due_on=case["due_on"],
        language=Language(case["language"]),
        channel=Channel(case["channel"]),
        extended_due_on=case["extended_due_on"],
        person_name=case["verified_name"] or case["claimed_name"],
    )


def _facts(kind: str, case: dict[str, Any], reason: str) -> ReplyFacts:
    summary = _summary(case)
    if kind == "identity_verification_needed":
        return IdentityVerificationFacts(summary, int(case["required_tier"]))
    if kind == "verification_failed":
        known = reason in set(VerificationFailure)
        failure = VerificationFailure(reason) if known else VerificationFailure.DOCUMENT_NOT_SHOWN
        return VerificationFailedFacts(summary, failure, int(case["required_tier"]))
    return AcknowledgementFacts(summary)


def reply_editor(ctx: Ctx) -> Response:
    """Choose a reply and see it in Latvian, English and Russian before sending it."""
    reference = ctx.request.path_params["reference"]
    case = ctx.console.queries.detail(reference)["request"]
    kind = ctx.query("kind") or ctx.field("kind")
    kind = kind if kind in REPLY_KINDS else REPLY_KINDS[0]
    reason = ctx.query("reason") or ctx.field("reason")
    facts = _facts(kind, case, reason)
    renderer = ctx.console.engine.renderer
    previews = {
        language: renderer.render(facts.kind, Language(language), facts, ctx.console.engine.profile)
        for language in ("lv", "en", "ru")
    }
    return ctx.render(
        "reply.html",
        case=case,
        kinds=REPLY_KINDS,
        kind=kind,
        reason=reason,
        failures=list(VerificationFailure),
        previews=previews,
    )


def send_reply(ctx: Ctx) -> Response:
    reference = ctx.request.path_params["reference"]
    case = ctx.console.queries.detail(reference)["request"]
    kind = ctx.field("kind")
    if kind not in REPLY_KINDS:
        raise StaffError("unknown reply kind", kind=kind)
    ctx.console.engine.handle(c.SendReply(case["reference"], _facts(kind, case, ctx.field("reason")), actor=ctx.actor))
    return ctx.redirect(f"/requests/{case['reference']}", done="sent_ok")


def extend_form(ctx: Ctx) -> Response:
    case = ctx.console.queries.detail(ctx.request.path_params["reference"])["request"]
    return ctx.render("extend.html", case=case, reasons=list(ExtensionReason))


def extend(ctx: Ctx) -> Response:
    """Art. 12(3): reasons are required; the engine sends the notice in the same transaction."""
    reference = ctx.request.path_params["reference"]
    reasons = tuple(ExtensionReason(r) for r in ctx.fields("reason") if r in set(ExtensionReason))
    if not reasons:
        raise StaffError("choose at least one reason for the extension (Art. 12(3))")
    ctx.console.engine.handle(
        c.ExtendDeadline(reference.upper(), reasons, ctx.field("explanation")[:2000], actor=ctx.actor)
    )
    return ctx.redirect(f"/requests/{reference.upper()}", done="extended_ok")


def refuse_form(ctx: Ctx) -> Response:
    case = ctx.console.queries.detail(ctx.request.path_params["reference"])["request"]
    return ctx.render("refuse.html", case=case, reasons=list(RefusalReason))


def refuse(ctx: Ctx) -> Response:
    """Art. 12(4): reasons, the right to complain to the DVI and to a court go in the reply."""
    reference = ctx.request.path_params["reference"]
    reasons = tuple(RefusalReason(r) for r in ctx.fields("reason") if r in set(RefusalReason))
    if not reasons:
        raise StaffError("choose at least one reason for the refusal (Art. 12(4))")
    ctx.console.engine.handle(
        c.RefuseRequest(
            reference.upper(),
            reasons,
            actor=ctx.actor,
            explanation=ctx.field("explanation")[:2000] or None,
            partial=ctx.field("partial") == "1",
        )
    )
    return ctx.redirect(f"/requests/{reference.upper()}", done="refused_ok")


def verify_form(ctx: Ctx) -> Response:
    case = ctx.console.queries.detail(ctx.request.path_params["reference"])["request"]
    return ctx.render("verify.html", case=case, documents=DOCUMENTS)


def _in_person(ctx: Ctx, document: str, name: str | None) -> VerifiedIdentity:
    """EDPB 01/2022 ¶¶73-78: record that a document was seen and by whom; never a copy."""
    if document not in DOCUMENT_NAMES:
        raise StaffError("say which identity document you checked", document=document)
    now = ctx.console.engine.clock.now()
    return VerifiedIdentity(
        method=VerificationMethod.IN_PERSON_ID_CHECK,
        verified_at=now,
        evidence_ref=f"in-person:{ctx.user.username}:{now.isoformat()}",
        verified_by=ctx.actor,
        name=name,
        document=DOCUMENT_NAMES[document],
    )


def verify(ctx: Ctx) -> Response:
    reference = ctx.request.path_params["reference"].upper()
    case = ctx.console.queries.detail(reference)["request"]
    verified = _in_person(ctx, ctx.field("document"), case["claimed_name"])
    ctx.console.engine.handle(
        c.RecordIdentityEvidence(
            reference,
            verified,
            actor=ctx.actor,
            evidence_summary={"document": verified.document, "checked_by": ctx.actor},
        )
    )
    return ctx.redirect(f"/requests/{reference}", done="verified_ok")


def intake_form(ctx: Ctx) -> Response:
    return ctx.render("intake.html", rights=list(Right), documents=DOCUMENTS, error=None, values={})


def intake(ctx: Ctx) -> Response:
    """A request made at a shop counter: the clock starts now (Art. 12(3); EDPB 01/2022 ¶159)."""
    rights = frozenset(Right(r) for r in ctx.fields("right") if r in set(Right))
    name = ctx.field("name")[:200]
    if not rights or not name:
        raise StaffError("choose the rights asked for and write the person's name")
    language = Language(ctx.field("language")) if ctx.field("language") in set(Language) else Language.LV
    email = ctx.field("email")[:320] or None
    phone = ctx.field("phone")[:40] or None
    verified = _in_person(ctx, ctx.field("document"), name)
    verified = VerifiedIdentity(
        method=verified.method,
        verified_at=verified.verified_at,
        evidence_ref=verified.evidence_ref,
        verified_by=verified.verified_by,
        name=name,
        email=email,
        phone=phone,
        document=verified.document,
    )
    reference = ctx.console.engine.handle(
        c.OpenRequest(
            channel=Channel.IN_PERSON,
            rights=rights,
            language=language,
            claimed=ClaimedIdentity(
                name=name, email=email, phone=phone, customer_ref=ctx.field("customer_ref")[:100] or None
            ),
            received_at=ctx.console.engine.clock.now(),
            evidence=verified,
            evidence_summary={"document": verified.document, "checked_by": ctx.actor},
            actor=ctx.actor,
        )
    )
    return ctx.redirect(f"/requests/{reference}", done="saved")
