"""Configuration: one TOML file, with environment variables that override it.

``RIGHTSDESK_<SECTION>__<KEY>`` overrides ``[section] key`` (e.g.
``RIGHTSDESK_DATABASE__URL``). Every problem is collected and reported at once, each
naming where the value came from (the file and key, or the variable).
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from workflows.domain.errors import ConfigurationError

ENV_PREFIX = "RIGHTSDESK_"
DEFAULT_CONFIG_NAME = "rightsdesk.toml"
BUILTIN_PROFILES = ("retail", "bookshop")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSettings(_Section):
    url: str = "sqlite:///rightsdesk-data/rightsdesk.db"
    auto_migrate: bool = True
    """Bring the schema up to date on start (fine for the embedded SQLite; production
    operators may prefer running `rightsdesk db upgrade` themselves)."""


class ControllerSettings(_Section):
    profile: str = "retail"
    """A built-in example (retail, bookshop) or the path of a controller profile TOML."""
    calendar: str | None = None
    """Path of an edited Latvian holiday calendar; empty means the shipped one."""
    datamap: str | None = None
    """The data map of the controller's own databases; empty: staff carry out
    requests by hand and the engine only tracks them."""
    export_dir: str = "rightsdesk-data/exports"
    """Where access and portability packages are written before delivery."""
    recipient_contacts: dict[str, str] = Field(default_factory=dict)
    """Art. 19 notice addresses by recipient id, overriding the profile's contact_email."""


class DeadlineSettings(_Section):
    reminder_days: tuple[int, ...] = (14, 3)

    @field_validator("reminder_days")
    @classmethod
    def _positive(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(day <= 0 for day in value):
            raise ValueError("give one or more whole numbers of days above zero, e.g. [14, 3]")
        return value


Service = Literal["web", "worker", "smtp", "telegram"]


def _https_or_loopback(url: str) -> bool:
    """``https://`` anywhere; plain ``http://`` only to this machine (a prefix test would let
    ``http://localhost.example.net`` through)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


class ServeSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    services: tuple[Service, ...] = ("web", "worker", "smtp", "telegram")
    """``telegram`` runs only when ``[telegram] token`` is set."""
    public_url: str = ""
    """The HTTPS address customers' browsers and Telegram reach this server at (behind the
    reverse proxy), e.g. ``https://privacy.example.lv``: the base of the Telegram webhook and of
    the eID login's redirect. Empty: neither is available."""
    trusted_proxies: tuple[str, ...] = ()
    """IP addresses or CIDR blocks of the reverse proxies in front of the web service, e.g.
    ``["127.0.0.1", "10.0.0.0/24"]``. Only a request whose direct peer is one of them has its
    client address read from ``X-Forwarded-For`` (the right-most hop that is not one of them);
    empty: the peer is the client and the header is ignored (RFC 7239 §8.1)."""

    @model_validator(mode="before")
    @classmethod
    def _replaced_forwarded_flag(cls, data: Any) -> Any:
        # An all-or-nothing "trust the header" flag let any client choose its address; mapping
        # it onto "trust every peer" would keep that hole open, so it is refused with the fix.
        if isinstance(data, Mapping) and "trust_forwarded_for" in data:
            raise ValueError(
                "trust_forwarded_for is replaced by trusted_proxies: list the reverse proxies' addresses, "
                'e.g. trusted_proxies = ["127.0.0.1"], or remove the key when no proxy sits in front'
            )
        return data

    @field_validator("public_url")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if value and not _https_or_loopback(value):
            raise ValueError("give the https:// address the server is reached at (http only on loopback)")
        return value.rstrip("/")

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not an IP address or CIDR block (e.g. 127.0.0.1 or 10.0.0.0/24)"
                ) from None
        return tuple(entry.strip() for entry in value)


class WorkerSettings(_Section):
    idle_seconds: float = Field(default=1.0, gt=0)
    periodic_seconds: float = Field(default=60.0, gt=0)
    batch: int = Field(default=10, ge=1, le=1000)


class StaffSettings(_Section):
    alert_email: str | None = None
    """Where deadline reminders and delivery problems go; empty: shown in the console only."""
    secure_cookies: bool = False
    """Console cookies only over HTTPS. Turn on whenever the console is served through HTTPS
    (always in production); off by default so the embedded default works on http://127.0.0.1."""


