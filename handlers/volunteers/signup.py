"""/volunteer: register as a volunteer or in-service party member (双报到), step by step.

name → phone (optional) → skills (toggles + free text) → team → availability → home unit →
party member? → work unit (a [[work_units]] button, or typed: 双报告 goes only to a configured
one) → confirm. Text steps arrive through handlers/kit/flows.py; the buttons
(callback "volreg:<verb>:<arg>") act only on the step the user's draft is at.
"""

from __future__ import annotations

from dataclasses import replace

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import GridContext
from bot.domain.people import Person
from bot.domain.volunteers import (
    MAX_NOTE,
    MAX_WORK_UNIT,
    Availability,
    InvalidInput,
    Volunteer,
    clean_name,
    clean_phone,
    clean_text,
)
from bot.notices import buttons, outgoing
from bot.notices.buttons import button
from bot.notices.dualreport import (
    registration_note,
    work_unit_named,
    work_unit_of,
    work_units,
)
from bot.notices.volunteers import skill_names, summary
from bot.texts import Raw
from bot.usecases.volunteers import register as register_volunteer
from handlers.kit import picker
from handlers.kit.flows import NEW_PRIVATE, Place, StepCallback, person_of
from handlers.kit.presses import answer, press_of
from handlers.kit.reply import say, tell
from handlers.volunteers.common import (
    skill_rows,
    typed,
    unit_card,
    unit_place,
)
from storage.drafts import Draft
from storage.outbox import Outgoing

FLOW = "volunteer"
NOUN = "volreg"


async def start(update: Update, ctx: GridContext) -> None:
    """Shows the registration (with a button to redo it), or starts one."""
    me = await person_of(update, ctx)
    existing = await ctx.services.store.volunteers.get(me.user_id)
    if existing is None:
        await begin(ctx, me)
        return
    text = ctx.texts(
        "volunteer.profile",
        me.lang,
        status=ctx.texts(f"volunteer.status_{existing.status.value}", me.lang),
        summary=Raw(summary(ctx.services, me.lang, existing, await ctx.units.tree())),
    )
    if note := registration_note(ctx.services, existing, me.lang):
        text += "\n" + note
    markup = buttons.keyboard([[button(ctx.texts("volunteer.redo", me.lang), NOUN, "redo")]])
    await ctx.outbox.send([outgoing.message(me.user_id, text, markup=markup)], ctx.now())


async def begin(ctx: GridContext, me: Person) -> None:
    draft = Draft(me.user_id, FLOW, "name", {"card": f"volreg:{int(ctx.now().timestamp())}"})
    keyboard = outgoing.reply_keyboard([[me.name]], one_time=True) if me.name else None
    prompt = outgoing.message(me.user_id, ctx.texts("volunteer.ask_name", me.lang), markup=keyboard)
    await ctx.drafts.put(draft, ctx.now(), [prompt])


def from_draft(me: Person, data: dict) -> Volunteer:
    return Volunteer(
        user_id=me.user_id,
        name=data.get("name", ""),
        unit=data.get("unit", ""),
        skills=tuple(data.get("skills", [])),
        skills_note=data.get("note", ""),
        team=data.get("team"),
        availability=tuple(data.get("avail", [])),
        phone=data.get("phone"),
        party_member=bool(data.get("party")),
        work_unit=data.get("work_unit"),
        work_unit_code=data.get("work_unit_code"),
    )


