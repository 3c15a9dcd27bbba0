"""Wiring of the identity routes the letters offer, and of the request page that serves two
of them, from the settings (the composition root is the only place that reads them).

What a letter may list follows from what this installation runs (GDPR Art. 12(6): the
controller asks only for proof it can actually take):

- a signed e-mail: when the mail intake runs (``smtp`` in ``[serve] services``), to the address
  it receives (``[smtp_in] recipients``: the profile's privacy address when it is one of them);
- the request page (e-mail and staff requests): needs ``[serve] public_url``, the ``web``
  service and ``[identity] secret`` (which keys the page's capabilities); on it, eID with
  ``[oidc]`` and a one-time code to the contact on file with a data map (a customer directory);
- the chat's routes (chat requests): with ``[telegram]``;
- a shop visit with an ID document: always.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.identity.web_page import IdentityPage, PageLinks
from rightsdesk.settings import Settings
from workflows.adapters.replies import InstallationRouteOffer
from workflows.domain.profile import ControllerProfile
from workflows.domain.replies import InstallationRoutes
from workflows.service_layer.ports import Clock

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from rightsdesk.bootstrap import App
    from rightsdesk.chat import ChatRoutes


def intake_address(settings: Settings, profile: ControllerProfile) -> str | None:
    """The privacy address the mail intake receives, or None when no mail intake runs."""
    if "smtp" not in settings.serve.services or not settings.smtp_in.recipients:
        return None
    wanted = profile.channels.privacy_email.strip().lower()
    for address in settings.smtp_in.recipients:
        if address.strip().lower() == wanted:
            return address.strip()
    return settings.smtp_in.recipients[0].strip()


def page_served(settings: Settings) -> bool:
    return bool(settings.serve.public_url and settings.identity.secret and "web" in settings.serve.services)


def installation_routes(settings: Settings, profile: ControllerProfile) -> InstallationRoutes:
    return InstallationRoutes(
        signed_email_address=intake_address(settings, profile),
        eid_login=bool(settings.oidc.issuer),
        one_time_codes=bool(settings.identity.secret and settings.controller.datamap),
        telegram=bool(settings.telegram.token) and "telegram" in settings.serve.services,
        web_page=page_served(settings),
    )


def page_links(settings: Settings, clock: Clock) -> PageLinks | None:
    if not page_served(settings) or settings.identity.secret is None:
        return None
    return PageLinks(settings.identity.secret.encode(), settings.serve.public_url, clock)


def route_offer(settings: Settings, profile: ControllerProfile, clock: Clock) -> InstallationRouteOffer:
    """What the reply renderer lists in identity letters on this installation."""
    links = page_links(settings, clock)
    return InstallationRouteOffer(
        installation_routes(settings, profile), page_link=links.link if links is not None else None
    )


def identity_page_routes(app: App, chat_routes: ChatRoutes | None = None) -> list[BaseRoute]:
    """The request page's routes for `rightsdesk serve` (none when the page is not served)."""
    from bot.identity.one_time_code import OneTimeCodeRoute
    from rightsdesk.chat import customer_directory, oidc_route_for

    settings = app.settings
    links = page_links(settings, app.engine.clock)
    if links is None or settings.identity.secret is None:
        return []
    codes = None
    if settings.controller.datamap:
        codes = OneTimeCodeRoute(
            app.engine, app.database, customer_directory(app), secret=settings.identity.secret.encode()
        )
    eid = oidc_route_for(app, chat_routes)
    page = IdentityPage(
        app.engine,
        links,
        codes=codes,
        start_eid=eid.start_for_web if eid is not None else None,
        secure_cookies=settings.serve.public_url.startswith("https://"),
        code_digits=codes.digits if codes is not None else 6,
    )
    return page.routes()
