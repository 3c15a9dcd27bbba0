"""A local OpenID Connect provider for tests: discovery, JWKS, authorize and token endpoints
on 127.0.0.1 (an ephemeral port), signing ID tokens with a test RSA key.

    with OidcProvider(now=clock_seconds) as provider:
        provider.login_as({"sub": "...", "name": "...", "personal_code": "PNOLV-..."})
        params = provider.authorize(url)          # what the browser brings back to the callback
        provider.forgery = Forgery.WRONG_KEY      # sign the next tokens wrongly

Authorisation is immediate (no login page): ``authorize`` plays the browser, following the
link and returning the redirect's query parameters. The provider checks the client, the
redirect URI, single use of codes and PKCE S256 like a real one, so a replayed code is
refused here too unless ``allow_code_reuse`` is set (to test the relying party's own checks).

Each authorisation counts as a fresh login (``auth_time`` = now) when the request asks for
one (``prompt=login`` or ``max_age``); ``ignore_prompt`` makes it a broken provider that
answers from the browser's earlier session (``session_auth_time``). ``claims_in_userinfo``
moves the person's claims to the UserInfo endpoint, as OIDC Core §5.4 providers do. Client
authentication decodes HTTP Basic as RFC 6749 §2.3.1 says (form-encoded id and secret).
``tls=(cert_file, key_file)`` serves https (for ``[oidc] ca_file``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey


class Forgery(StrEnum):
    WRONG_KEY = "wrong_key"
    WRONG_ISSUER = "wrong_issuer"
    WRONG_AUDIENCE = "wrong_audience"
    EXPIRED = "expired"
    WRONG_NONCE = "wrong_nonce"
    NO_AUTH_TIME = "no_auth_time"
    USERINFO_OTHER_SUBJECT = "userinfo_other_subject"


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    nonce: str | None
    challenge: str | None
    claims: dict[str, Any]
    auth_time: float
    used: bool = False


class OidcProvider:
    def __init__(
        self,
        *,
        client_id: str = "rightsdesk-test",
        client_secret: str = "test-client-secret-0123456789",
        redirect_uri: str = "https://desk.example/identity/oidc/callback",
        now: Callable[[], float] = time.time,
        tls: tuple[str, str] | None = None,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.now = now
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key-1", "use": "sig", "alg": "RS256"})
        self.rogue_key = RSAKey.generate_key(2048, parameters={"kid": "test-key-1", "use": "sig", "alg": "RS256"})
        self.forgery: Forgery | None = None
        self.allow_code_reuse = False
        self.token_requests = 0
        self.ignore_prompt = False
        self.session_auth_time: float | None = None
        """When the browser's session at the provider began (None: no session yet)."""
        self.claims_in_userinfo = False
        self.authorize_queries: list[dict[str, str]] = []
        self._tls = tls
        self._access: dict[str, dict[str, Any]] = {}
        self._claims: dict[str, Any] = {"sub": "test-subject"}
        self._grants: dict[str, _Grant] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------

    def __enter__(self) -> OidcProvider:
        provider = self

        class Handler(_Handler):
            owner = provider

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if self._tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self._tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def issuer(self) -> str:
        if self._server is None:
            raise RuntimeError("the provider is not running; use it in a with-block")
        scheme = "https" if self._tls is not None else "http"
        host = "localhost" if self._tls is not None else "127.0.0.1"
        return f"{scheme}://{host}:{self._server.server_address[1]}"

    # -- test controls ------------------------------------------------------------------

    def login_as(self, claims: dict[str, Any]) -> None:
        """The person who completes the next logins (claims copied into the ID token)."""
        self._claims = dict(claims)

    def authorize(self, url: str) -> dict[str, str]:
        """Follow the login link as the browser would; the callback's query parameters."""
        response = httpx.get(url, follow_redirects=False, timeout=10, verify=False)
        if response.status_code != 302:
            raise RuntimeError(f"authorize answered {response.status_code}: {response.text}")
        query = parse_qs(urlsplit(response.headers["location"]).query)
        return {name: values[0] for name, values in query.items()}

    # -- endpoints ----------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        issuer = self.issuer
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/jwks",
            "userinfo_endpoint": f"{issuer}/userinfo",
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    def jwks(self) -> dict[str, Any]:
        return KeySet([self.key]).as_dict(private=False)  # type: ignore[return-value]

    def grant(self, query: dict[str, str]) -> tuple[int, str]:
        """/authorize: a redirect with a fresh code, or an error status."""
        if query.get("client_id") != self.client_id or query.get("redirect_uri") != self.redirect_uri:
            return 400, "unknown client or redirect_uri"
        if query.get("response_type") != "code" or query.get("code_challenge_method") != "S256":
            return 400, "only the code flow with PKCE S256"
        self.authorize_queries.append(dict(query))
        now = self.now()
        fresh = query.get("prompt") == "login" or (
            query.get("max_age") is not None and now - (self.session_auth_time or 0) > float(query["max_age"])
        )
        if self.session_auth_time is None or (fresh and not self.ignore_prompt):
            self.session_auth_time = now  # the person logs in (again)
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._grants[code] = _Grant(self.client_id, self.redirect_uri, query.get("nonce"),
                                        query.get("code_challenge"), dict(self._claims), self.session_auth_time)
        location = f"{self.redirect_uri}?{urlencode({'code': code, 'state': query.get('state', '')})}"
        return 302, location

    def token(self, form: dict[str, str], authorization: str | None) -> tuple[int, dict[str, Any]]:
        """/token: the ID token for a valid, unused code with the right PKCE verifier."""
        self.token_requests += 1
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.startswith("Basic "):
            raw_id, _, raw_secret = base64.b64decode(authorization[6:]).decode().partition(":")
            client_id, secret = unquote_plus(raw_id), unquote_plus(raw_secret)
        if client_id != self.client_id or secret != self.client_secret:
            return 401, {"error": "invalid_client"}
        with self._lock:
            grant = self._grants.get(form.get("code", ""))
            if grant is None or (grant.used and not self.allow_code_reuse):
                return 400, {"error": "invalid_grant"}
            grant.used = True
        if form.get("redirect_uri") != grant.redirect_uri:
            return 400, {"error": "invalid_grant"}
        verifier = form.get("code_verifier", "")
        expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if grant.challenge is None or expected != grant.challenge:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
        access_token = secrets.token_urlsafe(16)
        userinfo = {"sub": grant.claims.get("sub"), **grant.claims}
        if self.forgery is Forgery.USERINFO_OTHER_SUBJECT:
            userinfo["sub"] = "someone-else"
        with self._lock:
            self._access[access_token] = userinfo
        return 200, {"access_token": access_token, "token_type": "Bearer", "expires_in": 300,
                     "id_token": self.id_token(grant)}

    def userinfo(self, authorization: str | None) -> tuple[int, dict[str, Any]]:
        """/userinfo (OIDC Core §5.3): the claims for a Bearer access token."""
        token = (authorization or "").removeprefix("Bearer ").strip()
        with self._lock:
            claims = self._access.get(token)
        if claims is None:
            return 401, {"error": "invalid_token"}
        return 200, claims

    def id_token(self, grant: _Grant) -> str:
        now = int(self.now())
        in_userinfo = self.claims_in_userinfo or self.forgery is Forgery.USERINFO_OTHER_SUBJECT
        person = {"sub": grant.claims.get("sub")} if in_userinfo else grant.claims
        claims: dict[str, Any] = {"iss": self.issuer, "aud": grant.client_id, "iat": now, "exp": now + 300,
                                  "nonce": grant.nonce, "auth_time": int(grant.auth_time), **person}
        key = self.key
        match self.forgery:
            case Forgery.WRONG_KEY:
                key = self.rogue_key
            case Forgery.WRONG_ISSUER:
                claims["iss"] = "https://evil.example"
            case Forgery.WRONG_AUDIENCE:
                claims["aud"] = "someone-else"
            case Forgery.EXPIRED:
                claims.update(iat=now - 3600, exp=now - 1800)
            case Forgery.WRONG_NONCE:
                claims["nonce"] = secrets.token_urlsafe(16)
            case Forgery.NO_AUTH_TIME:
                del claims["auth_time"]
            case Forgery.USERINFO_OTHER_SUBJECT | None:
                pass
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


class _Handler(BaseHTTPRequestHandler):
    owner: OidcProvider

    def log_message(self, format: str, *args: Any) -> None:
        return  # keep test output clean

    def do_GET(self) -> None:
        split = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(split.query).items()}
        if split.path == "/.well-known/openid-configuration":
            self._json(200, self.owner.discovery())
        elif split.path == "/jwks":
            self._json(200, self.owner.jwks())
        elif split.path == "/userinfo":
            self._json(*self.owner.userinfo(self.headers.get("Authorization")))
        elif split.path == "/authorize":
            status, location = self.owner.grant(query)
            if status == 302:
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self._json(status, {"error": location})
        else:
            self._json(404, {"error": "not found"})

    def do_POST(self) -> None:
        if urlsplit(self.path).path != "/token":
            self._json(404, {"error": "not found"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        status, body = self.owner.token(form, self.headers.get("Authorization"))
        self._json(status, body)

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
