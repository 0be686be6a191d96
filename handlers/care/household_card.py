"""Staff manage 五必访 households: /households, the household card (with its notes, for staff
at the unit or above only), cadence, visitor, stopping visits."""

from __future__ import annotations

from dataclasses import replace

from telegram import Update

from bot.context import GridContext
from bot.domain import access
from bot.domain import care as domain
from bot.domain.care import Cadence, Household
from bot.domain.people import Person, Staff
from bot.notices import outgoing
from bot.notices.buttons import Press, button, keyboard
from bot.notices.care import brief, day, visitor_name_of
from bot.texts import Raw
from bot.usecases.care import care_policy
from handlers.care.common import (
    HOUSEHOLD,
    cadence_prompt,
    care_staff,
    chosen_visitor,
    not_allowed,
    scope_of,
    store,
    tell_assigned,
    visitor_prompt,
)
from handlers.kit.flows import person_of
from handlers.kit.reply import say
from storage.care import StaleHousehold
from storage.outbox import Outgoing

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
    lines = [brief(ctx.texts, tree, h, me.lang) for h in found]
    rows = [[button(f"#{h.id} {h.label}", FLOW, "show", h.id)] for h in found]
    text = ctx.texts("care.listed", me.lang, count=len(found), lines=Raw("\n\n".join(lines)))
    await ctx.outbox.send([outgoing.message(me.user_id, text, markup=keyboard(rows))], ctx.now())


async def managed(ctx: GridContext, me: Person, press: Press) -> tuple[Staff, Household] | None:
    """Returns the household the press names if ME may manage it now; else says why not."""
    household_id = press.int_arg(0)
    household = await store(ctx).get(household_id) if household_id is not None else None
    staff = await ctx.people.staff(me.user_id)
    if household is None or staff is None:
        await say(ctx, me, "common.not_allowed")
        return None
    if (refused := access.manage_household(staff, household, await ctx.units.tree())) is not None:
        target, action = f"household:{household.id}", f"{press.noun}:{press.verb}"
        await not_allowed(ctx, me, refused, target, action)
        return None
    if not household.active:
        await say(ctx, me, "care.inactive", id=household.id)
        return None
    return staff, household


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
        brief=Raw(brief(ctx.texts, tree, household, lang)),
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
    found = await managed(ctx, me, press)
    if found is None or press.args[1:2] not in [(c.value,) for c in Cadence]:
        if found is not None:
            await say(ctx, me, "common.stale_button")
        return
    _, before = found
    after = domain.change_cadence(before, Cadence(press.args[1]), care_policy(ctx.services))
    done = ctx.texts("care.cadence_set", me.lang, id=before.id, due=day(after.due_on))
    await save(ctx, me, before, after, "cadence", [outgoing.message(me.user_id, done)])


async def edit_visitor(ctx: GridContext, me: Person, press: Press) -> None:
    found = await managed(ctx, me, press)
    if found is not None:
        household = found[1]
        prompt = await visitor_prompt(ctx, me, household.unit, "setvis", household.id)
        await ctx.outbox.send([prompt], ctx.now())


async def set_visitor(ctx: GridContext, me: Person, press: Press) -> None:
    """Assigns another visitor; the ladder is kept, the new visitor is told what they visit."""
    found = await managed(ctx, me, press)
    if found is None:
        return
    _, before = found
    wanted = press.args[1] if len(press.args) > 1 else None
    chosen = await chosen_visitor(ctx, me, before.unit, wanted)
    if chosen is None:
        return
    after = replace(before, visitor_id=chosen[0], visitor_kind=chosen[1])
    stored = await save(ctx, me, before, after, "visitor", [], data={"from": before.visitor_id})
    if stored is not None:
        await tell_assigned(ctx, me, stored, "care.visitor_set")


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
    found = await managed(ctx, me, press)
    if found is None:
        return
    _, before = found
    after = replace(before, active=False, next_at=None)
    messages = [outgoing.message(me.user_id, ctx.texts("care.off", me.lang, id=before.id))]
    if before.visitor_id != me.user_id:
        lang = (await ctx.people.languages([before.visitor_id])).get(before.visitor_id, "zh")
        text = ctx.texts("care.off_visitor", lang, id=before.id, label=before.label)
        messages.append(outgoing.message(before.visitor_id, text))
    await save(ctx, me, before, after, "deactivate", messages)


async def save(
    ctx: GridContext,
    me: Person,
    before: Household,
    after: Household,
    action: str,
    messages: list[Outgoing],
    data: dict | None = None,
) -> Household | None:
    try:
        return await store(ctx).save(
            before,
            after,
            action=action,
            actor_id=me.user_id,
            at=ctx.now(),
            messages=messages,
            data=data,
        )
    except StaleHousehold:
        await say(ctx, me, "care.stale")
        return None


MANAGE_VERBS = {
    "show": show,
    "edcad": edit_cadence,
    "setcad": set_cadence,
    "edvis": edit_visitor,
    "setvis": set_visitor,
    "off": ask_deactivate,
    "offok": deactivate,
}
