"""The bot's HTTP client for the Bot API: aiohttp instead of PTB's default httpx.

Measured through the stand-in (bench/bot_bench.py), sending is most of the bot's CPU time
per update; httpx/httpcore spend it in pure-Python HTTP parsing and a connection-pool scan
that grows with the requests in flight, aiohttp parses in C. aiohttp is already installed
with pyHanko. ``BotConfig.http_client = "httpx"`` switches back to PTB's default.
"""

from __future__ import annotations

import asyncio
import json

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    def __init__(
        self,
        connections: int = 16,
        *,
        read_timeout: float = 5.0,
        write_timeout: float = 5.0,
        connect_timeout: float = 5.0,
        pool_timeout: float = 10.0,
    ) -> None:
        self._connections = connections
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(connector=connector)

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            await self.initialize()
        assert self._session is not None
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=_pick(pool_timeout, self._pool_timeout),
            sock_connect=_pick(connect_timeout, self._connect_timeout),
            sock_read=_pick(read_timeout, self._read_timeout),
        )
        data: aiohttp.FormData | bytes | None = None
        headers: dict[str, str] | None = None
        if request_data is not None:
            files = request_data.multipart_data if request_data.contains_files else None
            if files:
                form = aiohttp.FormData()
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, part in files.items():
                    if isinstance(part, tuple):  # (filename, content) or (filename, content, mime type)
                        mime = part[2] if len(part) > 2 else None
                        form.add_field(name, part[1], filename=part[0], content_type=mime)
                    else:
                        form.add_field(name, part)
                data = form
            else:
                # A JSON body (the Bot API accepts one): cheaper to build than a urlencoded form.
                data = json.dumps(request_data.parameters).encode()
                headers = _JSON
        try:
            async with self._session.request(method, url, data=data, headers=headers, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except asyncio.CancelledError:
            raise
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp: {type(error).__name__}: {error}") from error


_JSON = {"Content-Type": "application/json"}


def _pick(value: ODVInput[float], default: float) -> float | None:
    if isinstance(value, DefaultValue):
        return default
    return value
