"""Fixtures for carrying out requests in the sample shop: the engine (rightsdesk's own database)
and the seeded shop (the controller's database) side by side, as personas would meet them.

``desk`` opens requests as a verified customer, runs the worker with the execution job
handlers, approves as the approver, and reads the shop back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, select

from rightsdesk.bootstrap import App, build_app
from rightsdesk.demo import RECIPIENT_CONTACTS
from rightsdesk.demo_kit import sample_shop
from tests.conftest import FixedClock, make_settings
from tests.integration.datamap.shop_databases import BACKENDS, SHOP_DATAMAP, TODAY, shop_database_url
from workflows.adapters.connectors.executor import ControllerDatabases, SqlControllerData
from workflows.adapters.connectors.recipients import ConfiguredRecipientAddresses
from workflows.adapters.connectors.subject_finder import SubjectRows, find_subject_rows
from workflows.adapters.datamap_loader import load_datamap
from workflows.adapters.orm import actions, outbox, requests
from workflows.domain.identity import ClaimedIdentity, VerificationMethod, VerifiedIdentity
from workflows.domain.rights import Channel, Language, Right
from workflows.service_layer import commands as c
from workflows.service_layer.execution import register_execution_jobs
from workflows.service_layer.worker import Worker

HASH_SECRET = "test-secret-not-for-production"
APPROVER = "staff:approver"


def qualified(persona: sample_shop.Persona, at: datetime) -> VerifiedIdentity:
    """A qualified e-signature naming the persona's personal code (tier 3)."""
    return VerifiedIdentity(
        method=VerificationMethod.QUALIFIED_SIGNATURE,
        verified_at=at,
        evidence_ref="report:sha256:0f0f",
        name=f"{persona.first_name} {persona.last_name}",
        personal_code=persona.personal_code,
        email=persona.email,
    )


@dataclass
class ShopDesk:
    app: App
    shop: Engine
    data: SqlControllerData

    def worker(self, name: str = "worker-1") -> Worker:
        worker = self.app.worker(name)
        addresses = ConfiguredRecipientAddresses(self.app.engine.profile, RECIPIENT_CONTACTS)
        register_execution_jobs(worker.registry, self.data, addresses, replace=True)
        return worker

    def run_jobs(self, worker: Worker | None = None) -> None:
        worker = worker or self.worker()
        while worker.run_once():
            pass

    def open(
        self,
        persona: sample_shop.Persona,
        rights: Iterable[Right],
        *,
        details: dict[str, Any] | None = None,
        evidence: VerifiedIdentity | None = None,
        verified: bool = True,
    ) -> str:
        """Open a request; signed by the persona unless ``evidence`` says otherwise or not ``verified``."""
        now = self.app.engine.clock.now()
        reference: str = self.app.engine.handle(
            c.OpenRequest(
                channel=Channel.EMAIL,
                rights=frozenset(rights),
                language=Language.LV,
                claimed=sample_shop_claim(persona),
                received_at=now,
                details=details or {},
                evidence=(evidence or qualified(persona, now)) if verified else None,
            )
        )
        return reference

    def actions(self, reference: str | None = None) -> list[Any]:
        with self.app.database.connect() as connection:
            return list(connection.execute(select(actions).order_by(actions.c.planned_at, actions.c.kind)).all())

    def approve_all(self) -> None:
        for row in self.actions():
            if row.status == "awaiting_approval":
                self.app.engine.handle(c.ApproveAction(row.id, actor=APPROVER))

    def outbox(self, kind: str | None = None) -> list[Any]:
        query = select(outbox).order_by(outbox.c.created_at, outbox.c.id)
        if kind:
            query = query.where(outbox.c.kind == kind)
        with self.app.database.connect() as connection:
            return list(connection.execute(query).all())

    def request_attention(self, request_id: str) -> str | None:
        with self.app.database.connect() as connection:
            query = select(requests.c.attention).where(requests.c.id == request_id)
            attention: str | None = connection.execute(query).scalar_one()
            return attention

    def find(self, identifiers: dict[str, str]) -> SubjectRows:
        with self.shop.connect() as connection:
            return find_subject_rows(self.data.datamap, identifiers, connections={"shop": connection})

    def carry_out(self, persona: sample_shop.Persona, rights: Iterable[Right], **kwargs: Any) -> str:
        reference = self.open(persona, rights, **kwargs)
        self.run_jobs()
        self.approve_all()
        self.run_jobs()
        return reference


def sample_shop_claim(persona: sample_shop.Persona) -> ClaimedIdentity:
    return ClaimedIdentity(name=f"{persona.first_name} {persona.last_name}", email=persona.email)


def _build(database_url: str, shop_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[ShopDesk]:
    shop = create_engine(shop_url)
    sample_shop.create_schema(shop)
    sample_shop.seed(shop, today=TODAY)
    app = build_app(make_settings(database_url, tmp_path), clock=clock)
    datamap = load_datamap(SHOP_DATAMAP, app.engine.profile)
    databases = ControllerDatabases(datamap, environ={"SHOP_HASH_SECRET": HASH_SECRET}, engines={"shop": shop})
    data = SqlControllerData(databases, app.engine.profile, export_dir=tmp_path / "exports")
    try:
        yield ShopDesk(app, shop, data)
    finally:
        app.close()
        shop.dispose()


@pytest.fixture(params=BACKENDS)
def shop_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from shop_database_url(request.param, tmp_path)


@pytest.fixture
def desk(shop_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[ShopDesk]:
    """The engine on SQLite, the shop on every backend."""
    yield from _build(f"sqlite:///{tmp_path / 'rightsdesk.db'}", shop_url, tmp_path, clock)


@pytest.fixture
def engine_desk(database_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[ShopDesk]:
    """The engine on SQLite and PostgreSQL (``database_url``), the shop on SQLite."""
    yield from _build(database_url, f"sqlite:///{tmp_path / 'shop.db'}", tmp_path, clock)
