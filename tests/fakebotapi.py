"""A fake Telegram Bot API server over real HTTP, faithful to https://core.telegram.org/bots/api.

It keeps chats and messages, records every call, lets tests play residents, workers and groups
(push updates), and injects the faults a bot meets in production: 429 with retry_after, 403,
migrated groups, answers slower than the client's timeout, 5xx, and refused connections.

In tests::

    fake = FakeBotApi()
    await fake.start()                  # 127.0.0.1, a random port; fake.api_url for --api-url
    resident = fake.user(5001)
    resident.send_text("/start")
    await fake.wait_for(lambda: resident.texts(), timeout=10)
    fake.inject(Fault.too_many_requests(3), method="sendMessage", times=5)
    await fake.stop()

By hand: ``python -m tests.fakebotapi --port 8081`` serves until interrupted; its /_fake/…
control routes (see `_control_routes`) push updates and show what the bot sent.

Deliberately not implemented: webhooks, inline mode, payments, and methods griddesk does not call
(they answer 404 "Not Found", as Telegram does for unknown methods).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import itertools
import json
import math
import mimetypes
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

BOT_ID = 7000000001
BOT_USERNAME = "griddesk_test_bot"
MAX_FILE_DOWNLOAD = 20 * 1024 * 1024  # getFile refuses bigger files
MAX_DOCUMENT_UPLOAD = 50 * 1024 * 1024  # sendDocument refuses bigger uploads
# sendPoll (https://core.telegram.org/bots/api#sendpoll): a question of 1-300 characters and
# 2-12 options of 1-100 characters each.
POLL_QUESTION, POLL_OPTION, POLL_OPTIONS = 300, 100, (2, 12)
CALLBACK_ANSWER_WINDOW = 15.0  # seconds Telegram waits for answerCallbackQuery
MESSAGE_METHODS = {
    "sendmessage",
    "sendphoto",
    "senddocument",
    "sendpoll",
    "stoppoll",
    "sendmediagroup",
    "editmessagetext",
    "editmessagecaption",
    "editmessagereplymarkup",
}
CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
# Telegram's HTML subset (https://core.telegram.org/bots/api#html-style).
HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
HTML_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
INLINE_BUTTON_KINDS = {
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
}


class ApiError(Exception):
    """An error answer: {"ok": false, "error_code": STATUS, "description": …, "parameters": …}."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(text: str, parameters: dict[str, Any] | None = None) -> ApiError:
    return ApiError(400, f"Bad Request: {text}", parameters)


# Faults -------------------------------------------------------------------------------------


@dataclass
class Fault:
    """What the next matching call gets instead of its normal answer.

    DELAY seconds pass before the answer; with PROCESS the call then takes effect (or, when
    STATUS is 0, gets its normal answer) only if the client is still connected, so a client that
    timed out did not send the message — unless PROCESS_FIRST, which applies the call first and
    answers late (the client cannot know it went through).
    """

    status: int = 0
    description: str = ""
    parameters: dict[str, Any] | None = None
    delay: float = 0.0
    process_first: bool = False

    @classmethod
    def too_many_requests(cls, retry_after: int) -> Fault:
        return cls(
            429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
        )

    @classmethod
    def blocked(cls) -> Fault:
        return cls(403, "Forbidden: bot was blocked by the user")

    @classmethod
    def kicked(cls) -> Fault:
        return cls(403, "Forbidden: bot was kicked from the group chat")

    @classmethod
    def migrated(cls, new_chat_id: int) -> Fault:
        return cls(
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            {"migrate_to_chat_id": new_chat_id},
        )

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        phrases = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
        return cls(status, phrases.get(status, "Internal Server Error"))

    @classmethod
    def slow(cls, seconds: float, *, process_first: bool = False) -> Fault:
        return cls(0, "", None, seconds, process_first)


@dataclass
class _Injection:
    fault: Fault
    method: str | None
    chat_id: int | None
    remaining: int

    def matches(self, method: str, chat_id: int | None) -> bool:
        if self.method is not None and self.method.lower() != method:
            return False
        return self.chat_id is None or self.chat_id == chat_id


# Recorded state ------------------------------------------------------------------------------


@dataclass
class Call:
    """One HTTP call to a Bot API method, as received and as answered."""

    method: str  # as Telegram spells it (sendMessage), or as sent when unknown
    params: dict[str, Any]
    at: float
    status: int = 200
    result: Any = None
    description: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def chat_id(self) -> int | None:
        return _maybe_int(self.params.get("chat_id"))


@dataclass
class FileInfo:
    file_id: str
    file_unique_id: str
    file_size: int
    file_path: str
    content: bytes


