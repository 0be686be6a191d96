"""/duty: a cadre sent down to grids sees their duties and how far they are this week and
month (their /patrol rounds in each grid count)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.context import GridContext
from bot.notices.cadres import progress_lines
from bot.texts import Raw
from bot.usecases import cadres
from bot.usecases.results import Refused
from handlers.kit.flows import NEW_PRIVATE, person_of
from handlers.kit.reply import say, say_refused


async def command(update: Update, ctx: GridContext) -> None:
    """/duty: the sender's grids, each with its duties' progress this period."""
    me = await person_of(update, ctx)
    found = await cadres.my_duties(ctx.services, me.user_id, at=ctx.now())
    if isinstance(found, Refused):
        await say_refused(ctx, me, found)
        return
    blocks = [
        ctx.texts("cadres.grid_block", me.lang, place=grid.place)
        + "\n"
        + progress_lines(ctx.texts, me.lang, grid.items)
        for grid in found.value
    ]
    await say(ctx, me, "cadres.duty", grids=Raw("\n\n".join(blocks)))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("duty", command, filters=NEW_PRIVATE))
