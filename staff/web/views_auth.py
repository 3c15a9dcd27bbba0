"""Signing in and out, and the language switch."""

from __future__ import annotations

from starlette.responses import Response

from staff.errors import LockedOut, SignInRefused
from staff.i18n import LANGUAGES, translator
from staff.web.context import (
    DEVICE_COOKIE,
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


DEVICE_COOKIE_DAYS = 90
"""As long as ``ThrottlePolicy.recognised_for``: the browser stays recognised while it is used."""


def login(ctx: Ctx) -> Response:
    t = translator(ctx.language)
    try:
        session = ctx.console.accounts.sign_in(
            ctx.field("username"),
            ctx.field("password"),
            client=ctx.client,
            device_token=ctx.request.cookies.get(DEVICE_COOKIE, ""),
        )
    except LockedOut as locked:
        return _slowed_down(ctx, locked)
    except SignInRefused:
        return login_form(ctx, error=t("wrong_password"), status=401)
    max_age = int((session.expires_at - ctx.console.engine.clock.now()).total_seconds())
    ctx.cookies_to_set.append((SESSION_COOKIE, session.token, ctx.cookie_options(max_age=max_age)))
    if session.device_token:
        ctx.cookies_to_set.append(
            (DEVICE_COOKIE, session.device_token, ctx.cookie_options(max_age=DEVICE_COOKIE_DAYS * 86400))
        )
    return ctx.redirect(safe_next(ctx.field("next", "/")))


def _slowed_down(ctx: Ctx, locked: LockedOut) -> Response:
    """429 with Retry-After (RFC 6585 §4, RFC 9110 §10.2.3) and a sentence saying why and how long."""
    t = translator(ctx.language)
    seconds = locked.retry_after_seconds
    wait = t("wait_seconds", seconds=seconds) if seconds < 120 else t("wait_minutes", minutes=(seconds + 59) // 60)
    key = "slowed_account" if locked.fields.get("by") == "account" else "slowed_address"
    response = login_form(ctx, error=t(key, wait=wait), status=429)
    response.headers["Retry-After"] = str(seconds)
    return response


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
