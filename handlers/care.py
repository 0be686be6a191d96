"""五必访 households for staff: register (/household), list (/households), edit, deactivate.

Notes on a household are shown only to staff working at its unit or above (domain.care.covers);
visitors see the kind, place and label they need for the visit, never the notes. Everything
here goes to private chats: nothing about a household ever reaches a group.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import time

from telegram import InlineKeyboardButton, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import GridContext
from bot.domain import care as domain
from bot.domain.care import (
    Cadence,
    CareError,
    CarePolicy,
    Household,
    HouseholdKind,
    QuietHours,
    VisitorKind,
)
from bot.domain.people import Person, Role, Staff
from bot.domain.units import Tier, UnitTree
from bot.services import Services
from bot.settings import quiet_hours
from bot.texts import Raw, Texts
from handlers import outgoing
from handlers.buttons import Press, button, keyboard, parse, pattern
from handlers.flows import person_of, step, text_of
from storage.care import Households, StaleHousehold
from storage.drafts import Draft
from storage.outbox import Outgoing
from storage.volunteers import Volunteers

FLOW = "household"
MAX_LISTED = 30
MAX_CANDIDATES = 20
MAX_CHILDREN = 40
# The picker's question for each flow that uses it.
UNIT_PROMPTS = {"household": "care.ask_unit", "patrol": "patrol.ask_unit"}
PRIVATE = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
GROUPS = filters.UpdateType.MESSAGE & ~filters.ChatType.PRIVATE


# Shared by households, visits and patrols ----------------------------------------------------


def store(ctx: GridContext) -> Households:
    return Households(ctx.services.db)


def care_policy(services: Services) -> CarePolicy:
    """Returns the [care] timings with the office's time zone."""
    c = services.settings.care
    return CarePolicy(
        tz=services.tz,
        lead_days=c.reminder_lead_days,
        notify_at=time.fromisoformat(c.notify_at),
        grace_days=c.grace_days,
        nag_every_days=c.nag_every_days,
        escalate_after_days=c.escalate_after_days,
        not_home_retry_days=c.not_home_retry_days,
        quiet=QuietHours(*quiet_hours(services.settings.deadlines.quiet_hours)),
    )


async def answered(update: Update, ctx: GridContext) -> tuple[Person, Press | None]:
    """Answers the button press first, then returns the presser and the parsed press."""
    query = update.callback_query
    assert query is not None
    with contextlib.suppress(TelegramError):
        await query.answer()
    return await person_of(update, ctx), parse(query.data)


async def say(
    ctx: GridContext,
    me: Person,
    key: str,
    *,
    markup: dict | None = None,
    end_flow: bool = False,
    **params: object,
) -> None:
    """Queues one message to ME; with END_FLOW it ends their conversation in the same commit."""
    message = outgoing.message(me.user_id, ctx.texts(key, me.lang, **params), markup=markup)
    if end_flow:
        await ctx.drafts.clear(me.user_id, ctx.now(), [message])
    else:
        await ctx.outbox.send([message], ctx.now())


async def draft_at(ctx: GridContext, me: Person, flow: str, *steps: str) -> Draft | None:
    """Returns ME's draft if it is in FLOW at one of STEPS; else says the button is stale."""
    draft = await ctx.drafts.get(me.user_id)
    if draft is None or draft.flow != flow or (steps and draft.step not in steps):
        await say(ctx, me, "common.stale_button")
        return None
    return draft


async def care_staff(ctx: GridContext, me: Person) -> Staff | None:
    """Returns ME's staff record if they do care work; else tells them it is for staff."""
    staff = await ctx.people.staff(me.user_id)
    if not domain.is_care_staff(staff):
        await say(ctx, me, "care.staff_only")
        return None
    return staff


def units_within(tree: UnitTree, code: str) -> list[str]:
    """Returns CODE and every unit below it."""
    found, stack = [], [code]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(child.code for child in tree.children(current))
    return found


def scope_of(staff: Staff, tree: UnitTree) -> list[str]:
    """Returns the units whose households STAFF manages (admins: the whole tree)."""
    if staff.role is Role.ADMIN:
        return [unit.code for unit in tree]
    return units_within(tree, staff.unit) if staff.unit in tree else []


