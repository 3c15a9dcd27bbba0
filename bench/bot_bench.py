"""Telegram bot throughput and reply latency through the Bot API stand-in.

    .venv/bin/python bench/bot_bench.py [--chats 200] [--rounds 3] [--rate 300] [--database URL] [--help-only]

Two processes, as in production: this one runs the bot (the real PTB Application, long
polling over HTTP on 127.0.0.1, the workflows engine on a fresh SQLite file or
--database); a child process plays Telegram: the stand-in of tests/support/telegram and
``--chats`` simulated people. Each chat runs the whole guided request ``--rounds`` times:
/start, choose a right, continue, answer the detail, skip the contact, submit (one
OpenRequest: a real engine transaction with its audit events and outbox row), /status.
Between two sends a chat "thinks" for a random time (exponential, seeded per chat) with
the mean that makes all chats together offer ``--rate`` updates/s: each chat's pauses
are scaled so that they add up to the same total for every chat, and a pause counts from
the chat's previous send, not from the answer. A chat never sends before the bot answered
and never catches up on a pause it lost waiting (no bursts), so an overloaded bot shows
as an achieved rate below the offered one. (A fixed schedule instead lets late chats
catch up all at once: they fall into step and submit in waves, which the single SQLite
writer then serves one request after another.) Unscaled pauses counted from the answer,
as before, made the run as long as the slowest chat's random sum: 23.4 s for 4,200
updates with the defaults even for an infinitely fast bot, so "179.6 updates/s" was the
most the bench could ever report. ``--rate 0`` is a closed loop (every chat sends as
soon as it is answered).

Latency: from the moment the stand-in queues an update to the first call the bot makes
for that chat (sendMessage or editMessageReplyMarkup), both seen by the child's clock.
Goal: >= 300 updates/s and p99 < 200 ms. Writes bench/results/bot-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FIRST_CHAT = 7_000_000
# One guided request: (kind, payload); every step gets one answer that carries the chat id.
SCRIPT: tuple[tuple[str, str], ...] = (
    ("text", "/start"),
    ("press", "r:marketing_objection"),
    ("press", "r:go"),
    ("press", "d:email"),
    ("press", "c:skip"),
    ("press", "s:ok"),
    ("text", "/status"),
)
TWO_ANSWERS = {"s:ok"}
"""Steps answered twice (registered; no verification needed): the second is let go by."""


# -- the Telegram side (child process) -----------------------------------------------------
def telegram_side(conn: Connection, chats: int, rounds: int, rate: float, script: list[tuple[str, str]]) -> None:
    asyncio.run(_telegram_side(conn, chats, rounds, rate, script))


async def _telegram_side(conn: Connection, chats: int, rounds: int, rate: float, script: list[tuple[str, str]]) -> None:
    from tests.support.telegram.bot_api import Call, FakeBotApi

    api = await FakeBotApi().start_in_loop()
    loop = asyncio.get_running_loop()
    waiting: dict[int, asyncio.Future[float]] = {}

    early: dict[int, list[float]] = {}
    """Answers that came before the chat started waiting for them (e.g. a second answer)."""

    def on_call(call: Call) -> None:  # in this loop: the stand-in serves from it
        chat_id = call.chat_id
        if chat_id is None or call.method not in ("sendMessage", "editMessageReplyMarkup"):
            return
        future = waiting.pop(chat_id, None)
        if future is not None and not future.done():
            future.set_result(call.at)
        else:
            early.setdefault(chat_id, []).append(call.at)

    api.listeners.append(on_call)
    conn.send({"token": api.token, "base_url": api.base_url, "base_file_url": api.base_file_url})
    await asyncio.to_thread(conn.recv)  # the bot is up
    latencies: list[float] = []
    by_step: dict[str, list[float]] = {payload: [] for _, payload in script}
    interval = chats / rate if rate else 0.0  # each chat's pace, so that all together offer ``rate``

    async def answer(chat_id: int) -> float:
        if early.get(chat_id):
            return early[chat_id].pop(0)
        future: asyncio.Future[float] = loop.create_future()
        waiting[chat_id] = future
        return await asyncio.wait_for(future, timeout=60)

    steps = rounds * len(script)

    def pauses(chat_id: int) -> list[float]:
        """Random pauses between the chat's sends that add up to ``(steps - 1) × interval``."""
        think = random.Random(chat_id)  # seeded: runs are comparable
        drawn = [think.expovariate(1.0) for _ in range(steps - 1)] or [1.0]
        scale = interval * (steps - 1) / sum(drawn)
        return [d * scale for d in drawn] + [0.0]

    async def one_chat(chat_id: int, offset: float) -> None:
        pause = iter(pauses(chat_id))
        await asyncio.sleep(offset)
        for _ in range(rounds):
            for kind, payload in script:
                answered = asyncio.ensure_future(answer(chat_id))
                sent_at = time.perf_counter()
                if kind == "text":
                    api.send_text(chat_id, payload)
                else:
                    api.press(chat_id, payload)
                latency = await answered - sent_at
                latencies.append(latency)
                by_step[payload].append(latency)
                if payload in TWO_ANSWERS:
                    await answer(chat_id)
                wait = next(pause) - (time.perf_counter() - sent_at)
                if interval and wait > 0:  # a person reads and thinks before the next tap
                    await asyncio.sleep(wait)

    started = time.perf_counter()
    await asyncio.gather(*(one_chat(FIRST_CHAT + n, interval * n / chats) for n in range(chats)))
    elapsed = time.perf_counter() - started
    conn.send({"latencies": latencies, "by_step": by_step, "elapsed": elapsed})
    await asyncio.to_thread(conn.recv)  # the bot has stopped polling
    await api.stop_in_loop()


