"""Activities (活动预约): staff create one (/activity_new), volunteers sign up, /activities.

Creating: title → time → place → capacity → skills wanted → unit → confirm ("actnew:<verb>").
Taking part: "act:<verb>:<id>[:<volunteer>]" — view, join, leave, roster, in (check-in).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import GridContext
from bot.domain import access
from bot.domain import activities as domain
from bot.domain.access import Rule
from bot.domain.activities import Activity
from bot.domain.people import Person, Role, Staff
from bot.domain.volunteers import InvalidInput, reach_units, subtree
from bot.notices import buttons, outgoing
from bot.notices.activities import (
    activity_text,
    member_card,
    roster_card,
)
from bot.notices.buttons import button
from bot.notices.volunteers import skill_names
from bot.texts import Raw
from bot.usecases.activities import check_in as check_in_volunteer
from bot.usecases.activities import create_activity, sign_up, view_activity
from bot.usecases.activities import leave as leave_activity
from bot.usecases.activities import roster as roster_of
from bot.usecases.results import Refused
from handlers.kit import picker
from handlers.kit.flows import NEW_PRIVATE, NOWHERE, Place, StepCallback, person_of
from handlers.kit.presses import answer, press_of
from handlers.kit.refusals import deny
from handlers.kit.reply import say, say_refused, tell
from handlers.volunteers.common import (
    render,
    skill_rows,
    typed,
    unit_card,
    unit_place,
    walk_top,
)
from storage.drafts import Draft
from storage.outbox import Outgoing

FLOW = "activity"
NOUN = "actnew"


async def organiser(ctx: GridContext, me: Person) -> Staff | None:
    """Returns ME's staff record if they may create activities (access.organise_activity)."""
    staff = await ctx.people.staff(me.user_id)
    return staff if access.organise_activity(staff) is None else None


async def start(update: Update, ctx: GridContext) -> None:
    me = await person_of(update, ctx)
    if await organiser(ctx, me) is None:
        await deny(update, ctx, me, Rule.ACTIVITY_ORGANISE, None, "volunteer.staff_only")
        return
    draft = Draft(me.user_id, FLOW, "title", {"card": f"actnew:{int(ctx.now().timestamp())}"})
    await ctx.drafts.put(
        draft, ctx.now(), [outgoing.message(me.user_id, ctx.texts("activity.ask_title", me.lang))]
    )


async def _typed(
    update: Update,
    ctx: GridContext,
    draft: Draft,
    key: str,
    parse: Callable[[str | None], object],
    next_step: str,
    ask: str | None,
) -> None:
    """Stores a typed answer parsed by PARSE and asks the next question, or explains the error."""
    me = await person_of(update, ctx)
    try:
        value = parse(typed(update))
    except InvalidInput as bad:
        await say(ctx, me, bad.key, limit=domain.MAX_CAPACITY)
        return
    draft.data[key] = value
    draft = replace(draft, step=next_step)
    message = (
        outgoing.message(me.user_id, ctx.texts(ask, me.lang, limit=domain.MAX_CAPACITY))
        if ask
        else await card(ctx, me, draft)
    )
    await ctx.drafts.put(draft, ctx.now(), [message])


async def receive_title(update: Update, ctx: GridContext, draft: Draft) -> None:
    await _typed(update, ctx, draft, "title", domain.clean_title, "when", "activity.ask_time")


async def receive_time(update: Update, ctx: GridContext, draft: Draft) -> None:
    tz, now = ctx.services.tz, ctx.now()

    def parse(text: str | None) -> str:
        return domain.parse_when(text, tz, now).isoformat()

    await _typed(update, ctx, draft, "when", parse, "place", "activity.ask_place")


async def receive_place(update: Update, ctx: GridContext, draft: Draft) -> None:
    await _typed(
        update, ctx, draft, "place", domain.clean_place, "capacity", "activity.ask_capacity"
    )


async def receive_capacity(update: Update, ctx: GridContext, draft: Draft) -> None:
    await _typed(update, ctx, draft, "capacity", domain.parse_capacity, "skills", None)


async def receive_text_at_button_step(update: Update, ctx: GridContext, draft: Draft) -> None:
    me = await person_of(update, ctx)
    await say(ctx, me, "volunteer.use_buttons")


def draft_activity(me: Person, data: dict, ctx: GridContext) -> Activity:
    return Activity(
        title=data["title"],
        starts_at=datetime.fromisoformat(data["when"]),
        place=data["place"],
        capacity=int(data["capacity"]),
        unit=data.get("unit", ""),
        organiser_id=me.user_id,
        skills=tuple(data.get("skills", [])),
        created_at=ctx.now(),
    )


