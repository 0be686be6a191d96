"""/appraisal [YYYY-MM]: a staff member's unit's 考核 figures for a month, in private.

The unit's 通报 figures, score and stars, its sub-units ranked, and the workers' own figures
for the workers the viewer supervises (only ever in this private chat).
"""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler, filters

from bot.context import GridContext
from bot.domain.appraisal import month_key
from bot.domain.care import parse_month
from bot.notices import appraisal as notices
from bot.notices import outgoing
from bot.usecases import appraisal
from bot.usecases.results import Refused
from handlers.kit.flows import NEW_PRIVATE, person_of
from handlers.kit.reply import say

IN_GROUPS = filters.UpdateType.MESSAGE & filters.ChatType.GROUPS


async def show(update: Update, ctx: GridContext) -> None:
    """Answers with the month asked for (this month by default), judged as of its end or now."""
    me = await person_of(update, ctx)
    if len(ctx.args or []) > 1:
        await say(ctx, me, "appraisal.usage")
        return
    if ctx.args:
        asked = parse_month(ctx.args[0])
        if asked is None:
            await say(ctx, me, "appraisal.bad_month", text=ctx.args[0][:20])
            return
    else:
        local = ctx.now().astimezone(ctx.services.tz)
        asked = (local.year, local.month)
    result = await appraisal.show(ctx.services, me.user_id, month_key(*asked), at=ctx.now())
    if isinstance(result, Refused):
        params: dict[str, Any] = dict(result.params)
        await say(ctx, me, result.key, **params)
        return
    categories = await ctx.units.categories()
    tree = await ctx.units.tree()
    text = await asyncio.to_thread(
        notices.shown_text, ctx.services, result.value, me.lang, categories, tree
    )
    await ctx.outbox.send([outgoing.message(me.user_id, text)], ctx.now())


async def in_group(update: Update, ctx: GridContext) -> None:
    """Points to the private chat: figures per worker never go to a group."""
    chat = update.effective_chat
    assert chat is not None
    lang = ctx.services.settings.default_language
    text = ctx.texts("appraisal.private_only", lang)
    await ctx.outbox.send([outgoing.message(chat.id, text)], ctx.now())


def register(app: Application) -> None:
    app.add_handler(CommandHandler("appraisal", show, filters=NEW_PRIVATE))
    app.add_handler(CommandHandler("appraisal", in_group, filters=IN_GROUPS))
