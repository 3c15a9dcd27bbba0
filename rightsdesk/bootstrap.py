"""Wiring: the one place that turns settings into engines, repositories and services.

Tests reuse it with their own settings (a temporary database, a fixed clock).
"""

from __future__ import annotations

import logging
import socket
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

from sqlalchemy import Engine as SqlEngine

from mail_intake.config import SmtpInConfig, SmtpOutConfig
from mail_intake.evidence import SignatureChecker
from mail_intake.processing import process_email
from mail_intake.sender import EmailSender
from rightsdesk.identity_page import route_offer
from rightsdesk.sealing import ControllerSeal, seal_config
from rightsdesk.settings import BUILTIN_PROFILES, Settings
from signature.errors import TrustListError
from signature.trust import TrustStore
from workflows.adapters import migrate
from workflows.adapters.connectors.contacts_on_file import DataMapContactsOnFile
from workflows.adapters.connectors.executor import ControllerDatabases, SqlControllerData
from workflows.adapters.connectors.recipients import ConfiguredRecipientAddresses
from workflows.adapters.database import make_engine
from workflows.adapters.datamap_loader import load_datamap
from workflows.adapters.job_queue import SqlJobSource
from workflows.adapters.profile_loader import load_profile
from workflows.adapters.queries import RequestQueries
from workflows.adapters.replies import JinjaReplyRenderer
from workflows.adapters.unit_of_work import SqlUnitOfWork
from workflows.domain.calendar import load_calendar
from workflows.domain.evidence_binding import BindingPolicy
from workflows.domain.profile import ControllerProfile
from workflows.service_layer import jobs, maintenance
from workflows.service_layer.bus import Engine
from workflows.service_layer.execution import register_execution_jobs
from workflows.service_layer.jobs import JobHandler, JobRegistry
from workflows.service_layer.ports import Clock, UnitOfWork
from workflows.service_layer.worker import Worker

log = logging.getLogger(__name__)


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
    _trust: TrustStore | None = field(default=None, repr=False)
    _controller_data: SqlControllerData | None = field(default=None, repr=False)
    _seal: ControllerSeal | None = field(default=None, repr=False)

    def trust_store(self) -> TrustStore:
        """The EU trusted lists from ``[signature] trust_dir``, loaded once per process."""
        if self._trust is None:
            self._trust = load_trust_store(self.settings)
        return self._trust

    def worker(self, name: str | None = None) -> Worker:
        return Worker(
            engine=self.engine,
            jobs=SqlJobSource(self.database),
            worker_id=name or process_name(),
            registry=self.job_registry(),
            batch=self.settings.worker.batch,
        )

    def job_registry(self) -> JobRegistry:
        """The handler of every job kind, this installation's way; a kind left without one is
        a start-up error (``MissingJobHandlers``), never a job that silently dies."""
        registry = JobRegistry()
        checker = SignatureChecker(
            self.trust_store(), online=self.settings.signature.online, policy=binding_policy(self.settings)
        )
        registry.register(jobs.ProcessEmail, email_processing(checker))
        registry.register(jobs.ScanDeadlines, maintenance.run_deadline_scan)
        registry.register(jobs.DeadlineReminder, maintenance.send_deadline_reminder)
        registry.register(jobs.DeadlineMissed, maintenance.mark_deadline_missed)
        registry.register(jobs.Purge, maintenance.run_purge)
        data = self.controller_data()
        if data is None:
            registry.register(jobs.PlanRequest, _plan_by_hand)
            registry.register(jobs.ExecuteAction, _execute_by_hand)
        else:
            addresses = ConfiguredRecipientAddresses(self.engine.profile, self.settings.controller.recipient_contacts)
            register_execution_jobs(registry, data, addresses, DataMapContactsOnFile(data))
        registry.require_complete()
        return registry

    def controller_data(self) -> SqlControllerData | None:
        """The controller's own databases as the data map describes them (None: no data map)."""
        if self._controller_data is None and self.settings.controller.datamap:
            datamap = load_datamap(self.settings.resolve(self.settings.controller.datamap), self.engine.profile)
            self._controller_data = SqlControllerData(
                ControllerDatabases(datamap),
                self.engine.profile,
                export_dir=self.settings.resolve(self.settings.controller.export_dir),
                sealer=self.package_sealer(),
            )
        return self._controller_data

    def package_sealer(self) -> ControllerSeal | None:
        """The controller's e-seal for export packages when ``[seal] enabled`` (None otherwise).

        Nothing touches the token here: it is logged in to on the first seal."""
        if self._seal is None and self.settings.seal.enabled:
            self._seal = ControllerSeal(seal_config(self.settings))
        return self._seal

    def email_sender(self, name: str | None = None) -> EmailSender:
        return EmailSender(
            self.database,
            smtp_out_config(self.settings),
            self.engine.clock,
            name or process_name(),
            engine=self.engine,
            staff_language=str(self.engine.staff_language),
        )

    def close(self) -> None:
        if self._seal is not None:
            self._seal.close()
        self.database.dispose()
        self.reader.dispose()