def place(tree: UnitTree, code: str) -> str:
    return tree.path_name(code) if code in tree else code


def day(value: object) -> str:
    return str(value) if value else "—"


def brief(texts: Texts, tree: UnitTree, household: Household, lang: str) -> str:
    """Returns what a visitor needs: kind, place, label, due date (never the notes)."""
    return texts(
        "care.brief",
        lang,
        id=household.id,
        kind=texts(f"care.kind_{household.kind.value}", lang),
        place=place(tree, household.unit),
        label=household.label,
        due=day(household.due_on),
    )


async def visitor_name_of(services: Services, user_id: int, kind: VisitorKind) -> str:
    """Returns the visitor's name as staff know it (staff list, volunteer register, Telegram)."""
    if kind is VisitorKind.STAFF:
        staff = await services.people.staff(user_id)
        if staff is not None:
            return staff.name
    else:
        volunteer = await Volunteers(services.db).get(user_id)
        if volunteer is not None:
            return volunteer.name
    person = await services.people.get(user_id)
    return person.name if person and person.name else str(user_id)


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
    text = ctx.texts(UNIT_PROMPTS[noun], lang, place=place(tree, current))
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


# Registering a household ---------------------------------------------------------------------


async def start_register(update: Update, ctx: GridContext) -> None:
    """/household: asks the kind of household, then walks through the rest."""
    me = await person_of(update, ctx)
    staff = await care_staff(ctx, me)
    if staff is None:
        return
    rows = [
        [button(ctx.texts(f"care.kind_{kind.value}", me.lang), FLOW, "kind", kind.value)]
        for kind in HouseholdKind
    ]
    draft = Draft(me.user_id, FLOW, "kind", {"top": staff.unit, "unit": staff.unit})
    text = ctx.texts("care.ask_kind", me.lang)
    await ctx.drafts.put(
        draft, ctx.now(), [outgoing.message(me.user_id, text, markup=keyboard(rows))]
    )


async def receive_kind(ctx: GridContext, me: Person, press: Press) -> None:
    draft = await draft_at(ctx, me, FLOW, "kind")
    if draft is None:
        return
    if press.args[:1] not in [(k.value,) for k in HouseholdKind]:
        await say(ctx, me, "common.stale_button")
        return
    draft.data["kind"] = press.args[0]
    draft.step = "unit"
    await ctx.drafts.put(draft, ctx.now(), [await unit_prompt(ctx, me, FLOW, draft)])


async def receive_unit(ctx: GridContext, me: Person, press: Press) -> None:
    draft = await draft_at(ctx, me, FLOW, "unit")
    if draft is None:
        return
    chosen = await walk(ctx, me, draft, press)
    if chosen is None:
        return
    staff = await ctx.people.staff(me.user_id)
    if not domain.covers(staff, chosen, await ctx.units.tree()):
        await say(ctx, me, "common.not_allowed", end_flow=True)
        return
    draft.data["unit"], draft.step = chosen, "label"
    await ctx.drafts.put(
        draft, ctx.now(), [outgoing.message(me.user_id, ctx.texts("care.ask_label", me.lang))]
    )


@step(FLOW, "label")
async def receive_label(update: Update, ctx: GridContext, draft: Draft) -> None:
    """Stores the label (e.g. a room number) and asks the cadence."""
    me = await person_of(update, ctx)
    message = update.effective_message
    assert message is not None
    try:
        label = domain.check_label(text_of(message) or "")
    except CareError as error:
        await say(ctx, me, error.key, limit=domain.MAX_LABEL)
        return
    draft.data["label"], draft.step = label, "cadence"
    await ctx.drafts.put(draft, ctx.now(), [cadence_prompt(ctx, me, "cad")])


def cadence_prompt(ctx: GridContext, me: Person, verb: str, *args: object) -> Outgoing:
    rows = [
        [button(ctx.texts(f"care.cadence_{c.value}", me.lang), FLOW, verb, *args, c.value)]
        for c in Cadence
    ]
    text = ctx.texts("care.ask_cadence", me.lang)
    return outgoing.message(me.user_id, text, markup=keyboard(rows))


