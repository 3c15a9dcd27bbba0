"""The SQL unit of work: one database transaction per command.

A unit of work opened while another is active in the same context *joins* it: the
inner ``commit()`` only flushes (saves aggregates, chains events) and the outer one
commits. This is how a worker job runs commands (e.g. processing an e-mail opens a
request) and completes the job in one transaction — and why nested use can never
deadlock on SQLite's single writer lock.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine

from workflows.adapters import audit, job_queue
from workflows.adapters import outbox as outbox_table
from workflows.adapters.archive import SqlCaseArchive
from workflows.adapters.inbound_mail import SqlInboundMail
from workflows.adapters.repository import SqlActionRepository, SqlMessageLog, SqlRequestRepository, Tracker
from workflows.domain.events import Event
from workflows.domain.messages import Message
from workflows.domain.request import RightsRequest

_ACTIVE: contextvars.ContextVar[SqlUnitOfWork | None] = contextvars.ContextVar("rightsdesk_uow", default=None)


class _JoinedUnitOfWork:
    """The view of an outer unit of work that an inner ``with`` block gets."""

    def __init__(self, outer: SqlUnitOfWork) -> None:
        self._outer = outer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._outer, name)

    def commit(self) -> None:
        self._outer.flush()


class SqlUnitOfWork:
    def __init__(self, engine: Engine, now: Callable[[], datetime]) -> None:
        self._engine = engine
        self._now = now
        self._connection: Connection | None = None
        self._tracker = Tracker()
        self._loose_events: list[Event] = []
        self._joined_to: SqlUnitOfWork | None = None
        self._token: contextvars.Token[SqlUnitOfWork | None] | None = None

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            raise RuntimeError("the unit of work is not open; use it in a with-block")
        return self._connection

    def __enter__(self) -> SqlUnitOfWork:
        outer = _ACTIVE.get()
        if outer is not None:
            self._joined_to = outer
            return _JoinedUnitOfWork(outer)  # type: ignore[return-value]
        self._joined_to = None
        # Become the active unit of work only once the transaction is really open: if
        # connecting or BEGIN fails (a locked SQLite file past its busy timeout, a refused
        # PostgreSQL connection), ``__exit__`` never runs, and a half-built unit of work left
        # in the context would be "joined" by every later one in this thread or task.
        connection = self._engine.connect()
        try:
            connection.begin()
            self._tracker = Tracker()
            self._loose_events = []
            self.requests = SqlRequestRepository(connection, self._tracker)
            self.actions = SqlActionRepository(connection, self._tracker)
            self.messages = SqlMessageLog(connection)
            self.cases = SqlCaseArchive(connection)
            self.inbound = SqlInboundMail(connection)
            # Jobs queued here commit with the change (see adapters.job_queue).
            self.jobs = job_queue.SqlJobQueue(connection, self._now)
        except BaseException:
            try:
                if connection.in_transaction():
                    connection.rollback()
            finally:
                connection.close()
            raise
        self._connection = connection
        self._token = _ACTIVE.set(self)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._joined_to is not None:
            return  # the outer unit of work decides
        if self._token is not None:
            _ACTIVE.reset(self._token)
            self._token = None
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            if connection.in_transaction():
                connection.rollback()
        finally:
            connection.close()

    def record(self, event: Event) -> None:
        """An event that belongs to no aggregate (e.g. a purge)."""
        self._loose_events.append(event)

    def commit(self) -> None:
        """Save every changed aggregate, chain its events, and commit — all or nothing."""
        self.flush()
        self.connection.commit()

    def flush(self) -> None:
        """Save every changed aggregate and chain its events, without committing."""
        connection = self.connection
        for aggregate in self._tracker.changed():
            if isinstance(aggregate, RightsRequest):
                self.requests.save(aggregate)
            else:
                self.actions.save(aggregate)
        pending = [event for aggregate in self._tracker.aggregates for event in aggregate.events]
        pending.extend(self._loose_events)
        pending.sort(key=lambda e: e.occurred_at)
        audit.append(connection, pending, recorded_at=self._now())
        self._tracker.clear()
        self._loose_events.clear()

    def queue_outgoing(self, message: Message, recipient: str) -> None:
        self.messages.add(message)
        outbox_table.add(
            self.connection, item_id=uuid.uuid4().hex, message=message, recipient=recipient, now=self._now()
        )