def email_processing(checker: SignatureChecker | None) -> JobHandler[jobs.ProcessEmail]:
    """The ``process_email`` handler with its signature checker (None: signatures unchecked)."""

    def run(job: jobs.ProcessEmail, uow: UnitOfWork, engine: Engine) -> None:
        process_email(job.to_json(), uow, engine, checker=checker)

    return run


def _plan_by_hand(job: jobs.PlanRequest, uow: UnitOfWork, engine: Engine) -> None:
    """No data map: the engine tracks the request and staff carry it out themselves."""
    request = uow.requests.get_by_reference(job.reference, for_update=True)
    request.flag_for_staff(
        "no data map is configured: find and act on this person's data by hand", at=engine.clock.now()
    )


def _execute_by_hand(job: jobs.ExecuteAction, uow: UnitOfWork, engine: Engine) -> None:
    """No data map: an action staff planned and approved cannot run here; they carry it out."""
    action = uow.actions.get(job.action_id)
    request = uow.requests.get(action.request_id, for_update=True)
    request.flag_for_staff(
        f"no data map is configured: carry out the approved {action.kind} by hand", at=engine.clock.now()
    )


def process_name() -> str:
    return f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"


def binding_policy(settings: Settings) -> BindingPolicy:
    """How recent a signed document must be to verify anyone (``[identity]``)."""
    return BindingPolicy(
        max_age=timedelta(days=settings.identity.signed_max_age_days),
        clock_skew=timedelta(minutes=settings.identity.signed_clock_skew_minutes),
    )


def load_trust_store(settings: Settings) -> TrustStore:
    trust_dir = settings.resolve(settings.signature.trust_dir)
    try:
        return TrustStore.from_directory(trust_dir)
    except TrustListError as error:
        log.warning(
            "no usable EU trusted lists in %s (%s): qualified signatures cannot be recognised;"
            " run `rightsdesk trust refresh`",
            trust_dir,
            error,
        )
        return TrustStore()


def smtp_in_config(settings: Settings) -> SmtpInConfig:
    s = settings.smtp_in
    return SmtpInConfig(
        host=s.host,
        port=s.port,
        recipients=tuple(s.recipients),
        lmtp=s.lmtp,
        tls_cert=settings.resolve(s.tls_cert) if s.tls_cert else None,
        tls_key=settings.resolve(s.tls_key) if s.tls_key else None,
        require_starttls=s.require_starttls,
        max_message_bytes=s.max_message_bytes,
        max_recipients=s.max_recipients,
        hostname=s.hostname,
    )


def smtp_out_config(settings: Settings) -> SmtpOutConfig:
    s = settings.smtp_out
    return SmtpOutConfig(
        host=s.host,
        port=s.port,
        username=s.username,
        password=s.password,
        starttls=s.starttls,
        use_tls=s.use_tls,
        timeout_seconds=s.timeout_seconds,
        from_address=s.from_address,
        from_name=s.from_name,
        message_id_domain=s.message_id_domain,
    )


def build_app(settings: Settings, *, clock: Clock | None = None, migrate_schema: bool | None = None) -> App:
    clock = clock or SystemClock()
    database = make_engine(settings.database_url)
    if settings.database.auto_migrate if migrate_schema is None else migrate_schema:
        migrate.upgrade(database)
    calendar_path = settings.resolve(settings.controller.calendar) if settings.controller.calendar else None
    profile = load_controller_profile(settings)
    engine = Engine(
        uow=lambda: SqlUnitOfWork(database, clock.now),
        clock=clock,
        calendar=load_calendar(calendar_path),
        profile=profile,
        # Identity letters list only the routes this installation offers (rightsdesk.identity_page).
        renderer=JinjaReplyRenderer(routes=route_offer(settings, profile, clock)),
        reminder_days=settings.deadlines.reminder_days,
        staff_alert_address=settings.staff.alert_email or None,
    )
    reader = make_engine(settings.database_url, read_only=True)
    return App(settings=settings, database=database, reader=reader, engine=engine, queries=RequestQueries(reader))