async def candidates(ctx: GridContext, unit: str) -> list[tuple[int, VisitorKind, str]]:
    """Returns who may visit a household at UNIT: care staff from the unit up to its community,
    then approved volunteers living in that community."""
    tree = await ctx.units.tree()
    chain = tree.chain(unit)
    community = tree.unit_at_tier(unit, Tier.COMMUNITY)
    stop = chain.index(community) if community in chain else len(chain) - 1
    codes = [u.code for u in chain[: stop + 1]]
    found: list[tuple[int, VisitorKind, str]] = []
    staff = await ctx.people.staff_at(codes)
    for code in codes:
        for s in staff:
            if s.unit == code and domain.is_care_staff(s) and s.role is not Role.ADMIN:
                found.append((s.user_id, VisitorKind.STAFF, s.name))
    area = units_within(tree, community.code if community else unit)
    taken = {user_id for user_id, _, _ in found}
    for volunteer in sorted(
        await Volunteers(ctx.services.db).approved_in(area), key=lambda v: v.user_id
    ):
        if volunteer.user_id not in taken:
            found.append((volunteer.user_id, VisitorKind.VOLUNTEER, volunteer.name))
    return found[:MAX_CANDIDATES]


async def visitor_prompt(ctx: GridContext, me: Person, unit: str, verb: str, *args: object):
    rows: list[list[InlineKeyboardButton]] = []
    for user_id, kind, name in await candidates(ctx, unit):
        label = ctx.texts(f"care.visitor_{kind.value}", me.lang, name=name)
        rows.append([button(label, FLOW, verb, *args, user_id)])
    text = ctx.texts("care.ask_visitor" if rows else "care.no_visitors", me.lang)
    return outgoing.message(me.user_id, text, markup=keyboard(rows) if rows else None)


async def receive_cadence(ctx: GridContext, me: Person, press: Press) -> None:
    draft = await draft_at(ctx, me, FLOW, "cadence")
    if draft is None:
        return
    if press.args[:1] not in [(c.value,) for c in Cadence]:
        await say(ctx, me, "common.stale_button")
        return
    draft.data["cadence"], draft.step = press.args[0], "visitor"
    prompt = await visitor_prompt(ctx, me, draft.data["unit"], "vis")
    await ctx.drafts.put(draft, ctx.now(), [prompt])


async def chosen_visitor(
    ctx: GridContext, me: Person, unit: str, wanted: str | None
) -> tuple[int, VisitorKind] | None:
    """Returns the pressed candidate if still a valid choice for UNIT; else says so."""
    for user_id, kind, _ in await candidates(ctx, unit):
        if str(user_id) == wanted:
            return user_id, kind
    await say(ctx, me, "care.visitor_gone")
    return None


async def receive_visitor(ctx: GridContext, me: Person, press: Press) -> None:
    draft = await draft_at(ctx, me, FLOW, "visitor")
    if draft is None:
        return
    chosen = await chosen_visitor(
        ctx, me, draft.data["unit"], press.args[0] if press.args else None
    )
    if chosen is None:
        return
    draft.data["visitor"], draft.data["visitor_kind"] = chosen[0], chosen[1].value
    draft.step = "notes"
    skip = keyboard([[button(ctx.texts("care.skip", me.lang), FLOW, "skip")]])
    text = ctx.texts("care.ask_notes", me.lang, limit=domain.MAX_NOTES)
    await ctx.drafts.put(draft, ctx.now(), [outgoing.message(me.user_id, text, markup=skip)])


@step(FLOW, "notes")
async def receive_notes(update: Update, ctx: GridContext, draft: Draft) -> None:
    """Takes the staff-only notes and registers the household."""
    me = await person_of(update, ctx)
    message = update.effective_message
    assert message is not None
    notes = text_of(message)
    if notes is None:
        await say(ctx, me, "care.notes_text_only")
        return
    await register_household(ctx, me, draft, notes)


