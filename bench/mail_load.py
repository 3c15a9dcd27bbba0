"""The benchmark's SMTP load: N concurrent clients on loopback, each on one connection.

Each client sends MAIL/RCPT/DATA in a loop (``RSET`` between messages is not needed: a
250 after DATA resets the transaction). Latency is measured from the moment the final
``.<CRLF>`` has been handed to the kernel to the moment the reply line is read, i.e. the
time the server takes to make the message safe and say so.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    accepted: int = 0
    refused: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    accept_times: list[tuple[str, float]] = field(default_factory=list)
    """(Message-ID, wall-clock time of the 250) for the receipt-to-reply measurement."""

    @property
    def rate(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    def summary(self) -> dict[str, float | int]:
        return {
            "accepted": self.accepted,
            "refused": self.refused,
            "seconds": round(self.seconds, 3),
            "messages_per_second": round(self.rate, 1),
            "p50_ms": round(self.percentile(0.50), 2),
            "p99_ms": round(self.percentile(0.99), 2),
            "max_ms": round(max(self.latencies_ms, default=float("nan")), 2),
            "mean_ms": round(statistics.fmean(self.latencies_ms), 2) if self.latencies_ms else float("nan"),
        }


def make_message(size: int, sender: str, recipient: str) -> tuple[str, bytes]:
    """A plain-text request of about ``size`` bytes, dot-stuffing-free, with a fresh Message-ID."""
    message_id = f"<{uuid.uuid4().hex}@bench.example.lv>"
    head = (
        f"From: {sender}\r\nTo: {recipient}\r\nSubject: Datu dzesana\r\nMessage-ID: {message_id}\r\n"
        "Date: Tue, 03 Mar 2026 09:00:00 +0200\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\nLudzu, dzesiet manus personas datus.\r\n"
    ).encode()
    line = b"x" * 76 + b"\r\n"
    body = line * max(0, (size - len(head)) // len(line))
    return message_id, head + body


async def _reply(reader: asyncio.StreamReader) -> tuple[int, str]:
    """One (possibly multi-line) SMTP reply."""
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("server closed the connection")
        if len(line) < 4 or line[3:4] != b"-":
            return int(line[:3]), line.decode("ascii", "replace").strip()


async def _command(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, text: str) -> tuple[int, str]:
    writer.write(text.encode() + b"\r\n")
    await writer.drain()
    return await _reply(reader)


async def _client(
    port: int, count: int, size: int, sender: str, recipient: str, result: LoadResult, lmtp: bool = False
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        await _reply(reader)
        await _command(reader, writer, f"{'LHLO' if lmtp else 'EHLO'} client.bench.example.lv")
        for _ in range(count):
            message_id, raw = make_message(size, sender, recipient)
            await _command(reader, writer, f"MAIL FROM:<{sender}>")
            await _command(reader, writer, f"RCPT TO:<{recipient}>")
            code, _ = await _command(reader, writer, "DATA")
            if code != 354:
                result.refused += 1
                await _command(reader, writer, "RSET")
                continue
            writer.write(raw + b".\r\n")
            await writer.drain()
            started = time.perf_counter()
            code, _ = await _reply(reader)
            elapsed = time.perf_counter() - started
            if code == 250:
                result.accepted += 1
                result.latencies_ms.append(elapsed * 1000)
                result.accept_times.append((message_id, time.time()))
            else:
                result.refused += 1
        await _command(reader, writer, "QUIT")
    finally:
        writer.close()


async def _run(port: int, clients: int, messages: int, size: int, sender: str, recipient: str) -> LoadResult:
    result = LoadResult()
    share, extra = divmod(messages, clients)
    started = time.perf_counter()
    await asyncio.gather(
        *(_client(port, share + (1 if n < extra else 0), size, sender, recipient, result) for n in range(clients))
    )
    result.seconds = time.perf_counter() - started
    return result


def run_load(port: int, *, clients: int, messages: int, size: int, sender: str, recipient: str) -> LoadResult:
    return asyncio.run(_run(port, clients, messages, size, sender, recipient))