async def card(ctx: GridContext, me: Person, draft: Draft) -> Outgoing:
    """Returns the creation card for the button steps: skills, unit, confirm."""
    t, lang, data = ctx.texts, me.lang, draft.data
    tree = await ctx.units.tree()
    if draft.step == "skills":
        chosen = set(data.get("skills", []))
        rows = skill_rows(ctx, lang, NOUN, chosen)
        text = t(
            "activity.ask_skills", lang, chosen=skill_names(ctx.services, sorted(chosen), lang)
        )
        return outgoing.card(me.user_id, data["card"], text, markup=buttons.keyboard(rows))
    if draft.step == "unit":
        return await unit_card(ctx, me, draft)
    activity = draft_activity(me, data, ctx)
    text = t(
        "activity.confirm", lang, details=Raw(activity_text(ctx.services, activity, lang, tree))
    )
    rows = [
        [
            button(t("activity.create", lang), NOUN, "create"),
            button(t("volunteer.restart", lang), NOUN, "restart"),
        ]
    ]
    return outgoing.card(me.user_id, data["card"], text, markup=buttons.keyboard(rows))


_STEP_OF = {
    "skill": "skills",
    "skills_done": "skills",
    "create": "confirm",
    "restart": "confirm",
}


_STEPS = {verb: (step,) for verb, step in _STEP_OF.items()}


async def on_create_press(update: Update, ctx: GridContext) -> None:
    found = await press_of(update, ctx, noun=NOUN, verbs=_STEPS, flow=FLOW, answer_first=False)
    if found is None:
        return
    me, press, draft = found
    assert draft is not None
    staff = await organiser(ctx, me)
    if staff is None:
        await tell(update, ctx, me, "common.not_allowed")
        return
    arg = press.args[0] if press.args else ""
    if press.verb == "skill":
        codes = [o.code for o in ctx.services.settings.volunteers.skills]
        if arg not in codes:
            await tell(update, ctx, me, "common.stale_button")
            return
        chosen = set(draft.data.get("skills", [])) ^ {arg}
        draft.data["skills"] = [c for c in codes if c in chosen]
        step_name = "skills"
    elif press.verb == "skills_done":
        step_name = "unit"
    elif press.verb == "restart":
        await answer(update)
        await start(update, ctx)
        return
    else:
        await answer(update)
        await create(ctx, me, draft)
        return
    await answer(update)
    draft = replace(draft, step=step_name)
    await ctx.drafts.put(draft, ctx.now(), [await card(ctx, me, draft)])


async def create(ctx: GridContext, me: Person, draft: Draft) -> None:
    """Stores the activity and announces it to the unit's group and matching volunteers."""
    data = draft.data
    result = await create_activity(
        ctx.services,
        by=me.user_id,
        at=ctx.now(),
        title=data["title"],
        starts_at=datetime.fromisoformat(data["when"]),
        place=data["place"],
        capacity=int(data["capacity"]),
        unit=data.get("unit", ""),
        skills=data.get("skills", []),
        card=data["card"],
    )
    if isinstance(result, Refused):
        await say_refused(ctx, me, result)


# Taking part ---------------------------------------------------------------------------------


async def on_press(update: Update, ctx: GridContext) -> None:
    found = await press_of(update, ctx, noun="act", verbs=tuple(ACTIONS), answer_first=False)
    if found is None:
        return
    me, press, _ = found
    activity = await ctx.services.store.activities.get(press.int_arg(0) or 0)
    if activity is None:
        await tell(update, ctx, me, "common.stale_button")
        return
    await ACTIONS[press.verb](update, ctx, me, activity, press.args[1:])


async def view(update: Update, ctx: GridContext, me: Person, activity: Activity, _: tuple) -> None:
    """Sends an approved volunteer the activity privately (pressed under a group post)."""
    assert activity.id is not None  # loaded from the store
    result = await view_activity(ctx.services, activity.id, by=me.user_id, at=ctx.now())
    if isinstance(result, Refused):
        await tell(update, ctx, me, result.key, **result.params)
        return
    await answer(update, ctx.texts("wish.sent_privately", me.lang))
    message = await member_card(ctx.services, result.value, me.user_id, me.lang, read=True)
    await ctx.outbox.send([message], ctx.now())


# Said in the chat, as before the use cases: the press was answered before the race was lost.
IN_CHAT = ("activity.already_signed", "activity.not_signed", "activity.not_going")


async def join(update: Update, ctx: GridContext, me: Person, activity: Activity, _: tuple) -> None:
    """Takes a place, or a waitlist place when full (decided inside one write transaction)."""
    assert activity.id is not None  # loaded from the store
    result = await sign_up(ctx.services, activity.id, by=me.user_id, at=ctx.now())
    await render(update, ctx, me, result, in_chat=IN_CHAT)


