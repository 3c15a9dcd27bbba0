"""Command handlers: each one a transaction that changes the domain, queues jobs and
outgoing messages, and commits them together with the events it caused."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING

from workflows.domain.actions import Action
from workflows.domain.deadlines import riga_date
from workflows.domain.delivery import (
    COPY_DESTINATION_KEY,
    HELD_COPIES_KEY,
    CopyHeld,
    carries_personal_data,
    choose_destination,
    copy_route,
    held_copies,
    reply_route,
)
from workflows.domain.events import Event, EventType
from workflows.domain.identity import IdentityTier, VerificationMethod, VerifiedIdentity
from workflows.domain.messages import Attachment, Direction, Message
from workflows.domain.replies import (
    AcknowledgementFacts,
    DeadlineExtendedFacts,
    IdentityVerificationFacts,
    RefusalFacts,
    ReplyFacts,
    VerificationFailedFacts,
)
from workflows.domain.request import RightsRequest
from workflows.domain.rights import Channel
from workflows.domain.states import State
from workflows.service_layer import commands as c
from workflows.service_layer import jobs
from workflows.service_layer.execution import request_finished
from workflows.service_layer.notices import outgoing_message, queue_or_keep
from workflows.service_layer.ports import UnitOfWork
from workflows.service_layer.summaries import summarise

if TYPE_CHECKING:
    from workflows.service_layer.bus import Engine, RenderedReplyLike


def open_request(cmd: c.OpenRequest, engine: Engine) -> str:
    """Register the request, acknowledge it, and ask for proportionate verification.

    Never discards an unsigned or unverified request (Art. 12(6); docs/law.md §Channels).
    """
    with engine.uow() as uow:
        reference = uow.requests.next_reference(riga_date(cmd.received_at).year)
        request = RightsRequest.open(
            request_id=engine.new_id(),
            reference=reference,
            rights=cmd.rights,
            channel=cmd.channel,
            language=cmd.language,
            received_at=cmd.received_at,
            claimed=cmd.claimed,
            required_tier=engine.required_tier(cmd.rights),
            calendar=engine.calendar,
            details=cmd.details,
            actor=cmd.actor,
        )
        uow.requests.add(request)
        if cmd.incoming_text or cmd.incoming_subject:
            uow.messages.add(
                Message(
                    id=engine.new_id(),
                    request_id=request.id,
                    direction=Direction.IN,
                    channel=cmd.channel,
                    created_at=cmd.received_at,
                    subject=cmd.incoming_subject,
                    text=cmd.incoming_text,
                    counterpart=cmd.claimed.email or cmd.claimed.chat_id,
                    external_id=cmd.incoming_external_id,
                )
            )
        evidence = cmd.evidence or _channel_control(request, engine)
        if evidence is not None:
            request.record_identity(evidence, at=cmd.received_at, actor=cmd.actor, evidence=cmd.evidence_summary)
        if request.state is State.RECEIVED:
            request.ask_for_identity(at=cmd.received_at)
            facts: ReplyFacts = IdentityVerificationFacts(summarise(request), int(request.required_tier))
            if cmd.verification_failure is not None:
                detail = cmd.verification_detail or str(cmd.verification_failure)
                request.record_verification_failure(
                    f"{cmd.verification_failure}: {detail}", at=cmd.received_at, evidence=cmd.evidence_summary
                )
                facts = VerificationFailedFacts(
                    summarise(request), cmd.verification_failure, int(request.required_tier)
                )
        else:
            facts = AcknowledgementFacts(summarise(request))
        asked_already = cmd.identity_asked_in_conversation and isinstance(facts, IdentityVerificationFacts)
        if not asked_already:
            _queue_reply(uow, engine, request, facts)
        _queue_planning(uow, request)
        uow.commit()
    return reference


def _queue_planning(uow: UnitOfWork, request: RightsRequest) -> None:
    """Work starts once identity suffices: plan the actions (service_layer.planning)."""
    if request.state is State.IN_PROGRESS:
        uow.jobs.enqueue(jobs.PlanRequest(request.reference), dedupe_key=f"plan:{request.id}")


def _channel_control(request: RightsRequest, engine: Engine) -> VerifiedIdentity | None:
    """Tier 1 (marketing objections, consent withdrawal) is never blocked: control of the
    channel the person wrote from is enough (docs/law.md §Identity)."""
    if request.required_tier > IdentityTier.CHANNEL_CONTROL:
        return None
    contact = request.claimed.email or request.claimed.chat_id or request.claimed.phone
    if contact is None:
        return None
    return VerifiedIdentity(
        method=VerificationMethod.CHANNEL_CONTROL,
        verified_at=request.received_at,
        evidence_ref=f"channel:{request.channel}",
        email=request.claimed.email,
        phone=request.claimed.phone,
    )


def store_inbound_email(cmd: c.StoreInboundEmail, engine: Engine) -> str:
    """Durably keep the raw message and queue its processing, in one transaction."""
    mail_id = engine.new_id()
    with engine.uow() as uow:
        uow.inbound.add(
            mail_id=mail_id,
            received_at=cmd.received_at,
            peer=cmd.peer,
            mail_from=cmd.mail_from,
            rcpt_to=cmd.rcpt_to,
            raw=cmd.raw,
            sha256=hashlib.sha256(cmd.raw).hexdigest(),
            message_id=_header_message_id(cmd.raw),
        )
        uow.jobs.enqueue(jobs.ProcessEmail(mail_id), dedupe_key=f"process_email:{mail_id}")
        uow.commit()
    return mail_id


def _header_message_id(raw: bytes) -> str | None:
    """The Message-ID header, read cheaply from the header block (full parsing is the worker's)."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    for line in head.splitlines():
        if line[:11].lower() == b"message-id:":
            return line[11:].strip().decode("ascii", "replace")[:500] or None
    return None


def receive_message(cmd: c.ReceiveMessage, engine: Engine) -> str:
    """File a message in its case; one that arrives after closing is flagged for staff."""
    with engine.uow() as uow:
        request = uow.requests.get_by_reference(cmd.reference, for_update=True)
        uow.messages.add(
            Message(
                id=engine.new_id(),
                request_id=request.id,
                direction=Direction.IN,
                channel=cmd.channel,
                created_at=cmd.received_at,
                subject=cmd.subject,
                text=cmd.text,
                counterpart=cmd.sender,
                external_id=cmd.external_id,
            )
        )
        request.note_message(at=cmd.received_at, channel=cmd.channel, actor=cmd.actor)
        if request.state.is_terminal:
            request.flag_for_staff("a message arrived after the request was closed", at=cmd.received_at)
        uow.commit()
        return request.id


def record_identity(cmd: c.RecordIdentityEvidence, engine: Engine) -> None:
    with engine.uow() as uow:
        request = uow.requests.get_by_reference(cmd.reference, for_update=True)
        request.record_identity(cmd.verified, at=engine.clock.now(), actor=cmd.actor, evidence=cmd.evidence_summary)
        _queue_planning(uow, request)
        uow.commit()


def record_verification_failure(cmd: c.RecordVerificationFailure, engine: Engine) -> None:
    with engine.uow() as uow:
        request = uow.requests.get_by_reference(cmd.reference, for_update=True)
        detail = f"{cmd.failure}: {cmd.detail}" if cmd.detail else str(cmd.failure)
        request.record_verification_failure(
            detail, at=engine.clock.now(), actor=cmd.actor, evidence=cmd.evidence_summary
        )
        facts = VerificationFailedFacts(summarise(request), cmd.failure, int(request.required_tier))
        _queue_reply(uow, engine, request, facts)
        uow.commit()


def flag_for_staff(cmd: c.FlagForStaff, engine: Engine) -> None:
    with engine.uow() as uow:
        request = uow.requests.get_by_reference(cmd.reference, for_update=True)
        request.flag_for_staff(cmd.reason, at=engine.clock.now(), actor=cmd.actor)
        uow.commit()


def extend_deadline(cmd: c.ExtendDeadline, engine: Engine) -> None:
    """Art. 12(3): the notice with reasons is queued in the same transaction as the
    extension, so an extension never exists without its notice."""
    with engine.uow() as uow:
        request = uow.requests.get_by_reference(cmd.reference, for_update=True)
        reasons = "; ".join([*(str(r) for r in cmd.reasons), cmd.explanation]) if cmd.reasons else ""
        request.extend_deadline(
            reasons=reasons, notice_sent_at=engine.clock.now(), calendar=engine.calendar, actor=cmd.actor
        )
        facts = DeadlineExtendedFacts(summarise(request), cmd.reasons, cmd.explanation or None)
        _queue_reply(uow, engine, request, facts)
        uow.commit()


def refuse_request(cmd: c.RefuseRequest, engine: Engine) -> None:
    with engine.uow() as uow:
        request = uow.requests.get_by_reference(cmd.reference, for_update=True)
        facts = RefusalFacts(summarise(request), cmd.reasons, cmd.partial, cmd.explanation)
        written = "; ".join([*(str(r) for r in cmd.reasons), *([cmd.explanation] if cmd.explanation else [])])
        request.refuse(at=engine.clock.now(), reasons=written, actor=cmd.actor)
        _queue_reply(uow, engine, request, facts)
        uow.commit()


def withdraw_request(cmd: c.WithdrawRequest, engine: Engine) -> None:
    with engine.uow() as uow:
        request = uow.requests.get_by_reference(cmd.reference, for_update=True)
        request.withdraw(at=engine.clock.now(), actor=cmd.actor)
        uow.commit()


def complete_request(cmd: c.CompleteRequest, engine: Engine) -> None:
    with engine.uow() as uow:
        request = uow.requests.get_by_reference(cmd.reference, for_update=True)
        if request.state is State.AWAITING_APPROVAL:
            request.resume(at=engine.clock.now(), actor=cmd.actor)
        request.complete(at=engine.clock.now(), actor=cmd.actor, note=cmd.note)
        uow.commit()


def plan_action(cmd: c.PlanAction, engine: Engine) -> str:
    """Queue an action; one that discloses or destroys data waits for approval."""
    with engine.uow() as uow:
        request = uow.requests.get_by_reference(cmd.reference, for_update=True)
        action = Action.plan(
            action_id=engine.new_id(),
            request_id=request.id,
            kind=cmd.kind,
            planned_by=cmd.actor,
            at=engine.clock.now(),
            preview=cmd.preview,
            requested_by=cmd.requested_by,
        )
        uow.actions.add(action)
        if action.kind.needs_approval and request.state is State.IN_PROGRESS:
            request.await_approval(at=engine.clock.now(), actor=cmd.actor)
        if not action.kind.needs_approval:
            uow.jobs.enqueue(jobs.ExecuteAction(action.id), dedupe_key=f"execute:{action.id}")
        uow.commit()
        return action.id


def approve_action(cmd: c.ApproveAction, engine: Engine) -> None:
    """Four-eyes: the approver must not be the planner or requester (enforced by the domain)."""
    with engine.uow() as uow:
        action = uow.actions.get(cmd.action_id, for_update=True)
        action.approve(by=cmd.actor, at=engine.clock.now())
        uow.jobs.enqueue(jobs.ExecuteAction(action.id), dedupe_key=f"execute:{action.id}")
        _resume_if_nothing_waits(uow, engine, action, cmd.actor)
        uow.commit()


def reject_action(cmd: c.RejectAction, engine: Engine) -> None:
    with engine.uow() as uow:
        action = uow.actions.get(cmd.action_id, for_update=True)
        action.reject(by=cmd.actor, at=engine.clock.now(), reason=cmd.reason)
        _resume_if_nothing_waits(uow, engine, action, cmd.actor)
        uow.commit()


def _resume_if_nothing_waits(uow: UnitOfWork, engine: Engine, decided: Action, actor: str) -> None:
    request = uow.requests.get(decided.request_id, for_update=True)
    # The decided action is saved only on commit, so its row still says "awaiting_approval":
    # judge it by the object in hand, the others by their rows.
    others = [a for a in uow.actions.for_request(decided.request_id) if a.id != decided.id]
    waiting = [a for a in others if a.status == "awaiting_approval"]
    if not waiting and request.state is State.AWAITING_APPROVAL:
        request.resume(at=engine.clock.now(), actor=actor)


def send_reply(cmd: c.SendReply, engine: Engine) -> bool:
    """Queue a reply; True when it is held for a staff member to confirm where it goes."""
    with engine.uow() as uow:
        request = uow.requests.get_by_reference(cmd.reference, for_update=True)
        held = _queue_reply(
            uow, engine, request, cmd.facts, actor=cmd.actor, attachments=cmd.attachments, on_file=cmd.on_file
        )
        uow.commit()
    return held


def _queue_reply(
    uow: UnitOfWork,
    engine: Engine,
    request: RightsRequest,
    facts: ReplyFacts,
    *,
    actor: str = "system",
    attachments: tuple[Attachment, ...] = (),
    on_file: tuple[str, ...] = (),
) -> bool:
    """Queue a reply or flag staff (``notices.queue_or_keep``, shared with the Art. 19
    notices). A reply carrying personal data goes only where ``domain.delivery.copy_route``
    allows; returns True when it is held."""
    kind = str(facts.kind)
    rendered = engine.renderer.render(facts.kind, request.language, facts, engine.profile)
    now = engine.clock.now()
    personal = carries_personal_data(request, facts.kind, has_attachments=bool(attachments))
    contact = copy_route(request, on_file) if personal else reply_route(request)
    if isinstance(contact, CopyHeld):
        _hold_copy(request, contact, kind, rendered, attachments, at=now, actor=actor)
        return True
    channel, recipient = contact if contact else (request.channel, None)
    message = outgoing_message(
        engine, request, rendered, kind=kind, channel=channel, recipient=recipient, at=now, attachments=attachments
    )
    if not queue_or_keep(uow, message):
        # Nowhere to send it (e.g. a shop request without an e-mail, or a chat request whose
        # copy of the data has no verified address): staff hand it over.
        why = "no verified e-mail address for" if personal and request.channel is Channel.TELEGRAM else "no contact for"
        request.flag_for_staff(f"{why} the {kind} reply: hand it over in person", at=now, actor=actor)
    request.note_reply(kind, at=now, actor=actor, delivered=recipient is not None)
    return False


def _hold_copy(
    request: RightsRequest,
    held: CopyHeld,
    kind: str,
    rendered: RenderedReplyLike,
    attachments: tuple[Attachment, ...],
    *,
    at: datetime,
    actor: str,
) -> None:
    """Art. 32: keep the rendered reply with the case (no message leaves) until a staff member
    confirms a destination; the flag says where it would have gone and what to choose."""
    waiting = held_copies(request)
    waiting.append(
        {
            "kind": kind,
            "subject": rendered.subject,
            "text": rendered.text,
            "html": rendered.html,
            "attachments": [a.to_json() for a in attachments],
            "sender": held.sender,
            "choices": list(held.choices),
            "held_at": at.isoformat(),
            "reason": held.reason,
        }
    )
    request.details[HELD_COPIES_KEY] = waiting
    request.flag_for_staff(held.reason, at=at, actor=actor)
    request.note_reply(kind, at=at, actor=actor, delivered=False)


def confirm_copy_destination(cmd: c.ConfirmCopyDestination, engine: Engine) -> str:
    """A staff member confirms where the held copies go; they leave at once, and the request
    completes if its work was finished. Returns the confirmed address.

    One staff member suffices (no four-eyes): the choice is among addresses bound to the
    person, or the sender's after checking with the person; who chose what is in the audit
    log (``CopyDestinationConfirmed``, ``four_eyes: false``) and the request's details."""
    with engine.uow() as uow:
        request = uow.requests.get_by_reference(cmd.reference, for_update=True)
        address = choose_destination(request, cmd.address)
        now = engine.clock.now()
        waiting = held_copies(request)
        bound = any(address in item.get("choices", ()) for item in waiting)
        request.details[COPY_DESTINATION_KEY] = {
            "address": address, "confirmed_by": cmd.actor, "confirmed_at": now.isoformat(), "bound": bound,
        }  # fmt: skip
        request.details[HELD_COPIES_KEY] = []
        uow.record(
            Event(
                EventType.COPY_DESTINATION_CONFIRMED,
                now,
                request.id,
                cmd.actor,
                {
                    "address": address,
                    "bound_to_verified_person": bound,
                    "replies": [str(i["kind"]) for i in waiting],
                    "four_eyes": False,
                },
            )
        )
        for item in waiting:
            message = Message(
                id=engine.new_id(),
                request_id=request.id,
                direction=Direction.OUT,
                channel=Channel.EMAIL,
                created_at=now,
                subject=str(item["subject"]),
                text=str(item["text"]),
                html=item.get("html"),
                counterpart=address,
                kind=str(item["kind"]),
                attachments=tuple(Attachment.from_json(a) for a in item.get("attachments", ())),
            )
            uow.queue_outgoing(message, address)
            request.note_reply(str(item["kind"]), at=now, actor=cmd.actor, delivered=True)
        _clear_attention(request, [str(item.get("reason", "")) for item in waiting])
        if _work_finished(uow, request):
            if request.state is State.AWAITING_APPROVAL:
                request.resume(at=now, actor=cmd.actor)
            request.complete(at=now, actor=cmd.actor)
        uow.commit()
    return address


def _clear_attention(request: RightsRequest, reasons: list[str]) -> None:
    """The hold's reason is answered by the confirmation; other reasons stay for staff."""
    if request.attention:
        left = [r for r in request.attention.split("; ") if r not in reasons]
        request.attention = "; ".join(left) or None


def _work_finished(uow: UnitOfWork, request: RightsRequest) -> bool:
    """Complete as the executor would have (``execution.request_finished``), had the copy not
    waited: open, and every right carried out by a done action."""
    if request.state.is_terminal:
        return False
    done = uow.actions.for_request(request.id)
    return bool(done) and request_finished(request, done)
