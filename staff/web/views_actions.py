"""The approval queue and decisions (approver role). Four-eyes is the domain's rule
(``Action.approve``); here a violation becomes a clear message (403)."""

from __future__ import annotations

from starlette.responses import Response

from staff.errors import StaffError
from staff.web.context import Ctx
from workflows.domain.errors import ActionNotFound
from workflows.service_layer import commands as c


def queue(ctx: Ctx) -> Response:
    return ctx.render("queue.html", pending=ctx.console.console_queries.pending_actions())


def _reference(ctx: Ctx, action_id: str) -> str:
    reference = ctx.console.console_queries.action_reference(action_id)
    if reference is None:
        raise ActionNotFound(f"no action {action_id}", action_id=action_id)
    return reference


def approve(ctx: Ctx) -> Response:
    action_id = ctx.request.path_params["action_id"]
    reference = _reference(ctx, action_id)
    ctx.console.engine.handle(c.ApproveAction(action_id, actor=ctx.actor))
    return ctx.redirect(f"/requests/{reference}", done="approved_ok")


def reject(ctx: Ctx) -> Response:
    action_id = ctx.request.path_params["action_id"]
    reference = _reference(ctx, action_id)
    reason = ctx.field("reason")[:2000]
    if not reason:
        raise StaffError("a rejection needs a reason")
    ctx.console.engine.handle(c.RejectAction(action_id, actor=ctx.actor, reason=reason))
    return ctx.redirect(f"/requests/{reference}", done="rejected_ok")
