"""Wiring: the one place that turns settings into engines, repositories and services.

Tests reuse it with their own settings (a temporary database, a fixed clock).
"""

from __future__ import annotations

import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from sqlalchemy import Engine as SqlEngine

from rightsdesk.settings import BUILTIN_PROFILES, Settings
from workflows.adapters import migrate
from workflows.adapters.database import make_engine
from workflows.adapters.job_queue import SqlJobSource
from workflows.adapters.profile_loader import load_profile
from workflows.adapters.queries import RequestQueries
from workflows.adapters.replies import JinjaReplyRenderer
from workflows.adapters.unit_of_work import SqlUnitOfWork
from workflows.domain.calendar import load_calendar
from workflows.domain.profile import ControllerProfile
from workflows.service_layer.bus import Engine
from workflows.service_layer.ports import Clock
from workflows.service_layer.worker import Worker


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def builtin_profile_path(name: str) -> Path:
    return Path(str(resources.files("rightsdesk") / "examples" / "profiles" / f"{name}.toml"))


def profile_path(settings: Settings) -> Path:
    name = settings.controller.profile
    if name in BUILTIN_PROFILES:
        return builtin_profile_path(name)
    return settings.resolve(name)


def load_controller_profile(settings: Settings) -> ControllerProfile:
    return load_profile(profile_path(settings))


@dataclass
class App:
    """Everything a running rightsdesk holds; built once per process."""

    settings: Settings
    database: SqlEngine
    reader: SqlEngine
    """For queries and health checks; never waits for a writer on SQLite."""
    engine: Engine
    queries: RequestQueries

    def worker(self, name: str | None = None) -> Worker:
        worker_id = name or f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
        return Worker(
            engine=self.engine,
            jobs=SqlJobSource(self.database),
            worker_id=worker_id,
            batch=self.settings.worker.batch,
        )

    def close(self) -> None:
        self.database.dispose()
        self.reader.dispose()


def build_app(settings: Settings, *, clock: Clock | None = None, migrate_schema: bool | None = None) -> App:
    clock = clock or SystemClock()
    database = make_engine(settings.database_url)
    if settings.database.auto_migrate if migrate_schema is None else migrate_schema:
        migrate.upgrade(database)
    calendar_path = settings.resolve(settings.controller.calendar) if settings.controller.calendar else None
    engine = Engine(
        uow=lambda: SqlUnitOfWork(database, clock.now),
        clock=clock,
        calendar=load_calendar(calendar_path),
        profile=load_controller_profile(settings),
        renderer=JinjaReplyRenderer(),
        reminder_days=settings.deadlines.reminder_days,
        staff_alert_address=settings.staff.alert_email or None,
    )
    reader = make_engine(settings.database_url, read_only=True)
    return App(settings=settings, database=database, reader=reader, engine=engine, queries=RequestQueries(reader))
