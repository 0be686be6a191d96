"""Staff manage 五必访 households: /households, the household card (with its notes, for staff
at the unit or above only), cadence, visitor, stopping visits."""

from __future__ import annotations

from telegram import Update

from bot.context import GridContext
from bot.domain.care import Cadence, Household
from bot.domain.people import Person, Staff
from bot.notices import outgoing
from bot.notices.buttons import Press, button, keyboard
from bot.notices.care import brief, kind_book, visitor_name_of
from bot.texts import Raw
from bot.usecases import care as usecases
from bot.usecases.results import Refused
from handlers.care.common import (
    HOUSEHOLD,
    cadence_prompt,
    care_staff,
    scope_of,
    store,
    visitor_prompt,
)
from handlers.kit.flows import person_of
from handlers.kit.reply import say, say_refused

FLOW = HOUSEHOLD
MAX_LISTED = 30

# Listing, showing and editing ----------------------------------------------------------------


async def list_households(update: Update, ctx: GridContext) -> None:
    """/households: the active households of the staff member's unit and below."""
    me = await person_of(update, ctx)
    staff = await care_staff(ctx, me, "/households")
    if staff is None:
        return
    tree = await ctx.units.tree()
    found = await store(ctx).within(scope_of(staff, tree), limit=MAX_LISTED)
    if not found:
        await say(ctx, me, "care.none_listed")
        return
    kinds = kind_book(ctx.services.settings)
    lines = [brief(ctx.texts, tree, h, me.lang, kinds) for h in found]
    rows = [[button(f"#{h.id} {h.label}", FLOW, "show", h.id)] for h in found]
    text = ctx.texts("care.listed", me.lang, count=len(found), lines=Raw("\n\n".join(lines)))
    await ctx.outbox.send([outgoing.message(me.user_id, text, markup=keyboard(rows))], ctx.now())


async def managed(ctx: GridContext, me: Person, press: Press) -> tuple[Staff, Household] | None:
    """Returns the household the press names if ME may manage it now; else says why not."""
    found = await usecases.household_to_manage(
        ctx.services,
        press.int_arg(0),
        by=me.user_id,
        at=ctx.now(),
        action=f"{press.noun}:{press.verb}",
    )
    if isinstance(found, Refused):
        await say_refused(ctx, me, found)
        return None
    staff = await ctx.people.staff(me.user_id)
    assert staff is not None  # household_to_manage has just read them
    return staff, found.value


async def show(ctx: GridContext, me: Person, press: Press) -> None:
    """Shows the household card with its notes and recent visits (staff covering it only)."""
    found = await managed(ctx, me, press)
    if found is None:
        return
    _, household = found
    tree, lang = await ctx.units.tree(), me.lang
    visits = await store(ctx).visits_of(household.id or 0, limit=5)
    history = "\n".join(
        ctx.texts(
            "care.visit_line",
            lang,
            at=v.at.astimezone(ctx.services.tz).strftime("%Y-%m-%d"),
            outcome=ctx.texts(f"visit.outcome_{v.outcome.value}", lang),
            wellbeing=v.wellbeing or "—",
        )
        for v in visits
    ) or ctx.texts("care.no_visits", lang)
    text = ctx.texts(
        "care.card",
        lang,
        brief=Raw(brief(ctx.texts, tree, household, lang, kind_book(ctx.services.settings))),
        cadence=ctx.texts(f"care.cadence_{household.cadence.value}", lang),
        visitor=await visitor_name_of(ctx.services, household.visitor_id, household.visitor_kind),
        notes=household.notes or "—",
        history=Raw(history),
    )
    rows = [
        [button(ctx.texts("visit.button_log", lang), "visit", "log", household.id)],
        [
            button(ctx.texts("care.button_cadence", lang), FLOW, "edcad", household.id),
            button(ctx.texts("care.button_visitor", lang), FLOW, "edvis", household.id),
        ],
        [button(ctx.texts("care.button_off", lang), FLOW, "off", household.id)],
        [button(ctx.texts("privacy.household_button", lang), "hherase", "ask", household.id)],
    ]
    await ctx.outbox.send([outgoing.message(me.user_id, text, markup=keyboard(rows))], ctx.now())


async def edit_cadence(ctx: GridContext, me: Person, press: Press) -> None:
    found = await managed(ctx, me, press)
    if found is not None:
        await ctx.outbox.send([cadence_prompt(ctx, me, "setcad", found[1].id)], ctx.now())


async def set_cadence(ctx: GridContext, me: Person, press: Press) -> None:
    """Changes the cadence: the next visit falls due one new cadence after the last visit."""
    if press.args[1:2] not in [(c.value,) for c in Cadence]:
        if await managed(ctx, me, press) is not None:
            await say(ctx, me, "common.stale_button")
        return
    household_id = press.int_arg(0) or 0
    done = await usecases.set_cadence(
        ctx.services, household_id, Cadence(press.args[1]), by=me.user_id, at=ctx.now()
    )
    if isinstance(done, Refused):
        await say_refused(ctx, me, done)


async def edit_visitor(ctx: GridContext, me: Person, press: Press) -> None:
    found = await managed(ctx, me, press)
    if found is not None:
        household = found[1]
        prompt = await visitor_prompt(ctx, me, household.unit, "setvis", household.id)
        await ctx.outbox.send([prompt], ctx.now())


async def set_visitor(ctx: GridContext, me: Person, press: Press) -> None:
    """Assigns another visitor; the ladder is kept, the new visitor is told what they visit."""
    visitor = press.int_arg(1)
    if visitor is None:  # no one named: the same answer as someone no longer on the list
        if await managed(ctx, me, press) is not None:
            await say(ctx, me, "care.visitor_gone")
        return
    household_id = press.int_arg(0) or 0
    done = await usecases.set_visitor(
        ctx.services, household_id, visitor, by=me.user_id, at=ctx.now()
    )
    if isinstance(done, Refused):
        await say_refused(ctx, me, done)


async def ask_deactivate(ctx: GridContext, me: Person, press: Press) -> None:
    found = await managed(ctx, me, press)
    if found is None:
        return
    household = found[1]
    rows = [[button(ctx.texts("care.button_off_confirm", me.lang), FLOW, "offok", household.id)]]
    text = ctx.texts("care.ask_off", me.lang, id=household.id)
    await ctx.outbox.send([outgoing.message(me.user_id, text, markup=keyboard(rows))], ctx.now())


async def deactivate(ctx: GridContext, me: Person, press: Press) -> None:
    """Stops visits to the household (moved away, passed away, no longer eligible)."""
    done = await usecases.stop_visits(
        ctx.services, press.int_arg(0) or 0, by=me.user_id, at=ctx.now()
    )
    if isinstance(done, Refused):
        await say_refused(ctx, me, done)


MANAGE_VERBS = {
    "show": show,
    "edcad": edit_cadence,
    "setcad": set_cadence,
    "edvis": edit_visitor,
    "setvis": set_visitor,
    "off": ask_deactivate,
    "offok": deactivate,
}
