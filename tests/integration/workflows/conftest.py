"""Helpers for the engine's integration tests: open requests as personas, read what was written.

Every test gets its own database (``database_url`` in tests/conftest.py runs it on SQLite and,
when configured, PostgreSQL), so nothing here is shared between tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from rightsdesk.bootstrap import App
from workflows.adapters.orm import events, outbox, requests
from workflows.domain.identity import ClaimedIdentity, VerificationMethod, VerifiedIdentity
from workflows.domain.rights import Channel, Language, Right
from workflows.service_layer import commands as c

VERIFIED_CUSTOMER = ClaimedIdentity(name="Līga Kalniņa", email="liga@example.lv")
"""Signs with eParaksts; her access requests get a qualified signature."""
IMPOSTOR = ClaimedIdentity(name="Līga Kalniņa", email="liga.kalnina@example.com")
"""Knows Līga's name and writes from an address that is not on file."""
AGENT = "staff:agent"
APPROVER = "staff:approver"


def qualified_signature(at: datetime, *, email: str = "liga@example.lv") -> VerifiedIdentity:
    return VerifiedIdentity(
        method=VerificationMethod.QUALIFIED_SIGNATURE,
        verified_at=at,
        evidence_ref="report:sha256:0f0f",
        name="LĪGA KALNIŅA",
        email=email,
    )


@dataclass
class Desk:
    """The app as a test drives it: commands in, rows out."""

    app: App

    def open(
        self,
        rights: Iterable[Right] = (Right.ACCESS,),
        *,
        claimed: ClaimedIdentity = VERIFIED_CUSTOMER,
        channel: Channel = Channel.EMAIL,
        received_at: datetime | None = None,
        evidence: VerifiedIdentity | None = None,
    ) -> str:
        reference: str = self.app.engine.handle(
            c.OpenRequest(
                channel=channel,
                rights=frozenset(rights),
                language=Language.LV,
                claimed=claimed,
                received_at=received_at or self.app.engine.clock.now(),
                evidence=evidence,
                incoming_subject="Datu pieprasījums",
                incoming_text="Lūdzu, izsniedziet manus personas datus.",
            )
        )
        return reference

    def open_in_progress(self, rights: Iterable[Right] = (Right.ACCESS,)) -> str:
        now = self.app.engine.clock.now()
        return self.open(rights, evidence=qualified_signature(now))

    def state(self, reference: str) -> str:
        with self.app.database.connect() as connection:
            query = select(requests.c.state).where(requests.c.reference == reference)
            return str(connection.execute(query).scalar_one())

    def request_row(self, reference: str) -> Any:
        with self.app.database.connect() as connection:
            return connection.execute(select(requests).where(requests.c.reference == reference)).one()

    def outbox(self, *, kind: str | None = None) -> list[Any]:
        query = select(outbox).order_by(outbox.c.created_at, outbox.c.id)
        if kind is not None:
            query = query.where(outbox.c.kind == kind)
        with self.app.database.connect() as connection:
            return list(connection.execute(query).all())

    def events(self, *, type_: str | None = None) -> list[Any]:
        query = select(events).order_by(events.c.seq)
        if type_ is not None:
            query = query.where(events.c.type == type_)
        with self.app.database.connect() as connection:
            return list(connection.execute(query).all())

    def count(self, table: Any) -> int:
        with self.app.database.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(table)).scalar_one())

    def snapshot(self) -> tuple[int, int, list[tuple[Any, ...]]]:
        """Outbox rows, events, and every request row: to show a failed command changed nothing."""
        with self.app.database.connect() as connection:
            rows = [tuple(r) for r in connection.execute(select(requests).order_by(requests.c.id))]
        return self.count(outbox), self.count(events), rows


@pytest.fixture
def desk(app: App) -> Desk:
    return Desk(app)
