"""The console over the shared ``app`` fixture (SQLite and PostgreSQL), with fast password hashing
and personas: an agent, an approver, a second approver, an admin."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from argon2 import PasswordHasher
from starlette.testclient import TestClient

from rightsdesk.bootstrap import App
from staff.accounts import StaffAccounts
from staff.passwords import Passwords
from staff.roles import Role
from staff.web.app import ConsoleConfig, build_console
from workflows.domain.actions import ActionKind
from workflows.domain.identity import ClaimedIdentity, VerificationMethod, VerifiedIdentity
from workflows.domain.rights import Channel, Language, Right
from workflows.service_layer import commands as c

PASSWORD = "correct horse battery"
PERSONAS = {"agnese": Role.AGENT, "andris": Role.APPROVER, "anna": Role.APPROVER, "ivars": Role.ADMIN}
"""Agnese the agent, Andris and Anna the approvers, Ivars the admin."""


def fast_passwords() -> Passwords:
    # Test-only argon2 cost: the real defaults take ~0.4 s per check on this machine.
    return Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@dataclass
class ConsoleWorld:
    app: App
    accounts: StaffAccounts
    client: TestClient

    def sign_in(self, username: str, *, client: TestClient | None = None) -> TestClient:
        browser = client or self.client
        page = browser.get("/login")
        token = csrf_from(page.text)
        browser.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf": token, "next": "/"},
            follow_redirects=False,
        )
        return browser

    def csrf(self, path: str = "/") -> str:
        return csrf_from(self.client.get(path).text)


def csrf_from(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    return found.group(1) if found else ""


@pytest.fixture
def console(app: App) -> Iterator[ConsoleWorld]:
    passwords = fast_passwords()
    asgi = build_console(
        engine=app.engine,
        database=app.database,
        reader=app.reader,
        config=ConsoleConfig(secure_cookies=False),
        passwords=passwords,
    )
    accounts = asgi.state.console.accounts
    for username, role in PERSONAS.items():
        accounts.add(username, role, PASSWORD, by="test")
    with TestClient(asgi, base_url="http://testserver") as client:
        yield ConsoleWorld(app, accounts, client)


def open_erasure_request(
    app: App,
    *,
    name: str = "Verified Customer",
    email: str = "customer@example.lv",
    personal_code: str | None = None,
) -> str:
    """A verified customer's erasure request (a QES on the e-mail), in progress."""
    now = app.engine.clock.now()
    return str(
        app.engine.handle(
            c.OpenRequest(
                channel=Channel.EMAIL,
                rights=frozenset({Right.ERASURE}),
                language=Language.LV,
                claimed=ClaimedIdentity(name=name, email=email),
                received_at=now,
                evidence=VerifiedIdentity(
                    method=VerificationMethod.QUALIFIED_SIGNATURE,
                    verified_at=now,
                    evidence_ref="sha256:test",
                    name=name,
                    personal_code=personal_code,
                    email=email,
                ),
                evidence_summary={"indication": "TOTAL_PASSED", "qualification": "QESig", "signer": name},
                incoming_subject="Dzēst manus datus",
                incoming_text="Lūdzu dzēsiet manus datus.",
            )
        )
    )


def plan_erasure(app: App, reference: str, *, by: str = "staff:agnese") -> str:
    preview = {
        "databases": [
            {"database": "shop", "table": "customers", "rows": 1, "operation": "delete"},
            {"database": "shop", "table": "orders", "rows": 3, "operation": "anonymise"},
        ],
        "kept": [{"table": "invoices", "rows": 2, "until": "2031-12-31", "retention_rule": "accounting"}],
    }
    return str(app.engine.handle(c.PlanAction(reference, ActionKind.ERASE, preview, actor=by)))
