"""The engine: one object that holds the collaborators and dispatches commands.

Entrypoints (mail intake, bot, staff console, CLI, worker) build nothing themselves:
``rightsdesk.bootstrap`` builds an :class:`Engine` and they call :meth:`Engine.handle`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from workflows.domain.calendar import HolidayCalendar
from workflows.domain.identity import IdentityTier
from workflows.domain.profile import ControllerProfile
from workflows.domain.replies import ReplyKind
from workflows.domain.rights import Language, Right
from workflows.service_layer import commands as c
from workflows.service_layer import handlers, maintenance
from workflows.service_layer.ports import Clock, UnitOfWork


class RenderedReplyLike(Protocol):
    @property
    def subject(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def html(self) -> str: ...


class ReplyRenderer(Protocol):
    def render(self, kind: ReplyKind, language: Language, facts: Any, profile: ControllerProfile) -> RenderedReplyLike:
        """Subject, text and HTML of reply ``kind`` in ``language`` (workflows.adapters.replies)."""
        ...


def _new_id() -> str:
    return uuid.uuid4().hex


@dataclass
class Engine:
    uow: Callable[[], UnitOfWork]
    clock: Clock
    calendar: HolidayCalendar
    profile: ControllerProfile
    renderer: ReplyRenderer
    staff_language: Language = Language.LV
    reminder_days: tuple[int, ...] = (14, 3)
    staff_alert_address: str | None = None
    new_id: Callable[[], str] = field(default=_new_id)

    def required_tier(self, rights: Iterable[Right]) -> IdentityTier:
        """The strongest tier any asked right needs (Art. 12(6), profile identity tiers)."""
        tiers = [self.profile.identity.tier_for(right) for right in rights]
        return IdentityTier(max(tiers, default=int(IdentityTier.NONE)))

    def handle(self, command: object) -> Any:
        handler = _HANDLERS.get(type(command))
        if handler is None:
            raise TypeError(f"no handler for {type(command).__name__}")
        return handler(command, self)


_HANDLERS: dict[type, Callable[[Any, Engine], Any]] = {
    c.OpenRequest: handlers.open_request,
    c.StoreInboundEmail: handlers.store_inbound_email,
    c.ReceiveMessage: handlers.receive_message,
    c.RecordIdentityEvidence: handlers.record_identity,
    c.RecordVerificationFailure: handlers.record_verification_failure,
    c.FlagForStaff: handlers.flag_for_staff,
    c.ExtendDeadline: handlers.extend_deadline,
    c.RefuseRequest: handlers.refuse_request,
    c.WithdrawRequest: handlers.withdraw_request,
    c.CompleteRequest: handlers.complete_request,
    c.PlanAction: handlers.plan_action,
    c.ApproveAction: handlers.approve_action,
    c.RejectAction: handlers.reject_action,
    c.SendReply: handlers.send_reply,
    c.ConfirmCopyDestination: handlers.confirm_copy_destination,
    c.ScanDeadlines: maintenance.scan_deadlines,
    c.PurgeClosedCases: maintenance.purge_closed_cases,
}