async def card(ctx: GridContext, me: Person, draft: Draft) -> Outgoing:
    """Returns the registration card for the draft's current (button) step."""
    t, lang, data = ctx.texts, me.lang, draft.data
    config = ctx.services.settings.volunteers
    rows: list[list] = []
    if draft.step == "skills":
        chosen = set(data.get("skills", []))
        rows = skill_rows(ctx, lang, NOUN, chosen)
        text = t(
            "volunteer.ask_skills",
            lang,
            chosen=skill_names(
                ctx.services, [o.code for o in config.skills if o.code in chosen], lang
            ),
            note=data.get("note") or "—",
        )
        return outgoing.card(me.user_id, data["card"], text, markup=buttons.keyboard(rows))
    if draft.step == "team":
        options = [
            button(o.en if lang == "en" else o.zh, NOUN, "team", o.code) for o in config.teams
        ]
        rows = [options[i : i + 2] for i in range(0, len(options), 2)]
        rows.append([button(t("volunteer.no_team", lang), NOUN, "team", "-")])
        return outgoing.card(
            me.user_id, data["card"], t("volunteer.ask_team", lang), markup=buttons.keyboard(rows)
        )
    if draft.step == "avail":
        chosen = set(data.get("avail", []))
        rows = [
            [
                button(
                    ("✅ " if a.value in chosen else "") + t(f"volunteer.avail_{a.value}", lang),
                    NOUN,
                    "avail",
                    a.value,
                )
            ]
            for a in Availability
        ]
        rows.append([button(t("volunteer.next", lang), NOUN, "avail_done")])
        return outgoing.card(
            me.user_id,
            data["card"],
            t("volunteer.ask_availability", lang),
            markup=buttons.keyboard(rows),
        )
    tree = await ctx.units.tree()
    if draft.step == "unit":
        return await unit_card(ctx, me, draft)
    if draft.step == "party":
        rows = [
            [
                button(t("volunteer.party_yes", lang), NOUN, "party", 1),
                button(t("volunteer.party_no", lang), NOUN, "party", 0),
            ]
        ]
        return outgoing.card(
            me.user_id, data["card"], t("volunteer.ask_party", lang), markup=buttons.keyboard(rows)
        )
    if draft.step == "work_unit":
        units = [button(w.name, NOUN, "wu", w.code) for w in work_units(ctx.services.settings)]
        rows = [units[i : i + 2] for i in range(0, len(units), 2)]
        rows.append([button(t("dualreport.other", lang), NOUN, "wu", "-")])
        text = t("dualreport.ask_work_unit", lang)
        return outgoing.card(me.user_id, data["card"], text, markup=buttons.keyboard(rows))
    # confirm
    volunteer = from_draft(me, data)
    details = summary(ctx.services, lang, volunteer, tree)
    text = t("volunteer.confirm", lang, summary=Raw(details))
    if note := registration_note(ctx.services, volunteer, lang):
        text += "\n" + note
    rows = [
        [
            button(t("volunteer.submit", lang), NOUN, "submit"),
            button(t("volunteer.restart", lang), NOUN, "restart"),
        ]
    ]
    return outgoing.card(me.user_id, data["card"], text, markup=buttons.keyboard(rows))


async def go(
    ctx: GridContext, me: Person, draft: Draft, step_name: str, also: list[Outgoing] | None = None
) -> None:
    """Moves the draft to STEP_NAME and shows that step, in one commit."""
    draft = replace(draft, step=step_name)
    await ctx.drafts.put(draft, ctx.now(), [*(also or []), await card(ctx, me, draft)])


# Text steps ----------------------------------------------------------------------------------


async def receive_name(update: Update, ctx: GridContext, draft: Draft) -> None:
    me = await person_of(update, ctx)
    try:
        draft.data["name"] = clean_name(typed(update))
    except InvalidInput as bad:
        await say(ctx, me, bad.key)
        return
    keyboard = outgoing.reply_keyboard(
        [[ctx.texts("volunteer.share_phone", me.lang)], [ctx.texts("volunteer.skip", me.lang)]],
        one_time=True,
    )
    keyboard["keyboard"][0][0]["request_contact"] = True
    prompt = outgoing.message(
        me.user_id, ctx.texts("volunteer.ask_phone", me.lang), markup=keyboard
    )
    await ctx.drafts.put(replace(draft, step="phone"), ctx.now(), [prompt])