# -- the bot side (this process) -----------------------------------------------------------
async def run_bench(
    chats: int, rounds: int, rate: float, database_url: str | None, script: tuple[tuple[str, str], ...]
) -> dict[str, Any]:
    from bot.app import BotConfig, BotRunner, build_application
    from bot.services import SERVICES_KEY
    from rightsdesk.bootstrap import build_app
    from rightsdesk.settings import Settings

    workdir = Path(tempfile.mkdtemp(prefix="bot-bench-"))
    url = database_url or f"sqlite:///{workdir / 'bench.db'}"
    app = build_app(Settings.model_validate({"database": {"url": url}, "base_dir": str(workdir)}))
    here, there = multiprocessing.get_context("spawn").Pipe()
    child = multiprocessing.get_context("spawn").Process(
        target=telegram_side, args=(there, chats, rounds, rate, list(script)), daemon=True
    )
    child.start()
    stand_in = await asyncio.to_thread(here.recv)
    config = BotConfig(
        token=stand_in["token"],
        base_url=stand_in["base_url"],
        base_file_url=stand_in["base_file_url"],
        rate_limit_updates=1000,
        poll_timeout_seconds=1,
        concurrent_updates=256,
    )
    application = build_application(config, engine=app.engine, database=app.database, reader=app.reader)
    runner = BotRunner(application, config, app.database, notify=False)
    await runner.start()
    cpu_started = time.process_time()
    here.send("go")
    result = await asyncio.to_thread(here.recv)
    cpu_seconds = time.process_time() - cpu_started
    writer = application.bot_data[SERVICES_KEY].writer
    await runner.stop()
    here.send("stop")
    child.join(10)
    app.close()
    latencies: list[float] = sorted(result["latencies"])
    updates, elapsed = len(latencies), float(result["elapsed"])

    def pct(p: float) -> float:
        return round(latencies[min(updates - 1, int(p * updates))] * 1000, 1)

    return {
        "script": "help-only" if script[0][1] == "/help" else "guided-request",
        "chats": chats,
        "rounds": rounds,
        "offered_updates_per_second": rate or "closed loop",
        "updates": updates,
        "requests_opened": 0 if script[0][1] == "/help" else chats * rounds,
        "seconds": round(elapsed, 3),
        "updates_per_second": round(updates / elapsed, 1),
        "bot_cpu_ms_per_update": round(cpu_seconds / updates * 1000, 2),
        "bot_cpu_share": round(cpu_seconds / elapsed, 2),
        "latency_ms": {
            "p50": pct(0.50),
            "p90": pct(0.90),
            "p99": pct(0.99),
            "max": round(latencies[-1] * 1000, 1),
            "mean": round(statistics.fmean(latencies) * 1000, 1),
        },
        "writer": {
            "batches": writer.batches,
            "jobs": writer.jobs,
            "states": writer.states,
            "busy_seconds": round(writer.busy_seconds, 2),
            "fallbacks": writer.fallbacks,
        },
        "ms_by_step_p50_p99": {
            k: [round(statistics.median(v) * 1000, 1), round(sorted(v)[min(len(v) - 1, int(0.99 * len(v)))] * 1000, 1)]
            for k, v in result["by_step"].items()
            if v
        },
        "database": url.split(":", 1)[0],
        "machine": {"nproc": os.cpu_count(), "load": os.getloadavg()},
        "at": datetime.now(UTC).isoformat(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--rate", type=float, default=300.0, help="updates/s all chats offer together (each chat paced); 0: closed loop"
    )
    parser.add_argument("--database", default=None, help="SQLAlchemy URL (default: a fresh SQLite file)")
    parser.add_argument("--switch-interval", type=float, default=0.0, help="sys.setswitchinterval for the bot process")
    parser.add_argument("--help-only", action="store_true", help="only /help (no database writes): the bot's floor")
    args = parser.parse_args()
    script = (("text", "/help"),) * len(SCRIPT) if args.help_only else SCRIPT
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)
    result = asyncio.run(run_bench(args.chats, args.rounds, args.rate, args.database, script))
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results" / f"bot-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