async def skip_notes(ctx: GridContext, me: Person, press: Press) -> None:
    draft = await draft_at(ctx, me, FLOW, "notes")
    if draft is not None:
        await register_household(ctx, me, draft, "")


async def register_household(ctx: GridContext, me: Person, draft: Draft, notes: str) -> None:
    """Re-authorises, stores the household and tells its visitor (without the notes)."""
    staff = await ctx.people.staff(me.user_id)
    tree, data = await ctx.units.tree(), draft.data
    if not domain.covers(staff, data["unit"], tree):
        await say(ctx, me, "common.not_allowed", end_flow=True)
        return
    if await chosen_visitor(ctx, me, data["unit"], str(data["visitor"])) is None:
        return
    try:
        household = domain.register(
            kind=HouseholdKind(data["kind"]),
            unit=data["unit"],
            label=data["label"],
            cadence=Cadence(data["cadence"]),
            visitor_id=int(data["visitor"]),
            visitor_kind=VisitorKind(data["visitor_kind"]),
            notes=notes,
            by=me.user_id,
            at=ctx.now(),
            policy=care_policy(ctx.services),
        )
    except CareError as error:
        await say(ctx, me, error.key, limit=domain.MAX_NOTES)
        return
    stored = await store(ctx).create(household, [], clear_draft_of=me.user_id)
    await tell_assigned(ctx, me, stored, "care.registered")


async def tell_assigned(ctx: GridContext, me: Person, household: Household, key: str) -> None:
    """Confirms to ME and tells the visitor what they visit (the brief only)."""
    tree = await ctx.units.tree()
    messages = [outgoing.message(me.user_id, ctx.texts(key, me.lang, id=household.id))]
    if household.visitor_id != me.user_id:
        lang = (await ctx.people.languages([household.visitor_id])).get(
            household.visitor_id, ctx.services.settings.default_language
        )
        text = ctx.texts("care.assigned", lang, brief=Raw(brief(ctx.texts, tree, household, lang)))
        messages.append(outgoing.message(household.visitor_id, text))
    await ctx.outbox.send(messages, ctx.now())


# Listing, showing and editing ----------------------------------------------------------------


async def list_households(update: Update, ctx: GridContext) -> None:
    """/households: the active households of the staff member's unit and below."""
    me = await person_of(update, ctx)
    staff = await care_staff(ctx, me)
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
    if not domain.may_manage(staff, household, await ctx.units.tree()):
        await say(ctx, me, "common.not_allowed")
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


# Wiring --------------------------------------------------------------------------------------

VERBS = {
    "kind": receive_kind,
    "down": receive_unit,
    "up": receive_unit,
    "here": receive_unit,
    "cad": receive_cadence,
    "vis": receive_visitor,
    "skip": skip_notes,
    "show": show,
    "edcad": edit_cadence,
    "setcad": set_cadence,
    "edvis": edit_visitor,
    "setvis": set_visitor,
    "off": ask_deactivate,
    "offok": deactivate,
}


async def on_press(update: Update, ctx: GridContext) -> None:
    """Runs the household button that was pressed; every verb re-authorises on its own."""
    me, press = await answered(update, ctx)
    if press is None or press.verb not in VERBS:
        await say(ctx, me, "common.stale_button")
        return
    await VERBS[press.verb](ctx, me, press)


async def private_only(update: Update, ctx: GridContext) -> None:
    """Care commands in a group: point to the private chat, say nothing about households."""
    message = update.effective_message
    if message is not None and update.effective_chat is not None:
        text = ctx.texts("common.private_only", ctx.services.settings.default_language)
        await ctx.outbox.send([outgoing.message(update.effective_chat.id, text)], ctx.now())


def register(app: Application) -> None:
    app.add_handler(CommandHandler("household", start_register, filters=PRIVATE))
    app.add_handler(CommandHandler("households", list_households, filters=PRIVATE))
    app.add_handler(
        CommandHandler(
            ["household", "households", "visits", "patrol", "monthly"], private_only, filters=GROUPS
        )
    )
    app.add_handler(CallbackQueryHandler(on_press, pattern=pattern(FLOW)))
