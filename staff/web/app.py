"""Build the staff console as a Starlette app from plain dependencies.

Mount it in ``rightsdesk.serve.build_http_app``::

    from starlette.routing import Mount
    from staff.web.app import build_console, ConsoleConfig
    console = build_console(engine=app.engine, database=app.database, reader=app.reader,
                            config=ConsoleConfig(secure_cookies=<served over HTTPS>))
    Starlette(routes=[Route("/healthz", ...), Route("/metrics", ...), Mount("/", app=console)])

(or ``Mount("/console", app=console)``: every link and cookie follows the mount path).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import Engine as SqlEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from staff.accounts import StaffAccounts
from staff.passwords import Passwords
from staff.roles import Permission
from staff.web import views_actions, views_auth, views_requests, views_staff, views_work
from staff.web.client_address import TrustedProxies
from staff.web.context import Console, ConsoleConfig, Page, guarded
from workflows.adapters.console_queries import ConsoleQueries
from workflows.adapters.queries import RequestQueries
from workflows.service_layer.bus import Engine

__all__ = ["ROUTES", "ConsoleConfig", "build_console"]

STAFF_DIR = Path(__file__).resolve().parents[1]

VIEW, HANDLE, APPROVE, MANAGE = Permission.VIEW, Permission.HANDLE, Permission.APPROVE, Permission.MANAGE_STAFF

ROUTES: tuple[tuple[str, str, Permission | None, Page], ...] = (
    ("GET", "/login", None, views_auth.login_form),
    ("POST", "/login", None, views_auth.login),
    ("GET", "/lang/{code}", None, views_auth.switch_language),
    ("POST", "/logout", VIEW, views_auth.logout),
    ("GET", "/", VIEW, views_requests.dashboard),
    ("GET", "/requests", VIEW, views_requests.request_list),
    ("GET", "/requests/{reference}", VIEW, views_requests.request_page),
    ("GET", "/requests/{reference}/reply", HANDLE, views_work.reply_editor),
    ("POST", "/requests/{reference}/reply", HANDLE, views_work.send_reply),
    ("GET", "/requests/{reference}/extend", HANDLE, views_work.extend_form),
    ("POST", "/requests/{reference}/extend", HANDLE, views_work.extend),
    ("GET", "/requests/{reference}/refuse", HANDLE, views_work.refuse_form),
    ("POST", "/requests/{reference}/refuse", HANDLE, views_work.refuse),
    ("GET", "/requests/{reference}/verify", HANDLE, views_work.verify_form),
    ("POST", "/requests/{reference}/verify", HANDLE, views_work.verify),
    ("POST", "/requests/{reference}/copy-destination", HANDLE, views_requests.confirm_copy_destination),
    ("GET", "/intake", HANDLE, views_work.intake_form),
    ("POST", "/intake", HANDLE, views_work.intake),
    ("GET", "/queue", VIEW, views_actions.queue),
    ("POST", "/actions/{action_id}/approve", APPROVE, views_actions.approve),
    ("POST", "/actions/{action_id}/reject", APPROVE, views_actions.reject),
    ("GET", "/staff", MANAGE, views_staff.staff_list),
    ("POST", "/staff", MANAGE, views_staff.staff_add),
    ("POST", "/staff/{username}/disable", MANAGE, views_staff.staff_disable),
    ("POST", "/staff/{username}/reset", MANAGE, views_staff.staff_reset),
)
"""Every route: method, path, the permission it needs (None: open to anyone), the page."""


class _SecurityHeaders:
    """Headers on every response: no framing, no sniffing, no referrer leaks, scripts only from us."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (
                        b"content-security-policy",
                        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
                        b" form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
                    ),
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(STAFF_DIR / "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["describe"] = views_requests.describe_value
    env.globals["columns_of"] = views_requests.columns_of
    return env


def build_console(
    *,
    engine: Engine,
    database: SqlEngine,
    reader: SqlEngine,
    config: ConsoleConfig | None = None,
    passwords: Passwords | None = None,
) -> Starlette:
    """The console as an ASGI app: ``database`` for staff accounts and sessions, ``reader``
    for the pages' queries, ``engine`` for every command staff issue."""
    config = config or ConsoleConfig()
    accounts = StaffAccounts(
        database,
        engine.clock.now,
        passwords=passwords,
        throttle=config.throttle,
        session_lifetime=timedelta(hours=config.session_hours),
        reader=reader,
    )
    console = Console(
        engine=engine,
        queries=RequestQueries(reader),
        console_queries=ConsoleQueries(reader),
        accounts=accounts,
        config=config,
        templates=templates(),
        proxies=TrustedProxies.parse(config.trusted_proxies),
    )
    routes: list[BaseRoute] = []
    by_path: dict[str, list[tuple[str, Permission | None, Page]]] = {}
    for method, path, permission, page in ROUTES:
        by_path.setdefault(path, []).append((method, permission, page))
    for path, handlers in by_path.items():
        for method, permission, page in handlers:
            routes.append(Route(path, guarded(console, permission, page), methods=[method]))
    routes.append(Mount("/static", app=StaticFiles(directory=STAFF_DIR / "static"), name="static"))
    app = Starlette(routes=routes, middleware=[Middleware(_SecurityHeaders)])
    app.state.console = console
    return app