@dataclass
class Chat:
    id: int
    type: str  # private, group, supergroup, channel
    title: str | None = None
    first_name: str | None = None
    started: bool = False  # a private chat exists once the user has written to the bot
    blocked: bool = False
    member: bool = True  # groups: the bot is in the group; channels: the bot is an administrator
    can_post: bool = True  # channels: the bot's administrator right to post messages
    migrated_to: int | None = None
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_message_id: int = 1

    def as_dict(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            chat["first_name"] = self.first_name or "user"
        else:
            chat["title"] = self.title or "group"
        return chat


# The server ---------------------------------------------------------------------------------


METHOD_NAMES = [
    "getMe",
    "getUpdates",
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "sendPoll",
    "stopPoll",
    "sendMediaGroup",
    "editMessageText",
    "editMessageCaption",
    "editMessageReplyMarkup",
    "answerCallbackQuery",
    "getFile",
    "setMyCommands",
    "getMyCommands",
    "deleteMessage",
    "sendChatAction",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
]

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # setWebhook's documented alphabet


class FakeBotApi:
    """The server and its state; every method below runs on the server's event loop."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        enforce_limits: bool = False,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.host = host
        self.port = port
        self.token = token  # None: any well-formed token is accepted
        self.enforce_limits = enforce_limits
        self.monotonic = monotonic
        self.calls: list[Call] = []
        self.chats: dict[int, Chat] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.files: dict[str, FileInfo] = {}
        self.file_names: dict[str, str] = {}  # documents' names, by file_id
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.callback_queries: dict[str, dict[str, Any]] = {}
        self.violations: list[tuple[str, int | None, float]] = []
        self._updates: deque[dict[str, Any]] = deque()
        self._update_ids = itertools.count(100_000)
        self._query_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._photo_colours = itertools.count()
        self._media_groups = itertools.count(1)
        self._date = itertools.count(1_764_000_000)
        self._allowed_updates: list[str] | None = None
        self._new_update = asyncio.Event()
        self._poller: asyncio.Future[None] | None = None
        self._injections: list[_Injection] = []
        self._floods: list[tuple[float, int | None]] = []
        self._sent_at: deque[tuple[float, int]] = deque()  # (time, weight): global window
        self._chat_sent_at: dict[int, deque[tuple[float, int]]] = {}
        self.polls: dict[str, dict[str, Any]] = {}  # poll id → the Poll object (as shown)
        self._poll_votes: dict[str, dict[int, list[int]]] = {}  # poll id → user → options
        self._poll_ids = itertools.count(5_000_000_000)
        self.seq = 0  # counts bot messages sent or edited
        self.update_count = 0  # updates queued for the bot, ever
        self._down = False
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        # Webhook mode (setWebhook): updates are POSTed to the URL instead of held for getUpdates.
        self.webhook: dict[str, Any] | None = None  # url, secret_token, max_connections
        self.webhook_attempts: list[tuple[int, int]] = []  # (update_id, HTTP status; 0: no answer)
        self.webhook_retry = 0.1  # first wait after a failed delivery (doubles, up to the max)
        self.webhook_max_retry = 2.0
        self._webhook_error: tuple[int, str] | None = None  # (date, message)
        self._webhook_wake = asyncio.Event()
        self._deliverer: asyncio.Task[None] | None = None

    # Lifecycle ------------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """Returns the root URL to pass as `griddesk run --api-url`."""
        return f"http://{self.host}:{self.port}"

    async def start(self) -> FakeBotApi:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        _control_routes(app, self)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await self._listen()
        return self

    async def _listen(self) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await self._site.start()
        server = self._site._server  # the bound port when port 0 asked for a random one
        if self.port == 0 and server is not None and server.sockets:
            self.port = server.sockets[0].getsockname()[1]

    async def __aenter__(self) -> FakeBotApi:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def stop(self) -> None:
        await self._stop_delivering()
        if self._poller is not None and not self._poller.done():
            self._poller.set_result(None)
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = self._site = None

    async def go_down(self) -> None:
        """Refuses connections (an outage): stops listening and drops open connections."""
        self._down = True
        if self._site is not None:
            await self._site.stop()
            self._site = None
        if self._runner is not None and self._runner.server is not None:
            for handler in self._runner.server.connections:
                handler.force_close()
        if self._poller is not None and not self._poller.done():
            self._poller.set_result(None)

    async def come_up(self) -> None:
        """Listens again on the same port, with every chat and update as it was."""
        self._down = False
        await self._listen()

    # Fault injection ------------------------------------------------------------------------

    def inject(
        self,
        fault: Fault,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        times: int = 1,
    ) -> None:
        """Answers the next TIMES calls of METHOD (any if None) to CHAT_ID (any if None) so."""
        self._injections.append(_Injection(fault, method, chat_id, times))

    def flood(self, seconds: float, *, chat_id: int | None = None) -> None:
        """Answers every message-producing call (to CHAT_ID, or any) with 429 for SECONDS,
        retry_after counting down as Telegram's does."""
        self._floods.append((self.monotonic() + seconds, chat_id))

    def _flooded(self, method: str, chat_id: int | None) -> ApiError | None:
        if method not in MESSAGE_METHODS:
            return None
        now = self.monotonic()
        self._floods = [(until, chat) for until, chat in self._floods if until > now]
        for until, chat in self._floods:
            if chat is None or chat == chat_id:
                retry_after = max(1, math.ceil(until - now))
                return ApiError(
                    429,
                    f"Too Many Requests: retry after {retry_after}",
                    {"retry_after": retry_after},
                )
        return None

    def clear_faults(self) -> None:
        self._injections.clear()

    def _take_fault(self, method: str, chat_id: int | None) -> Fault | None:
        for injection in self._injections:
            if injection.remaining > 0 and injection.matches(method, chat_id):
                injection.remaining -= 1
                if injection.remaining == 0:
                    self._injections.remove(injection)
                return injection.fault
        return None

    # HTTP -----------------------------------------------------------------------------------

    async def _handle_method(self, request: web.Request) -> web.StreamResponse:
        if self._down:  # a connection that slipped in while going down
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=503)
        if not self._token_ok(request.match_info["token"]):
            return _json(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        name = request.match_info["method"]
        params = await _read_params(request)
        call = Call(_canonical(name), params, self.monotonic())
        self.calls.append(call)
        handler = getattr(self, f"_api_{name.lower()}", None)
        if handler is None:
            call.status, call.description = 404, "Not Found"
            return _json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        try:
            flooded = self._flooded(name.lower(), call.chat_id)
            if flooded is not None:
                raise flooded
            fault = self._take_fault(name.lower(), call.chat_id)
            if fault is not None:
                result = await self._apply_fault(fault, request, handler, params)
            else:
                result = await self._run(handler, params, name.lower())
        except ApiError as error:
            call.status, call.description = error.status, error.description
            return _json(error.status, error.body())
        except _ClientGone:
            call.status, call.description = 499, "client went away"
            return web.Response(status=499)
        call.result = result
        return _json(200, {"ok": True, "result": result})

    async def _run(self, handler: Any, params: dict[str, Any], method: str) -> Any:
        if method in MESSAGE_METHODS:
            self._pace(method, params)
        return await handler(params)

    async def _apply_fault(
        self, fault: Fault, request: web.Request, handler: Any, params: dict[str, Any]
    ) -> Any:
        method = request.match_info["method"].lower()
        if fault.delay and fault.process_first:
            result = await self._run(handler, params, method)
            await asyncio.sleep(fault.delay)
            return result
        if fault.delay:
            await asyncio.sleep(fault.delay)
            if request.transport is None or request.transport.is_closing():
                raise _ClientGone
        if fault.status:
            raise ApiError(fault.status, fault.description, fault.parameters)
        return await self._run(handler, params, method)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if not self._token_ok(request.match_info["token"]):
            return web.Response(status=401)
        path = request.match_info["path"]
        for info in self.files.values():
            if info.file_path == path:
                return web.Response(body=info.content, content_type="application/octet-stream")
        return web.Response(status=404, text="Not Found")

    def _token_ok(self, token: str) -> bool:
        if not re.fullmatch(r"\d+:[A-Za-z0-9_-]+", token):
            return False
        return self.token is None or token == self.token

    # Limits ---------------------------------------------------------------------------------

    def _pace(self, method: str, params: dict[str, Any]) -> None:
        """Records a message-producing call against Telegram's limits (and enforces them)."""
        chat_id = _maybe_int(params.get("chat_id"))
        weight = 1
        if method == "sendmediagroup":
            media = _json_param(params, "media")
            weight = len(media) if isinstance(media, list) else 1
        now = self.monotonic()
        broken = self._limit_broken(chat_id, weight, now)
        if broken and self.enforce_limits:
            raise ApiError(429, "Too Many Requests: retry after 5", {"retry_after": 5})
        if broken:
            self.violations.append((broken, chat_id, now))
        self._sent_at.append((now, weight))
        if chat_id is not None:
            self._chat_sent_at.setdefault(chat_id, deque()).append((now, weight))

    def _limit_broken(self, chat_id: int | None, weight: int, now: float) -> str | None:
        # A little slack for the network: the client paces when it sends, we see arrivals.
        while self._sent_at and now - self._sent_at[0][0] >= 0.95:
            self._sent_at.popleft()
        if sum(w for _, w in self._sent_at) + weight > 30:
            return "30 per second overall"
        if chat_id is None:
            return None
        recent = self._chat_sent_at.get(chat_id, deque())
        if recent and now - recent[-1][0] < 0.9:
            return "1 per second per chat"
        if chat_id < 0:
            in_minute = sum(w for t, w in recent if now - t < 59.5)
            if in_minute + weight > 20:
                return "20 per minute per group"
        return None

    # Chats and people -----------------------------------------------------------------------

    def user(self, user_id: int, first_name: str = "张三", lang: str = "zh-hans") -> FakeUser:
        """Returns a person who can write to the bot in their private chat."""
        self.users[user_id] = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": lang,
        }
        if user_id not in self.chats:
            self.chats[user_id] = Chat(user_id, "private", first_name=first_name)
        return FakeUser(self, user_id)

    def channel(
        self, chat_id: int, title: str = "春晖社区回音壁", *, can_post: bool = True
    ) -> Chat:
        """Returns a channel the bot administers (ids are -100…). As in Telegram, a bot posts to
        a channel only as an administrator with the right to post; its posts carry the channel
        as `sender_chat` and no `from`."""
        if not str(chat_id).startswith("-100"):
            raise ValueError("channel ids look like -1001234567890")
        if chat_id not in self.chats:
            self.chats[chat_id] = Chat(chat_id, "channel", title=title, can_post=can_post)
        return self.chats[chat_id]

    def group(self, chat_id: int, title: str = "春晖社区居民群") -> FakeGroup:
        """Returns a group chat the bot is a member of (chat ids of groups are negative)."""
        if chat_id not in self.chats:
            self.chats[chat_id] = Chat(chat_id, "group", title=title)
        return FakeGroup(self, chat_id)

    def chat(self, chat_id: int) -> Chat:
        return self.chats[chat_id]

    def _target_chat(self, params: dict[str, Any]) -> Chat:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        chat_id = _maybe_int(raw)
        chat = self.chats.get(chat_id) if chat_id is not None else None
        if chat is None:
            raise bad_request("chat not found")
        if chat.migrated_to is not None:
            raise bad_request(
                "group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        if chat.type == "private":
            if chat.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if not chat.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        elif chat.type == "channel" and not chat.member:
            raise ApiError(403, "Forbidden: bot is not a member of the channel chat")
        elif chat.type == "channel" and not chat.can_post:
            raise bad_request("need administrator rights in the channel chat")
        elif not chat.member:
            raise ApiError(403, "Forbidden: bot was kicked from the group chat")
        return chat

    def _bot_message(self, chat: Chat, **fields: Any) -> dict[str, Any]:
        message_id = chat.next_message_id
        chat.next_message_id += 1
        # A post in a channel is sent on behalf of the channel: sender_chat, no from.
        sender = {"sender_chat": chat.as_dict()} if chat.type == "channel" else {}
        message = {
            "message_id": message_id,
            **({} if sender else {"from": self.bot_user()}),
            **sender,
            "chat": chat.as_dict(),
            "date": next(self._date),
            **{k: v for k, v in fields.items() if v is not None},
        }
        chat.messages[message_id] = message
        self.seq += 1
        message["_seq"] = self.seq  # when it was last sent or edited (not part of the API)
        return _public(message)

    def bot_user(self) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "griddesk", "username": BOT_USERNAME}

    # Updates --------------------------------------------------------------------------------

    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Queues an update of KIND (message, callback_query, …) for getUpdates; returns it."""
        update = {"update_id": next(self._update_ids), kind: payload}
        allowed = self._allowed_updates
        if allowed is None or kind in allowed or (not allowed and kind != "chat_member"):
            self.update_count += 1
            self._updates.append(update)
            self._new_update.set()
            self._webhook_wake.set()
        return update

    def deliver_again(self, update: dict[str, Any]) -> None:
        """Queues UPDATE once more, as Telegram does when it did not see a delivery's answer."""
        self._updates.append(update)
        self._new_update.set()
        self._webhook_wake.set()

    def pending_updates(self) -> list[dict[str, Any]]:
        """Returns the updates Telegram still holds (not confirmed by an offset)."""
        return list(self._updates)

    def _user_message(self, chat: Chat, user_id: int, **fields: Any) -> dict[str, Any]:
        message_id = chat.next_message_id
        chat.next_message_id += 1
        message = {
            "message_id": message_id,
            "from": self.users[user_id],
            "chat": chat.as_dict(),
            "date": next(self._date),
            **fields,
        }
        chat.messages[message_id] = message
        return message

    def new_file(self, size: int, suffix: str = "jpg", content: bytes | None = None) -> FileInfo:
        number = next(self._file_ids)
        file_id = f"AgACAgUAAxkBAAI{number:06d}"
        info = FileInfo(
            file_id,
            f"AQAD{number:06d}",
            size,
            f"photos/file_{number}.{suffix}",
            content if content is not None else b"\xff\xd8fake-jpeg" + bytes(number % 251),
        )
        self.files[file_id] = info
        return info

    def photo_sizes(self, size: int) -> list[dict[str, Any]]:
        """Returns the PhotoSize list of a new photo (a thumbnail and the full size). Like
        Telegram's, its files download as real JPEGs (small ones: one colour per photo)."""
        number = next(self._photo_colours)
        small = self.new_file(min(size, 2000), content=_jpeg(number, 90, 68))
        full = self.new_file(size, content=_jpeg(number, 320, 240))
        return [
            {"file_id": small.file_id, "file_unique_id": small.file_unique_id, "width": 90,
             "height": 68, "file_size": small.file_size},
            {"file_id": full.file_id, "file_unique_id": full.file_unique_id, "width": 1280,
             "height": 960, "file_size": full.file_size},
        ]  # fmt: skip

    # Methods --------------------------------------------------------------------------------

    async def _api_getme(self, params: dict[str, Any]) -> Any:
        return {
            **self.bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _api_getupdates(self, params: dict[str, Any]) -> Any:
        offset = _int_param(params, "offset", 0)
        limit = min(max(_int_param(params, "limit", 100) or 100, 1), 100)
        timeout = max(_int_param(params, "timeout", 0), 0)
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook"
                " to delete the webhook first",
            )
        allowed = _json_param(params, "allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(a) for a in allowed]
        if self._poller is not None and not self._poller.done():
            # Telegram answers the earlier request, not the new one, with 409.
            self._poller.set_exception(
                ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one"
                    " bot instance is running",
                )
            )
        self._confirm(offset)
        if not self._updates and timeout > 0:
            poller: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._poller = poller
            self._new_update.clear()
            waiter = asyncio.ensure_future(self._new_update.wait())
            try:
                await asyncio.wait([poller, waiter], timeout=timeout, return_when="FIRST_COMPLETED")
            finally:
                waiter.cancel()
                if self._poller is poller:
                    self._poller = None
            if poller.done() and poller.exception() is not None:
                raise poller.exception()  # type: ignore[misc]
            if self._down:
                raise _ClientGone
        return [u for u in itertools.islice(self._updates, limit)]

    # Webhooks: https://core.telegram.org/bots/api#setwebhook. Like a self-hosted Bot API server
    # (--local, what `griddesk run --api-url` talks to), any scheme, IP and port is accepted.

    async def _api_setwebhook(self, params: dict[str, Any]) -> Any:
        url = str(params.get("url") or "")
        if not url:  # "Use an empty string to remove webhook integration"
            return await self._api_deletewebhook(params)
        if not re.match(r"^https?://[^/\s]+", url):
            raise bad_request("Bad Request: bad webhook: invalid webhook URL specified")
        secret = params.get("secret_token")
        if secret is not None and not SECRET_TOKEN.match(str(secret)):
            raise bad_request("Bad Request: secret token contains unallowed characters")
        max_connections = _int_param(params, "max_connections", 40)
        if not 1 <= max_connections <= 100:
            raise bad_request("Bad Request: bad webhook: invalid max_connections specified")
        allowed = _json_param(params, "allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(a) for a in allowed]
        if _truthy(params.get("drop_pending_updates")):
            self._updates.clear()
        if self.webhook is None or self.webhook["url"] != url:
            self._webhook_error = None
        self.webhook = {
            "url": url,
            "secret_token": None if secret is None else str(secret),
            "max_connections": max_connections,
        }
        if self._deliverer is None or self._deliverer.done():
            self._deliverer = asyncio.create_task(self._deliver_forever(), name="webhook")
        self._webhook_wake.set()
        return True

    async def _api_deletewebhook(self, params: dict[str, Any]) -> Any:
        if _truthy(params.get("drop_pending_updates")):
            self._updates.clear()
        self.webhook = None
        self._webhook_error = None
        await self._stop_delivering()
        return True

    async def _api_getwebhookinfo(self, params: dict[str, Any]) -> Any:
        info: dict[str, Any] = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook is not None:
            info["max_connections"] = self.webhook["max_connections"]
            if self._allowed_updates is not None:
                info["allowed_updates"] = list(self._allowed_updates)
        if self._webhook_error is not None:
            info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    async def _stop_delivering(self) -> None:
        task, self._deliverer = self._deliverer, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _deliver_forever(self) -> None:
        """POSTs the oldest pending update to the webhook until it answers 2xx, then the next;
        a failure is retried after a wait that doubles (Telegram: "we will repeat the request")."""
        wait = self.webhook_retry
        async with aiohttp.ClientSession() as session:
            while self.webhook is not None:
                if not self._updates:
                    self._webhook_wake.clear()
                    await self._webhook_wake.wait()
                    continue
                hook, update = self.webhook, self._updates[0]
                headers = {"Content-Type": "application/json"}
                if hook["secret_token"] is not None:
                    headers[SECRET_HEADER] = hook["secret_token"]
                try:
                    async with session.post(
                        hook["url"],
                        data=json.dumps(update, ensure_ascii=False).encode(),
                        headers=headers,
                        timeout=aiohttp.ClientTimeout(total=10),
                    ) as response:
                        status, reason = response.status, response.reason or ""
                        await response.read()
                except (aiohttp.ClientError, TimeoutError) as exc:
                    status, reason = 0, type(exc).__name__
                self.webhook_attempts.append((update["update_id"], status))
                if 200 <= status < 300:
                    if self._updates and self._updates[0] is update:
                        self._updates.popleft()
                    wait = self.webhook_retry
                    continue
                self._webhook_error = (
                    int(time.time()),
                    f"Wrong response from the webhook: {status} {reason}"
                    if status
                    else "Connection refused",
                )
                await asyncio.sleep(wait)
                wait = min(wait * 2, self.webhook_max_retry)

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            keep = -offset
            while len(self._updates) > keep:
                self._updates.popleft()
            return
        while self._updates and self._updates[0]["update_id"] < offset:
            self._updates.popleft()

    async def _api_sendmessage(self, params: dict[str, Any]) -> Any:
        chat = self._target_chat(params)
        text, entities = _parse_text(params, "text")
        if not text:
            raise bad_request("message text is empty")
        if _utf16_len(text) > 4096:
            raise bad_request("message is too long")
        markup = _reply_markup(params)
        return self._bot_message(
            chat, text=text, entities=entities or None, reply_markup=_shown_markup(markup)
        )

    async def _api_sendphoto(self, params: dict[str, Any]) -> Any:
        chat = self._target_chat(params)
        info = self._input_file(params.get("photo"))
        caption, entities = _parse_text(params, "caption")
        if _utf16_len(caption) > 1024:
            raise bad_request("message caption is too long")
        markup = _reply_markup(params)
        photo = [{"file_id": info.file_id, "file_unique_id": info.file_unique_id,
                  "width": 1280, "height": 960, "file_size": info.file_size}]  # fmt: skip
        return self._bot_message(
            chat,
            photo=photo,
            caption=caption or None,
            caption_entities=entities or None,
            reply_markup=_shown_markup(markup),
        )

    async def _api_senddocument(self, params: dict[str, Any]) -> Any:
        # https://core.telegram.org/bots/api#senddocument: an upload (≤ 50 MB, kept with its
        # file name) or a file_id already on the server; caption ≤ 1024 characters.
        chat = self._target_chat(params)
        value = params.get("document")
        if isinstance(value, _UploadedFile):
            if len(value.content) > MAX_DOCUMENT_UPLOAD:
                raise ApiError(413, "Request Entity Too Large")
            suffix = value.filename.rsplit(".", 1)[-1] if "." in value.filename else "bin"
            info = self.new_file(len(value.content), suffix, content=value.content)
            self.file_names[info.file_id] = value.filename
        else:
            info = self._input_file(value)
        caption, entities = _parse_text(params, "caption")
        if _utf16_len(caption) > 1024:
            raise bad_request("message caption is too long")
        name = self.file_names.get(info.file_id, f"file_{info.file_unique_id}")
        document = {
            "file_id": info.file_id,
            "file_unique_id": info.file_unique_id,
            "file_name": name,
            "mime_type": mimetypes.guess_type(name)[0] or "application/octet-stream",
            "file_size": info.file_size,
        }
        return self._bot_message(
            chat,
            document=document,
            caption=caption or None,
            caption_entities=entities or None,
            reply_markup=_shown_markup(_reply_markup(params)),
        )

    async def _api_sendmediagroup(self, params: dict[str, Any]) -> Any:
        chat = self._target_chat(params)
        media = _json_param(params, "media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise bad_request("media group must contain 2-10 items")  # MEDIA_GROUP_INVALID
        group_id = str(next(self._media_groups))
        sent = []
        items = []
        for item in media:
            if not isinstance(item, dict) or item.get("type") not in ("photo", "video"):
                raise bad_request("can't parse InputMedia: media type is invalid")
            info = self._input_file(item.get("media"), params)
            caption, entities = _parse_text(item, "caption")
            if _utf16_len(caption) > 1024:
                raise bad_request("message caption is too long")
            items.append((info, caption, entities))
        for info, caption, entities in items:
            photo = [{"file_id": info.file_id, "file_unique_id": info.file_unique_id,
                      "width": 1280, "height": 960, "file_size": info.file_size}]  # fmt: skip
            sent.append(
                self._bot_message(
                    chat,
                    media_group_id=group_id,
                    photo=photo,
                    caption=caption or None,
                    caption_entities=entities or None,
                )
            )
        return sent

    async def _api_sendpoll(self, params: dict[str, Any]) -> Any:
        """A regular poll; anonymous unless is_anonymous is false (Telegram's default)."""
        chat = self._target_chat(params)
        question = str(params.get("question") or "").strip()
        if not question:
            raise bad_request("poll question must be non-empty")
        if _utf16_len(question) > POLL_QUESTION:
            raise bad_request("poll question length must not exceed 300")
        raw = _json_param(params, "options")
        if not isinstance(raw, list):
            raise bad_request("can't parse options JSON object")
        low, high = POLL_OPTIONS
        if len(raw) < low:
            raise bad_request("poll must have at least 2 option")
        if len(raw) > high:
            raise bad_request("poll can't have more than 12 options")
        options = []
        for option in raw:  # InputPollOption, or a plain string as before Bot API 7.3
            text = str(option.get("text", "") if isinstance(option, dict) else option).strip()
            if not text or _utf16_len(text) > POLL_OPTION:
                raise bad_request("poll options length must not exceed 100")
            # Bot API 9.6: each option has a persistent id (kept when options are added later)
            options.append({"text": text, "voter_count": 0, "persistent_id": str(len(options))})
        if str(params.get("type") or "regular") not in ("regular", "quiz"):
            raise bad_request("wrong poll type specified")
        anonymous = params.get("is_anonymous") not in (False, "false", "False", "0", 0)
        poll_id = str(next(self._poll_ids))
        poll = {
            "id": poll_id,
            "question": question,
            "options": options,
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": anonymous,
            "type": "regular",
            "allows_multiple_answers": params.get("allows_multiple_answers") in (True, "true"),
            "allows_revoting": params.get("allows_revoting") not in (False, "false"),  # 9.6
            "members_only": params.get("members_only") in (True, "true"),  # 10.0
        }
        self.polls[poll_id] = poll
        self._poll_votes[poll_id] = {}
        markup = _reply_markup(params)
        return self._bot_message(chat, poll=poll, reply_markup=_shown_markup(markup))

    async def _api_stoppoll(self, params: dict[str, Any]) -> Any:
        """Closes a poll the bot sent; returns the final Poll and sends the poll update."""
        chat = self._target_chat(params)
        message = chat.messages.get(_int_param(params, "message_id", 0))
        if message is None or "poll" not in message or message["from"].get("id") != BOT_ID:
            raise bad_request("message with poll to stop not found")
        poll = self.polls[message["poll"]["id"]]
        if poll["is_closed"]:
            raise bad_request("poll has already been closed")
        poll["is_closed"] = True
        message["poll"] = poll
        self.seq += 1
        message["_seq"] = self.seq
        self.push("poll", json.loads(json.dumps(poll)))
        return poll

    def vote(self, poll_id: str, user_id: int, option_ids: list[int]) -> dict[str, Any] | None:
        """USER_ID votes OPTION_IDS (an empty list retracts) in an open poll the bot sent; the
        bot gets a poll update (and a poll_answer if the poll is not anonymous). Returns the
        poll update, or None when nothing changed (a closed poll takes no votes)."""
        poll = self.polls[poll_id]
        if poll["is_closed"]:
            return None
        if user_id not in self.users:
            self.user(user_id)
        votes = self._poll_votes[poll_id]
        votes[user_id] = [i for i in option_ids if 0 <= i < len(poll["options"])]
        for i, option in enumerate(poll["options"]):
            option["voter_count"] = sum(1 for chosen in votes.values() if i in chosen)
        poll["total_voter_count"] = sum(1 for chosen in votes.values() if chosen)
        if not poll["is_anonymous"]:
            self.push(
                "poll_answer",
                {
                    "poll_id": poll_id,
                    "user": self.users[user_id],
                    "option_ids": votes[user_id],
                    "option_persistent_ids": [
                        poll["options"][i]["persistent_id"] for i in votes[user_id]
                    ],
                },
            )
        return self.push("poll", json.loads(json.dumps(poll)))

    def _input_file(self, value: Any, params: dict[str, Any] | None = None) -> FileInfo:
        if isinstance(value, FileInfo):
            return value
        if isinstance(value, str) and value.startswith("attach://") and params is not None:
            value = params.get(value[len("attach://") :])
            if isinstance(value, FileInfo):
                return value
        if isinstance(value, _UploadedFile):
            # Telegram keeps an uploaded photo and gives it a new file_id; so does the fake, with
            # the bytes as uploaded (real Telegram would recompress them, EXIF-free either way).
            return self.new_file(len(value.content), content=value.content)
        if isinstance(value, str) and value in self.files:
            return self.files[value]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return self.new_file(50_000)
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _message_to_edit(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self._target_chat(params)
        message_id = _int_param(params, "message_id", 0)
        message = chat.messages.get(message_id)
        if message is None or message.get("_deleted"):
            raise bad_request("message to edit not found")
        if not _by_bot(message):
            raise bad_request("message can't be edited")
        return message

    async def _api_editmessagetext(self, params: dict[str, Any]) -> Any:
        message = self._message_to_edit(params)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        text, entities = _parse_text(params, "text")
        if not text:
            raise bad_request("message text is empty")
        if _utf16_len(text) > 4096:
            raise bad_request("MESSAGE_TOO_LONG")
        markup = _shown_markup(_reply_markup(params, inline_only=True))
        new = {"text": text, "entities": entities or None, "reply_markup": markup}
        return self._edit(message, new)

    async def _api_editmessagecaption(self, params: dict[str, Any]) -> Any:
        message = self._message_to_edit(params)
        if "photo" not in message:
            raise bad_request("there is no caption in the message to edit")
        caption, entities = _parse_text(params, "caption")
        if _utf16_len(caption) > 1024:
            raise bad_request("message caption is too long")
        markup = _shown_markup(_reply_markup(params, inline_only=True))
        new = {"caption": caption or None, "caption_entities": entities or None,
               "reply_markup": markup}  # fmt: skip
        return self._edit(message, new)

    async def _api_editmessagereplymarkup(self, params: dict[str, Any]) -> Any:
        message = self._message_to_edit(params)
        markup = _shown_markup(_reply_markup(params, inline_only=True))
        return self._edit(message, {"reply_markup": markup})

    def _edit(self, message: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
        if all(message.get(key) == value for key, value in new.items()):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are"
                " exactly the same as a current content and reply markup of the message"
            )
        for key, value in new.items():
            if value is None:
                message.pop(key, None)
            else:
                message[key] = value
        message["edit_date"] = next(self._date)
        self.seq += 1
        message["_seq"] = self.seq
        return _public(message)

    async def _api_answercallbackquery(self, params: dict[str, Any]) -> Any:
        query_id = str(params.get("callback_query_id") or "")
        query = self.callback_queries.get(query_id)
        too_old = query is None or self.monotonic() - query["at"] > CALLBACK_ANSWER_WINDOW
        if too_old or query is None or query["answered"]:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = str(params.get("text") or "")
        if len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        query["answered"] = True
        query["answer"] = text
        return True

    async def _api_getfile(self, params: dict[str, Any]) -> Any:
        info = self.files.get(str(params.get("file_id") or ""))
        if info is None:
            raise bad_request("invalid file_id")
        if info.file_size > MAX_FILE_DOWNLOAD:
            raise bad_request("file is too big")
        return {
            "file_id": info.file_id,
            "file_unique_id": info.file_unique_id,
            "file_size": info.file_size,
            "file_path": info.file_path,
        }

    async def _api_setmycommands(self, params: dict[str, Any]) -> Any:
        commands = _json_param(params, "commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("commands must be a list of at most 100 BotCommand")
        for command in commands:
            name = str(command.get("command", "")) if isinstance(command, dict) else ""
            description = str(command.get("description", "")) if isinstance(command, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        scope = _json_param(params, "scope") or {"type": "default"}
        key = (json.dumps(scope, sort_keys=True), str(params.get("language_code") or ""))
        self.commands[key] = commands
        return True

    async def _api_getmycommands(self, params: dict[str, Any]) -> Any:
        scope = _json_param(params, "scope") or {"type": "default"}
        key = (json.dumps(scope, sort_keys=True), str(params.get("language_code") or ""))
        return self.commands.get(key, [])

    async def _api_deletemessage(self, params: dict[str, Any]) -> Any:
        chat = self._target_chat(params)
        message = chat.messages.get(_int_param(params, "message_id", 0))
        if message is None or message.get("_deleted"):
            raise bad_request("message to delete not found")
        message["_deleted"] = True
        return True

    async def _api_sendchataction(self, params: dict[str, Any]) -> Any:
        self._target_chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    # Reading what happened ------------------------------------------------------------------

    def calls_of(
        self, method: str | None = None, chat_id: int | None = None, *, ok: bool | None = None
    ) -> list[Call]:
        return [
            c
            for c in self.calls
            if (method is None or c.method.lower() == method.lower())
            and (chat_id is None or c.chat_id == chat_id)
            and (ok is None or c.ok == ok)
        ]

    def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """Returns what the bot has in CHAT_ID now (after edits, without deleted), oldest first."""
        chat = self.chats.get(chat_id)
        if chat is None:
            return []
        return [m for _, m in sorted(chat.messages.items()) if _by_bot(m) and not m.get("_deleted")]

    def texts(self, chat_id: int) -> list[str]:
        """Returns the text or caption of each bot message in CHAT_ID now, oldest first."""
        return [
            str(m.get("text") or m.get("caption") or "")
            for m in self.bot_messages(chat_id)
            if m.get("text") or m.get("caption")
        ]

    async def wait_for(
        self, predicate: Callable[[], Any], *, timeout: float = 30.0, what: str = ""
    ) -> Any:
        """Polls PREDICATE until it is truthy; raises TimeoutError after TIMEOUT seconds."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"gave up waiting {timeout} s for {what or predicate}")
            await asyncio.sleep(0.02)


class _ClientGone(Exception):
    """The client closed the connection before the answer (it timed out)."""


# People --------------------------------------------------------------------------------------


class FakeUser:
    """A Telegram user writing to the bot in their private chat."""

    def __init__(self, api: FakeBotApi, user_id: int):
        self.api = api
        self.id = user_id

    @property
    def chat(self) -> Chat:
        return self.api.chats[self.id]

    def _send(self, **fields: Any) -> dict[str, Any]:
        self.chat.started = True
        self.chat.blocked = False
        message = self.api._user_message(self.chat, self.id, **fields)
        return self.api.push("message", message)

    def send_text(self, text: str) -> dict[str, Any]:
        fields: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            fields["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._send(**fields)

    def send_photo(
        self, caption: str | None = None, *, size: int = 180_000, media_group_id: str | None = None
    ) -> dict[str, Any]:
        fields: dict[str, Any] = {"photo": self.api.photo_sizes(size)}
        if caption is not None:
            fields["caption"] = caption
        if media_group_id is not None:
            fields["media_group_id"] = media_group_id
        return self._send(**fields)

    def send_album(self, count: int, caption: str | None = None) -> list[dict[str, Any]]:
        """Sends COUNT photos as one album (separate updates sharing a media_group_id)."""
        group = f"album{next(self.api._media_groups)}"
        return [
            self.send_photo(caption if i == 0 else None, media_group_id=group) for i in range(count)
        ]

    def send_document(
        self,
        name: str = "a.pdf",
        mime: str = "application/pdf",
        size: int = 30_000,
        content: bytes | None = None,
    ) -> dict[str, Any]:
        """Sends a file; CONTENT (if given) is what getFile's download returns, SIZE its length."""
        size = len(content) if content is not None else size
        info = self.api.new_file(size, suffix=name.rsplit(".", 1)[-1], content=content)
        document = {"file_id": info.file_id, "file_unique_id": info.file_unique_id,
                    "file_name": name, "mime_type": mime, "file_size": size}  # fmt: skip
        return self._send(document=document)

    def send_location(self, latitude: float, longitude: float) -> dict[str, Any]:
        return self._send(location={"latitude": latitude, "longitude": longitude})

    def send_contact(self, phone: str) -> dict[str, Any]:
        first_name = self.api.users[self.id]["first_name"]
        contact = {"phone_number": phone, "first_name": first_name, "user_id": self.id}
        return self._send(contact=contact)

    def press(self, data: str | None = None, *, label: str | None = None) -> dict[str, Any]:
        """Taps the newest inline button whose callback_data is DATA (or starts with it when it
        ends with ':'), or whose text is LABEL."""
        for message in reversed(self.api.bot_messages(self.id)):
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    button_data = button.get("callback_data")
                    if button_data is None:
                        continue
                    if label is not None and button.get("text") != label:
                        continue
                    if data is not None and not (
                        button_data == data or (data.endswith(":") and button_data.startswith(data))
                    ):
                        continue
                    return self.press_on(message["message_id"], button_data)
        raise LookupError(f"no button {data or label!r} in chat {self.id}")

    def buttons(self) -> list[str]:
        """Returns the callback_data of every inline button in the chat, newest message last."""
        return [
            button["callback_data"]
            for message in self.api.bot_messages(self.id)
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
            for button in row
            if "callback_data" in button
        ]

    def press_on(self, message_id: int, data: str) -> dict[str, Any]:
        """Sends a callback query for MESSAGE_ID with DATA (as a modified client could)."""
        message = self.chat.messages.get(message_id)
        if message is None:
            raise LookupError(f"no message {message_id} in chat {self.id}")
        query_id = str(next(self.api._query_ids))
        self.api.callback_queries[query_id] = {
            "at": self.api.monotonic(),
            "answered": False,
            "user_id": self.id,
        }
        snapshot = _public(message)
        return self.api.push(
            "callback_query",
            {
                "id": query_id,
                "from": self.api.users[self.id],
                "message": snapshot,
                "chat_instance": f"ci{self.id}",
                "data": data,
            },
        )

    def block(self) -> dict[str, Any]:
        """Blocks the bot; Telegram tells the bot with a my_chat_member update."""
        self.chat.blocked = True
        return self.api.push("my_chat_member", self._member_change("member", "kicked"))

    def _member_change(self, old: str, new: str) -> dict[str, Any]:
        bot = self.api.bot_user()
        return {
            "chat": self.chat.as_dict(),
            "from": self.api.users[self.id],
            "date": next(self.api._date),
            "old_chat_member": {"user": bot, "status": old},
            "new_chat_member": {"user": bot, "status": new, "until_date": 0},
        }

    def messages(self) -> list[dict[str, Any]]:
        return self.api.bot_messages(self.id)

    def texts(self) -> list[str]:
        return self.api.texts(self.id)

    def last_text(self) -> str:
        texts = self.texts()
        return texts[-1] if texts else ""


class FakeGroup:
    """A group chat with the bot in it."""

    def __init__(self, api: FakeBotApi, chat_id: int):
        self.api = api
        self.id = chat_id

    @property
    def chat(self) -> Chat:
        return self.api.chats[self.id]

    def send_text(self, user_id: int, text: str) -> dict[str, Any]:
        if user_id not in self.api.users:
            self.api.user(user_id)
        fields: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            fields["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        message = self.api._user_message(self.chat, user_id, **fields)
        return self.api.push("message", message)

    def kick_bot(self, by_user: int) -> dict[str, Any]:
        self.chat.member = False
        if by_user not in self.api.users:
            self.api.user(by_user)
        bot = self.api.bot_user()
        return self.api.push(
            "my_chat_member",
            {
                "chat": self.chat.as_dict(),
                "from": self.api.users[by_user],
                "date": next(self.api._date),
                "old_chat_member": {"user": bot, "status": "member"},
                "new_chat_member": {"user": bot, "status": "left"},
            },
        )

    def migrate(self, new_chat_id: int) -> FakeGroup:
        """Upgrades the group to a supergroup with NEW_CHAT_ID; the old id then answers 400."""
        old = self.chat
        new = Chat(new_chat_id, "supergroup", title=old.title)
        self.api.chats[new_chat_id] = new
        old.migrated_to = new_chat_id
        return FakeGroup(self.api, new_chat_id)

    def texts(self) -> list[str]:
        return self.api.texts(self.id)

    def polls(self) -> list[dict[str, Any]]:
        """Returns the polls the bot sent to the group, oldest first, as they stand now."""
        return [m["poll"] for m in self.api.bot_messages(self.id) if "poll" in m]

    def vote(self, user_id: int, poll_id: str, option_ids: list[int]) -> dict[str, Any] | None:
        """A member votes in one of the bot's polls in this group (see FakeBotApi.vote)."""
        return self.api.vote(poll_id, user_id, option_ids)


# Parameters and validation ------------------------------------------------------------------


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Returns the call's parameters from the query string, a form, multipart or JSON body."""
    params: dict[str, Any] = dict(request.query)
    if request.method != "POST" or not request.can_read_body:
        return params
    content_type = request.content_type
    if content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            params.update(body)
        return params
    if content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if part.name is None or not hasattr(part, "read"):
                continue
            if part.filename:
                content = await part.read()  # type: ignore[union-attr]
                params[part.name] = _UploadedFile(part.filename, bytes(content))
            else:
                params[part.name] = await part.text()  # type: ignore[union-attr]
        return params
    form = await request.post()
    params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


@dataclass
class _UploadedFile:
    filename: str
    content: bytes


def _by_bot(message: dict[str, Any]) -> bool:
    """Tells whether the bot sent MESSAGE (in a channel: posted it, as the channel)."""
    if message.get("chat", {}).get("type") == "channel":
        return "sender_chat" in message and "from" not in message
    return bool(message.get("from", {}).get("id") == BOT_ID)


def _public(message: dict[str, Any]) -> dict[str, Any]:
    """Returns MESSAGE without the fake's own bookkeeping keys."""
    return {k: v for k, v in message.items() if not k.startswith("_")}


def _canonical(name: str) -> str:
    for known in METHOD_NAMES:
        if known.lower() == name.lower():
            return known
    return name


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")


def _maybe_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None


def _int_param(params: dict[str, Any], name: str, default: int) -> int:
    value = params.get(name)
    if value is None or value == "":
        return default
    number = _maybe_int(value)
    if number is None:
        raise bad_request(f"invalid {name} specified")
    return number


def _json_param(params: dict[str, Any], name: str) -> Any:
    value = params.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {name} JSON object") from None
    return value


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _parse_text(params: dict[str, Any], name: str) -> tuple[str, list[dict[str, Any]]]:
    """Returns the text as shown and its entities, after parse_mode (HTML checked strictly)."""
    raw = params.get(name)
    text = "" if raw is None else str(raw)
    mode = str(params.get("parse_mode") or "")
    if mode.lower() == "html":
        text, entities = parse_html(text)
    elif mode and mode.lower() not in ("markdown", "markdownv2"):
        raise bad_request(f"unsupported parse_mode {mode!r}")
    else:
        entities = _json_param(params, f"{name}_entities" if name == "caption" else "entities")
        entities = entities if isinstance(entities, list) else []
    return text.strip(), entities


_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?)*)"
    r"\s*(/?)>"
)
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parses Telegram's HTML subset; raises the 400 Telegram gives for bad markup."""
    out: list[str] = []
    stack: list[tuple[str, int, dict[str, Any]]] = []
    entities: list[dict[str, Any]] = []
    position = 0  # in UTF-16 units of the output
    i = 0
    while i < len(text):
        char = text[i]
        if char == "<":
            match = _TAG.match(text, i)
            offset = len(text[:i].encode())
            if match is None:
                raise bad_request(
                    f"can't parse entities: Unexpected end of name token at byte offset {offset}"
                )
            closing, name, attrs, _ = match.groups()
            tag = name.lower()
            if tag not in HTML_TAGS:
                which = "end" if closing else "start"
                raise bad_request(
                    f'can\'t parse entities: Unsupported {which} tag "{name}" at byte offset'
                    f" {offset}"
                )
            if closing:
                if not stack or stack[-1][0] != tag:
                    expected = f'"</{stack[-1][0]}>"' if stack else "nothing"
                    raise bad_request(
                        f"can't parse entities: Unmatched end tag at byte offset {offset},"
                        f' expected {expected}, found "</{name}>"'
                    )
                opened, start, extra = stack.pop()
                if position > start:
                    entities.append(
                        {"type": HTML_TAGS[opened], "offset": start, "length": position - start,
                         **extra}
                    )  # fmt: skip
            else:
                extra: dict[str, Any] = {}
                if tag == "a":
                    href = re.search(r"href\s*=\s*(?:\"([^\"]*)\"|'([^']*)')", attrs)
                    extra["url"] = (href.group(1) or href.group(2)) if href else ""
                if tag == "span" and "tg-spoiler" not in attrs:
                    raise bad_request(
                        f'can\'t parse entities: Tag "span" must have class "tg-spoiler" at'
                        f" byte offset {offset}"
                    )
                stack.append((tag, position, extra))
            i = match.end()
            continue
        if char == "&":
            match = _ENTITY.match(text, i)
            if match is not None:
                name = match.group(1)
                if name.startswith("#x"):
                    decoded = chr(int(name[2:], 16))
                elif name.startswith("#"):
                    decoded = chr(int(name[1:]))
                else:
                    decoded = HTML_ENTITIES[name]
                out.append(decoded)
                position += _utf16_len(decoded)
                i = match.end()
                continue
        out.append(char)
        position += _utf16_len(char)
        i += 1
    if stack:
        raise bad_request(
            "can't parse entities: Can't find end tag corresponding to start tag"
            f' "{stack[-1][0]}"'
        )
    return "".join(out), entities


def _reply_markup(params: dict[str, Any], *, inline_only: bool = False) -> dict[str, Any] | None:
    """Returns the checked reply_markup, or raises the 400 Telegram gives for a bad one."""
    if "reply_markup" not in params or params["reply_markup"] in (None, ""):
        return None
    try:
        markup = _json_param(params, "reply_markup")
    except ApiError:
        raise bad_request("can't parse reply keyboard markup JSON object") from None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request('can\'t parse inline keyboard button: field "inline_keyboard"')
        for row in rows:
            for button in row:
                _check_inline_button(button)
        return markup
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request("can't parse reply keyboard markup JSON object")
        for row in rows:
            for button in row:
                label = button if isinstance(button, str) else (button or {}).get("text")
                if not isinstance(label, str) or not label:
                    raise bad_request("can't parse keyboard button: Text must be non-empty")
        return markup
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup
    raise bad_request("can't parse reply keyboard markup JSON object")


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request("can't parse inline keyboard button: Text must be a string")
    kinds = INLINE_BUTTON_KINDS & set(button)
    if len(kinds) != 1:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "web_app" in button:
        url = (button["web_app"] or {}).get("url") if isinstance(button["web_app"], dict) else None
        if not isinstance(url, str) or not url.startswith("https://"):
            # Telegram opens Web Apps only over HTTPS and refuses the button otherwise.
            raise bad_request(
                f"inline keyboard button Web App URL '{url}' is invalid:"
                " Only HTTPS links are allowed"
            )
    data = button.get("callback_data")
    if "callback_data" in button and (
        not isinstance(data, str) or not 1 <= len(data.encode()) <= 64
    ):
        raise bad_request("BUTTON_DATA_INVALID")


def _shown_markup(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """Returns the markup as it shows on the message (only inline keyboards stay on it)."""
    if markup is None or "inline_keyboard" not in markup:
        return None
    if not any(markup["inline_keyboard"]):
        return None
    return {"inline_keyboard": markup["inline_keyboard"]}


def _json(status: int, body: Any) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(body, ensure_ascii=False, default=_jsonable),
        content_type="application/json",
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, _UploadedFile):
        return f"<upload {value.filename}>"
    if isinstance(value, FileInfo):
        return value.file_id
    raise TypeError(type(value).__name__)


# Manual runs: control routes ----------------------------------------------------------------


def _control_routes(app: web.Application, api: FakeBotApi) -> None:
    """/_fake/… lets a person at a terminal play users (curl -d '{"text": "/start"}' …)."""

    async def read(request: web.Request) -> dict[str, Any]:
        if request.can_read_body:
            body = await request.json()
            return body if isinstance(body, dict) else {}
        return {}

    def person(request: web.Request) -> FakeUser:
        user_id = int(request.match_info["user_id"])
        if user_id not in api.users:
            return api.user(user_id)
        return FakeUser(api, user_id)

    async def text(request: web.Request) -> web.Response:
        body = await read(request)
        return _json(200, person(request).send_text(str(body.get("text", ""))))

    async def photo(request: web.Request) -> web.Response:
        body = await read(request)
        count = int(body.get("count", 1))
        user = person(request)
        if count > 1:
            return _json(200, user.send_album(count, body.get("caption")))
        return _json(200, user.send_photo(body.get("caption")))

    async def location(request: web.Request) -> web.Response:
        body = await read(request)
        return _json(200, person(request).send_location(body["latitude"], body["longitude"]))

    async def contact(request: web.Request) -> web.Response:
        body = await read(request)
        return _json(200, person(request).send_contact(str(body["phone"])))

    async def press(request: web.Request) -> web.Response:
        body = await read(request)
        return _json(200, person(request).press(body.get("data"), label=body.get("label")))

    async def chat(request: web.Request) -> web.Response:
        return _json(200, api.bot_messages(int(request.match_info["chat_id"])))

    async def calls(request: web.Request) -> web.Response:
        return _json(
            200,
            [
                {"method": c.method, "status": c.status, "chat_id": c.chat_id,
                 "description": c.description}
                for c in api.calls[-200:]
            ],
        )  # fmt: skip

    async def fault(request: web.Request) -> web.Response:
        body = await read(request)
        api.inject(
            Fault(
                int(body.get("status", 0)),
                str(body.get("description", "")),
                body.get("parameters"),
                float(body.get("delay", 0)),
            ),
            method=body.get("method"),
            chat_id=body.get("chat_id"),
            times=int(body.get("times", 1)),
        )
        return _json(200, {"ok": True})

    app.router.add_post("/_fake/users/{user_id}/text", text)
    app.router.add_post("/_fake/users/{user_id}/photo", photo)
    app.router.add_post("/_fake/users/{user_id}/location", location)
    app.router.add_post("/_fake/users/{user_id}/contact", contact)
    app.router.add_post("/_fake/users/{user_id}/press", press)
    app.router.add_get("/_fake/chats/{chat_id}", chat)
    app.router.add_get("/_fake/calls", calls)
    app.router.add_post("/_fake/faults", fault)


async def _serve(host: str, port: int) -> None:
    api = await FakeBotApi(host=host, port=port).start()
    print(
        "\n".join(
            [
                f"fake Bot API on {api.api_url} (griddesk run --api-url {api.api_url})",
                f'  curl -d \'{{"text": "/start"}}\' {api.api_url}/_fake/users/5001/text',
                f"  curl {api.api_url}/_fake/chats/5001",
            ]
        ),
        flush=True,
    )
    try:
        await asyncio.Event().wait()
    finally:
        await api.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="A fake Telegram Bot API server for griddesk.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.host, args.port))


if __name__ == "__main__":
    main()


def _jpeg(number: int, width: int, height: int) -> bytes:
    """Returns a JPEG of WIDTH × HEIGHT in one colour that NUMBER picks (photos tell apart)."""
    from PIL import Image

    colour = ((number * 67) % 200 + 30, (number * 131) % 200 + 30, (number * 29) % 200 + 30)
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "JPEG", quality=90)
    return out.getvalue()
