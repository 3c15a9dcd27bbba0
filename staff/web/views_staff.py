"""Staff accounts (admin role): list, add, disable, set a new password."""

from __future__ import annotations

from starlette.responses import Response

from staff.roles import Role
from staff.web.context import Ctx


def staff_list(ctx: Ctx) -> Response:
    return ctx.render(
        "staff.html",
        people=ctx.console.accounts.everyone(),
        roles=list(Role),
        audit=ctx.console.accounts.recent_audit(50),
    )


def staff_add(ctx: Ctx) -> Response:
    role = Role(ctx.field("role")) if ctx.field("role") in set(Role) else Role.AGENT
    ctx.console.accounts.add(
        ctx.field("username"),
        role,
        ctx.field("password"),
        display_name=ctx.field("display_name") or None,
        by=ctx.user.username,
    )
    return ctx.redirect("/staff", done="saved")


def staff_disable(ctx: Ctx) -> Response:
    ctx.console.accounts.disable(ctx.request.path_params["username"], by=ctx.user.username)
    return ctx.redirect("/staff", done="saved")


def staff_reset(ctx: Ctx) -> Response:
    ctx.console.accounts.reset(ctx.request.path_params["username"], ctx.field("password"), by=ctx.user.username)
    return ctx.redirect("/staff", done="saved")
