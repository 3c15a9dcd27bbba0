"""What every console page shares: who is signed in, the language, CSRF, rendering, errors.

Every route goes through :func:`guarded`, which in this order (1) finds the session, sending
anyone without one to the sign-in page, (2) checks the role's permission (403), (3) on POST
checks the CSRF token against the session's (403), then runs the page in a worker thread
(the engine's database work is synchronous) and turns engine errors into HTTP statuses.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs, quote
from zoneinfo import ZoneInfo

from jinja2 import Environment
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from staff.accounts import Session, StaffAccounts
from staff.errors import StaffError
from staff.i18n import DEFAULT_LANGUAGE, LANGUAGES, translator, value_name
from staff.roles import Permission, actor_name, allows
from staff.sign_in_throttle import ThrottlePolicy
from staff.web.client_address import TrustedProxies
from workflows.adapters.console_queries import ConsoleQueries, WeeklyHistory
from workflows.adapters.queries import RequestQueries
from workflows.domain.deadlines import riga_date
from workflows.domain.errors import (
    ActionNotFound,
    FourEyesViolation,
    RequestNotFound,
    WorkflowError,
)
from workflows.service_layer.bus import Engine

log = logging.getLogger(__name__)

SESSION_COOKIE = "rd_session"
LANGUAGE_COOKIE = "rd_lang"
LOGIN_CSRF_COOKIE = "rd_login_csrf"
DEVICE_COOKIE = "rd_device"
"""A browser's device token: a staff member signed in with it before (staff.sign_in_throttle)."""
CSRF_FIELD = "csrf"
MAX_FORM_BYTES = 256 * 1024
RIGA = ZoneInfo("Europe/Riga")


@dataclass(frozen=True)
class ConsoleConfig:
    secure_cookies: bool = True
    """Mark cookies Secure (sent over HTTPS only). Turn off only for plain-HTTP development."""
    session_hours: float = 10.0
    throttle: ThrottlePolicy = field(default_factory=ThrottlePolicy)
    """How fast passwords may be tried (staff.sign_in_throttle)."""
    page_size: int = 50
    trusted_proxies: tuple[str, ...] = ()
    """Addresses or CIDR blocks of the reverse proxies in front of the console: only a request
    whose direct peer is one of them has its client address read from X-Forwarded-For."""


@dataclass
class Console:
    engine: Engine
    queries: RequestQueries
    console_queries: ConsoleQueries
    accounts: StaffAccounts
    config: ConsoleConfig
    templates: Environment
    proxies: TrustedProxies = field(default_factory=TrustedProxies)
    _history: tuple[float, date, WeeklyHistory] | None = field(default=None, repr=False)

    HISTORY_SECONDS = 300.0
    """The weekly chart may be five minutes old; the tiles are always live."""

    def weekly_history(self, today: date) -> WeeklyHistory:
        cached = self._history
        if cached is not None and cached[1] == today and time.monotonic() - cached[0] < self.HISTORY_SECONDS:
            return cached[2]
        history = self.console_queries.weekly_history(today)
        self._history = (time.monotonic(), today, history)
        return history

    def today(self) -> date:
        return riga_date(self.engine.clock.now())


@dataclass
class Ctx:
    """One request as a page sees it."""

    console: Console
    request: Request
    form: Mapping[str, list[str]]
    session: Session | None
    language: str
    cookies_to_set: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    @property
    def base(self) -> str:
        return str(self.request.scope.get("root_path", "")).rstrip("/")

    @property
    def user(self) -> Session:
        if self.session is None:
            raise StaffError("no session")  # guarded() never calls a page that needs one without it
        return self.session

    @property
    def actor(self) -> str:
        return actor_name(self.user.username)

    @property
    def client(self) -> str:
        """The client's address: the direct peer, or behind a trusted proxy the right-most
        X-Forwarded-For hop that is not one of ours (staff.web.client_address)."""
        peer = self.request.client.host if self.request.client else None
        return self.console.proxies.client_of(peer, self.request.headers.getlist("x-forwarded-for"))[:100]

    def field(self, name: str, default: str = "") -> str:
        values = self.form.get(name)
        return values[0].strip() if values else default

    def fields(self, name: str) -> list[str]:
        return [v for v in self.form.get(name, []) if v]

    def query(self, name: str, default: str = "") -> str:
        return self.request.query_params.get(name, default)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def render(self, template: str, *, status: int = 200, **values: Any) -> HTMLResponse:
        page = self.console.templates.get_template(template)
        t = translator(self.language)
        body = page.render(
            t=t,
            v=lambda value: value_name(self.language, str(value)),
            when=_when,
            day=_day,
            url=self.url,
            lang=self.language,
            languages=LANGUAGES,
            user=self.session,
            csrf=self.session.csrf_token if self.session else "",
            can=lambda permission: self.session is not None and allows(self.session.role, Permission(permission)),
            here=self.request.url.path,
            notice=_notice(self.query("done"), t),
            today=self.console.today(),
            **values,
        )
        response = HTMLResponse(body, status_code=status)
        for name, value, options in self.cookies_to_set:
            response.set_cookie(name, value, **options)
        # No caching of personal data by the browser or a proxy; no framing (clickjacking).
        response.headers["Cache-Control"] = "no-store"
        return response

    def redirect(self, path: str, *, done: str | None = None) -> RedirectResponse:
        target = self.url(path)
        if done:
            target += ("&" if "?" in target else "?") + f"done={quote(done)}"
        response = RedirectResponse(target, status_code=303)
        for name, value, options in self.cookies_to_set:
            response.set_cookie(name, value, **options)
        return response

    def cookie_options(self, *, max_age: int | None = None, http_only: bool = True) -> dict[str, Any]:
        return {
            "max_age": max_age,
            "path": self.base or "/",
            "secure": self.console.config.secure_cookies,
            "httponly": http_only,
            "samesite": "strict",
        }


