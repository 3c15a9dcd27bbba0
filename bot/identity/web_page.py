"""The request's identity page: how an e-mail requester proves identity without a QES.

The identity letter of a request made by e-mail (or through staff) links to this page of the
web service. There the person logs in with eID (the same OpenID Connect flow as the chat,
:meth:`~bot.identity.oidc.OidcRoute.start_for_web`) or asks for a one-time code, which goes
only to a contact ON FILE for the customer the request is about
(:class:`~bot.identity.customers.CustomerDirectory`, the same rules as the chat's code route),
and enters it here. No address typed by the visitor is ever used: the form has no such field,
and anything posted besides the code is ignored (GDPR Art. 12(6); EDPB Guidelines 01/2022
¶¶69-70: a code or link to contact details already on file).

The link is a capability bound to one request (:mod:`bot.identity.page_links`):
``<reference>.<expiry>.<HMAC-SHA256>`` under ``[identity] secret`` (RFC 2104), valid for
30 days. A changed reference or expiry breaks the HMAC; an expired link says so. The
capability only lets its holder *try* the routes: the code still has to reach the contact on
file, and the eID login still has to be the person the request is about; holding the letter
proves nothing by itself (the letter goes to the ``From:`` address, which anyone can type).

Pressing "eID" sets a fresh random cookie (:data:`~bot.identity.oidc.BROWSER_COOKIE`;
HttpOnly, SameSite=Lax, Path=/identity, Secure on https) and binds the login to it: the
callback refuses the login in any other browser, so whoever holds the letter cannot forward
the provider's link to the person the request claims to be and have her login confirm it.

The page names the reference and nothing else about the person. Its forms carry a CSRF token
bound to a random per-browser cookie (signed double submit; SameSite=Strict), and its
responses are never cached, never framed and send no referrer (the capability is in the
address). Every outcome is a plain sentence with what to do next, in Latvian, English or
Russian (:mod:`bot.identity.web_page_texts`).
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import logging
import secrets
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.identity import web_page_texts as texts
from bot.identity.cases import CaseView, load_any_case
from bot.identity.oidc import BROWSER_COOKIE
from bot.identity.one_time_code import code_shaped
from bot.identity.outcome import Outcome, OutcomeStatus
from bot.identity.page_links import LINK_LIFETIME, PAGE_PATH, LinkStatus, PageLinkReading, PageLinks
from workflows.domain.deadlines import RIGA, riga_date
from workflows.domain.identity import IdentityTier

if TYPE_CHECKING:
    from workflows.service_layer.bus import Engine

log = logging.getLogger(__name__)

CSRF_COOKIE = "rd_identity_page"
_EID_COOKIE_SECONDS = 3600  # longer than any login link lives
_MAX_FORM_BYTES = 4096
_LANGUAGE_LABELS = (("lv", "Latviski"), ("en", "English"), ("ru", "По-русски"))


class PageCodes(Protocol):
    """The one-time code route (:class:`~bot.identity.one_time_code.OneTimeCodeRoute`) for a
    case this page has loaded itself; ``requester`` scopes rate limits and pauses like a chat."""

    def send_for_case(self, case: CaseView, requester: str, *, entered_on: str = "chat") -> Outcome: ...

    def check_for_case(self, case: CaseView, requester: str, entered: str) -> Outcome: ...


class EidStart(Protocol):
    """``OidcRoute.start_for_web``: a login link for the request, with no chat involved,
    bound to the browser whose :data:`~bot.identity.oidc.BROWSER_COOKIE` is ``browser``."""

    def __call__(self, reference: str, *, browser: str) -> Awaitable[Outcome]: ...


@dataclass
class _View:
    """What one rendering of the page shows."""

    lang: str
    reference: str | None = None
    message: str | None = None
    tone: str = "problem"
    offer_forms: bool = False
    code_entry: bool = False
    status: int = 200


class IdentityPage:
    """The Starlette routes of the page; blocking engine calls run in worker threads."""

    def __init__(
        self,
        engine: Engine,
        links: PageLinks,
        *,
        codes: PageCodes | None = None,
        start_eid: EidStart | None = None,
        secure_cookies: bool = True,
        code_digits: int = 6,
    ) -> None:
        self._engine = engine
        self._links = links
        self._codes = codes
        self._start_eid = start_eid
        self._secure = secure_cookies
        self._digits = code_digits
        self._templates = Environment(
            loader=FileSystemLoader(str(Path(__file__).resolve().parent)),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def routes(self) -> list[BaseRoute]:
        return [
            Route(PAGE_PATH + "/{token}", self._show, methods=["GET"]),
            Route(PAGE_PATH + "/{token}/eid", self._eid, methods=["POST"]),
            Route(PAGE_PATH + "/{token}/code", self._send_code, methods=["POST"]),
            Route(PAGE_PATH + "/{token}/check", self._check_code, methods=["POST"]),
        ]

    # -- the routes ---------------------------------------------------------------------

    async def _show(self, request: Request) -> Response:
        opened = await self._open(request, request.query_params.get("lang"))
        if isinstance(opened, _View):
            return self._render(request, opened)
        case, view = opened
        return self._render(request, view, case)

    async def _eid(self, request: Request) -> Response:
        opened = await self._open_form(request)
        if isinstance(opened, _View):
            return self._render(request, opened)
        case, view = opened
        if self._start_eid is None:
            return self._render(request, self._say(view, "no_route"), case)
        browser = secrets.token_urlsafe(32)
        outcome = await self._start_eid(case.reference, browser=browser)
        if outcome.status is OutcomeStatus.LINK_CREATED and outcome.url:
            response = RedirectResponse(outcome.url, status_code=303)
            _no_store(response)
            # Lax, not Strict: the provider's redirect back to the callback is a cross-site
            # top-level GET, which must carry it. Path=/identity covers the callback.
            response.set_cookie(BROWSER_COOKIE, browser, max_age=_EID_COOKIE_SECONDS, path="/identity",
                                secure=self._secure, httponly=True, samesite="lax")
            return response
        return self._render(request, self._outcome(view, outcome), case)

    async def _send_code(self, request: Request) -> Response:
        opened = await self._open_form(request)
        if isinstance(opened, _View):
            return self._render(request, opened)
        case, view = opened
        codes = self._codes
        if codes is None or case.required_tier > IdentityTier.CONTACT_ON_FILE:
            return self._render(request, self._say(view, "no_route"), case)
        outcome = await asyncio.to_thread(
            functools.partial(codes.send_for_case, case, _requester(case), entered_on="web")
        )
        return self._render(request, self._outcome(view, outcome), case)

    async def _check_code(self, request: Request) -> Response:
        opened = await self._open_form(request)
        if isinstance(opened, _View):
            return self._render(request, opened)
        case, view = opened
        codes = self._codes
        if codes is None or case.required_tier > IdentityTier.CONTACT_ON_FILE:
            return self._render(request, self._say(view, "no_route"), case)
        form = await _read_form(request)
        entered = form.get("code", "")[:40]
        if code_shaped(entered, self._digits) is None:  # not an attempt: counts against nothing
            view.code_entry = True
            return self._render(request, self._say(view, "not_a_code", digits=self._digits), case)
        outcome = await asyncio.to_thread(codes.check_for_case, case, _requester(case), entered)
        return self._render(request, self._outcome(view, outcome), case)

    # -- opening the capability -----------------------------------------------------------

    async def _open(self, request: Request, wanted_language: str | None) -> tuple[CaseView, _View] | _View:
        reading = self._links.read(request.path_params["token"])
        lang = texts.page_language(wanted_language)
        if reading.status is LinkStatus.INVALID or reading.reference is None:
            log.warning("identity page opened with an invalid link")
            return _View(lang, message=texts.say(lang, "link_invalid"), status=403)
        if reading.status is LinkStatus.EXPIRED:
            log.info("identity page opened with an expired link for %s", reading.reference)
            return _View(lang, reference=reading.reference, message=texts.say(lang, "link_expired"), status=410)
        case = await asyncio.to_thread(load_any_case, self._engine, reading.reference)
        if case is None:
            return _View(lang, message=texts.say(lang, "not_found"), status=404)
        lang = texts.page_language(wanted_language, str(case.language))
        view = _View(lang, reference=case.reference, offer_forms=True)
        if case.state.is_terminal:
            return case, self._say(view, "closed", forms=False)
        if case.identity_sufficient:
            return case, self._say(view, "not_needed", tone="ok", forms=False)
        return case, view

    async def _open_form(self, request: Request) -> tuple[CaseView, _View] | _View:
        form = await _read_form(request)
        opened = await self._open(request, form.get("lang") or None)
        if isinstance(opened, _View):
            return opened
        case, view = opened
        browser = request.cookies.get(CSRF_COOKIE, "")
        sent = form.get("csrf", "")
        expected = self._links.form_token(browser, case.reference) if browser else ""
        if not browser or not hmac.compare_digest(expected.encode(), sent.encode()):
            log.warning("identity page form for %s refused: CSRF token missing or wrong", case.reference)
            return _View(view.lang, reference=case.reference, message=texts.say(view.lang, "form_expired"), status=403)
        if not view.offer_forms:  # closed or already verified: say so, do nothing
            return _View(view.lang, reference=case.reference, message=view.message, tone=view.tone)
        return case, view

    # -- outcomes -------------------------------------------------------------------------

    def _say(self, view: _View, key: str, *, tone: str = "problem", forms: bool = True, **values: Any) -> _View:
        reference = view.reference or ""
        view.message = texts.say(view.lang, key, reference=reference, **values)
        view.tone = tone
        view.offer_forms = view.offer_forms and forms
        return view

    def _outcome(self, view: _View, outcome: Outcome) -> _View:
        """One plain sentence per outcome of the routes, with what to do next."""
        status = outcome.status
        if status is OutcomeStatus.VERIFIED:
            return self._say(view, "verified", tone="ok", forms=False)
        if status is OutcomeStatus.NOT_NEEDED:
            return self._say(view, "not_needed", tone="ok", forms=False)
        if status is OutcomeStatus.CLOSED:
            return self._say(view, "closed", forms=False)
        if status in (OutcomeStatus.CODE_SENT, OutcomeStatus.NO_CONTACT_ON_FILE):
            # One sentence whether or not a contact is on file: the page must not tell whoever
            # holds the letter if the person named is a customer, or how we reach her (Art. 5(1)(f)).
            view.code_entry = True
            return self._say(view, "code_sent.maybe", tone="ok")
        if status is OutcomeStatus.CODE_WRONG:
            left = outcome.attempts_left or 0
            view.code_entry = left > 0
            if left > 0:
                return self._say(view, "code_wrong", attempts_left=left)
            return self._say(view, "code_wrong.last")
        if status is OutcomeStatus.CODE_EXPIRED:
            return self._say(view, "code_expired")
        if status in (OutcomeStatus.LOCKED, OutcomeStatus.RATE_LIMITED):
            key = "locked" if status is OutcomeStatus.LOCKED else "rate_limited"
            return self._say(view, key, retry_after=self._clock_time(outcome.retry_after))
        if status is OutcomeStatus.INSUFFICIENT_ROUTE:
            return self._say(view, "insufficient")
        if status is OutcomeStatus.NOT_FOUND:
            return self._say(view, "not_found", forms=False)
        return self._say(view, "unavailable")

    def _clock_time(self, moment: datetime | None) -> str:
        """A Riga wall-clock time a person can act on: "14:05" today, else "04.03. 14:05"."""
        if moment is None:
            return "…"
        local = moment.astimezone(ZoneInfo(RIGA))
        if local.date() == riga_date(self._engine.clock.now()):
            return local.strftime("%H:%M")
        return local.strftime("%d.%m. %H:%M")

    # -- rendering ------------------------------------------------------------------------

    def _render(self, request: Request, view: _View, case: CaseView | None = None) -> Response:
        reference = view.reference
        browser = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
        token = request.path_params["token"]
        can_code = bool(
            self._codes is not None and case is not None and case.required_tier <= IdentityTier.CONTACT_ON_FILE
        )
        can_eid = self._start_eid is not None and case is not None
        offer_forms = view.offer_forms and (can_code or can_eid)
        message = view.message
        if view.offer_forms and not offer_forms and message is None:
            message = texts.say(view.lang, "no_route")
        html = self._templates.get_template("identity_page.html.j2").render(
            lang=view.lang,
            say=lambda key, **values: texts.say(view.lang, key, **values),
            languages=_LANGUAGE_LABELS,
            reference=reference,
            message=message,
            tone=view.tone,
            offer_forms=offer_forms,
            can_eid=can_eid,
            can_code=can_code,
            code_entry=view.code_entry,
            base=f"{PAGE_PATH}/{token}",
            csrf=self._links.form_token(browser, reference) if reference else "",
        )
        response = HTMLResponse(html, status_code=view.status)
        _no_store(response)
        response.set_cookie(
            CSRF_COOKIE,
            browser,
            max_age=3600,
            path=PAGE_PATH,
            secure=self._secure,
            httponly=True,
            samesite="strict",
        )
        return response


async def _read_form(request: Request) -> dict[str, str]:
    """The posted form's first value per field (small forms only; parsed once per request)."""
    cached = getattr(request.state, "identity_form", None)
    if isinstance(cached, dict):
        return cached
    body = await request.body()
    try:
        fields = parse_qs(body[:_MAX_FORM_BYTES].decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=20)
    except ValueError:  # more fields than any of our forms has: treat as empty (CSRF then refuses)
        fields = {}
    form = {name: values[0] for name, values in fields.items() if values}
    request.state.identity_form = form
    return form


def _requester(case: CaseView) -> str:
    """Who asks, for rate limits and pauses: the address the request came from, else the request.

    Not the request alone: an impostor paused on someone's contact would otherwise e-mail the
    same request again, get a new link and a fresh pause, and with a few requests use up the
    customer's daily code cap. Keyed by sender, the pause and the per-requester share of the
    cap follow her from request to request."""
    sender = (case.claimed.email or "").strip().lower()
    return f"web:{sender}" if sender else f"web:{case.reference}"


def _no_store(response: Response) -> None:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
        # The eID button's form is redirected on to the provider (https; http only on loopback).
        "form-action 'self' https: http://127.0.0.1:* http://localhost:*"
    )


__all__ = [
    "CSRF_COOKIE",
    "LINK_LIFETIME",
    "PAGE_PATH",
    "IdentityPage",
    "LinkStatus",
    "PageCodes",
    "PageLinkReading",
    "PageLinks",
]
