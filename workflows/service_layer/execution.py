"""Execution: carry out an approved action, record what it did, answer the person.

The ``execute_action`` job (``jobs.ExecuteAction``) is queued when an action is
approved, or at once for a marketing objection or consent withdrawal. It:

1. locks the action row (``FOR UPDATE``; SQLite has one writer) and does nothing unless the
   action is ``approved`` -- running an executed action again changes nothing, and of two
   workers holding the same job the second finds it ``done``;
2. waits while an export of the same request is still pending before erasing (the copy is
   taken first; the export's completion re-queues the erasure);
3. runs it in the controller's databases (one transaction per database, idempotent
   statements: ``ControllerData.execute``);
4. marks it done with counts per table (the audit log's ``ActionExecuted`` event), or
   failed -- flagged for staff -- when it cannot run as it stands (a permanent error);
5. queues Art. 19 notices to recipients after rectification, erasure or restriction
   (``notices.queue_recipient_notices``);
6. queues the reply with the facts (``SendReply``) and completes the request when its last
   action is done (``CompleteRequest``). An export's reply carries the copy, so it is sent
   with the e-mail addresses on file for the verified person (``ContactsOnFile``): the copy
   goes only to an address bound to that person, else it is held for staff to confirm
   (``domain.delivery``) and the request completes once they have.

All of it joins the job's transaction, so the job, the action, the events and the outbox
commit together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from workflows.domain.actions import Action, ActionKind, ActionStatus
from workflows.domain.delivery import copy_delivery, held_copies
from workflows.domain.errors import WorkflowError
from workflows.domain.messages import Attachment
from workflows.domain.plans import ExecutionOutcome, KeptRows
from workflows.domain.replies import (
    AccessFacts,
    CopyDelivery,
    ErasureFacts,
    FieldChange,
    KeptRecord,
    ObjectionFacts,
    RectificationFacts,
    ReplyFacts,
    RestrictionFacts,
    RestrictionGround,
)
from workflows.domain.request import RightsRequest
from workflows.domain.rights import Right
from workflows.service_layer import commands as c
from workflows.service_layer.jobs import ExecuteAction, JobRegistry, PlanRequest
from workflows.service_layer.notices import RecipientAddresses, queue_recipient_notices
from workflows.service_layer.planning import ControllerData, plan_request, verified_identifiers
from workflows.service_layer.ports import UnitOfWork
from workflows.service_layer.summaries import summarise

if TYPE_CHECKING:
    from workflows.service_layer.bus import Engine

EXECUTOR = "system:executor"
EXPORT_KINDS = (ActionKind.EXPORT, ActionKind.PORTABLE_EXPORT)
RESTRICTION_GROUND_KEY = "restriction_ground"
"""``request.details[RESTRICTION_GROUND_KEY]``: an Art. 18(1) ground; default: accuracy contested."""

_ART19_RIGHT: Mapping[ActionKind, Right] = {
    ActionKind.RECTIFY: Right.RECTIFICATION,
    ActionKind.ERASE: Right.ERASURE,
    ActionKind.RESTRICT: Right.RESTRICTION,
}

SEALED_PACKAGE_TYPE = "application/vnd.etsi.asic-e+zip"


class ContactsOnFile(Protocol):
    """The e-mail addresses the controller holds for a person, found from the VERIFIED
    identifiers through the data map (``adapters.connectors.contacts_on_file``)."""

    def emails_on_file(self, identifiers: Mapping[str, str]) -> tuple[str, ...]: ...


def execute_action(
    job: ExecuteAction,
    uow: UnitOfWork,
    engine: Engine,
    data: ControllerData,
    addresses: RecipientAddresses,
    contacts: ContactsOnFile | None = None,
) -> None:
    """Job handler: execute one approved action exactly once (see the module docstring)."""
    with engine.uow() as joined:
        action = joined.actions.get(job.action_id, for_update=True)
        if action.status is not ActionStatus.APPROVED:
            return  # done, rejected, failed or not yet approved: nothing to do
        request = joined.requests.get(action.request_id)
        others = [a for a in joined.actions.for_request(request.id) if a.id != action.id]
        if action.kind is ActionKind.ERASE and any(_pending(a) for a in others if a.kind in EXPORT_KINDS):
            return  # the copy is taken first; the export's completion queues this again
        now = engine.clock.now()
        # Read before the action runs: an erasure or rectification may change the very address
        # on file that the outcome reply is bound to (``domain.delivery``).
        on_file = _emails_on_file(contacts, request)
        try:
            outcome = data.execute(action, request, verified_identifiers(request), now=now)
        except WorkflowError as error:
            if not error.permanent:
                raise  # the job is retried with back-off
            # Nothing was committed in the controller's databases: staff see why and retry.
            action.mark_failed(at=now, error=f"{type(error).__name__}: {error}")
            engine.handle(c.FlagForStaff(request.reference, f"{action.kind} failed: {type(error).__name__}"))
            joined.commit()
            return
        action.mark_done(at=now, result=outcome.result)
        notified: tuple[str, ...] = ()
        right = _ART19_RIGHT.get(action.kind)
        if right is not None and outcome.notify:
            queue_recipient_notices(
                joined,
                engine,
                request,
                action=right,
                recipients=outcome.notify,
                subject_reference=outcome.subject_reference or request.reference,
                addresses=addresses,
                categories=outcome.categories,
                changes=_field_changes(outcome),
            )
            notified = outcome.notify
        facts = reply_facts(action, request, outcome, notified)
        held = engine.handle(
            c.SendReply(
                request.reference, facts, actor=EXECUTOR, attachments=package_attachments(outcome), on_file=on_file
            )
        )
        if action.kind in EXPORT_KINDS:
            for waiting in others:
                if waiting.kind is ActionKind.ERASE and waiting.status is ActionStatus.APPROVED:
                    joined.jobs.enqueue(ExecuteAction(waiting.id), dedupe_key=f"execute:{waiting.id}:after-export")
        # A copy still waiting for staff to confirm its destination keeps the request open:
        # the confirmation completes it (``handlers.confirm_copy_destination``).
        copy_waits = bool(held) or bool(held_copies(joined.requests.get(request.id)))
        if not copy_waits and request_finished(request, [action, *others]):
            engine.handle(c.CompleteRequest(request.reference, actor=EXECUTOR))
        joined.commit()


def _emails_on_file(contacts: ContactsOnFile | None, request: RightsRequest) -> tuple[str, ...]:
    identifiers = verified_identifiers(request)
    if contacts is None or not identifiers:
        return ()
    return contacts.emails_on_file(identifiers)


def _pending(action: Action) -> bool:
    return action.status in (ActionStatus.AWAITING_APPROVAL, ActionStatus.APPROVED, ActionStatus.FAILED)


def request_finished(request: RightsRequest, actions: Sequence[Action]) -> bool:
    """Complete when every right has an action and all of them are done; a rejected action or
    an unplanned right leaves the request to staff (a refusal needs their reasons)."""
    if request.state.is_terminal or any(a.status is not ActionStatus.DONE for a in actions):
        return False
    covered = {str(a.preview.get("right")) for a in actions}
    return {str(r) for r in request.rights} <= covered


def _field_changes(outcome: ExecutionOutcome) -> tuple[FieldChange, ...]:
    seen: dict[tuple[str, str], FieldChange] = {}
    for change in outcome.changes:
        seen.setdefault((change.field, change.old or ""), FieldChange(change.field, change.old or "", change.new))
    return tuple(seen.values())


def kept_records(kept: Sequence[KeptRows]) -> tuple[KeptRecord, ...]:
    """One kept record per retention rule, until the latest date of its rows (Art. 17(3)(b))."""
    until: dict[str, date] = {}
    for rows in kept:
        until[rows.retention_rule] = max(until.get(rows.retention_rule, rows.until), rows.until)
    return tuple(KeptRecord(until=day, retention_rule=rule) for rule, day in sorted(until.items()))


def package_attachments(outcome: ExecutionOutcome) -> tuple[Attachment, ...]:
    """The copy the person receives: the sealed container when there is one (it holds the
    package unchanged, eIDAS Art. 35(2)), else the package itself."""
    package = outcome.package
    if package is None:
        return ()
    chosen = package.sealed or package
    content_type = SEALED_PACKAGE_TYPE if package.sealed is not None else "application/zip"
    return (Attachment(chosen.path, Path(chosen.path).name, content_type, chosen.sha256, chosen.size),)


def reply_facts(
    action: Action, request: RightsRequest, outcome: ExecutionOutcome, notified: tuple[str, ...]
) -> ReplyFacts:
    summary = summarise(request)
    kind = action.kind
    if kind in EXPORT_KINDS:
        sealed = outcome.package is not None and outcome.package.sealed is not None
        delivery = (
            CopyDelivery(copy_delivery(request), formats=("JSON", "CSV", "HTML"), sealed=sealed)
            if outcome.data_found
            else None
        )
        return AccessFacts(
            summary,
            data_found=outcome.data_found,
            categories=outcome.categories,
            purposes=outcome.purposes,
            recipients=outcome.recipients,
            retention_rules=outcome.retention_rules,
            sources=outcome.sources,
            delivery=delivery,
        )
    if kind is ActionKind.ERASE:
        return ErasureFacts(summary, outcome.categories, kept=kept_records(outcome.kept), notified_recipients=notified)
    if kind is ActionKind.RECTIFY:
        return RectificationFacts(summary, _field_changes(outcome), notified_recipients=notified)
    if kind is ActionKind.RESTRICT:
        raw = request.details.get(RESTRICTION_GROUND_KEY)
        known = {g.value for g in RestrictionGround}
        ground = RestrictionGround(raw) if raw in known else RestrictionGround.ACCURACY_CONTESTED
        return RestrictionFacts(summary, ground, outcome.categories, notified_recipients=notified)
    return ObjectionFacts(summary, outcome.purposes)


def register_execution_jobs(
    registry: JobRegistry,
    data: ControllerData,
    addresses: RecipientAddresses,
    contacts: ContactsOnFile | None = None,
    *,
    replace: bool = False,
) -> None:
    """Register the ``plan_request`` and ``execute_action`` handlers for ``data``.

    Without ``contacts`` no address on file is known, so an e-mail request's copy goes at once
    only when the sender's address is the verified one (else staff confirm it)."""

    def plan(job: PlanRequest, uow: UnitOfWork, engine: Engine) -> None:
        plan_request(job, uow, engine, data)

    def execute(job: ExecuteAction, uow: UnitOfWork, engine: Engine) -> None:
        execute_action(job, uow, engine, data, addresses, contacts)

    registry.register(PlanRequest, plan, replace=replace)
    registry.register(ExecuteAction, execute, replace=replace)
