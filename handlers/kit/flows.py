"""Multi-step conversations as a table: (flow, step) → the callback that receives that input.

Where a user stands is a row in `drafts` (not in memory), so a restart or a replayed update
keeps the conversation. A message in a private chat goes to the user's current step; with no
draft it goes to the first idle handler that wants it (a photo starts a report, …).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from telegram import InlineKeyboardButton, Message, Update
from telegram.ext import Application, MessageHandler, filters

from bot.context import GridContext
from bot.domain.people import Person
from bot.domain.units import UnitTree
from handlers.kit.reply import say
from storage.drafts import Draft
from storage.outbox import Outgoing

StepCallback = Callable[[Update, GridContext, Draft], Awaitable[None]]
IdleCallback = Callable[[Update, GridContext, Person], Awaitable[bool]]

# Commands and steps react to new private messages only: CommandHandler fires on edited messages
# by default, and personal conversations never happen in groups.
NEW_PRIVATE = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE

# What to do with the unit the picker ended on, per flow (MESSAGES go into the same commit)
PlaceDone = Callable[[GridContext, Person, Draft, str, list[Outgoing]], Awaitable[None]]
# The question above the picker's buttons, standing at a unit (None: the top of the walk)
PlaceAsk = Callable[[GridContext, Person, Draft, UnitTree, str | None], Awaitable[str]]
# The unit the presser's walk is bounded by, read again on every press: None for the whole
# tree, NOWHERE if they may no longer choose a unit at all
PlaceReach = Callable[[GridContext, Person, Draft], Awaitable[str | None]]
# Which units the presser may choose (the picker offers and takes only those)
PlaceChoosable = Callable[[GridContext, Person, Draft], Awaitable[Callable[[str], bool]]]
# More rows under the picker's own (the resident's 📍 by location)
PlaceRows = Callable[[GridContext, Person, Draft, UnitTree], list[list[InlineKeyboardButton]]]
NOWHERE = ""


@dataclass(frozen=True)
class Place:
    """How a flow asks for a unit with the one picker (handlers/kit/picker.py) and what it does
    with the unit chosen. HERE: the catalog key of the "choose this unit" button (with {name});
    None: only units without children are chosen. UP: the catalog key of the "up" button.
    SKIP: the walk passes over levels with a single child (a resident looking for a building).
    HOME: the catalog key (with {place}) of a button that chooses the presser's registered unit.
    REACH, CHOOSABLE: see their types; DONE re-authorises the unit all the same."""

    done: PlaceDone
    ask: PlaceAsk
    here: str | None = None
    up: str = "register.up"
    reach: PlaceReach | None = None
    choosable: PlaceChoosable | None = None
    rows: PlaceRows | None = None
    skip: bool = False
    home: str | None = None


@dataclass(frozen=True)
class Table:
    """Every flow's steps, the idle callbacks (in order) and what each flow does with a picked
    place. Each feature lists its own (handlers/<feature>/wiring.py); bot/app.py merges them into
    app.bot_data["flows"], where dispatch finds them."""

    steps: Mapping[tuple[str, str], StepCallback] = field(default_factory=dict)
    idle: tuple[IdleCallback, ...] = ()
    places: Mapping[str, Place] = field(default_factory=dict)

    @classmethod
    def merge(cls, *tables: Table) -> Table:
        """Returns one table of TABLES; a (flow, step) or place flow listed twice is an error."""
        steps: dict[tuple[str, str], StepCallback] = {}
        places: dict[str, Place] = {}
        idle: list[IdleCallback] = []
        for table in tables:
            for key, callback in table.steps.items():
                if key in steps:
                    raise ValueError(f"step {key} is listed twice")
                steps[key] = callback
            for flow, done in table.places.items():
                if flow in places:
                    raise ValueError(f"place flow {flow!r} is listed twice")
                places[flow] = done
            idle.extend(table.idle)
        return cls(steps, tuple(idle), places)


def flows_of(ctx: GridContext) -> Table:
    """Returns the application's flow table (set by bot/app.py register_handlers)."""
    table: Table = ctx.bot_data["flows"]
    return table


async def offer_idle(update: Update, ctx: GridContext, me: Person) -> bool:
    """Offers the message to each idle callback in turn; True if one took it."""
    for offer in flows_of(ctx).idle:
        if await offer(update, ctx, me):
            return True
    return False


async def person_of(update: Update, ctx: GridContext) -> Person:
    """Returns the sender as a Person, created on first contact in Telegram's language."""
    from bot.texts import pick_language

    user = update.effective_user
    assert user is not None
    found = await ctx.people.get(user.id)
    if found is not None and found.lang:
        return found
    lang = pick_language(user.language_code, ctx.services.settings.default_language)
    return await ctx.people.touch(user.id, user.full_name, lang, ctx.now())


async def dispatch(update: Update, ctx: GridContext) -> None:
    """Routes a private-chat message to the user's current step, or to the idle handlers."""
    if update.effective_user is None or update.effective_message is None:
        return
    me = await person_of(update, ctx)
    draft = await ctx.drafts.get(me.user_id)
    if draft is not None:
        callback = flows_of(ctx).steps.get((draft.flow, draft.step))
        if callback is not None:
            await callback(update, ctx, draft)
            return
        await ctx.drafts.clear(me.user_id, ctx.now())  # a step that no longer exists
    if await offer_idle(update, ctx, me):
        return
    await say(ctx, me, "common.not_understood")


def text_of(message: Message) -> str | None:
    """Returns the message's text, or None for anything that is not plain text."""
    return message.text if message.text is not None else None


def register(app: Application) -> None:
    """Registers dispatch for any other private message (bot/app.py lists it last)."""
    app.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & ~filters.COMMAND, dispatch
        )
    )
