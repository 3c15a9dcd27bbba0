"""`rightsdesk config check`: every problem at once, each saying where and what to do."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from bot.identity.errors import IdentityRouteError
from bot.identity.oidc import discover, is_loopback_url
from rightsdesk.bootstrap import profile_path
from rightsdesk.chat import oidc_config
from rightsdesk.sealing import open_sealer, seal_config
from rightsdesk.settings import Settings, find_config, load_settings
from signature.sealing import SealingError
from workflows.adapters import migrate
from workflows.adapters.database import make_engine
from workflows.adapters.profile_loader import load_profile
from workflows.domain.calendar import load_calendar
from workflows.domain.errors import ConfigurationError


def check_configuration(config_option: str | None) -> tuple[list[str], list[str]]:
    """Returns (problems, summary lines)."""
    problems: list[str] = []
    summary: list[str] = []
    path = find_config(config_option, os.environ)
    try:
        settings = load_settings(path)
    except ConfigurationError as error:
        problems.extend(error.problems)
        # Go on with the defaults so the other files are still checked.
        settings = Settings()
    summary.append(f"settings: {settings.source}")
    _check_profile(settings, problems, summary)
    _check_calendar(settings, problems, summary)
    _check_database(settings, problems, summary)
    _check_seal(settings, problems, summary)
    _check_chat(settings, summary)
    _check_letter_routes(settings, summary)
    _check_oidc(settings, problems, summary)
    return problems, summary


def _check_profile(settings: Settings, problems: list[str], summary: list[str]) -> None:
    where = profile_path(settings)
    try:
        profile = load_profile(where)
        summary.append(f"controller profile: {where} ({profile.display_name})")
    except ConfigurationError as error:
        problems.extend(error.problems)


def _check_calendar(settings: Settings, problems: list[str], summary: list[str]) -> None:
    where = settings.resolve(settings.controller.calendar) if settings.controller.calendar else None
    try:
        load_calendar(where)
        summary.append(f"holiday calendar: {where or 'shipped Latvian calendar'}")
    except ConfigurationError as error:
        problems.extend(error.problems)


def _check_database(settings: Settings, problems: list[str], summary: list[str]) -> None:
    url = settings.database_url
    missing = _missing_sqlite_file(url)
    if missing is not None:
        # A check only looks: connecting would create the file (and its folder) here.
        summary.append(f"database: {missing} does not exist yet; `rightsdesk init` or the first start creates it")
        return
    try:
        engine = make_engine(url)
    except (ArgumentError, ImportError, ValueError) as error:
        problems.append(f"database.url: cannot use {url!r}: {error}")
        return
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        state = "up to date" if migrate.is_up_to_date(engine) else "needs `rightsdesk db upgrade`"
        summary.append(f"database: {engine.url.render_as_string(hide_password=True)} ({state})")
    except SQLAlchemyError as error:
        problems.append(f"database.url: cannot connect: {type(error).__name__}: {str(error).splitlines()[0]}")
    finally:
        engine.dispose()


def _missing_sqlite_file(url: str) -> Path | None:
    """The SQLite file a URL names, if it does not exist (None for other databases)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(parsed.database)
    return None if path.exists() else path


def _check_seal(settings: Settings, problems: list[str], summary: list[str]) -> None:
    """An enabled seal must be usable: module loads, token present, PIN accepted, key and
    certificate found. This logs in to the token once, so a wrong PIN counts one attempt
    towards the token's lock-out, as any login does."""
    if not settings.seal.enabled:
        summary.append("seal: not enabled (export packages are delivered unsealed)")
        return
    config = seal_config(settings)
    try:
        sealer = open_sealer(config)
    except SealingError as error:
        # The library's messages name the module, token and key, never the PIN.
        problems.append(f"seal: {type(error).__name__}: {error}")
        return
    try:
        subject = sealer.chain[0].subject.rfc4514_string()
    finally:
        sealer.close()
    summary.append(f"seal: key {config.key_label!r} on token {config.token_label!r} ({subject})")


def _check_chat(settings: Settings, summary: list[str]) -> None:
    """What the chat intake will offer; nothing is sent to Telegram or the eID provider."""
    telegram = settings.telegram
    if not telegram.token:
        summary.append("telegram: no token (the chat intake is off)")
        return
    where = f"webhook at {settings.serve.public_url}/telegram/webhook" if telegram.mode == "webhook" else "long polling"
    summary.append(f"telegram: {where}")
    routes = ["signed document", "shop visit"]
    if settings.oidc.issuer:
        routes.insert(0, f"eID login ({settings.oidc.issuer})")
    if settings.identity.secret and settings.controller.datamap:
        routes.insert(0, "one-time code to the contact on file")
    elif settings.identity.secret:
        summary.append("identity: no data map, so nobody's contact is on file for one-time codes")
    else:
        summary.append("identity: no [identity] secret, so one-time codes are off (RIGHTSDESK_IDENTITY__SECRET)")
    summary.append(f"identity routes in the chat: {', '.join(routes)}")


def _check_letter_routes(settings: Settings, summary: list[str]) -> None:
    """What the identity letters to e-mail requesters will offer (only routes that work here)."""
    from rightsdesk.identity_page import installation_routes

    try:
        profile = load_profile(profile_path(settings))
    except ConfigurationError:
        return  # reported by _check_profile
    routes = installation_routes(settings, profile)
    offered = []
    if routes.signed_email_address:
        offered.append(f"a signed e-mail to {routes.signed_email_address}")
    if routes.web_page:
        page = ["eID login"] if routes.eid_login else []
        page += ["one-time code to the contact on file"] if routes.one_time_codes else []
        methods = ", ".join(page) or "nothing yet"
        offered.append(f"the request page linked from each letter ({settings.serve.public_url}/…: {methods})")
    else:
        summary.append(
            "identity: no request page for e-mail requesters (needs [serve] public_url and [identity] secret)"
        )
    offered.append("a shop visit with an ID document")
    summary.append(f"identity routes in letters to e-mail requesters: {'; '.join(offered)}")


def _check_oidc(settings: Settings, problems: list[str], summary: list[str]) -> None:
    """``[oidc]``: the issuer and the redirect address must be https (OIDC Core §3.1.2.1, and
    the issuer identifier is an https URL, §2), except on loopback for a test provider; and
    the provider must answer its discovery document, this one request saying why not."""
    if not settings.oidc.issuer:
        summary.append("eID login: no [oidc] issuer (not offered)")
        return
    try:
        config = oidc_config(settings)
    except ConfigurationError as error:
        problems.extend(error.problems)
        return
    if config is None:
        return
    insecure = False
    for key, url in (("oidc.issuer", config.issuer), ("oidc.redirect_uri", config.redirect_uri)):
        scheme = urlsplit(url).scheme
        if scheme != "https" and not (scheme == "http" and is_loopback_url(url)):
            problems.append(
                f"{key}: {url!r} is not https; eID logins carry tokens and personal codes, so only "
                "https is accepted (plain http only on loopback, for a local test provider)"
            )
            insecure = True
    if insecure:
        return
    try:
        document = asyncio.run(discover(config))
    except IdentityRouteError as error:
        problems.append(f"oidc: the provider {config.issuer} cannot be used: {error}")
        return
    methods = document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if config.client_auth_method not in methods:
        problems.append(
            f"oidc.client_auth_method: the provider supports {', '.join(map(str, methods))}, "
            f"not {config.client_auth_method}"
        )
    summary.append(f"eID login: {config.issuer} answers its discovery document; callback {config.redirect_uri}")
