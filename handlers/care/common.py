"""What the care features share: the repositories and timings, answering and dispatching a press,
rendering a household for a visitor (never its notes), and the unit picker."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from enum import StrEnum

from telegram import InlineKeyboardButton, Update
from telegram.ext import CallbackQueryHandler, filters

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
from bot.notices.buttons import Press, button, keyboard, pattern
from bot.usecases import care as usecases
from handlers.kit import picker
from handlers.kit.flows import NOWHERE, Place, person_of
from handlers.kit.presses import press_of
from handlers.kit.refusals import record
from handlers.kit.reply import say
from storage.care import Households
from storage.drafts import Draft
from storage.outbox import Outgoing

HOUSEHOLD = "household"  # the noun of household buttons
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


def presses(noun: str, verbs: Mapping[str, Verb]) -> CallbackQueryHandler:
    """Returns the handler of NOUN's buttons: each runs its verb, which re-authorises on its own."""

    async def on_press(update: Update, ctx: GridContext) -> None:
        await run_press(update, ctx, verbs)

    return CallbackQueryHandler(on_press, pattern=pattern(noun))


async def ask_kind(
    update: Update,
    ctx: GridContext,
    flow: str,
    kinds: Iterable[StrEnum],
    data: dict,
    *,
    also: Callable[[GridContext, Person], Awaitable[bool]] | None = None,
) -> None:
    """/patrol: care staff only (or those ALSO lets in); asks the kind (catalog <flow>.ask_kind
    and <flow>.kind_<kind>) and starts FLOW's draft with DATA. (/household asks the configured
    kinds itself.)"""
    me = await person_of(update, ctx)
    if (also is None or not await also(ctx, me)) and await care_staff(ctx, me, f"/{flow}") is None:
        return
    catalog = "care" if flow == HOUSEHOLD else flow
    rows = [
        [button(ctx.texts(f"{catalog}.kind_{kind.value}", me.lang), flow, "kind", kind.value)]
        for kind in kinds
    ]
    text = ctx.texts(f"{catalog}.ask_kind", me.lang)
    await ctx.drafts.put(
        Draft(me.user_id, flow, "kind", data),
        ctx.now(),
        [outgoing.message(me.user_id, text, markup=keyboard(rows))],
    )


async def kind_chosen(
    ctx: GridContext, me: Person, press: Press, flow: str, kinds: Iterable[StrEnum]
) -> None:
    """Takes the kind pressed and asks for the unit (handlers/kit/picker.py)."""
    draft = await choice_at(ctx, me, flow, "kind", press, kinds)
    if draft is None:
        return
    draft.data["kind"] = press.args[0]
    await ctx.drafts.put(draft, ctx.now(), await picker.begin(ctx, me, draft))


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


async def not_allowed(
    ctx: GridContext,
    me: Person,
    rule: Rule,
    target: str | None,
    action: str,
    *,
    key: str = "common.not_allowed",
    end_flow: bool = False,
) -> None:
    """Tells ME (catalog KEY; with END_FLOW their conversation ends) and records that RULE
    refused them ACTION on TARGET, for /audit."""
    await say(ctx, me, key, end_flow=end_flow)
    await record(ctx, me.user_id, rule, target, action)


async def care_staff(ctx: GridContext, me: Person, action: str) -> Staff | None:
    """Returns ME's staff record if they do care work (access.care_staff); else tells them it
    is for staff and records the refusal of ACTION."""
    staff = await ctx.people.staff(me.user_id)
    if (refused := access.care_staff(staff)) is not None:
        await not_allowed(ctx, me, refused, None, action, key="care.staff_only")
        return None
    return staff


def scope_of(staff: Staff, tree: UnitTree) -> list[str]:
    """Returns the units whose households STAFF manages (admins: the whole tree)."""
    return usecases.scope(staff, tree)


def skip_markup(ctx: GridContext, me: Person, noun: str) -> dict:
    """Returns the one-button keyboard that skips an optional text step."""
    return keyboard([[button(ctx.texts("care.skip", me.lang), noun, "skip")]])


# The unit picker (handlers/kit/picker.py), from the staff member's own unit down --------------


async def own_unit(ctx: GridContext, me: Person, draft: Draft) -> str | None:
    """Returns the reach of a care walk: the staff member's own unit (read on every press)."""
    staff = await ctx.people.staff(me.user_id)
    return staff.unit if staff is not None and access.care_staff(staff) is None else NOWHERE


async def unit_question(
    ctx: GridContext, me: Person, draft: Draft, tree: UnitTree, node: str | None
) -> str:
    where = tree.place_name(node) if node is not None else "—"
    return ctx.texts(UNIT_PROMPTS[draft.flow], me.lang, place=where)


# Who may choose a unit in a flow (access.register_household, access.log_patrol).
MayPick = Callable[[Staff | None, str, UnitTree], Rule | None]
# What the flow does next with the unit (in DRAFT.data["unit"]); MESSAGES join its commit.
Then = Callable[[GridContext, Person, Draft, list[Outgoing]], Awaitable[None]]


def unit_place(may_pick: MayPick, then: Then) -> Place:
    """Returns how a care flow asks for its unit: a unit ME may not work at (MAY_PICK, read
    again) ends the flow, saying so; else the flow goes on with THEN."""

    async def done(
        ctx: GridContext, me: Person, draft: Draft, code: str, messages: list[Outgoing]
    ) -> None:
        refused = may_pick(await ctx.people.staff(me.user_id), code, await ctx.units.tree())
        if refused is not None:
            await not_allowed(ctx, me, refused, f"unit:{code}", f"{draft.flow}:unit", end_flow=True)
            return
        draft.data["unit"] = code
        await then(ctx, me, draft, messages)

    return Place(
        done=done, ask=unit_question, here="care.pick_here", up="care.pick_up", reach=own_unit
    )


# Choices shared by registering and editing a household --------------------------------------


def cadence_prompt(
    ctx: GridContext, me: Person, verb: str, *args: object, proposed: Cadence | None = None
) -> Outgoing:
    """Returns the cadence question; the PROPOSED cadence (the kind's) comes first, marked."""
    rows = []
    for c in sorted(Cadence, key=lambda c: c is not proposed):
        label = ctx.texts(f"care.cadence_{c.value}", me.lang)
        if c is proposed:
            label = ctx.texts("care.cadence_proposed", me.lang, cadence=label)
        rows.append([button(label, HOUSEHOLD, verb, *args, c.value)])
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
