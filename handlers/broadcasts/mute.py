"""/mute and /unmute: a resident stops (or resumes) receiving broadcasts (政策宣传)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.context import GridContext
from bot.usecases import broadcasts
from handlers.kit.flows import NEW_PRIVATE, person_of


async def mute(update: Update, ctx: GridContext) -> None:
    me = await person_of(update, ctx)
    await broadcasts.mute(ctx.services, me.user_id, lang=me.lang, at=ctx.now())


async def unmute(update: Update, ctx: GridContext) -> None:
    me = await person_of(update, ctx)
    await broadcasts.unmute(ctx.services, me.user_id, lang=me.lang, at=ctx.now())


def register(app: Application) -> None:
    app.add_handler(CommandHandler("mute", mute, filters=NEW_PRIVATE))
    app.add_handler(CommandHandler("unmute", unmute, filters=NEW_PRIVATE))
