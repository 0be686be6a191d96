"""Playing people in the e2e tests: tap a button once it has really arrived in the chat."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tests.fakebotapi import FakeBotApi, FakeUser

if TYPE_CHECKING:
    from tests.e2e.harness import Griddesk


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


class Drafts:
    """Watches every resident's draft (step and button nonce) with one query per tick.

    The residents press their buttons as soon as the bot has asked, without waiting for the
    paced delivery of each prompt: a client may send any callback data, and the bot re-checks
    it against the draft, so this is the fastest complete report path the flow allows.
    """

    def __init__(self, griddesk: Griddesk):
        self.griddesk = griddesk
        self.now: dict[int, tuple[str, str]] = {}

    async def watch(self) -> None:
        while True:
            rows = self.griddesk.rows("SELECT user_id, step, data FROM drafts")
            self.now = {r["user_id"]: (r["step"], json.loads(r["data"]).get("n", "")) for r in rows}
            await asyncio.sleep(0.02)

    async def asked(self, user_id: int, step: str, not_nonce: str, timeout: float = 90) -> str:
        """Waits until USER_ID's draft is at STEP with a new nonce; returns the nonce."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            current = self.now.get(user_id)
            if current is not None and current[0] == step and current[1] != not_nonce:
                return current[1]
            await asyncio.sleep(0.01)
        raise AssertionError(f"{user_id} was never asked {step}\n{self.griddesk.log_tail()}")

    async def asked_any(
        self, user_id: int, steps: tuple[str, ...], not_nonce: str, timeout: float = 90
    ) -> tuple[str, str]:
        """Waits until USER_ID's draft is at one of STEPS with a new nonce; returns both."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            current = self.now.get(user_id)
            if current is not None and current[0] in steps and current[1] != not_nonce:
                return current
            await asyncio.sleep(0.01)
        raise AssertionError(f"{user_id} was never asked {steps}\n{self.griddesk.log_tail()}")

    async def register(self, user: FakeUser, path: tuple[int, ...] = (0, 0)) -> None:
        """Registers USER's home by tapping the walk's buttons at PATH (第一网格, 1栋)."""
        user.send_text("/start")
        nonce = ""
        for index in path:
            nonce = await self.asked(user.id, "walk", nonce)
            await self.press(user, f"place:pick:{nonce}:{index}")

    async def report(
        self, user: FakeUser, caption: str, *, category: str = "litter", nonce: str = ""
    ) -> str:
        """Files one report: photo with CAPTION, CATEGORY, the registered place, submit.
        Returns the last nonce used (pass it to the next report)."""
        user.send_photo(caption)
        for step, data in (
            ("category", f"newreport:cat:{{n}}:{category}"),
            ("place", "newreport:home:{n}"),
        ):
            nonce = await self.asked(user.id, step, nonce)
            await self.press(user, data.format(n=nonce))
        step, nonce = await self.asked_any(user.id, ("dupes", "confirm"), nonce)
        if step == "dupes":  # 并单: open reports like it are offered first; "mine is new"
            await self.press(user, f"newreport:new:{nonce}")
            nonce = await self.asked(user.id, "confirm", nonce)
        await self.press(user, f"newreport:send:{nonce}")
        return nonce

    async def press(self, user: FakeUser, data: str) -> None:
        """Sends DATA as a press on the newest message the bot has delivered to USER."""
        messages = await user.api.wait_for(
            lambda: user.api.bot_messages(user.id), timeout=30, what=f"a message to {user.id}"
        )
        user.press_on(messages[-1]["message_id"], data)


async def register(player: Player, label: str = "第一网格", building: str = "1栋") -> None:
    """Registers PLAYER's home by walking the tree with the buttons as they arrive."""
    player.send(player.user.send_text, "/start")
    await player.tap("place:pick:", label=label, timeout=30)
    await player.tap("place:pick:", label=building, timeout=30)


STALE = "这个按钮已失效，请使用最新的消息。"


async def forge_on_walk(player: Player, data: str, *, timeout: float = 30.0) -> None:
    """Presses DATA ("place:<verb>:{n}[:<arg>]", {n} the nonce of the newest walk card of the
    one unit picker) on that card, as a forging client would, and waits until the press is
    answered as stale. The player's view is left as it was (their next tap still finds the card)."""

    def card() -> tuple[int, str] | None:
        for message in reversed(player.fake.chat(player.user.id).messages.values()):
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if button.get("callback_data", "").startswith("place:here:"):
                        return message["message_id"], button["callback_data"]
        return None

    card_id, here = await player.fake.wait_for(card, timeout=timeout, what="a walk card")
    before = len(player.fake.calls)
    player.user.press_on(card_id, data.format(n=here.split(":")[2]))

    def answered() -> bool:
        return any(
            c.method == "answerCallbackQuery" and c.params.get("text") == STALE
            for c in player.fake.calls[before:]
        )

    await player.fake.wait_for(answered, timeout=timeout, what="the forged press answered stale")
