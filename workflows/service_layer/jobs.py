"""The job seam: every kind of background job, its payload, and the registry of handlers.

A job is queued in the same transaction as the change that needs it
(``uow.jobs.enqueue(PlanRequest(reference=...), dedupe_key=...)``) and run later by a
worker (``worker.Worker``), each run in one unit of work. This module is the one place a
job kind is declared:

- :class:`JobKind` names every kind. Its values are the strings stored in the ``jobs``
  table's ``kind`` column, so rows queued by an earlier release still run.
- One frozen dataclass per kind carries the payload, with ``to_json``/``from_json`` for the
  ``payload`` column; ``from_json`` accepts every payload an earlier release wrote.
- :class:`JobRegistry` maps each kind to its handler, typed on the real
  :class:`~workflows.service_layer.ports.UnitOfWork`. The composition root
  (``rightsdesk.bootstrap.App.job_registry``) fills it and calls
  :meth:`JobRegistry.require_complete`, so a kind without a handler stops the worker at
  start-up instead of leaving its jobs to die one by one.

A stored row whose kind is unknown or whose payload is malformed fails permanently (it
cannot get better by retrying) and is left dead for staff to see.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar, Self, TypeVar

from workflows.domain.errors import ConfigurationError, WorkflowError

if TYPE_CHECKING:
    from workflows.service_layer.bus import Engine
    from workflows.service_layer.ports import UnitOfWork


class JobKind(StrEnum):
    """Every kind of job; the value is what the ``jobs.kind`` column stores."""

    PROCESS_EMAIL = "process_email"
    """Parse and file one stored inbound e-mail (``mail_intake.processing``)."""
    PLAN_REQUEST = "plan_request"
    """Find the person's rows and plan each right (``service_layer.planning``)."""
    EXECUTE_ACTION = "execute_action"
    """Carry out one approved action (``service_layer.execution``)."""
    SCAN_DEADLINES = "scan_deadlines"
    """Offer reminder and overdue jobs for open requests (``service_layer.maintenance``)."""
    DEADLINE_REMINDER = "deadline_reminder"
    """Remind staff that a request is due soon."""
    DEADLINE_MISSED = "deadline_missed"
    """Record that a request is overdue and alert staff."""
    PURGE = "purge"
    """Purge one batch of case files past their retention (Art. 5(1)(e))."""


JsonScalar = str | int
"""What a payload field holds: identifiers and counts only, never personal data."""


class BadJobPayload(WorkflowError):
    """A stored payload does not fit its kind; retrying cannot help."""


class UnknownJobKind(WorkflowError):
    """A stored job names a kind this release does not know."""


class NoJobHandler(WorkflowError):
    """A job of a known kind reached a worker whose registry has no handler for it."""


class DuplicateJobHandler(ConfigurationError):
    """A second handler was registered for a kind without ``replace=True``."""


class MissingJobHandlers(ConfigurationError):
    """The composition root left some kinds without a handler (a start-up error)."""


class JobPayload(ABC):
    """The payload of one job; each subclass belongs to exactly one :class:`JobKind`."""

    kind: ClassVar[JobKind]

    @abstractmethod
    def to_json(self) -> dict[str, JsonScalar]:
        """The ``payload`` column's value."""

    @classmethod
    @abstractmethod
    def from_json(cls, data: Mapping[str, object]) -> Self:
        """Read a stored payload; raises :class:`BadJobPayload` if it does not fit."""


