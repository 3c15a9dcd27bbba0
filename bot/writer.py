"""Group commit of everything the bot writes: conversation states, new requests (with the
chat's link to them), withdrawals, notification marks.

One writer thread; whatever arrives while a transaction is on its way to disk goes into
the next one, as the SMTP intake does. Engine commands run inside it through the joined
unit of work (workflows.adapters.unit_of_work), so a request and its chat link commit
together. With ``synchronous=FULL`` a SQLite commit costs an fsync: one per update would
cap the bot far below 300 updates/s, and writers that contend for SQLite's lock back off
in sleeps of up to 100 ms. If a batch fails, its jobs are retried one by one, so one bad
job (e.g. withdrawing a closed request) fails alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection

from bot.store import BotStore
from workflows.service_layer.bus import Engine

log = logging.getLogger(__name__)
T = TypeVar("T")
Job = Callable[[Connection], Any]
MAX_BATCH = 100
"""Jobs per transaction (engine commands cost milliseconds each)."""


class GroupWriter:
    def __init__(
        self, engine: Engine, store: BotStore, now: Callable[[], datetime], *, linger_seconds: float = 0.003
    ) -> None:
        self.linger_seconds = linger_seconds
        self._engine = engine
        self._store = store
        self._now = now
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bot-writer")
        self._states: dict[int, dict[str, Any]] = {}
        self._state_waiters: list[asyncio.Future[Any]] = []
        self._jobs: list[tuple[Job, asyncio.Future[Any]]] = []
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self.batches = 0
        self.jobs = 0
        self.states = 0
        self.busy_seconds = 0.0
        self.fallbacks = 0
        """Counters for monitoring: transactions, jobs and chat states written, time spent."""

    async def save_state(self, chat_id: int, data: dict[str, Any]) -> None:
        """Store a chat's conversation state; returns once it is committed."""
        # A JSON round trip: a deep copy that also proves the state is storable.
        self._states[chat_id] = json.loads(json.dumps(data))
        waiter = self._submit()
        self._state_waiters.append(waiter)
        await waiter

    async def call(self, job: Callable[[Connection], T]) -> T:
        """Run ``job`` in the next group transaction (engine commands join it); its result."""
        waiter = self._submit()
        self._jobs.append((job, waiter))
        result: T = await waiter
        return result

    def _submit(self) -> asyncio.Future[Any]:
        if self._task is None or self._task.done():
            self._wake = asyncio.Event()
            self._task = asyncio.create_task(self._run(), name="bot-group-writer")
        assert self._wake is not None
        self._wake.set()
        return asyncio.get_running_loop().create_future()

    async def _run(self) -> None:
        assert self._wake is not None
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            if self.linger_seconds:
                await asyncio.sleep(self.linger_seconds)  # let a few more arrive: fewer, fuller commits
            self._wake.clear()
            states, self._states = self._states, {}
            state_waiters, self._state_waiters = self._state_waiters, []
            jobs, self._jobs = self._jobs[:MAX_BATCH], self._jobs[MAX_BATCH:]
            if self._jobs:
                self._wake.set()
            if not states and not jobs:
                continue
            started = time.perf_counter()
            outcomes = await loop.run_in_executor(self._executor, self._commit, states, [job for job, _ in jobs])
            self.busy_seconds += time.perf_counter() - started
            self.batches += 1
            self.jobs += len(jobs)
            self.states += len(states)
            state_outcome, job_outcomes = outcomes
            for waiter in state_waiters:
                _settle(waiter, state_outcome)
            for (_, waiter), outcome in zip(jobs, job_outcomes, strict=True):
                _settle(waiter, outcome)

    def _commit(self, states: dict[int, dict[str, Any]], jobs: list[Job]) -> tuple[Any, list[Any]]:
        """In the writer thread: everything in one transaction, else one by one."""
        try:
            with self._engine.uow() as uow:
                results = [job(_connection(uow)) for job in jobs]
                self._store.save_conversations(states, now=self._now(), connection=_connection(uow))
                uow.commit()
            return None, results
        except Exception as error:
            if len(jobs) + bool(states) <= 1:
                return error, [error] * len(jobs)
            log.info("group commit of %d jobs failed (%s); retrying one by one", len(jobs), type(error).__name__)
            self.fallbacks += 1
        state_outcome: Any = None
        try:
            self._store.save_conversations(states, now=self._now())
        except Exception as error:
            state_outcome = error
        return state_outcome, [self._alone(job) for job in jobs]

    def _alone(self, job: Job) -> Any:
        try:
            with self._engine.uow() as uow:
                result = job(_connection(uow))
                uow.commit()
            return result
        except Exception as error:
            return error

    async def close(self) -> None:
        """Wait for what is queued, stop the writer task and its thread."""
        while self._state_waiters or self._jobs:
            await asyncio.gather(*self._state_waiters, *(w for _, w in self._jobs), return_exceptions=True)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._executor.shutdown(wait=True)


def _connection(uow: object) -> Connection:
    """The open connection of the engine's SQL unit of work, which the bot's rows share."""
    connection = getattr(uow, "connection", None)
    if not isinstance(connection, Connection):
        raise TypeError("the bot's writer needs the SQL unit of work (workflows.adapters.unit_of_work)")
    return connection


def _settle(waiter: asyncio.Future[Any], outcome: Any) -> None:
    if waiter.done():
        return
    if isinstance(outcome, BaseException):
        waiter.set_exception(outcome)
    else:
        waiter.set_result(outcome)
