"""/points: a volunteer's balance, this month's total and the latest entries of the ledger."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.context import GridContext
from bot.domain.points import month_bounds, month_key
from bot.notices import outgoing
from bot.notices.volunteers import when
from bot.texts import Raw
from handlers.kit.flows import NEW_PRIVATE, person_of
from handlers.kit.reply import say


async def show(update: Update, ctx: GridContext) -> None:
    me = await person_of(update, ctx)
    services = ctx.services
    found = services.store
    volunteer = await found.volunteers.get(me.user_id)
    if volunteer is None:
        await say(ctx, me, "points.not_volunteer")
        return
    month = month_key(ctx.now(), services.tz)
    start, end = month_bounds(month, services.tz)
    entries = await found.points.history(me.user_id, limit=10)
    lines = [
        services.texts(
            "points.line",
            me.lang,
            at=when(services, entry.at),
            kind=services.texts(f"points.kind_{entry.kind.value}", me.lang),
            ref=entry.ref,
            points=entry.points,
        )
        for entry in entries
    ]
    text = services.texts(
        "points.balance",
        me.lang,
        total=await found.points.balance(me.user_id),
        month=month,
        this_month=await found.points.earned(me.user_id, start, end),
        lines=Raw("\n".join(lines) or services.texts("points.no_entries", me.lang)),
    )
    await ctx.outbox.send([outgoing.message(me.user_id, text)], ctx.now())


def register(app: Application) -> None:
    app.add_handler(CommandHandler("points", show, filters=NEW_PRIVATE))
