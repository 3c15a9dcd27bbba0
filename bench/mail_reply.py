"""Receipt to reply sent: the SMTP server process, a worker and the outbound sender running live.

The worker runs ``mail_intake.processing``'s ``process_email`` job handler when that module
provides one, else a stand-in that opens an erasure request with ``OpenRequest`` (which
queues the templated reply); the sender is ``mail_intake.sender.EmailSender`` sending to a
local sink server. Every message comes from its own address, so ``inbound_mail.mail_from``
pairs with ``outbox.recipient``; the figure is ``outbox.sent_at - inbound_mail.received_at``.
"""

from __future__ import annotations

import asyncio
import importlib
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

import mail_load
from aiosmtpd.smtp import SMTP
from sqlalchemy import select

from mail_intake.config import SmtpOutConfig
from rightsdesk.bootstrap import build_app
from rightsdesk.settings import Settings
from workflows.adapters.inbound_mail import InboundStatus
from workflows.adapters.orm import inbound_mail, outbox
from workflows.domain.identity import ClaimedIdentity
from workflows.domain.rights import Channel, Language, Right
from workflows.service_layer.commands import OpenRequest
from workflows.service_layer.jobs import ProcessEmail

PRIVACY = "privacy@shop.example.lv"


class _UtcClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def stand_in_process_email(payload: Mapping[str, Any], uow: Any, engine: Any) -> None:
    mail = uow.inbound.get(payload["mail_id"])
    headers = BytesHeaderParser().parsebytes(mail.raw)
    reference = engine.handle(
        OpenRequest(
            channel=Channel.EMAIL,
            rights=frozenset({Right.ERASURE}),
            language=Language.LV,
            claimed=ClaimedIdentity(email=mail.mail_from),
            received_at=mail.received_at,
            incoming_subject=str(headers["Subject"] or ""),
            incoming_text="(benchmark)",
            incoming_external_id=str(headers["Message-ID"] or "") or None,
        )
    )
    request = uow.requests.get_by_reference(reference)
    uow.inbound.mark(mail.id, InboundStatus.PROCESSED, at=engine.clock.now(), request_id=request.id)


def _processing() -> tuple[str, Any]:
    try:
        module = importlib.import_module("mail_intake.processing")
    except ImportError:
        return "stand-in (OpenRequest)", stand_in_process_email
    handler = getattr(module, "process_email", None)
    if callable(handler):
        return "mail_intake.processing", handler
    return "stand-in (OpenRequest)", stand_in_process_email


class _Sink:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "250 2.0.0 Ok"


def _start_sink() -> tuple[asyncio.AbstractEventLoop, threading.Thread, int]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def listen() -> asyncio.AbstractServer:
        return await loop.create_server(lambda: SMTP(_Sink(), loop=loop), "127.0.0.1", 0)

    server = asyncio.run_coroutine_threadsafe(listen(), loop).result(10)
    return loop, thread, int(server.sockets[0].getsockname()[1])


def _send_all(port: int, messages: int, size: int) -> None:
    async def one(index: int) -> None:
        result = mail_load.LoadResult()
        await mail_load._client(port, 1, size, f"customer{index}@bench.example.lv", PRIVACY, result)

    async def run() -> None:
        limit = asyncio.Semaphore(10)

        async def bounded(index: int) -> None:
            async with limit:
                await one(index)

        await asyncio.gather(*(bounded(i) for i in range(messages)))

    asyncio.run(run())


def measure(port: int, database_url: str, base_dir: Path, *, messages: int, size: int) -> dict[str, Any]:
    from mail_intake.sender import EmailSender

    app = build_app(Settings.model_validate({"database": {"url": database_url}, "base_dir": str(base_dir)}))
    processing_name, handler = _processing()
    worker = app.worker("bench-worker")
    worker.registry.register(ProcessEmail, lambda job, uow, engine: handler(job.to_json(), uow, engine), replace=True)
    sink_loop, sink_thread, sink_port = _start_sink()
    sender = EmailSender(
        app.database,
        SmtpOutConfig(host="127.0.0.1", port=sink_port, timeout_seconds=10),
        _UtcClock(),
        "bench-sender",
        engine=app.engine,
    )
    stop = threading.Event()
    threads = [
        threading.Thread(target=worker.run_forever, args=(stop,), kwargs={"idle_seconds": 0.02}, daemon=True),
        threading.Thread(target=sender.run_forever, args=(stop,), kwargs={"idle_seconds": 0.02}, daemon=True),
    ]
    for thread in threads:
        thread.start()
    try:
        _send_all(port, messages, size)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with app.database.connect() as connection:
                sent = connection.execute(select(outbox.c.id).where(outbox.c.sent_at.is_not(None))).all()
            if len(sent) >= messages:
                break
            time.sleep(0.2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(15)
        sink_loop.call_soon_threadsafe(sink_loop.stop)
        sink_thread.join(5)
    with app.database.connect() as connection:
        received = dict(connection.execute(select(inbound_mail.c.mail_from, inbound_mail.c.received_at)).all())
        sent_rows = connection.execute(select(outbox.c.recipient, outbox.c.sent_at, outbox.c.kind)).all()
    app.close()
    delays = sorted(
        (row.sent_at - received[row.recipient]).total_seconds() * 1000
        for row in sent_rows
        if row.sent_at is not None and row.recipient in received
    )
    if not delays:
        return {"processing": processing_name, "replies": 0}

    def pct(fraction: float) -> float:
        return round(delays[min(len(delays) - 1, int(fraction * len(delays)))], 1)

    return {
        "processing": processing_name,
        "replies": len(delays),
        "kinds": sorted({row.kind for row in sent_rows}),
        "p50_ms": pct(0.5),
        "p99_ms": pct(0.99),
        "max_ms": round(delays[-1], 1),
    }
