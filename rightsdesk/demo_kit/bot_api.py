"""A local stand-in for the Telegram Bot API over HTTP on 127.0.0.1 (a free port).

Implements what the bot uses: getMe, getUpdates (long polling), sendMessage,
editMessageText, editMessageReplyMarkup, answerCallbackQuery, getFile and file download,
setWebhook and deleteWebhook. Tests inject updates (messages, commands, button presses,
documents) and read what the bot sent. A chat can be marked blocked: sends to it answer
403 Forbidden as Telegram does.

For a person trying ``rightsdesk demo`` without Telegram, ``GET /`` serves a chat page
(:mod:`.chat_page`) that plays one Telegram user in one chat through a small JSON API:

- ``GET /demo/chat/{chat_id}/messages?after=N``: the chat's entries after sequence number N
  (what the bot sent or edited, what the visitor sent), ``{"messages": [...], "last": N}``;
- ``POST /demo/chat/{chat_id}/send`` ``{"text", "first_name"?, "language_code"?}``: a message;
- ``POST /demo/chat/{chat_id}/press`` ``{"data", "message_id"?, ...}``: an inline-button press;
- ``POST /demo/chat/{chat_id}/upload`` (multipart: ``file``, ``first_name``, ``language_code``):
  a document the bot can getFile and download.

POSTs must carry the header ``X-Rightsdesk-Demo: chat`` (a cross-site page cannot send it
without a CORS preflight, which is never granted) and every page request must name the
stand-in's own address in ``Host`` (no DNS rebinding). It listens on 127.0.0.1 only.

Runs uvicorn in a thread with its own event loop, so a test's own loop (running the real
PTB Application) talks to it over real HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.parser
import email.policy
import itertools
import json
import re
import secrets
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
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from . import chat_page

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
DEFAULT_FIRST_NAME = "Customer"

DEMO_HEADER = "x-rightsdesk-demo"
"""POSTs of the chat page carry ``X-Rightsdesk-Demo: chat``: a custom header forces a CORS
preflight, so another site open in the visitor's browser cannot press buttons for them."""
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
"""Bots may download files up to 20 MB through getFile (Bot API, getFile)."""
MAX_TEXT_CHARS = 4096
"""Telegram's limit for one text message."""
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{1,8})?")
_FILE_NAME_UNSAFE = re.compile(r"[\x00-\x1f/\\]")


@dataclass
class ChatEntry:
    """One line of a chat as the chat page shows it."""

    seq: int
    sender: str
    """"bot" or "user"."""
    kind: str
    """"text", "document", "press" (a button the visitor pressed) or "notice" (answerCallbackQuery text)."""
    text: str
    message_id: int | None = None
    buttons: list[list[dict[str, str]]] = field(default_factory=list)
    edited: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "from": self.sender,
            "kind": self.kind,
            "text": self.text,
            "message_id": self.message_id,
            "buttons": self.buttons,
            "edited": self.edited,
        }