def _text(data: Mapping[str, object], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise BadJobPayload(f"job payload needs a text {key!r}", key=key)
    return value


def _count(data: Mapping[str, object], key: str, *, default: int | None = None) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadJobPayload(f"job payload needs a whole number {key!r}", key=key)
    return value


@dataclass(frozen=True)
class ProcessEmail(JobPayload):
    kind: ClassVar[JobKind] = JobKind.PROCESS_EMAIL
    mail_id: str

    def to_json(self) -> dict[str, JsonScalar]:
        return {"mail_id": self.mail_id}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Self:
        return cls(mail_id=_text(data, "mail_id"))


@dataclass(frozen=True)
class PlanRequest(JobPayload):
    kind: ClassVar[JobKind] = JobKind.PLAN_REQUEST
    reference: str

    def to_json(self) -> dict[str, JsonScalar]:
        return {"reference": self.reference}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Self:
        return cls(reference=_text(data, "reference"))


@dataclass(frozen=True)
class ExecuteAction(JobPayload):
    kind: ClassVar[JobKind] = JobKind.EXECUTE_ACTION
    action_id: str

    def to_json(self) -> dict[str, JsonScalar]:
        return {"action_id": self.action_id}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Self:
        return cls(action_id=_text(data, "action_id"))


@dataclass(frozen=True)
class ScanDeadlines(JobPayload):
    kind: ClassVar[JobKind] = JobKind.SCAN_DEADLINES

    def to_json(self) -> dict[str, JsonScalar]:
        return {}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Self:
        return cls()


@dataclass(frozen=True)
class DeadlineReminder(JobPayload):
    kind: ClassVar[JobKind] = JobKind.DEADLINE_REMINDER
    request_id: str
    days_left: int

    def to_json(self) -> dict[str, JsonScalar]:
        return {"request_id": self.request_id, "days_left": self.days_left}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Self:
        return cls(request_id=_text(data, "request_id"), days_left=_count(data, "days_left"))


@dataclass(frozen=True)
class DeadlineMissed(JobPayload):
    kind: ClassVar[JobKind] = JobKind.DEADLINE_MISSED
    request_id: str

    def to_json(self) -> dict[str, JsonScalar]:
        return {"request_id": self.request_id}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Self:
        return cls(request_id=_text(data, "request_id"))


@dataclass(frozen=True)
class Purge(JobPayload):
    """``round`` counts the follow-up batches of one day (0: the day's first)."""

    kind: ClassVar[JobKind] = JobKind.PURGE
    round: int = 0

    def to_json(self) -> dict[str, JsonScalar]:
        return {"round": self.round}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Self:
        # The periodic offer of earlier releases stored ``{}`` for the day's first batch.
        return cls(round=_count(data, "round", default=0))


PAYLOAD_TYPES: Mapping[JobKind, type[JobPayload]] = {
    payload.kind: payload
    for payload in (ProcessEmail, PlanRequest, ExecuteAction, ScanDeadlines, DeadlineReminder, DeadlineMissed, Purge)
}
"""The payload type of each kind (every kind has exactly one)."""


P = TypeVar("P", bound=JobPayload)

JobHandler = Callable[[P, "UnitOfWork", "Engine"], None]
"""A handler: the typed payload, the job's unit of work (the handler's changes commit with
the job's completion) and the engine."""

_Runner = Callable[[Mapping[str, object], "UnitOfWork", "Engine"], None]


def _known_kind(kind: str) -> JobKind:
    try:
        return JobKind(kind)
    except ValueError:
        raise UnknownJobKind(f"no job kind {kind!r} in this release", kind=kind) from None


class JobRegistry:
    """Which handler runs each kind; filled once by the composition root."""

    def __init__(self) -> None:
        self._runners: dict[JobKind, _Runner] = {}

    def register(self, payload_type: type[P], handler: JobHandler[P], *, replace: bool = False) -> None:
        """Run ``handler`` for jobs of ``payload_type``; a second registration for the same
        kind is a configuration error unless ``replace`` says it is meant (tests, stand-ins)."""
        kind = payload_type.kind
        if PAYLOAD_TYPES.get(kind) is not payload_type:
            raise ConfigurationError(f"{payload_type.__name__} is not the payload type of {str(kind)!r}")
        if kind in self._runners and not replace:
            raise DuplicateJobHandler(f"job kind {str(kind)!r} already has a handler")

        def run(raw: Mapping[str, object], uow: UnitOfWork, engine: Engine) -> None:
            handler(payload_type.from_json(raw), uow, engine)

        self._runners[kind] = run

    def handles(self, kind: JobKind) -> bool:
        return kind in self._runners

    def missing(self, kinds: Iterable[JobKind] = JobKind) -> tuple[JobKind, ...]:
        return tuple(kind for kind in kinds if kind not in self._runners)

    def require_complete(self, kinds: Iterable[JobKind] = JobKind) -> None:
        """Raise :class:`MissingJobHandlers` naming every kind that has no handler."""
        missing = self.missing(kinds)
        if missing:
            names = ", ".join(str(kind) for kind in missing)
            raise MissingJobHandlers(
                f"no handler registered for job kind(s) {names}",
                problems=[f"jobs: no handler for {str(kind)!r}" for kind in missing],
            )

    def run(self, kind: str, payload: Mapping[str, object], uow: UnitOfWork, engine: Engine) -> None:
        """Decode the stored payload and run its handler in ``uow``."""
        runner = self._runners.get(_known_kind(kind))
        if runner is None:
            raise NoJobHandler(f"no handler for job kind {kind!r}", kind=kind)
        runner(payload, uow, engine)