async def receive_phone(update: Update, ctx: GridContext, draft: Draft) -> None:
    me = await person_of(update, ctx)
    message = update.effective_message
    assert message is not None
    text = typed(update)
    if message.contact is not None and message.contact.user_id == me.user_id:
        draft.data["phone"] = clean_phone(message.contact.phone_number)
    elif text is not None and text.strip() in ctx.texts.all_values("volunteer.skip"):
        draft.data["phone"] = None
    else:
        try:
            draft.data["phone"] = clean_phone(text)
        except InvalidInput as bad:
            await say(ctx, me, bad.key)
            return
    removed = outgoing.message(
        me.user_id, ctx.texts("volunteer.phone_noted", me.lang), markup=outgoing.remove_keyboard()
    )
    await go(ctx, me, draft, "skills", also=[removed])


async def receive_skills_note(update: Update, ctx: GridContext, draft: Draft) -> None:
    """Typed text at the skills step adds skills beyond the list."""
    me = await person_of(update, ctx)
    try:
        draft.data["note"] = clean_text(typed(update), MAX_NOTE, "volunteer.bad_note")
    except InvalidInput as bad:
        await say(ctx, me, bad.key, limit=MAX_NOTE)
        return
    await go(ctx, me, draft, "skills")


async def receive_work_unit(update: Update, ctx: GridContext, draft: Draft) -> None:
    me = await person_of(update, ctx)
    try:
        draft.data["work_unit"] = clean_text(
            typed(update), MAX_WORK_UNIT, "volunteer.bad_work_unit"
        )
    except InvalidInput as bad:
        await say(ctx, me, bad.key, limit=MAX_WORK_UNIT)
        return
    # Typed: a configured work unit only if it is exactly its name, else no 双报告
    named = work_unit_named(ctx.services.settings, draft.data["work_unit"])
    draft.data["work_unit_code"] = named.code if named is not None else None
    await go(ctx, me, draft, "confirm")


async def receive_text_at_button_step(update: Update, ctx: GridContext, draft: Draft) -> None:
    me = await person_of(update, ctx)
    await say(ctx, me, "volunteer.use_buttons")


# Buttons -------------------------------------------------------------------------------------

# verb → the step the draft must be at for the press to count
_STEP_OF = {
    "skill": "skills",
    "skills_done": "skills",
    "team": "team",
    "avail": "avail",
    "avail_done": "avail",
    "party": "party",
    "wu": "work_unit",
    "submit": "confirm",
    "restart": "confirm",
}


_STEPS = {verb: (step,) for verb, step in _STEP_OF.items()}


async def on_redo(update: Update, ctx: GridContext) -> None:
    """Starts the registration afresh (the button under a registered volunteer's profile)."""
    found = await press_of(update, ctx, noun=NOUN, verbs=("redo",))
    if found is not None:
        await begin(ctx, found[0])


