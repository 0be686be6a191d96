"""Saying something to the person who wrote or pressed: one message in their language, queued."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from telegram import Update

from bot.context import GridContext
from bot.domain.people import Person
from bot.notices import outgoing
from bot.usecases.results import Refused
from handlers.kit.presses import answer


async def say(
    ctx: GridContext,
    me: Person,
    key: str,
    *,
    markup: dict | None = None,
    end_flow: bool = False,
    collapse_key: str | None = None,
    not_before: datetime | None = None,
    **params: object,
) -> None:
    """Queues one message in ME's language (catalog KEY with PARAMS) to ME's private chat.

    With END_FLOW it also ends ME's conversation (clears the draft) in the same commit.
    """
    message = outgoing.message(
        me.user_id,
        ctx.texts(key, me.lang, **params),
        markup=markup,
        collapse_key=collapse_key,
        not_before=not_before,
    )
    if end_flow:
        await ctx.drafts.clear(me.user_id, ctx.now(), [message])
    else:
        await ctx.outbox.send([message], ctx.now())


async def tell(update: Update, ctx: GridContext, me: Person, key: str, **params: object) -> None:
    """Answers the press with a short notice in ME's language: why nothing happened (a forged,
    stale or refused press). Nothing is queued."""
    await answer(update, ctx.texts(key, me.lang, **params))


async def say_refused(
    ctx: GridContext, me: Person, refused: Refused, *, end_flow: bool = False
) -> None:
    """Tells ME why a use case refused: its catalog key with its parameters (see `say`)."""
    params: dict[str, Any] = dict(refused.params)
    await say(ctx, me, refused.key, end_flow=end_flow, **params)
