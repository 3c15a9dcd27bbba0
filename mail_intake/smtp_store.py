"""Group commit for inbound mail: many sessions' messages made durable by one transaction.

With ``synchronous=FULL`` (SQLite) or a synchronous commit (PostgreSQL) every commit waits
for the disk. Committing each message alone caps the accept rate at the disk's flush rate
and makes 50 concurrent clients queue behind each other. Here the messages that arrive
while one commit is in flight are stored together by the next one: each still runs the
engine's own ``StoreInboundEmail`` handler (joined to one unit of work, see
``workflows.adapters.unit_of_work``), and each session still answers 250 only after the
commit that holds its message has returned. No extra waiting is added: a lone message is
committed at once.

If a batch fails, its messages are retried one by one, so one bad message cannot cost the
others their 250; each that still fails gets its own 451.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from workflows.service_layer.commands import StoreInboundEmail

if TYPE_CHECKING:
    from workflows.service_layer.bus import Engine

log = logging.getLogger(__name__)

MAX_BATCH = 100


class GroupCommitStore:
    """An async ``store`` for :class:`mail_intake.server.SmtpIntake` built on the engine.

    Use one instance per event loop (per ``SmtpIntake``).
    """

    def __init__(self, engine: Engine, *, max_batch: int = MAX_BATCH) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._pending: list[tuple[StoreInboundEmail, asyncio.Future[str]]] = []
        self._wakeup: asyncio.Event | None = None
        self._drainer: asyncio.Task[None] | None = None

    async def __call__(self, command: StoreInboundEmail) -> str:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()
        self._pending.append((command, future))
        if self._drainer is None or self._drainer.done():
            self._wakeup = asyncio.Event()
            self._drainer = loop.create_task(self._drain(), name="smtp-group-commit")
        if self._wakeup is not None:
            self._wakeup.set()
        return await future

    async def _drain(self) -> None:
        wakeup = self._wakeup
        while wakeup is not None:
            if not self._pending:
                wakeup.clear()
                await wakeup.wait()
                continue
            batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
            commands = [command for command, _ in batch]
            try:
                outcomes = await asyncio.to_thread(self._commit, commands)
            except asyncio.CancelledError:
                for _, future in batch:
                    if not future.done():
                        future.cancel()
                raise
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():  # the session went away meanwhile
                    continue
                if isinstance(outcome, BaseException):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)

    def _commit(self, commands: Sequence[StoreInboundEmail]) -> list[str | BaseException]:
        """Runs in a worker thread: the whole batch in one transaction, else one by one."""
        if len(commands) > 1:
            try:
                with self._engine.uow() as uow:
                    ids: list[str | BaseException] = [self._engine.handle(command) for command in commands]
                    uow.commit()
                return ids
            except Exception as error:
                log.warning(
                    "group commit of %d messages failed (%s); storing one by one", len(commands), type(error).__name__
                )
        outcomes: list[str | BaseException] = []
        for command in commands:
            try:
                outcomes.append(self._engine.handle(command))
            except Exception as error:
                outcomes.append(error)
        return outcomes
