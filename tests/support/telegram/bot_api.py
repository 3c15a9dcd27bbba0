"""A local stand-in for the Telegram Bot API over HTTP on 127.0.0.1 (a free port).

Implements what the bot uses: getMe, getUpdates (long polling), sendMessage,
editMessageText, editMessageReplyMarkup, answerCallbackQuery, getFile and file download,
setWebhook and deleteWebhook. Tests inject updates (messages, commands, button presses,
documents) and read what the bot sent. A chat can be marked blocked: sends to it answer
403 Forbidden as Telegram does.

Runs uvicorn in a thread with its own event loop, so a test's own loop (running the real
PTB Application) talks to it over real HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

_JSON_FIELDS = {"reply_markup", "allowed_updates", "link_preview_options", "entities", "reply_parameters"}
_METHODS = {
    name.lower(): name
    for name in (
        "getMe",
        "getUpdates",
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "answerCallbackQuery",
        "getFile",
        "setWebhook",
        "deleteWebhook",
    )
}
BOT_USER = {"id": 100000001, "is_bot": True, "first_name": "Rightsdesk", "username": "rightsdesk_test_bot"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.perf_counter)

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback data) of the inline keyboard sent with the message."""
        markup = self.params.get("reply_markup") or {}
        return [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", []) for b in row]


class FakeBotApi:
    def __init__(self, token: str = "123456:TEST-token") -> None:
        self.token = token
        self.calls: list[Call] = []
        self.blocked: set[int] = set()
        self.listeners: list[Callable[[Call], None]] = []
        """Called (in the server's thread) with every call the bot makes; for benchmarks."""
        self.injected_at: dict[int, float] = {}
        """update_id -> perf_counter when injected (for latency measurements)."""
        self._updates: list[dict[str, Any]] = []
        self._files: dict[str, bytes] = {}
        self._ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._lock = threading.Condition()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.Event | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._serving: asyncio.Task[None] | None = None
        self.port = 0

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    def _make_server(self) -> socket.socket:
        # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say they are TCP;
        # with proto 0 every response (head and body written apart) waits ~40 ms for an ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._api, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._download, methods=["GET"]),
            ]
        )
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        return sock

    def start(self) -> FakeBotApi:
        """Serve from a thread of its own (tests: the test's loop runs the bot)."""
        sock = self._make_server()
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            self._wakeup = asyncio.Event()
            ready.set()
            loop.run_until_complete(self._server.serve(sockets=[sock]))  # type: ignore[union-attr]

        self._thread = threading.Thread(target=serve, name="fake-bot-api", daemon=True)
        self._thread.start()
        ready.wait(5)
        deadline = time.monotonic() + 5
        while not self._server.started and time.monotonic() < deadline:  # type: ignore[union-attr]
            time.sleep(0.01)
        return self

    async def start_in_loop(self) -> FakeBotApi:
        """Serve from the running loop (the benchmark: no second thread competing for the GIL,
        whose 5 ms switch interval would otherwise be measured as reply latency)."""
        sock = self._make_server()
        self._loop = asyncio.get_running_loop()
        self._wakeup = asyncio.Event()
        assert self._server is not None
        self._serving = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            await asyncio.sleep(0.01)
        return self

    async def stop_in_loop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._serving is not None:
            await self._serving

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> FakeBotApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- injecting updates -------------------------------------------------------------------
    def _push(self, update: dict[str, Any]) -> int:
        update_id = next(self._ids)
        update["update_id"] = update_id
        with self._lock:
            self._updates.append(update)
            self.injected_at[update_id] = time.perf_counter()
        if self._loop is not None and self._wakeup is not None:
            self._loop.call_soon_threadsafe(self._wakeup.set)
        return update_id

    @staticmethod
    def _user(chat_id: int, language_code: str | None) -> dict[str, Any]:
        user: dict[str, Any] = {"id": chat_id, "is_bot": False, "first_name": "Customer"}
        if language_code:
            user["language_code"] = language_code
        return user

    def _message(self, chat_id: int, language_code: str | None, **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": self._user(chat_id, language_code),
            **content,
        }

    def send_text(self, chat_id: int, text: str, *, language_code: str | None = "lv") -> int:
        """A text message from the person; a leading "/word" is marked as a command."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return self._push({"message": self._message(chat_id, language_code, **content)})

    def press(self, chat_id: int, data: str, *, language_code: str | None = "lv") -> int:
        """The person presses an inline button with callback ``data``."""
        bot_message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": BOT_USER,
            "text": "…",
        }
        query = {
            "id": str(next(self._ids)),
            "from": self._user(chat_id, language_code),
            "chat_instance": str(chat_id),
            "data": data,
            "message": bot_message,
        }
        return self._push({"callback_query": query})

    def send_document(
        self,
        chat_id: int,
        content: bytes,
        filename: str,
        *,
        reported_size: int | None = None,
        language_code: str | None = "lv",
    ) -> int:
        file_id = f"file{next(self._ids)}"
        self._files[file_id] = content
        document = {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_name": filename,
            "file_size": len(content) if reported_size is None else reported_size,
        }
        return self._push({"message": self._message(chat_id, language_code, document=document)})

    # -- reading what the bot did --------------------------------------------------------------
    def sent(self, chat_id: int | None = None, method: str = "sendMessage") -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method and (chat_id is None or c.chat_id == chat_id)]

    def downloads(self) -> list[Call]:
        return self.sent(method="download")

    def wait_for(self, condition: Callable[[], bool], timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._lock:
            while not condition():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._lock.wait(remaining)
        return True

    async def wait_for_messages(self, chat_id: int, count: int, timeout: float = 10.0) -> list[Call]:
        """Wait (without blocking the test's loop) until ``count`` messages went to ``chat_id``."""
        ok = await asyncio.to_thread(self.wait_for, lambda: len(self._sent_unlocked(chat_id)) >= count, timeout)
        found = self.sent(chat_id)
        if not ok:
            raise TimeoutError(f"chat got {len(found)} messages, wanted {count}: {[c.text for c in found]}")
        return found

    def _sent_unlocked(self, chat_id: int) -> list[Call]:
        return [c for c in self.calls if c.method == "sendMessage" and c.chat_id == chat_id]

    # -- HTTP ---------------------------------------------------------------------------------
    async def _params(self, request: Request) -> dict[str, Any]:
        body = (await request.body()).decode()
        kind = request.headers.get("content-type", "")
        if "json" in kind and body:
            decoded = dict(json.loads(body))
            return {k: json.loads(v) if k in _JSON_FIELDS and isinstance(v, str) else v for k, v in decoded.items()}
        raw = dict(parse_qsl(body)) if body else dict(request.query_params)
        return {k: json.loads(v) if k in _JSON_FIELDS else v for k, v in raw.items()}

    def _record(self, method: str, params: dict[str, Any]) -> None:
        call = Call(method, params)
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()
        for listener in self.listeners:
            listener(call)

    async def _api(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return JSONResponse({"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401)
        # Bot API method names are case-insensitive ("SendMessage" is sendMessage).
        method = _METHODS.get(request.path_params["method"].lower(), request.path_params["method"])
        params = await self._params(request)
        if method == "getUpdates":
            return await self._get_updates(params)
        self._record(method, params)
        chat_id = int(params["chat_id"]) if "chat_id" in params else None
        if chat_id is not None and chat_id in self.blocked:
            return JSONResponse(
                {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"},
                status_code=403,
            )
        if method == "getMe":
            return _ok(BOT_USER)
        if method in ("sendMessage", "editMessageText", "editMessageReplyMarkup"):
            message = {
                "message_id": int(params.get("message_id") or next(self._message_ids)),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
                "text": params.get("text", "…"),
            }
            return _ok(message)
        if method in ("answerCallbackQuery", "setWebhook", "deleteWebhook"):
            return _ok(True)
        if method == "getFile":
            file_id = str(params["file_id"])
            if file_id not in self._files:
                return JSONResponse(
                    {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"}, status_code=400
                )
            return _ok(
                {
                    "file_id": file_id,
                    "file_unique_id": file_id,
                    "file_size": len(self._files[file_id]),
                    "file_path": f"documents/{file_id}",
                }
            )
        return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"}, status_code=404)

    async def _get_updates(self, params: dict[str, Any]) -> Response:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + timeout
        while True:
            assert self._wakeup is not None
            self._wakeup.clear()  # before looking: a push after the look sets it again
            with self._lock:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                ready = self._updates[:limit]
            remaining = deadline - time.monotonic()
            if ready or remaining <= 0:
                return _ok(ready)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=min(remaining, 1.0))

    async def _download(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return Response(status_code=401)
        file_id = request.path_params["path"].rsplit("/", 1)[-1]
        self._record("download", {"file_id": file_id})
        content = self._files.get(file_id)
        return (
            Response(content, media_type="application/octet-stream")
            if content is not None
            else Response(status_code=404)
        )


def _ok(result: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})
