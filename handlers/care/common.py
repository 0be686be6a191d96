"""What the care features share: the repositories and timings, answering and dispatching a press,
rendering a household for a visitor (never its notes), and the unit picker."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from enum import StrEnum
from typing import Any

from telegram import InlineKeyboardButton, Update
from telegram.ext import filters

from bot.context import GridContext
from bot.domain import access
from bot.domain.access import Rule
from bot.domain.care import (
    Cadence,
    VisitorKind,
)
from bot.domain.people import Person, Staff
from bot.domain.units import UnitTree
from bot.notices import outgoing
from bot.notices.buttons import Press, button, keyboard
from bot.usecases import care as usecases
from bot.usecases.results import Refused
from handlers.kit.presses import press_of
from handlers.kit.refusals import record
from handlers.kit.reply import say
from storage.care import Households
from storage.drafts import Draft
from storage.outbox import Outgoing

HOUSEHOLD = "household"  # the noun of household buttons
MAX_CHILDREN = 40
# The picker's question for each flow that uses it.
UNIT_PROMPTS = {"household": "care.ask_unit", "patrol": "patrol.ask_unit"}
PRIVATE = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
GROUPS = filters.UpdateType.MESSAGE & ~filters.ChatType.PRIVATE


# Shared by households, visits and patrols ----------------------------------------------------


def store(ctx: GridContext) -> Households:
    return ctx.store.households


# A button verb of a care flow: it re-authorises the press on its own.
Verb = Callable[[GridContext, Person, Press], Awaitable[None]]


async def run_press(update: Update, ctx: GridContext, verbs: Mapping[str, Verb]) -> None:
    """Answers the button press first, then runs the verb it names; else says it is stale
    (the one press guard, handlers/kit/presses.press_of)."""
    pressed = await press_of(update, ctx, verbs=tuple(verbs))
    if pressed is None:
        return
    me, press, _ = pressed
    await verbs[press.verb](ctx, me, press)


async def draft_at(ctx: GridContext, me: Person, flow: str, *steps: str) -> Draft | None:
    """Returns ME's draft if it is in FLOW at one of STEPS; else says the button is stale."""
    draft = await ctx.drafts.get(me.user_id)
    if draft is None or draft.flow != flow or (steps and draft.step not in steps):
        await say(ctx, me, "common.stale_button")
        return None
    return draft


async def choice_at(
    ctx: GridContext, me: Person, flow: str, step: str, press: Press, choices: Iterable[StrEnum]
) -> Draft | None:
    """Returns ME's draft if it is in FLOW at STEP and the press names one of CHOICES (its first
    argument); else says the button is stale."""
    draft = await draft_at(ctx, me, flow, step)
    if draft is None:
        return None
    if press.args[:1] not in [(choice.value,) for choice in choices]:
        await say(ctx, me, "common.stale_button")
        return None
    return draft


async def care_staff(ctx: GridContext, me: Person, action: str) -> Staff | None:
    """Returns ME's staff record if they do care work (access.care_staff); else tells them it
    is for staff and records the refusal of ACTION."""
    staff = await ctx.people.staff(me.user_id)
    if (refused := access.care_staff(staff)) is not None:
        await say(ctx, me, "care.staff_only")
        await record(ctx, me.user_id, refused, None, action)
        return None
    return staff


def scope_of(staff: Staff, tree: UnitTree) -> list[str]:
    """Returns the units whose households STAFF manages (admins: the whole tree)."""
    return usecases.scope(staff, tree)


def skip_markup(ctx: GridContext, me: Person, noun: str) -> dict:
    """Returns the one-button keyboard that skips an optional text step."""
    return keyboard([[button(ctx.texts("care.skip", me.lang), noun, "skip")]])


# The unit picker (a walk down the tree from the staff member's own unit) ---------------------


async def unit_prompt(ctx: GridContext, me: Person, noun: str, draft: Draft) -> Outgoing:
    """Returns the picker message for the unit the DRAFT stands at."""
    tree, lang = await ctx.units.tree(), me.lang
    current, top = draft.data["unit"], draft.data["top"]
    rows = [
        [button(child.name, noun, "down", i)]
        for i, child in enumerate(tree.children(current)[:MAX_CHILDREN])
    ]
    rows.append([button(ctx.texts("care.pick_here", lang), noun, "here")])
    if current != top:
        rows.append([button(ctx.texts("care.pick_up", lang), noun, "up")])
    text = ctx.texts(UNIT_PROMPTS[noun], lang, place=tree.place_name(current))
    return outgoing.message(me.user_id, text, markup=keyboard(rows))


