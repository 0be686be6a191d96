"""Fakes for the only things tests fake: the network (Bot API) and time."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from telegram.request import BaseRequest, RequestData

BOT_ID = 7000000001
BOT_USERNAME = "griddesk_test_bot"


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None):
        self.now = start or datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # Tue 10:00 in Shanghai

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class Call:
    method: str
    params: dict[str, Any]


@dataclass
class RecordingRequest(BaseRequest):
    """Answers Bot API calls like Telegram would, records them, and fails on unexpected ones."""

    calls: list[Call] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    errors: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    # file_id -> bytes: what getFile + download answers; uploads are kept here under a new id
    files: dict[str, bytes] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(1000))

    KNOWN: ClassVar[set[str]] = {
        "getMe",
        "sendMessage",
        "sendPhoto",
        "sendMediaGroup",
        "sendDocument",
        "sendPoll",
        "stopPoll",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
        "answerCallbackQuery",
        "setMyCommands",
        "getFile",
        "deleteMessage",
        "getUpdates",
        "sendChatAction",
    }

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def fail_next(self, method: str, status: int, body: dict[str, Any]) -> None:
        """Makes the next call of METHOD answer with STATUS and the error BODY."""
        self.errors.setdefault(method, []).append((status, body))

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        if "/file/bot" in url:  # a download of getFile's file_path
            file_id = endpoint.removesuffix(".jpg")
            if file_id not in self.files:
                return 404, b"Not Found"
            return 200, self.files[file_id]
        params = dict(request_data.parameters) if request_data else {}
        for name, upload in (request_data.multipart_data if request_data else {}).items():
            file_id = f"upload-{next(self._ids)}"
            self.files[file_id] = bytes(upload[1])
            params[name] = file_id
        if endpoint not in self.KNOWN:
            self.unexpected.append(endpoint)
            return 404, json.dumps(
                {"ok": False, "error_code": 404, "description": "Not Found"}
            ).encode()
        if endpoint != "getMe":
            self.calls.append(Call(endpoint, params))
        if self.errors.get(endpoint):
            status, body = self.errors[endpoint].pop(0)
            return status, json.dumps({"ok": False, "error_code": status, **body}).encode()
        if endpoint == "getFile" and str(params.get("file_id")) not in self.files:
            return 400, json.dumps(  # as Telegram answers for an id it never gave out
                {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"}
            ).encode()
        return 200, json.dumps({"ok": True, "result": self._result(endpoint, params)}).encode()

    def _message(self, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
        chat_id = int(params.get("chat_id", 0))
        return {
            "message_id": params.get("message_id") or next(self._ids),
            "date": 1764000000,
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "griddesk"},
            **extra,
        }

    def _result(self, endpoint: str, params: dict[str, Any]) -> Any:
        if endpoint == "getMe":
            return {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "griddesk",
                "username": BOT_USERNAME,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if endpoint in ("sendMessage", "editMessageText"):
            return self._message(params, text=params.get("text", ""))
        if endpoint == "sendPhoto":
            photo = [
                {
                    "file_id": str(params.get("photo")),
                    "file_unique_id": "u",
                    "width": 1,
                    "height": 1,
                }
            ]
            return self._message(params, photo=photo, caption=params.get("caption"))
        if endpoint == "sendPoll":
            options = params.get("options") or []
            poll = {
                "id": f"poll-{next(self._ids)}",
                "question": params.get("question", ""),
                "options": [
                    {
                        "text": o.get("text") if isinstance(o, dict) else o,
                        "voter_count": 0,
                        "persistent_id": str(i),
                    }
                    for i, o in enumerate(options)
                ],
                "total_voter_count": 0,
                "is_closed": False,
                "is_anonymous": True,
                "type": "regular",
                "allows_multiple_answers": False,
                "allows_revoting": True,
                "members_only": False,
            }
            return self._message(params, poll=poll)
        if endpoint == "stopPoll":
            return {
                "id": "stopped",
                "question": "",
                "options": [],
                "total_voter_count": 0,
                "is_closed": True,
                "is_anonymous": True,
                "type": "regular",
                "allows_multiple_answers": False,
                "allows_revoting": True,
                "members_only": False,
            }
        if endpoint == "sendMediaGroup":
            return [self._message(params) for _ in params.get("media", [])]
        if endpoint == "getFile":
            content = self.files.get(str(params.get("file_id")))
            return {
                "file_id": params.get("file_id"),
                "file_unique_id": "u",
                "file_size": len(content) if content is not None else 1000,
                "file_path": f"photos/{params.get('file_id')}.jpg",
            }
        if endpoint == "getUpdates":
            return []
        return True

    # Assertions helpers -------------------------------------------------------------------

    def sent(self, method: str | None = None, chat_id: int | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if (method is None or c.method == method)
            and (chat_id is None or int(c.params.get("chat_id", 0)) == chat_id)
        ]

    def texts_to(self, chat_id: int) -> list[str]:
        """Returns every text and caption sent or edited into CHAT_ID, in order."""
        out = []
        for call in self.sent(chat_id=chat_id):
            text = call.params.get("text") or call.params.get("caption")
            if text:
                out.append(str(text))
        return out

    def last_markup(self, chat_id: int) -> dict[str, Any] | None:
        for call in reversed(self.sent(chat_id=chat_id)):
            markup = call.params.get("reply_markup")
            if markup:
                return markup if isinstance(markup, dict) else json.loads(markup)
        return None

    def clear(self) -> None:
        self.calls.clear()
