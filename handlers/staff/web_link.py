"""/web: a staff member asks for a single-use login link to the web dashboard (and, when the
app is on https, a Mini App button). Residents, former staff and group chats are refused
politely; nothing of the link is logged."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, filters

from bot.context import GridContext
from bot.notices import outgoing
from bot.usecases.results import Refused
from bot.usecases.weblogin import issue_link
from handlers.kit.flows import NEW_PRIVATE, person_of
from handlers.kit.reply import say_refused

GROUPS = filters.UpdateType.MESSAGE & filters.ChatType.GROUPS


async def web_command(update: Update, ctx: GridContext) -> None:
    """Queues the login link (the use case writes it to the outbox), or says why not."""
    me = await person_of(update, ctx)
    done = await issue_link(ctx.services, by=me.user_id, at=ctx.now())
    if isinstance(done, Refused):
        await say_refused(ctx, me, done)


async def in_group(update: Update, ctx: GridContext) -> None:
    """/web in a group: a login link is personal, so point to the private chat."""
    chat = update.effective_chat
    if chat is not None:
        text = ctx.texts("common.private_only", ctx.services.settings.default_language)
        await ctx.outbox.send([outgoing.message(chat.id, text)], ctx.now())


def register(app: Application) -> None:
    app.add_handler(CommandHandler("web", web_command, filters=NEW_PRIVATE))
    app.add_handler(CommandHandler("web", in_group, filters=GROUPS))
