"""What the service layer needs from the outside world, as protocols the adapters implement."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from types import TracebackType
from typing import Any, Protocol

from workflows.domain.actions import Action
from workflows.domain.events import Event
from workflows.domain.messages import Message
from workflows.domain.request import RightsRequest
from workflows.service_layer.jobs import JobPayload


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware datetime."""
        ...


class RequestRepository(Protocol):
    def next_reference(self, year: int) -> str: ...
    def add(self, request: RightsRequest) -> None: ...
    def get(self, request_id: str, *, for_update: bool = False) -> RightsRequest: ...
    def get_by_reference(self, reference: str, *, for_update: bool = False) -> RightsRequest: ...
    def open_due_by(self, horizon: date) -> list[tuple[str, date]]:
        """(id, effective due date) of every open request due on or before ``horizon``."""
        ...


class ActionRepository(Protocol):
    def add(self, action: Action) -> None: ...
    def get(self, action_id: str, *, for_update: bool = False) -> Action: ...
    def for_request(self, request_id: str) -> list[Action]: ...


class MessageLog(Protocol):
    def add(self, message: Message) -> None: ...
    def request_id_for_external(self, external_ids: list[str]) -> str | None: ...


class InboundMailStore(Protocol):
    def add(
        self,
        *,
        mail_id: str,
        received_at: datetime,
        peer: str | None,
        mail_from: str,
        rcpt_to: tuple[str, ...],
        raw: bytes,
        sha256: str,
        message_id: str | None,
    ) -> None: ...
    def get(self, mail_id: str) -> Any: ...
    def mark(
        self, mail_id: str, status: str, *, at: datetime, reason: str | None = None, request_id: str | None = None
    ) -> None: ...


class CaseArchive(Protocol):
    def purge_closed_before(self, cutoff: datetime, *, limit: int) -> list[str]:
        """Delete up to ``limit`` cases closed before ``cutoff``, keep anonymous statistics,
        redact their events; return the purged case ids."""
        ...


class ClaimedJob(Protocol):
    """A job a worker holds the lease of (``adapters.job_queue.Job``)."""

    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> str:
        """The stored kind: a ``jobs.JobKind`` value, unless the row is from another release."""
        ...

    @property
    def payload(self) -> Mapping[str, object]: ...
    @property
    def attempts(self) -> int: ...
    @property
    def max_attempts(self) -> int: ...


class JobQueue(Protocol):
    """The job queue inside one unit of work: what is queued commits with the change."""

    def enqueue(self, job: JobPayload, *, dedupe_key: str | None = None, run_after: datetime | None = None) -> None:
        """Queue ``job``; a ``dedupe_key`` already queued is ignored (the job runs once)."""
        ...

    def complete(self, job: ClaimedJob, worker_id: str) -> None:
        """Mark a claimed job done in this transaction; fails if its lease was lost."""
        ...


class JobSource(Protocol):
    """The job queue as a worker sees it: claims and failures, each in its own transaction."""

    def claim(self, worker_id: str, *, now: datetime, limit: int) -> Sequence[ClaimedJob]: ...
    def fail(self, job: ClaimedJob, worker_id: str, *, now: datetime, error: str, permanent: bool) -> bool:
        """Record a failure; True when the job is given up (dead)."""
        ...


class UnitOfWork(Protocol):
    """One transaction: repositories, the job queue and the outbox commit together,
    with the events of every changed aggregate appended to the audit chain."""

    @property
    def requests(self) -> RequestRepository: ...
    @property
    def actions(self) -> ActionRepository: ...
    @property
    def messages(self) -> MessageLog: ...
    @property
    def cases(self) -> CaseArchive: ...
    @property
    def inbound(self) -> InboundMailStore: ...
    @property
    def jobs(self) -> JobQueue: ...

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    def commit(self) -> None: ...
    def queue_outgoing(self, message: Message, recipient: str) -> None: ...

    def record(self, event: Event) -> None:
        """Chain an event that belongs to no aggregate (e.g. a purge) on commit."""
        ...
