"""Group chats: /bind and /unbind a group to a unit, and following a group that migrates.

/bind [volunteers] [UNIT] binds the group to the sender's unit (or UNIT, at or below it) for
weekly summaries, or as the unit's volunteer group; /unbind [volunteers] removes that binding.
Only staff of the unit or above may do either (bot.domain.access.bind_group), and replacing or
removing a binding needs the same right over the unit it was bound to.
"""

from __future__ import annotations

from telegram import Chat, Update
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot.context import GridContext
from bot.domain import access
from bot.domain.groups import Binding, Purpose
from bot.domain.people import Person
from bot.domain.units import UnitTree
from bot.notices import outgoing
from bot.texts import pick_language
from handlers.kit.refusals import record
from storage.groups import Groups

# New messages only: CommandHandler also fires on edited messages by default.
NEW_MESSAGE = filters.UpdateType.MESSAGE
VOLUNTEER_WORDS = {"volunteers", "volunteer", "志愿者", "志愿者群"}


def groups(ctx: GridContext) -> Groups:
    return ctx.store.groups


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


async def _reply(ctx: GridContext, chat: Chat, lang: str, key: str, **params: object) -> None:
    await ctx.outbox.send([outgoing.message(chat.id, ctx.texts(key, lang, **params))], ctx.now())


async def _resolve_code(ctx: GridContext, code: str) -> tuple[UnitTree, str | None]:
    """Returns the tree and CODE as the tree spells it (case-insensitive), or None if unknown."""
    tree = await ctx.units.tree()
    if code in tree:
        return tree, code
    matches = [unit.code for unit in tree if unit.code.lower() == code.lower()]
    return tree, matches[0] if len(matches) == 1 else None


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
    tree, code = await _resolve_code(ctx, wanted or me.staff.unit)
    if code is None:
        await _reply(ctx, chat, lang, "group.unknown_unit", code=wanted)
        return
    if (refused := access.bind_group(me.staff, code, tree)) is not None:
        await _reply(ctx, chat, lang, "group.not_allowed", unit=_name(tree, me.staff.unit))
        await record(ctx, me.user_id, refused, f"unit:{code}", "/bind")
        return
    existing = await groups(ctx).binding(chat.id, purpose)
    if existing is not None and (refused := access.bind_group(me.staff, existing.unit, tree)):
        await _reply(ctx, chat, lang, "group.not_allowed_existing", unit=_name(tree, existing.unit))
        await record(ctx, me.user_id, refused, f"unit:{existing.unit}", "/bind")
        return
    text = _bound_text(ctx, tree, purpose, code, lang)
    if existing is not None and existing.unit != code:
        text += " " + ctx.texts("group.rebound", lang, unit=_name(tree, existing.unit))
    binding = Binding(chat.id, code, purpose, me.user_id, ctx.now(), lang)
    await groups(ctx).bind(binding, [outgoing.message(chat.id, text)])


def _bound_text(ctx: GridContext, tree: UnitTree, purpose: Purpose, code: str, lang: str) -> str:
    if purpose is Purpose.VOLUNTEERS:
        return ctx.texts("group.bound_volunteers", lang, unit=_name(tree, code))
    config = ctx.services.settings.summaries
    return ctx.texts(
        "group.bound_summary",
        lang,
        unit=_name(tree, code),
        weekday=ctx.texts(f"group.weekday_{config.weekday}", lang),
        time=config.time,
    )


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
    purpose = parsed[0]
    if me is None or me.staff is None:
        await _reply(ctx, chat, lang, "group.not_staff")
        return
    existing = await groups(ctx).binding(chat.id, purpose)
    if existing is None:
        await _reply(ctx, chat, lang, f"group.not_bound_{purpose.value}")
        return
    tree = await ctx.units.tree()
    unit = _name(tree, existing.unit)
    if (refused := access.bind_group(me.staff, existing.unit, tree)) is not None:
        await _reply(ctx, chat, lang, "group.not_allowed_existing", unit=unit)
        await record(ctx, me.user_id, refused, f"unit:{existing.unit}", "/unbind")
        return
    text = ctx.texts(f"group.unbound_{purpose.value}", lang, unit=unit)
    await groups(ctx).unbind(chat.id, purpose, ctx.now(), [outgoing.message(chat.id, text)])


async def migrated(update: Update, ctx: GridContext) -> None:
    """Moves the bindings of a group that became a supergroup to its new chat id."""
    message = update.effective_message
    assert message is not None
    if message.migrate_to_chat_id is not None:
        await groups(ctx).migrate(message.chat_id, message.migrate_to_chat_id)


def _name(tree: UnitTree, code: str) -> str:
    return tree.get(code).name if code in tree else code


def register(app: Application) -> None:
    app.add_handler(CommandHandler("bind", bind, filters=NEW_MESSAGE))
    app.add_handler(CommandHandler("unbind", unbind, filters=NEW_MESSAGE))
    # Telegram posts migrate_to_chat_id in the old group; the sender also follows a migration
    # when a send fails with ChatMigrated (storage.groups registers the hook for that).
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE & NEW_MESSAGE, migrated))
