"""Group chats: /bind and /unbind a group to a unit, and following a group that migrates.

/bind [volunteers] [UNIT] binds the group to the sender's unit (or UNIT, at or below it) for
weekly summaries, or as the unit's volunteer group; /unbind [volunteers] removes that binding.
Only staff of the unit or above may do either (bot/usecases/groups.py checks
bot.domain.access.bind_group), and replacing or removing a binding needs the same right over the
unit it was bound to.
"""

from __future__ import annotations

from typing import Any

from telegram import Chat, Update
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot.context import GridContext
from bot.domain.groups import Purpose
from bot.domain.people import Person
from bot.notices import outgoing
from bot.texts import pick_language
from bot.usecases.groups import bind_group, follow_migration, unbind_group
from bot.usecases.results import Refused

# New messages only: CommandHandler also fires on edited messages by default.
NEW_MESSAGE = filters.UpdateType.MESSAGE
VOLUNTEER_WORDS = {"volunteers", "volunteer", "志愿者", "志愿者群"}


def parse_args(args: list[str]) -> tuple[Purpose, str | None] | None:
    """Returns (purpose, unit code or None) from /bind's arguments; None if they make no sense."""
    purpose, code = Purpose.SUMMARY, None
    for arg in args:
        if arg.lower() in VOLUNTEER_WORDS and purpose is Purpose.SUMMARY:
            purpose = Purpose.VOLUNTEERS
        elif code is None:
            code = arg
        else:
            return None
    return purpose, code


async def _sender(update: Update, ctx: GridContext) -> tuple[Person | None, str]:
    """Returns the sender if the bot knows them (group members are not recorded), and a language."""
    user = update.effective_user
    assert user is not None
    me = await ctx.people.get(user.id)
    default = ctx.services.settings.default_language
    lang = me.lang if me is not None and me.lang else pick_language(user.language_code, default)
    return me, lang


async def _reply(ctx: GridContext, chat: Chat, lang: str, key: str, **params: Any) -> None:
    await ctx.outbox.send([outgoing.message(chat.id, ctx.texts(key, lang, **params))], ctx.now())


async def bind(update: Update, ctx: GridContext) -> None:
    """Binds the group to the sender's unit (or the one named) for summaries or volunteers."""
    chat = update.effective_chat
    assert chat is not None
    me, lang = await _sender(update, ctx)
    if chat.type == Chat.PRIVATE:
        await _reply(ctx, chat, lang, "group.private_only")
        return
    parsed = parse_args(ctx.args or [])
    if parsed is None:
        await _reply(ctx, chat, lang, "group.usage")
        return
    purpose, wanted = parsed
    if me is None or me.staff is None:
        await _reply(ctx, chat, lang, "group.not_staff")
        return
    done = await bind_group(
        ctx.services, chat.id, purpose, wanted, by=me.user_id, at=ctx.now(), lang=lang
    )
    if isinstance(done, Refused):
        await _reply(ctx, chat, lang, done.key, **done.params)


async def unbind(update: Update, ctx: GridContext) -> None:
    """Removes the group's summary (or volunteer) binding."""
    chat = update.effective_chat
    assert chat is not None
    me, lang = await _sender(update, ctx)
    if chat.type == Chat.PRIVATE:
        await _reply(ctx, chat, lang, "group.private_only")
        return
    parsed = parse_args(ctx.args or [])
    if parsed is None or parsed[1] is not None:
        await _reply(ctx, chat, lang, "group.usage")
        return
    if me is None or me.staff is None:
        await _reply(ctx, chat, lang, "group.not_staff")
        return
    done = await unbind_group(
        ctx.services, chat.id, parsed[0], by=me.user_id, at=ctx.now(), lang=lang
    )
    if isinstance(done, Refused):
        await _reply(ctx, chat, lang, done.key, **done.params)


async def migrated(update: Update, ctx: GridContext) -> None:
    """Moves the bindings of a group that became a supergroup to its new chat id."""
    message = update.effective_message
    assert message is not None
    if message.migrate_to_chat_id is not None:
        await follow_migration(ctx.services, message.chat_id, message.migrate_to_chat_id)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("bind", bind, filters=NEW_MESSAGE))
    app.add_handler(CommandHandler("unbind", unbind, filters=NEW_MESSAGE))
    # Telegram posts migrate_to_chat_id in the old group; the sender also follows a migration
    # when a send fails with ChatMigrated (storage.groups registers the hook for that).
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE & NEW_MESSAGE, migrated))