class SmtpInSettings(_Section):
    """The SMTP (or LMTP) server customers' mail reaches; see mail_intake.config."""

    host: str = "127.0.0.1"
    port: int = Field(default=2525, ge=0, le=65535)
    recipients: tuple[str, ...] = ("privacy@example.lv",)
    lmtp: bool = False
    tls_cert: str | None = None
    tls_key: str | None = None
    require_starttls: bool = False
    max_message_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    max_recipients: int = Field(default=20, ge=1, le=1000)
    hostname: str = "rightsdesk.local"


class SmtpOutSettings(_Section):
    """The relay replies go out through. The password is best given as RIGHTSDESK_SMTP_OUT__PASSWORD.
    No host: nothing is sent; replies wait in the outbox (and show in the console)."""

    host: str = ""
    port: int = Field(default=25, ge=1, le=65535)
    username: str | None = None
    password: str | None = Field(default=None, repr=False)
    starttls: bool = False
    use_tls: bool = False
    timeout_seconds: float = Field(default=30.0, gt=0)
    from_address: str = "privacy@example.lv"
    from_name: str = ""
    message_id_domain: str = "rightsdesk.local"


class SignatureSettings(_Section):
    trust_dir: str = "rightsdesk-data/trust"
    """Trusted-list snapshot (EU LOTL, national lists, pinned LOTL signers)."""
    online: bool = False
    """Fetch OCSP/CRL/AIA during validation; off by default (offline, reproducible)."""


class SealSettings(_Section):
    """The controller's electronic seal on a PKCS#11 token (eIDAS Art. 35-40); off by default.

    When enabled, access and portability packages are delivered in an ASiC-E container
    sealed with it. The PIN is never written here: it comes from ``pin_env`` or ``pin_file``.
    SoftHSM2 also needs ``SOFTHSM2_CONF`` in the environment (``rightsdesk seal setup-demo``).
    """

    enabled: bool = False
    module: str = ""
    """Path of the PKCS#11 module (e.g. /usr/lib/softhsm/libsofthsm2.so)."""
    token_label: str = ""
    key_label: str = ""
    pin_env: str | None = "RIGHTSDESK_SEAL_PIN"
    pin_file: str | None = None
    cert_pem: tuple[str, ...] = ()
    """PEM files with the seal certificate and its issuers; empty: read them from the token."""
    tsa_url: str | None = None
    """RFC 3161 time-stamp authority: seals at level T (and LT when OCSP answers)."""

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> SealSettings:
        if self.enabled:
            missing = [name for name in ("module", "token_label", "key_label") if not getattr(self, name)]
            if missing:
                verb = "is" if len(missing) == 1 else "are"
                raise ValueError(f"sealing is enabled but {', '.join(missing)} {verb} empty")
            if not self.pin_env and not self.pin_file:
                raise ValueError("sealing is enabled but neither pin_env nor pin_file says where the PIN is")
        return self


