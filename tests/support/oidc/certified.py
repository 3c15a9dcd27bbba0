"""The certified OpenID provider (npm ``oidc-provider``, pinned in ``node/package-lock.json``)
run by the tests, and a browser that plays a person through its login over real HTTP.

``.ci/run`` installs it (``npm ci`` in ``tests/support/oidc/node``); without node or that
install the tests that need it are skipped, saying so.

    with CertifiedProvider(client_id=..., client_secret=..., redirect_uri=..., accounts={...}) as op:
        browser = Browser()                      # one cookie jar: one person's browser
        page = browser.open(login_link)          # the provider's login form (or, with a live
        page = browser.log_in(page, "liga")      #   session, straight back to the callback)
        page = browser.consent(page)             # ... then the callback's page: "Is this your request?"
        page = browser.confirm(page)             # "Yes, this is my request": the outcome's page
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest

NODE_DIR = Path(__file__).resolve().parent / "node"
PACKAGE = NODE_DIR / "node_modules" / "oidc-provider" / "package.json"


def skip_without_certified_provider() -> None:
    if shutil.which("node") is None:
        pytest.skip("the certified OpenID provider tests need Node.js (node) on PATH")
    if not PACKAGE.exists():
        pytest.skip(f"the certified OpenID provider is not installed: run `npm ci` in {NODE_DIR} (.ci/run does)")


class CertifiedProvider:
    """``oidc-provider`` in a node process on 127.0.0.1 with one confidential client."""

    def __init__(self, *, client_id: str, client_secret: str, redirect_uri: str,
                 accounts: dict[str, dict[str, Any]]) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.accounts = accounts
        self.issuer = ""
        self.version = json.loads(PACKAGE.read_text())["version"] if PACKAGE.exists() else "?"
        self._process: subprocess.Popen[str] | None = None
        self._stderr: list[str] = []

    def __enter__(self) -> CertifiedProvider:
        skip_without_certified_provider()
        environment = {
            **os.environ,
            "OIDC_CLIENT_ID": self.client_id,
            "OIDC_CLIENT_SECRET": self.client_secret,
            "OIDC_REDIRECT_URI": self.redirect_uri,
            "OIDC_ACCOUNTS": json.dumps(self.accounts),
        }
        self._process = subprocess.Popen(
            ["node", "provider.mjs"], cwd=NODE_DIR, env=environment, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        assert self._process.stdout is not None and self._process.stderr is not None
        threading.Thread(target=self._drain, args=(self._process.stderr,), daemon=True).start()
        line = self._process.stdout.readline()
        if not line:
            self._process.wait(timeout=10)
            raise RuntimeError(f"oidc-provider did not start: {''.join(self._stderr)}")
        self.issuer = json.loads(line)["issuer"]
        return self

    def _drain(self, stream: Any) -> None:
        for line in stream:
            self._stderr.append(line)

    def __exit__(self, *_exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)


class _Forms(HTMLParser):
    """The forms of a page: action and every input's name and value."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append((values.get("action", ""), {}))
        elif tag == "input" and self.forms and values.get("name"):
            self.forms[-1][1][values["name"]] = values.get("value", "")


def forms_of(page: httpx.Response) -> list[tuple[str, dict[str, str]]]:
    parser = _Forms()
    parser.feed(page.text)
    return [(urljoin(str(page.url), action), fields) for action, fields in parser.forms]


def is_login_form(page: httpx.Response) -> bool:
    return any(fields.get("prompt") == "login" for _, fields in forms_of(page))


class Browser:
    """One person's browser: a cookie jar, redirects followed, forms submitted."""

    def __init__(self) -> None:
        self.client = httpx.Client(follow_redirects=True, timeout=20)

    def open(self, url: str) -> httpx.Response:
        return self.client.get(url)

    def submit(self, page: httpx.Response, prompt: str, **fields: str) -> httpx.Response:
        for action, inputs in forms_of(page):
            if inputs.get("prompt") == prompt:
                return self.client.post(action, data={**inputs, **fields})
        raise AssertionError(f"no {prompt} form on {page.url}: {page.text[:500]}")

    def log_in(self, page: httpx.Response, login: str) -> httpx.Response:
        """Fill in the development login form (any password) as ``login``."""
        return self.submit(page, "login", login=login, password="any-password")

    def consent(self, page: httpx.Response) -> httpx.Response:
        """Approve the client's request, if the provider asks."""
        if any(fields.get("prompt") == "consent" for _, fields in forms_of(page)):
            return self.submit(page, "consent")
        return page

    def confirm(self, page: httpx.Response, *, yes: bool = True) -> httpx.Response:
        """Answer the desk's "Is this your request?" page (its form carries a ``token``)."""
        for action, inputs in forms_of(page):
            if "token" in inputs:
                return self.client.post(action, data={**inputs, "answer": "yes" if yes else "no"})
        raise AssertionError(f"no confirmation form on {page.url}: {page.text[:500]}")

    def close(self) -> None:
        self.client.close()
