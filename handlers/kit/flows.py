"""Multi-step conversations as a table: (flow, step) → the callback that receives that input.

Where a user stands is a row in `drafts` (not in memory), so a restart or a replayed update
keeps the conversation. A message in a private chat goes to the user's current step; with no
draft it goes to the first idle handler that wants it (a photo starts a report, …).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from telegram import Message, Update
from telegram.ext import filters

from bot.context import GridContext
from bot.domain.people import Person
from bot.notices import outgoing
from storage.drafts import Draft

StepCallback = Callable[[Update, GridContext, Draft], Awaitable[None]]
IdleCallback = Callable[[Update, GridContext, Person], Awaitable[bool]]

# Commands and steps react to new private messages only: CommandHandler fires on edited messages
# by default, and personal conversations never happen in groups.
NEW_PRIVATE = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE

STEPS: dict[tuple[str, str], StepCallback] = {}
IDLE: list[IdleCallback] = []


def step(flow: str, name: str) -> Callable[[StepCallback], StepCallback]:
    """Registers the callback that receives input for FLOW at step NAME."""

    def register(callback: StepCallback) -> StepCallback:
        STEPS[(flow, name)] = callback
        return callback

    return register


def idle(callback: IdleCallback) -> IdleCallback:
    """Registers a callback offered messages outside any flow; it returns True if it took one."""
    IDLE.append(callback)
    return callback


async def person_of(update: Update, ctx: GridContext) -> Person:
    """Returns the sender as a Person, created on first contact in Telegram's language."""
    from bot.texts import pick_language

    user = update.effective_user
    assert user is not None
    found = await ctx.people.get(user.id)
    if found is not None and found.lang:
        return found
    lang = pick_language(user.language_code, ctx.services.settings.default_language)
    return await ctx.people.touch(user.id, user.full_name, lang, ctx.now())


async def dispatch(update: Update, ctx: GridContext) -> None:
    """Routes a private-chat message to the user's current step, or to the idle handlers."""
    if update.effective_user is None or update.effective_message is None:
        return
    me = await person_of(update, ctx)
    draft = await ctx.drafts.get(me.user_id)
    if draft is not None:
        callback = STEPS.get((draft.flow, draft.step))
        if callback is not None:
            await callback(update, ctx, draft)
            return
        await ctx.drafts.clear(me.user_id, ctx.now())  # a step that no longer exists
    for offer in IDLE:
        if await offer(update, ctx, me):
            return
    await say(ctx, me, "common.not_understood")


async def say(
    ctx: GridContext,
    me: Person,
    key: str,
    *,
    markup: dict | None = None,
    collapse_key: str | None = None,
    not_before: datetime | None = None,
    **params: object,
) -> None:
    """Queues one message in ME's language to ME's private chat."""
    text = ctx.texts(key, me.lang, **params)
    await ctx.outbox.send(
        [
            outgoing.message(
                me.user_id, text, markup=markup, collapse_key=collapse_key, not_before=not_before
            )
        ],
        ctx.now(),
    )


def text_of(message: Message) -> str | None:
    """Returns the message's text, or None for anything that is not plain text."""
    return message.text if message.text is not None else None
