"""Telegram bot throughput and reply latency through the Bot API stand-in (issue 7).

    .venv/bin/python bench/bot_bench.py [--chats 200] [--rounds 3] [--database URL]

Runs the real PTB Application (long polling over HTTP on 127.0.0.1) against the stand-in
of tests/support/telegram, on a fresh SQLite database (or --database). Each of ``--chats``
chats runs the whole guided request concurrently with the others, ``--rounds`` times:
/start, choose a right, continue, answer the detail, skip the contact, submit (one
OpenRequest: a real engine transaction), /status. A chat sends its next update when the
bot has answered the last one (closed loop), so 200 chats keep 200 updates in flight.

Latency: from the moment the stand-in queues an update to the first call the bot makes
for that chat (sendMessage or editMessageReplyMarkup). Goal: >= 300 updates/s and
p99 < 200 ms. The stand-in serves from the bot's own event loop (no second thread: Python's 5 ms GIL
switch interval would be measured as latency), so the figures include the stand-in's
own work and are a lower bound for the bot alone. Writes bench/results/bot-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import BotConfig, BotRunner, build_application  # noqa: E402
from rightsdesk.bootstrap import build_app  # noqa: E402
from rightsdesk.settings import Settings  # noqa: E402
from tests.support.telegram.bot_api import Call, FakeBotApi  # noqa: E402

FIRST_CHAT = 7_000_000
# One guided request: (kind, payload); every step gets exactly one answer that carries the chat id.
SCRIPT: tuple[tuple[str, str], ...] = (
    ("text", "/start"),
    ("press", "r:marketing_objection"),
    ("press", "r:go"),
    ("press", "d:email"),
    ("press", "c:skip"),
    ("press", "s:ok"),
    ("text", "/status"),
)


async def run_bench(
    chats: int, rounds: int, database_url: str | None, script: tuple[tuple[str, str], ...] = SCRIPT
) -> dict[str, object]:
    workdir = Path(tempfile.mkdtemp(prefix="bot-bench-"))
    url = database_url or f"sqlite:///{workdir / 'bench.db'}"
    app = build_app(Settings.model_validate({"database": {"url": url}, "base_dir": str(workdir)}))
    api = await FakeBotApi().start_in_loop()
    loop = asyncio.get_running_loop()
    waiting: dict[int, asyncio.Future[float]] = {}

    def on_call(call: Call) -> None:  # in the stand-in's thread
        chat_id = call.chat_id
        if chat_id is None or call.method not in ("sendMessage", "editMessageReplyMarkup"):
            return
        at = call.at

        def resolve() -> None:
            future = waiting.pop(chat_id, None)
            if future is not None and not future.done():
                future.set_result(at)

        loop.call_soon_threadsafe(resolve)

    api.listeners.append(on_call)
    config = BotConfig(token=api.token, base_url=api.base_url, base_file_url=api.base_file_url,
                       rate_limit_updates=1000, poll_timeout_seconds=1, concurrent_updates=256)
    application = build_application(config, engine=app.engine, database=app.database, reader=app.reader)
    runner = BotRunner(application, config, app.database, notify=False)
    await runner.start()
    latencies: list[float] = []
    by_step: dict[str, list[float]] = {payload: [] for _, payload in script}

    async def one_chat(chat_id: int) -> None:
        for _ in range(rounds):
            for kind, payload in script:
                future: asyncio.Future[float] = loop.create_future()
                waiting[chat_id] = future
                sent_at = time.perf_counter()
                if kind == "text":
                    api.send_text(chat_id, payload)
                else:
                    api.press(chat_id, payload)
                answered_at = await asyncio.wait_for(future, timeout=60)
                latencies.append(answered_at - sent_at)
                by_step[payload].append(answered_at - sent_at)
                # The step after "submit" answers twice (registered, no verification needed):
                # let the second answer go by before the next update, so it is not taken for it.
                if payload == "s:ok":
                    second: asyncio.Future[float] = loop.create_future()
                    waiting[chat_id] = second
                    await asyncio.wait_for(second, timeout=60)

    started, cpu_started = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one_chat(FIRST_CHAT + n) for n in range(chats)))
    elapsed = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    await runner.stop()
    await api.stop_in_loop()
    app.close()
    latencies.sort()
    updates = len(latencies)

    def pct(p: float) -> float:
        return latencies[min(updates - 1, int(p * updates))] * 1000

    return {
        "chats": chats,
        "rounds": rounds,
        "updates": updates,
        "requests_opened": chats * rounds,
        "seconds": round(elapsed, 3),
        "updates_per_second": round(updates / elapsed, 1),
        "process_cpu_ms_per_update": round(cpu_seconds / updates * 1000, 2),
        "process_cpu_share": round(cpu_seconds / elapsed, 2),
        "latency_ms": {"p50": round(pct(0.50), 1), "p90": round(pct(0.90), 1), "p99": round(pct(0.99), 1),
                       "max": round(latencies[-1] * 1000, 1), "mean": round(statistics.fmean(latencies) * 1000, 1)},
        "median_ms_by_step": {k: round(statistics.median(v) * 1000, 1) for k, v in by_step.items() if v},
        "database": url.split(":", 1)[0],
        "machine": {"nproc": os.cpu_count(), "load": os.getloadavg()},
        "at": datetime.now(UTC).isoformat(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", default=None, help="SQLAlchemy URL (default: a fresh SQLite file)")
    parser.add_argument("--help-only", action="store_true", help="only /help (no database writes): the bot's floor")
    args = parser.parse_args()
    script = (("text", "/help"),) * len(SCRIPT) if args.help_only else SCRIPT
    result = asyncio.run(run_bench(args.chats, args.rounds, args.database, script))
    result["script"] = "help-only" if args.help_only else "guided-request"
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results" / f"bot-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