async def leave(update: Update, ctx: GridContext, me: Person, activity: Activity, _: tuple) -> None:
    """Cancels the sign-up; the first on the waitlist moves up in the same commit."""
    assert activity.id is not None  # loaded from the store
    result = await leave_activity(ctx.services, activity.id, by=me.user_id, at=ctx.now())
    await render(update, ctx, me, result, in_chat=IN_CHAT)


async def roster(
    update: Update, ctx: GridContext, me: Person, activity: Activity, _: tuple
) -> None:
    """Shows the organiser the sign-ups with a check-in button for each one going."""
    assert activity.id is not None  # loaded from the store
    result = await roster_of(ctx.services, activity.id, by=me.user_id, at=ctx.now())
    if isinstance(result, Refused):
        await tell(update, ctx, me, result.key, **result.params)
        return
    await answer(update)
    activity, signups = result.value
    message = roster_card(ctx.services, activity, me.user_id, me.lang, signups, ctx.now())
    await ctx.outbox.send([message], ctx.now())


async def check_in(
    update: Update, ctx: GridContext, me: Person, activity: Activity, args: tuple
) -> None:
    """Checks a volunteer in (organiser or staff over the unit), which awards the points."""
    assert activity.id is not None  # loaded from the store
    if not args or not args[0].isdigit():
        await tell(update, ctx, me, "common.stale_button")
        return
    result = await check_in_volunteer(
        ctx.services, activity.id, int(args[0]), by=me.user_id, at=ctx.now()
    )
    await render(update, ctx, me, result, in_chat=IN_CHAT)


ACTIONS = {"view": view, "join": join, "leave": leave, "roster": roster, "in": check_in}


async def list_command(update: Update, ctx: GridContext) -> None:
    """Lists upcoming activities near the user (staff: in their area), each with a button."""
    me = await person_of(update, ctx)
    services = ctx.services
    tree = await ctx.units.tree()
    staff = await ctx.people.staff(me.user_id)
    volunteer = await services.store.volunteers.get(me.user_id)
    home = volunteer.unit if volunteer else me.unit
    units: list[str] | None = None
    if staff is not None and staff.role not in (Role.ADMIN, Role.PARTNER):
        units = subtree(staff.unit, tree)
    elif home is not None and home in tree:
        units = reach_units(home, tree, services.settings.volunteers.match_levels_up)
    found = await services.store.activities.upcoming(ctx.now(), units)
    lines = [activity_text(services, a, me.lang, tree) for a in found]
    text = ctx.texts(
        "activity.list",
        me.lang,
        lines=Raw("\n\n".join(lines) or ctx.texts("activity.none", me.lang)),
    )
    rows = [[button(f"{a.number} {a.title}"[:40], "act", "view", a.id)] for a in found]
    if staff is not None:
        rows = [
            [button(f"📋 {a.number} {a.title}"[:40], "act", "roster", a.id)]
            if domain.may_check_in(a, staff, tree)
            else row
            for a, row in zip(found, rows, strict=True)
        ]
    await ctx.outbox.send(
        [outgoing.message(me.user_id, text, markup=buttons.keyboard(rows))], ctx.now()
    )


def register(app: Application) -> None:
    app.add_handler(CommandHandler("activity_new", start, filters=NEW_PRIVATE))
    app.add_handler(CommandHandler("activities", list_command, filters=NEW_PRIVATE))
    app.add_handler(CallbackQueryHandler(on_create_press, pattern=buttons.pattern(NOUN)))
    app.add_handler(CallbackQueryHandler(on_press, pattern=r"^act:"))


# (flow, step) → what receives a message there (handlers/kit/flows.py dispatches by it)
STEPS: dict[tuple[str, str], StepCallback] = {
    (FLOW, "title"): receive_title,
    (FLOW, "when"): receive_time,
    (FLOW, "place"): receive_place,
    (FLOW, "capacity"): receive_capacity,
    (FLOW, "skills"): receive_text_at_button_step,
    (FLOW, picker.STEP): receive_text_at_button_step,
    (FLOW, "confirm"): receive_text_at_button_step,
}


async def organiser_reach(ctx: GridContext, me: Person, draft: Draft) -> str | None:
    """Returns the unit an organiser's walk is bounded by (read again on every press)."""
    staff = await organiser(ctx, me)
    return walk_top(staff) if staff is not None else NOWHERE


async def unit_chosen(ctx: GridContext, me: Person, draft: Draft) -> None:
    draft = replace(draft, step="confirm")
    await ctx.drafts.put(draft, ctx.now(), [await card(ctx, me, draft)])


# flow → how it asks for the activity's unit (handlers/kit/picker.py) and what it does with it
PLACES: dict[str, Place] = {
    FLOW: unit_place("activity.ask_unit", unit_chosen, reach=organiser_reach)
}