async def walk(ctx: GridContext, me: Person, draft: Draft, press: Press) -> str | None:
    """Moves the DRAFT's picker for a down/up press; returns the chosen unit on 'here'."""
    tree = await ctx.units.tree()
    current, top = draft.data["unit"], draft.data["top"]
    if press.verb == "here":
        return current
    if press.verb == "up":
        parent = tree.get(current).parent if current in tree else None
        draft.data["unit"] = parent if current != top and parent else top
    else:
        children = tree.children(current) if current in tree else []
        index = press.int_arg(0)
        if index is None or not 0 <= index < len(children):
            await say(ctx, me, "common.stale_button")
            return None
        draft.data["unit"] = children[index].code
    await ctx.drafts.put(draft, ctx.now(), [await unit_prompt(ctx, me, press.noun, draft)])
    return None


# Who may choose a unit in a flow (access.register_household, access.log_patrol).
MayPick = Callable[[Staff | None, str, UnitTree], Rule | None]


async def picked_unit(
    ctx: GridContext, me: Person, flow: str, press: Press, may_pick: MayPick
) -> tuple[Draft, str] | None:
    """Walks FLOW's picker one press; returns the draft and the unit once ME chooses one that
    MAY_PICK allows them (a unit they may not work at ends the flow, saying so)."""
    draft = await draft_at(ctx, me, flow, "unit")
    if draft is None:
        return None
    chosen = await walk(ctx, me, draft, press)
    if chosen is None:
        return None
    refused = may_pick(await ctx.people.staff(me.user_id), chosen, await ctx.units.tree())
    if refused is not None:
        await say(ctx, me, "common.not_allowed", end_flow=True)
        await record(ctx, me.user_id, refused, f"unit:{chosen}", f"{press.noun}:{press.verb}")
        return None
    return draft, chosen


# Choices shared by registering and editing a household --------------------------------------


def cadence_prompt(ctx: GridContext, me: Person, verb: str, *args: object) -> Outgoing:
    rows = [
        [button(ctx.texts(f"care.cadence_{c.value}", me.lang), HOUSEHOLD, verb, *args, c.value)]
        for c in Cadence
    ]
    text = ctx.texts("care.ask_cadence", me.lang)
    return outgoing.message(me.user_id, text, markup=keyboard(rows))


async def candidates(ctx: GridContext, unit: str) -> list[tuple[int, VisitorKind, str]]:
    """Returns who may visit a household at UNIT (bot/usecases/care.py visitor_candidates)."""
    return [
        (c.user_id, c.kind, c.name) for c in await usecases.visitor_candidates(ctx.services, unit)
    ]


async def visitor_prompt(ctx: GridContext, me: Person, unit: str, verb: str, *args: object):
    rows: list[list[InlineKeyboardButton]] = []
    for user_id, kind, name in await candidates(ctx, unit):
        label = ctx.texts(f"care.visitor_{kind.value}", me.lang, name=name)
        rows.append([button(label, HOUSEHOLD, verb, *args, user_id)])
    text = ctx.texts("care.ask_visitor" if rows else "care.no_visitors", me.lang)
    return outgoing.message(me.user_id, text, markup=keyboard(rows) if rows else None)


async def chosen_visitor(
    ctx: GridContext, me: Person, unit: str, wanted: str | None
) -> tuple[int, VisitorKind] | None:
    """Returns the pressed candidate if still a valid choice for UNIT; else says so."""
    for user_id, kind, _ in await candidates(ctx, unit):
        if str(user_id) == wanted:
            return user_id, kind
    await say(ctx, me, "care.visitor_gone")
    return None


async def say_refused(
    ctx: GridContext, me: Person, refused: Refused, *, end_flow: bool = False
) -> None:
    """Tells ME why a care use case refused (its catalog key with its parameters)."""
    params: dict[str, Any] = dict(refused.params)
    await say(ctx, me, refused.key, end_flow=end_flow, **params)