class TelegramSettings(_Section):
    """The controller's Telegram bot. Give the token from @BotFather as
    RIGHTSDESK_TELEGRAM__TOKEN rather than in the file. No token: no chat intake."""

    token: str = Field(default="", repr=False)
    mode: Literal["polling", "webhook"] = "polling"
    """Long polling needs no inbound connection (one polling process only); the webhook
    needs ``[serve] public_url`` over HTTPS and ``webhook_secret``."""
    webhook_secret: str | None = Field(default=None, repr=False)
    """Telegram sends it in a header with every update (1-256 of A-Z a-z 0-9 _ -)."""
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    max_file_mb: float = Field(default=10.0, gt=0, le=20)
    """Larger uploads are refused before download (the Bot API serves at most 20 MB)."""
    rate_limit_updates: int = Field(default=20, ge=1)
    rate_limit_window_seconds: float = Field(default=10.0, gt=0)

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_secret_alphabet(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", value):
            raise ValueError("use 16-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's secret_token alphabet)")
        return value


class IdentitySettings(_Section):
    """Identity verification of chat customers (Art. 12(6); docs/law.md §Identity)."""

    secret: str | None = Field(default=None, repr=False)
    """At least 32 bytes; keys the one-time code digests and throttles. Best given as
    RIGHTSDESK_IDENTITY__SECRET. Empty: one-time codes are not offered."""
    customer_table: str = "customers"
    """The data-map table of customer accounts, whose e-mail and phone receive one-time codes."""
    signed_max_age_days: int = Field(default=30, ge=1, le=366)
    """A signed document verifies only if signed at most this many days before it was received
    (the signing time proven by a time-stamp, else the signer's claim)."""
    signed_clock_skew_minutes: int = Field(default=10, ge=0, le=1440)
    """How far a signing time may lie after receipt (signers' clocks run fast); later is refused."""

    @field_validator("secret")
    @classmethod
    def _long_enough(cls, value: str | None) -> str | None:
        if value is not None and len(value.encode()) < 32:
            raise ValueError("the identity secret must be at least 32 bytes, e.g. `openssl rand -base64 48`")
        return value


class OidcSettings(_Section):
    """eID login (eParaksts, Smart-ID) through an OpenID Connect broker. No issuer: not offered."""

    issuer: str = ""
    client_id: str = ""
    client_secret: str = Field(default="", repr=False)
    """Best given as RIGHTSDESK_OIDC__CLIENT_SECRET."""
    redirect_uri: str = ""
    """Registered with the provider; empty means ``[serve] public_url`` + /identity/oidc/callback."""
    scope: str = "openid"
    acr_values: str | None = None
    required_acr: tuple[str, ...] = ()
    personal_code_claims: tuple[str, ...] = ("personal_code", "serialNumber", "serial_number")
    client_auth_method: Literal["client_secret_basic", "client_secret_post"] = "client_secret_basic"
    """How the client authenticates at the token endpoint (OIDC Core §9): HTTP Basic with the
    form-encoded id and secret (RFC 6749 §2.3.1), or both in the POST body."""
    max_age_seconds: int = Field(default=0, ge=0, le=3600)
    """Sent as ``max_age`` with ``prompt=login`` (OIDC Core §3.1.2.1): 0 asks for an
    authentication now, so no earlier provider session (a shared browser, a victim opening
    someone else's link) can confirm a request."""
    auth_time_skew_seconds: int = Field(default=120, ge=0, le=600)
    """How much older than ``max_age`` the ID token's ``auth_time`` may be: clock skew plus the
    seconds between authenticating and the redirect reaching us."""
    ca_file: str = ""
    """PEM file of a broker's private CA, trusted for the eID client's connections only."""
    pushed_authorization: bool = True
    """Send the login's parameters server to server (RFC 9126) when the provider offers it, so
    a forwarded link cannot be edited to drop ``prompt=login``."""

    @model_validator(mode="after")
    def _complete_when_issuer_set(self) -> OidcSettings:
        if self.issuer and not (self.client_id and self.client_secret):
            raise ValueError("an issuer is set but client_id or client_secret is empty")
        return self


class LoggingSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class Settings(_Section):
    database: DatabaseSettings = DatabaseSettings()
    controller: ControllerSettings = ControllerSettings()
    deadlines: DeadlineSettings = DeadlineSettings()
    serve: ServeSettings = ServeSettings()
    worker: WorkerSettings = WorkerSettings()
    staff: StaffSettings = StaffSettings()
    signature: SignatureSettings = SignatureSettings()
    seal: SealSettings = SealSettings()
    smtp_in: SmtpInSettings = SmtpInSettings()
    smtp_out: SmtpOutSettings = SmtpOutSettings()
    telegram: TelegramSettings = TelegramSettings()
    identity: IdentitySettings = IdentitySettings()
    oidc: OidcSettings = OidcSettings()
    logging: LoggingSettings = LoggingSettings()

    source: str = "built-in defaults"
    """Where the settings came from, for messages."""
    base_dir: str = "."
    """Relative paths (SQLite file, profile, calendar) are resolved against this folder."""

    def resolve(self, path: str) -> Path:
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else Path(self.base_dir) / candidate

    @model_validator(mode="after")
    def _public_url_where_needed(self) -> Settings:
        if self.telegram.token and self.telegram.mode == "webhook":
            if not self.serve.public_url:
                raise ValueError("telegram.mode is webhook but serve.public_url is empty: Telegram needs an address")
            if not self.telegram.webhook_secret:
                raise ValueError("telegram.mode is webhook but telegram.webhook_secret is empty")
        if self.oidc.issuer and not (self.oidc.redirect_uri or self.serve.public_url):
            raise ValueError("oidc.issuer is set but neither oidc.redirect_uri nor serve.public_url is")
        return self

    @property
    def database_url(self) -> str:
        """The URL with a relative SQLite path made absolute against ``base_dir``."""
        prefix = "sqlite:///"
        url = self.database.url
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str(self.resolve(url[len(prefix) :]).resolve())
        return url


def find_config(explicit: str | None, environ: Mapping[str, str]) -> Path | None:
    if explicit:
        return Path(explicit)
    if environ.get(ENV_PREFIX + "CONFIG"):
        return Path(environ[ENV_PREFIX + "CONFIG"])
    local = Path.cwd() / DEFAULT_CONFIG_NAME
    return local if local.exists() else None


def _env_overrides(environ: Mapping[str, str]) -> tuple[dict[str, dict[str, Any]], dict[tuple[str, str], str]]:
    values: dict[str, dict[str, Any]] = {}
    origin: dict[tuple[str, str], str] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        section, _, key = name[len(ENV_PREFIX) :].lower().partition("__")
        values.setdefault(section, {})[key] = _parse_env_value(raw)
        origin[(section, key)] = name
    return values, origin


def _parse_env_value(raw: str) -> Any:
    """JSON where it parses (numbers, lists, booleans), else the plain string."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read the file (if any) and the environment; raise ConfigurationError listing every problem."""
    environ = os.environ if environ is None else environ
    data: dict[str, Any] = {}
    label = "built-in defaults"
    base_dir = Path.cwd()
    if path is not None:
        label = str(path)
        base_dir = path.resolve().parent
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as error:
            raise ConfigurationError(
                f"{path}: no such file; create it with `rightsdesk init` or point --config elsewhere"
            ) from error
        except tomllib.TOMLDecodeError as error:
            raise ConfigurationError(f"{path}: not valid TOML: {error}") from error
    fixed = {"source": label, "base_dir": str(base_dir)}
    # The file on its own first: a wrong value stays a problem even while an environment
    # variable hides it, or it breaks the day the variable is removed.
    problems = _problems({**data, **fixed}, label, {}) if path is not None else []
    overrides, origin = _env_overrides(environ)
    merged = dict(data)
    for section, keys in overrides.items():
        current = merged.get(section)
        merged[section] = {**current, **keys} if isinstance(current, dict) else keys
    problems.extend(p for p in _problems({**merged, **fixed}, label, origin) if p not in problems)
    if problems:
        raise ConfigurationError(f"{label}: {len(problems)} problem(s) in the settings", problems)
    return Settings.model_validate({**merged, **fixed})


def _problems(data: Mapping[str, Any], label: str, origin: Mapping[tuple[str, str], str]) -> list[str]:
    try:
        Settings.model_validate(data)
    except ValidationError as error:
        return [_describe(e, label, origin) for e in error.errors()]
    return []


def _describe(error: Any, label: str, origin: Mapping[tuple[str, str], str]) -> str:
    location = [str(part) for part in error["loc"]]
    key = ".".join(location)
    where = origin.get((location[0], location[1])) if len(location) >= 2 else None
    place = f"environment variable {where}" if where else (f"{label}: {key}" if key else label)
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown setting (check the spelling; see README §Configuration)"
    elif "input" in error and error["type"] not in ("missing",) and not _is_secret(location):
        message = f"{message} (got {error['input']!r})"
    return f"{place}: {message}"


def _is_secret(location: list[str]) -> bool:
    """Fields declared ``repr=False`` (tokens, passwords, secrets) are never echoed back."""
    if len(location) < 2:
        return True  # a whole section or the whole file: may hold secrets
    section = Settings.model_fields.get(location[0])
    model = section.annotation if section is not None else None
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return False
    field = model.model_fields.get(location[1])
    return field is not None and not field.repr