async def on_press(update: Update, ctx: GridContext) -> None:
    """Handles a registration button, if it belongs to the step the user's draft is at."""
    found = await press_of(update, ctx, noun=NOUN, verbs=_STEPS, flow=FLOW, answer_first=False)
    if found is None:
        return
    me, press, draft = found
    assert draft is not None
    arg = press.args[0] if press.args else ""
    data = draft.data
    config = ctx.services.settings.volunteers
    config_units = ctx.services.settings.work_units
    if press.verb == "skill":
        if arg not in {o.code for o in config.skills}:
            await tell(update, ctx, me, "common.stale_button")
            return
        chosen = set(data.get("skills", []))
        chosen.symmetric_difference_update({arg})
        data["skills"] = [o.code for o in config.skills if o.code in chosen]
        await answer(update)
        await go(ctx, me, draft, "skills")
    elif press.verb == "skills_done":
        if not data.get("skills") and not data.get("note"):
            await tell(update, ctx, me, "volunteer.need_skill")
            return
        await answer(update)
        await go(ctx, me, draft, "team")
    elif press.verb == "team":
        if arg != "-" and arg not in {o.code for o in config.teams}:
            await tell(update, ctx, me, "common.stale_button")
            return
        data["team"] = None if arg == "-" else arg
        await answer(update)
        await go(ctx, me, draft, "avail")
    elif press.verb == "avail":
        if arg not in {a.value for a in Availability}:
            await tell(update, ctx, me, "common.stale_button")
            return
        chosen = set(data.get("avail", []))
        chosen.symmetric_difference_update({arg})
        data["avail"] = [a.value for a in Availability if a.value in chosen]
        await answer(update)
        await go(ctx, me, draft, "avail")
    elif press.verb == "avail_done":
        if not data.get("avail"):
            await tell(update, ctx, me, "volunteer.need_availability")
            return
        await answer(update)
        await go(ctx, me, draft, "unit")
    elif press.verb == "party":
        data["party"] = arg == "1"
        await answer(update)
        data["work_unit_code"] = None
        if data["party"] and config_units:
            await go(ctx, me, draft, "work_unit")  # the configured work units, or "other"
        elif data["party"]:
            prompt = outgoing.message(me.user_id, ctx.texts("volunteer.ask_work_unit", me.lang))
            await ctx.drafts.put(replace(draft, step="work_unit"), ctx.now(), [prompt])
        else:
            data["work_unit"] = None
            await go(ctx, me, draft, "confirm")
    elif press.verb == "wu":
        await answer(update)
        if arg == "-":  # not listed: typed as today, and said on the card to get no report
            prompt = outgoing.message(me.user_id, ctx.texts("volunteer.ask_work_unit", me.lang))
            await ctx.outbox.send([prompt], ctx.now())
            return
        unit = work_unit_of(ctx.services.settings, arg)
        if unit is None:
            await say(ctx, me, "common.stale_button")
            return
        data["work_unit"], data["work_unit_code"] = unit.name, unit.code
        await go(ctx, me, draft, "confirm")
    elif press.verb == "restart":
        await answer(update)
        await begin(ctx, me)
    else:
        await answer(update)
        await submit(ctx, me, draft)


async def submit(ctx: GridContext, me: Person, draft: Draft) -> None:
    """Stores the registration as pending and asks community staff to decide, in one commit."""
    await register_volunteer(
        ctx.services,
        from_draft(me, draft.data),
        by=me.user_id,
        at=ctx.now(),
        card=draft.data["card"],
    )


def register(app: Application) -> None:
    app.add_handler(CommandHandler("volunteer", start, filters=NEW_PRIVATE))
    app.add_handler(CallbackQueryHandler(on_redo, pattern=rf"^{NOUN}:redo(:|$)"))
    app.add_handler(CallbackQueryHandler(on_press, pattern=buttons.pattern(NOUN)))


# (flow, step) → what receives a message there (handlers/kit/flows.py dispatches by it)
STEPS: dict[tuple[str, str], StepCallback] = {
    (FLOW, "name"): receive_name,
    (FLOW, "phone"): receive_phone,
    (FLOW, "skills"): receive_skills_note,
    (FLOW, "work_unit"): receive_work_unit,
    (FLOW, "team"): receive_text_at_button_step,
    (FLOW, "avail"): receive_text_at_button_step,
    (FLOW, picker.STEP): receive_text_at_button_step,
    (FLOW, "party"): receive_text_at_button_step,
    (FLOW, "confirm"): receive_text_at_button_step,
}


async def unit_chosen(ctx: GridContext, me: Person, draft: Draft) -> None:
    await go(ctx, me, draft, "party")


# flow → how it asks for the home unit (handlers/kit/picker.py) and what it does with it
PLACES: dict[str, Place] = {FLOW: unit_place("volunteer.ask_unit", unit_chosen, home=True)}