_NOTICES = frozenset({"approved_ok", "rejected_ok", "sent_ok", "extended_ok", "refused_ok", "verified_ok", "saved",
                      "copy_sent_ok"})


def _notice(key: str, t: Callable[..., str]) -> str | None:
    return t(key) if key in _NOTICES else None


def _when(moment: datetime | None) -> str:
    return moment.astimezone(RIGA).strftime("%Y-%m-%d %H:%M") if moment else ""


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def language_of(request: Request) -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE, DEFAULT_LANGUAGE)
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def safe_next(target: str) -> str:
    """Only a path inside the console; never another site (open redirect)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


Page = Callable[[Ctx], Response]


def guarded(console: Console, permission: Permission | None, page: Page) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint that authenticates, authorises and checks CSRF before running ``page``.

    ``permission=None`` marks the sign-in pages: no session needed; their POST checks the
    double-submit CSRF cookie instead.
    """

    async def endpoint(request: Request) -> Response:
        form: dict[str, list[str]] = {}
        if request.method == "POST":
            body = await request.body()
            if len(body) > MAX_FORM_BYTES:
                return Response("form too large", status_code=413)
            form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=500)
        return await run_in_threadpool(_dispatch, console, permission, page, request, form)

    return endpoint


def _dispatch(
    console: Console, permission: Permission | None, page: Page, request: Request, form: dict[str, list[str]]
) -> Response:
    language = language_of(request)
    session = console.accounts.session(request.cookies.get(SESSION_COOKIE, ""))
    ctx = Ctx(console, request, form, session, language)
    if permission is not None:
        if session is None:
            wanted = request.url.path[len(ctx.base) :] or "/"
            if request.url.query and request.method == "GET":
                wanted += "?" + request.url.query
            return ctx.redirect(f"/login?next={quote(wanted)}")
        if not allows(session.role, permission):
            return ctx.render("error.html", status=403, message=translator(language)("forbidden"))
        if request.method == "POST" and not _same(ctx.field(CSRF_FIELD), session.csrf_token):
            log.warning("staff console: CSRF token missing or wrong on %s", request.url.path)
            return ctx.render("error.html", status=403, message=translator(language)("csrf_failed"))
    elif request.method == "POST" and not _same(ctx.field(CSRF_FIELD), request.cookies.get(LOGIN_CSRF_COOKIE, "")):
        return ctx.render("error.html", status=403, message=translator(language)("csrf_failed"))
    try:
        return page(ctx)
    except FourEyesViolation:
        return ctx.render("error.html", status=403, message=translator(language)("four_eyes"))
    except (RequestNotFound, ActionNotFound):
        return ctx.render("error.html", status=404, message=translator(language)("not_found"))
    except WorkflowError as error:
        # Refused transitions and inconsistent facts: the engine's sentence says what is wrong.
        return ctx.render("error.html", status=409, message=f"{translator(language)('error')}: {error}")
    except StaffError as error:
        return ctx.render("error.html", status=400, message=f"{translator(language)('error')}: {error}")


def _same(given: str, expected: str) -> bool:
    return bool(given) and bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def new_login_csrf() -> str:
    return secrets.token_urlsafe(32)
