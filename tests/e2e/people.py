"""Playing people in the e2e tests: tap a button once it has really arrived in the chat."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.fakebotapi import FakeBotApi, FakeUser


class Player:
    """A FakeUser who only taps buttons on messages that arrived (or changed) since their last
    tap, as a person would: a stale copy of a button is never pressed by accident."""

    def __init__(self, fake: FakeBotApi, user: FakeUser):
        self.fake = fake
        self.user = user
        self.seen = 0

    async def tap(
        self,
        prefix: str = "",
        *,
        label: str | None = None,
        suffix: str = "",
        timeout: float = 20.0,
    ) -> str:
        """Waits for a new button whose data starts with PREFIX (and ends with SUFFIX), or whose
        text is LABEL, taps it and returns its callback data."""

        def find() -> tuple[int, str] | None:
            for message in reversed(self.fake.chat(self.user.id).messages.values()):
                if message.get("_seq", 0) <= self.seen or message.get("_deleted"):
                    continue
                for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                    for button in row:
                        data = button.get("callback_data", "")
                        if label is not None and button.get("text") != label:
                            continue
                        if data.startswith(prefix) and data.endswith(suffix):
                            return message["message_id"], data
            return None

        message_id, data = await self.fake.wait_for(
            find, timeout=timeout, what=f"button {prefix or label!r} for {self.user.id}"
        )
        self.seen = self.fake.seq
        self.user.press_on(message_id, data)
        return data

    async def wait_text(self, contains: str, *, timeout: float = 20.0) -> str:
        """Waits for a message (new or edited since the last tap) containing CONTAINS."""

        def find() -> str | None:
            for message in self.fake.chat(self.user.id).messages.values():
                text = str(message.get("text") or message.get("caption") or "")
                if message.get("_seq", 0) > self.seen and contains in text:
                    return text
            return None

        found: str = await self.fake.wait_for(find, timeout=timeout, what=repr(contains))
        return found

    def send(self, action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Does ACTION (a FakeUser method) and remembers what had arrived before it."""
        self.seen = self.fake.seq
        return action(*args, **kwargs)