def _keyboard(markup: Any) -> list[list[dict[str, str]]]:
    """Rows of inline buttons as ``{"text", "callback_data"}`` or ``{"text", "url"}``; other kinds dropped."""
    if not isinstance(markup, dict):
        return []
    rows: list[list[dict[str, str]]] = []
    for row in markup.get("inline_keyboard") or []:
        buttons: list[dict[str, str]] = []
        for button in row if isinstance(row, list) else []:
            if not isinstance(button, dict):
                continue
            label = str(button.get("text", ""))
            if "callback_data" in button:
                buttons.append({"text": label, "callback_data": str(button["callback_data"])})
            elif "url" in button:
                buttons.append({"text": label, "url": str(button["url"])})
        if buttons:
            rows.append(buttons)
    return rows


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
    def __init__(self, token: str = "123456:TEST-token", *, port: int = 0) -> None:  # noqa: S107 (the stand-in's own)
        """``port`` 0: one the OS chooses (tests); the demo asks for a memorable one."""
        self._closing = False
        self._wanted_port = port
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
        self._chats: dict[int, list[ChatEntry]] = {}
        """What the chat page shows, per chat (both sides), in order of ``seq``."""
        self._bot_messages: dict[tuple[int, int], ChatEntry] = {}
        """(chat, message_id) -> the latest state of a bot message, for edits and button presses."""
        self._query_chats: dict[str, int] = {}
        self._seq = itertools.count(1)
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

    @property
    def page_url(self) -> str:
        """The chat page for a person trying the demo in a browser."""
        return f"http://127.0.0.1:{self.port}/"

    def _make_server(self) -> socket.socket:
        # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say they are TCP;
        # with proto 0 every response (head and body written apart) waits ~40 ms for an ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", self._wanted_port))
        self.port = sock.getsockname()[1]
        app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._api, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._download, methods=["GET"]),
                Route("/", self._page, methods=["GET"]),
                Route("/demo/chat/{chat_id:int}/messages", self._chat_messages, methods=["GET"]),
                Route("/demo/chat/{chat_id:int}/send", self._chat_send, methods=["POST"]),
                Route("/demo/chat/{chat_id:int}/press", self._chat_press, methods=["POST"]),
                Route("/demo/chat/{chat_id:int}/upload", self._chat_upload, methods=["POST"]),
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
        self._closing = True  # pending long polls answer now instead of holding the shutdown
        if self._loop is not None and self._wakeup is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wakeup.set)
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
    def _user(chat_id: int, language_code: str | None, first_name: str = DEFAULT_FIRST_NAME) -> dict[str, Any]:
        user: dict[str, Any] = {"id": chat_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        return user

    def _message(
        self, chat_id: int, language_code: str | None, first_name: str = DEFAULT_FIRST_NAME, **content: Any
    ) -> dict[str, Any]:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": self._user(chat_id, language_code, first_name),
            **content,
        }

    def _log(self, chat_id: int, entry: ChatEntry) -> None:
        """Append to the chat page's view of ``chat_id``; the caller holds ``self._lock``."""
        self._chats.setdefault(chat_id, []).append(entry)

    def send_text(
        self, chat_id: int, text: str, *, language_code: str | None = "lv", first_name: str = DEFAULT_FIRST_NAME
    ) -> int:
        """A text message from the person; a leading "/word" is marked as a command."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        message = self._message(chat_id, language_code, first_name, **content)
        with self._lock:
            self._log(chat_id, ChatEntry(next(self._seq), "user", "text", text, message["message_id"]))
        return self._push({"message": message})

    def press(
        self,
        chat_id: int,
        data: str,
        *,
        language_code: str | None = "lv",
        first_name: str = DEFAULT_FIRST_NAME,
        message_id: int | None = None,
    ) -> int:
        """The person presses an inline button with callback ``data``.

        ``message_id`` names the bot message that carries the button (the chat page passes it, so
        the bot's edit lands on that message); without it the button sits on a fresh message "…".
        """
        with self._lock:
            shown = self._bot_messages.get((chat_id, message_id)) if message_id is not None else None
            query_id = str(next(self._ids))
            self._query_chats[query_id] = chat_id
            label = next(
                (b["text"] for row in (shown.buttons if shown else []) for b in row if b.get("callback_data") == data),
                data,
            )
            self._log(chat_id, ChatEntry(next(self._seq), "user", "press", label, message_id))
        bot_message: dict[str, Any] = {
            "message_id": message_id if shown is not None else next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": BOT_USER,
            "text": shown.text if shown is not None else "…",
        }
        if shown is not None and shown.buttons:
            bot_message["reply_markup"] = {"inline_keyboard": shown.buttons}
        query = {
            "id": query_id,
            "from": self._user(chat_id, language_code, first_name),
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
        first_name: str = DEFAULT_FIRST_NAME,
    ) -> int:
        file_id = f"file{next(self._ids)}"
        self._files[file_id] = content
        document = {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_name": filename,
            "file_size": len(content) if reported_size is None else reported_size,
        }
        message = self._message(chat_id, language_code, first_name, document=document)
        with self._lock:
            self._log(chat_id, ChatEntry(next(self._seq), "user", "document", filename, message["message_id"]))
        return self._push({"message": message})

    def chat_entries(self, chat_id: int, after: int = 0) -> list[ChatEntry]:
        """What the chat page shows of ``chat_id`` after sequence number ``after``."""
        with self._lock:
            return [entry for entry in self._chats.get(chat_id, []) if entry.seq > after]

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
            if chat_id is not None:
                self._show_bot_message(method, chat_id, message["message_id"], params)
            return _ok(message)
        if method == "answerCallbackQuery":
            self._show_notice(params)
            return _ok(True)
        if method in ("setWebhook", "deleteWebhook"):
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

    def _show_bot_message(self, method: str, chat_id: int, message_id: int, params: dict[str, Any]) -> None:
        """Log what the bot sent or edited for the chat page.

        Telegram drops the inline keyboard of an edited message unless the edit names one again.
        """
        key = (chat_id, message_id)
        with self._lock:
            before = self._bot_messages.get(key)
            if method == "editMessageReplyMarkup":
                text = before.text if before is not None else ""
            else:
                text = str(params.get("text", ""))
            entry = ChatEntry(
                next(self._seq),
                "bot",
                "text",
                text,
                message_id,
                _keyboard(params.get("reply_markup")),
                edited=method != "sendMessage",
            )
            self._bot_messages[key] = entry
            self._log(chat_id, entry)

    def _show_notice(self, params: dict[str, Any]) -> None:
        """The text of an answerCallbackQuery (Telegram shows it as a toast), if any."""
        text = str(params.get("text") or "")
        with self._lock:
            chat_id = self._query_chats.pop(str(params.get("callback_query_id", "")), None)
            if chat_id is not None and text:
                self._log(chat_id, ChatEntry(next(self._seq), "bot", "notice", text))

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
            if ready or remaining <= 0 or self._closing:
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

    # -- the chat page ------------------------------------------------------------------------
    def _own_host(self, request: Request) -> bool:
        """Only requests addressed to this stand-in by name (no DNS rebinding to 127.0.0.1)."""
        return request.headers.get("host", "") in (f"127.0.0.1:{self.port}", f"localhost:{self.port}")

    def _refuse(self, request: Request, *, post: bool) -> Response | None:
        if not self._own_host(request):
            return _problem(421, "unknown host")
        if post and request.headers.get(DEMO_HEADER) != "chat":
            return _problem(403, f"missing header {DEMO_HEADER}: chat")
        return None

    async def _page(self, request: Request) -> Response:
        if (refused := self._refuse(request, post=False)) is not None:
            return refused
        nonce = secrets.token_urlsafe(18)
        return HTMLResponse(
            chat_page.render(nonce),
            headers={
                "Content-Security-Policy": chat_page.content_security_policy(nonce),
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
                "Cache-Control": "no-store",
            },
        )

    async def _chat_messages(self, request: Request) -> Response:
        if (refused := self._refuse(request, post=False)) is not None:
            return refused
        try:
            after = int(request.query_params.get("after", "0"))
        except ValueError:
            return _problem(400, "after must be a number")
        entries = self.chat_entries(request.path_params["chat_id"], after)
        last = entries[-1].seq if entries else after
        return JSONResponse({"messages": [entry.to_json() for entry in entries], "last": last})

    async def _json_body(self, request: Request) -> dict[str, Any] | Response:
        if (refused := self._refuse(request, post=True)) is not None:
            return refused
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _problem(400, "the body is not JSON")
        return body if isinstance(body, dict) else _problem(400, "the body is not a JSON object")

    async def _chat_send(self, request: Request) -> Response:
        body = await self._json_body(request)
        if isinstance(body, Response):
            return body
        text = body.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT_CHARS:
            return _problem(400, f"text must be 1 to {MAX_TEXT_CHARS} characters")
        person = _person(body)
        if isinstance(person, Response):
            return person
        update_id = self.send_text(request.path_params["chat_id"], text, language_code=person[0], first_name=person[1])
        return JSONResponse({"update_id": update_id})

    async def _chat_press(self, request: Request) -> Response:
        body = await self._json_body(request)
        if isinstance(body, Response):
            return body
        data, message_id = body.get("data"), body.get("message_id")
        if not isinstance(data, str) or not data or len(data.encode()) > 64:
            return _problem(400, "data must be 1 to 64 bytes (Telegram's callback_data)")
        if message_id is not None and (not isinstance(message_id, int) or isinstance(message_id, bool)):
            return _problem(400, "message_id must be a number")
        person = _person(body)
        if isinstance(person, Response):
            return person
        update_id = self.press(
            request.path_params["chat_id"], data, language_code=person[0], first_name=person[1], message_id=message_id
        )
        return JSONResponse({"update_id": update_id})

    async def _chat_upload(self, request: Request) -> Response:
        if (refused := self._refuse(request, post=True)) is not None:
            return refused
        kind = request.headers.get("content-type", "")
        if not kind.startswith("multipart/form-data"):
            return _problem(400, "send multipart/form-data with a file field")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_UPLOAD_BYTES + 64 * 1024:
                return _problem(413, f"files up to {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
        fields, files = _multipart(kind, bytes(body))
        if "file" not in files:
            return _problem(400, "no file field")
        filename, content = files["file"]
        if len(content) > MAX_UPLOAD_BYTES:
            return _problem(413, f"files up to {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
        person = _person(fields)
        if isinstance(person, Response):
            return person
        update_id = self.send_document(
            request.path_params["chat_id"], content, filename, language_code=person[0], first_name=person[1]
        )
        return JSONResponse({"update_id": update_id})


def _ok(result: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})


def _problem(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"error": detail}, status_code=status)


def _person(body: dict[str, Any]) -> tuple[str, str] | Response:
    """(language_code, first_name) the visitor chose, Latvian and "Customer" by default."""
    language = body.get("language_code") or "lv"
    name = body.get("first_name") or DEFAULT_FIRST_NAME
    if not isinstance(language, str) or not _LANGUAGE_CODE.fullmatch(language):
        return _problem(400, "language_code is like lv or en-GB")
    if not isinstance(name, str) or len(name.strip()) == 0 or len(name) > 64:
        return _problem(400, "first_name must be 1 to 64 characters")
    return language, name.strip()


def _multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    """Text fields and files of a multipart/form-data body (RFC 7578), read with the e-mail parser:
    Starlette's own form parsing needs python-multipart, which the service does not depend on."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    if not message.is_multipart():
        return fields, files
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            safe = _FILE_NAME_UNSAFE.sub("_", filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1])[:255] or "file"
            files[name] = (safe, bytes(payload))
        else:
            fields[name] = bytes(payload).decode("utf-8", "replace")
    return fields, files
