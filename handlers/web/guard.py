"""Keeps the bot answering when its web app is flooded (issue 10, bench/web.py).

The web app and the bot share one event loop and one SQLite database. Every request that may use
the database waits for one of `[web] busy_limit` places; when `busy_queue` requests already wait,
the next is answered 503 with Retry-After at once. Public requests (Open311 GETs, /metrics) also
take a token from their client's bucket (`public_rate` a second, `public_burst` at once); an empty
bucket is answered 429 with Retry-After. Each refusal is in its route group's own format: the
Open311 error list (JSON or XML), plain text for /metrics, JSON for /readyz, a page for the
dashboard. The webhook, /healthz and /static are never held back: Telegram's updates must go in,
and a supervisor must see the process alive.

A refusal is answered after a pause of up to PAUSE seconds (a tarpit, as nginx's limit_req
delays): a client that asks again as soon as it is answered would otherwise turn each of its
connections into thousands of refusals a second, and answering those takes the event loop from
the bot just as serving them did. At most PAUSED refusals wait at once; beyond, they are
answered at once.

Requests that pass read the database on a reader of their own (`own_reader`, storage/db.py
reads_apart), so a slow page never queues the bot's reads.

The client is the connection's peer; behind a reverse proxy listed in `trusted_proxies`, the
address X-Forwarded-For gives (server.py puts uvicorn's ProxyHeadersMiddleware in front).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.domain.throttle import Buckets
from bot.usecases.results import Refused
from handlers.web import open311, pages
from handlers.web.context import Web
from storage.db import reads_apart

PAUSE = 1.0  # seconds a refusal waits before it is answered (at most its Retry-After)
PAUSED = 1024  # refusals waiting at once; more are answered without the pause

Refuser = Callable[[Web, Request, int, str, int], Response]  # (…, status, key, seconds)


def _page(web: Web, request: Request, status: int, key: str, seconds: int) -> Response:
    return pages.render(
        web, request, "error.html", status=status, key=key, params={"seconds": seconds}
    )


def _open311(web: Web, request: Request, status: int, key: str, seconds: int) -> Response:
    services = web.services
    lang = open311.language_of(request, services.settings.default_language)
    fmt = "xml" if request.url.path.endswith(".xml") else "json"
    reply = open311.errors(services, Refused(key, {"seconds": seconds}), lang, status=status)
    return open311.render(reply, fmt)


def _text(web: Web, request: Request, status: int, key: str, seconds: int) -> Response:
    lang = web.services.settings.default_language
    return PlainTextResponse(web.services.texts(key, lang, seconds=seconds), status_code=status)


def _json(web: Web, request: Request, status: int, key: str, seconds: int) -> Response:
    return JSONResponse({"status": "busy"}, status_code=status)


@dataclass(frozen=True, slots=True)
class Group:
    """How the guard treats the paths under PREFIX (a prefix ending in / covers a folder, any
    other is one path)."""

    prefix: str
    held: bool  # waits for a place (it may use the database); False: never held back
    public: bool = False  # GETs (and HEADs) are limited per client
    refuse: Refuser = _page


# First match wins; the last covers the dashboard's pages and the login.
GROUPS = (
    Group("/telegram/", held=False),  # the webhook: an update is stored before it is answered
    Group("/healthz", held=False),
    Group("/static/", held=False),
    Group("/open311/", held=True, public=True, refuse=_open311),
    Group("/metrics", held=True, public=True, refuse=_text),
    Group("/readyz", held=True, refuse=_json),
    Group("/", held=True),
)


def group_of(path: str) -> Group:
    for group in GROUPS:
        if path == group.prefix or (group.prefix.endswith("/") and path.startswith(group.prefix)):
            return group
    return GROUPS[-1]


class Places:
    """LIMIT places (0: unbounded) and at most QUEUE requests waiting for one."""

    def __init__(self, limit: int, queue: int):
        self.limit = limit
        self.queue = queue
        self._free = asyncio.Semaphore(max(1, limit))
        self.waiting = 0

    async def take(self) -> bool:
        """Waits for a place and returns True, or returns False at once if the queue is full."""
        if not self.limit:
            return True
        if self._free.locked():
            if self.waiting >= self.queue:
                return False
            self.waiting += 1
            try:
                await self._free.acquire()
            finally:
                self.waiting -= 1
        else:
            await self._free.acquire()
        return True

    def give_back(self) -> None:
        if self.limit:
            self._free.release()


class Guard:
    """ASGI middleware: holds requests to the places and the public ones to their client's
    bucket (see the module's docstring). CLOCK is monotonic seconds and PAUSE waits before a
    refusal (tests pass their own)."""

    def __init__(
        self,
        app: ASGIApp,
        web: Web,
        clock: Callable[[], float] = time.monotonic,
        pause: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        self.app = app
        self.web = web
        self.clock = clock
        self.pause = pause
        self.paused = 0
        settings = web.services.settings.web
        self.places = Places(settings.busy_limit, settings.busy_queue)
        self.buckets = Buckets(settings.public_rate, settings.public_burst)
        self.limited = settings.public_rate > 0
        self.retry_after = settings.busy_retry_after
        self.own_reader = settings.own_reader

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        group = group_of(scope["path"])
        if not group.held:
            await self.app(scope, receive, send)
            return
        if self.limited and group.public and scope["method"] in ("GET", "HEAD"):
            client = scope.get("client")
            wait = self.buckets.take(client[0] if client else "", self.clock())
            if wait:
                seconds = max(1, math.ceil(wait))
                await self._refuse(group, scope, receive, send, 429, "guard.too_many", seconds)
                return
        if not await self.places.take():
            seconds = self.retry_after
            await self._refuse(group, scope, receive, send, 503, "guard.busy", seconds)
            return
        try:
            with reads_apart() if self.own_reader else contextlib.nullcontext():
                await self.app(scope, receive, send)
        finally:
            self.places.give_back()

    async def _refuse(
        self, group: Group, scope: Scope, receive: Receive, send: Send, status: int, key: str,
        seconds: int,
    ) -> None:  # fmt: skip
        self.web.metrics.refused(status)
        if self.paused < PAUSED:
            self.paused += 1
            try:
                await self.pause(min(PAUSE, seconds))
            finally:
                self.paused -= 1
        response = group.refuse(self.web, Request(scope), status, key, seconds)
        response.headers["Retry-After"] = str(seconds)
        await response(scope, receive, send)
