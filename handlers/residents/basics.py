"""/start /help /lang /cancel, the error handler, and what every chat shares."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.context import GridContext
from bot.notices.staff import help_key
from bot.usecases.residents import set_language
from bot.usecases.results import Refused
from handlers.kit.flows import NEW_PRIVATE, person_of
from handlers.kit.reply import say, say_refused
from handlers.residents import profile as resident
from handlers.staff import invite_links as invites
from storage.faults import fault_kind

log = logging.getLogger(__name__)


async def start(update: Update, ctx: GridContext) -> None:
    """Greets the user; a deep-link token enrols staff, everyone else registers their place."""
    me = await person_of(update, ctx)
    if ctx.args:
        await invites.redeem(update, ctx, me, ctx.args[0])
        return
    await resident.welcome(update, ctx, me)


async def show_help(update: Update, ctx: GridContext) -> None:
    me = await person_of(update, ctx)
    await say(ctx, me, help_key(me.staff))


async def switch_language(update: Update, ctx: GridContext) -> None:
    """Switches between zh and en (or to the one named: /lang en)."""
    me = await person_of(update, ctx)
    done = await set_language(
        ctx.services, me.user_id, ctx.args[0] if ctx.args else "", at=ctx.now()
    )
    if isinstance(done, Refused):
        await say_refused(ctx, me, done)


async def cancel(update: Update, ctx: GridContext) -> None:
    """Abandons whatever the user was in the middle of."""
    me = await person_of(update, ctx)
    draft = await ctx.drafts.get(me.user_id)
    key = "common.cancelled" if draft is not None else "common.nothing_to_cancel"
    from bot.notices import outgoing

    text = ctx.texts(key, me.lang)
    await ctx.drafts.clear(
        me.user_id,
        ctx.now(),
        [outgoing.message(me.user_id, text, markup=resident.main_keyboard(ctx, me))],
    )


async def on_error(update: object, ctx: GridContext) -> None:
    """Logs the failure (ids only, never message content) and marks the update for retry.

    A storage fault (locked database, full disk) is not the update's failure: it is marked to
    be processed again once the fault clears, without counting an attempt.
    """
    update_id = update.update_id if isinstance(update, Update) else None
    kind = fault_kind(ctx.error)
    if kind is not None:
        log.warning("update %s waits: storage fault (%s)", update_id, kind)
        if update_id is not None:
            ctx.application.bot_data.setdefault("faulted_updates", {})[update_id] = kind
        return
    log.error("update %s failed", update_id, exc_info=ctx.error)
    if update_id is not None:
        ctx.application.bot_data.setdefault("failed_updates", set()).add(update_id)
        ctx.application.bot_data.setdefault("failed_errors", {})[update_id] = repr(ctx.error)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("start", start, filters=NEW_PRIVATE))
    app.add_handler(CommandHandler("help", show_help, filters=NEW_PRIVATE))
    app.add_handler(CommandHandler("lang", switch_language, filters=NEW_PRIVATE))
    app.add_handler(CommandHandler("cancel", cancel, filters=NEW_PRIVATE))
    app.add_error_handler(on_error)
