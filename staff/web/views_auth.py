"""Signing in and out, and the language switch."""

from __future__ import annotations

from starlette.responses import Response

from staff.errors import LockedOut, SignInRefused
from staff.i18n import LANGUAGES, translator
from staff.web.context import (
    LANGUAGE_COOKIE,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Ctx,
    new_login_csrf,
    safe_next,
)


def login_form(ctx: Ctx, *, error: str | None = None, status: int = 200) -> Response:
    token = ctx.request.cookies.get(LOGIN_CSRF_COOKIE) or new_login_csrf()
    ctx.cookies_to_set.append((LOGIN_CSRF_COOKIE, token, ctx.cookie_options(max_age=3600)))
    return ctx.render(
        "login.html",
        status=status,
        login_csrf=token,
        error=error,
        next=safe_next(ctx.query("next", "/")),
        username=ctx.field("username"),
    )


def login(ctx: Ctx) -> Response:
    t = translator(ctx.language)
    try:
        session = ctx.console.accounts.sign_in(ctx.field("username"), ctx.field("password"), client=ctx.client)
    except LockedOut as locked:
        minutes = max(1, (locked.retry_after_seconds + 59) // 60)
        return login_form(ctx, error=t("locked_out", minutes=minutes), status=429)
    except SignInRefused:
        return login_form(ctx, error=t("wrong_password"), status=401)
    max_age = int((session.expires_at - ctx.console.engine.clock.now()).total_seconds())
    ctx.cookies_to_set.append((SESSION_COOKIE, session.token, ctx.cookie_options(max_age=max_age)))
    return ctx.redirect(safe_next(ctx.field("next", "/")))


def logout(ctx: Ctx) -> Response:
    ctx.console.accounts.sign_out(ctx.user.token, client=ctx.client)
    ctx.cookies_to_set.append((SESSION_COOKIE, "", ctx.cookie_options(max_age=0)))
    return ctx.redirect("/login")


def switch_language(ctx: Ctx) -> Response:
    """A cookie only: changes nothing on the server, so a plain link (GET) is fine."""
    code = ctx.request.path_params.get("code", "")
    if code in LANGUAGES:
        ctx.cookies_to_set.append((LANGUAGE_COOKIE, code, ctx.cookie_options(max_age=365 * 86400)))
    return ctx.redirect(safe_next(ctx.query("next", "/")))
