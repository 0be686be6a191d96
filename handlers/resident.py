"""Residents: register a place, report a problem (随手拍), follow, confirm and rate it."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.context import GridContext
from bot.domain.people import Person
from handlers import outgoing


def main_keyboard(ctx: GridContext, me: Person) -> dict:
    """Returns the persistent reply keyboard with the 随手拍 button."""
    t = ctx.texts
    return outgoing.reply_keyboard(
        [[t("resident.button_report", me.lang), t("resident.button_my", me.lang)]]
    )


async def welcome(update: Update, ctx: GridContext, me: Person) -> None:
    text = ctx.texts("resident.welcome", me.lang)
    await ctx.outbox.send(
        [outgoing.message(me.user_id, text, markup=main_keyboard(ctx, me))], ctx.now()
    )


def register(app: Application) -> None:
    return None
