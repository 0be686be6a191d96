"""Households to visit (五必访, 四进四访 … the kinds of [[care.kinds]]) for staff: register
(/household) by buttons; the card and its edits are in
handlers/care/household_card.py.

Notes on a household are shown only to staff working at its unit or above (domain.care.covers);
visitors see the kind, place and label they need for the visit, never the notes. Everything
here goes to private chats: nothing about a household ever reaches a group.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, Update
from telegram.ext import Application, CommandHandler

from bot.context import GridContext
from bot.domain import access
from bot.domain import care as domain
from bot.domain.care import (
    Cadence,
    CareError,
)
from bot.domain.people import Person
from bot.notices import outgoing
from bot.notices.buttons import Press, button, keyboard
from bot.notices.care import kind_book
from bot.texts import Raw
from bot.usecases import care as usecases
from bot.usecases.results import Refused
from handlers.care.common import (
    GROUPS,
    HOUSEHOLD,
    PRIVATE,
    cadence_prompt,
    care_staff,
    choice_at,
    chosen_visitor,
    draft_at,
    presses,
    skip_markup,
    unit_place,
    visitor_prompt,
)
from handlers.care.household_card import MANAGE_VERBS, list_households
from handlers.kit import picker
from handlers.kit.flows import Place, StepCallback, person_of, text_of
from handlers.kit.reply import say, say_refused
from storage.drafts import Draft
from storage.outbox import Outgoing

FLOW = HOUSEHOLD

# Registering a household ---------------------------------------------------------------------


async def start_register(update: Update, ctx: GridContext) -> None:
    """/household (care staff): asks the kind of household from [[care.kinds]], by group, then
    walks through the rest."""
    me = await person_of(update, ctx)
    if await care_staff(ctx, me, "/household") is None:
        return
    t, lang = ctx.texts, me.lang
    rows: list[list[InlineKeyboardButton]] = []
    lines: list[str] = []
    for group, kinds in kind_book(ctx.services.settings).groups():
        names = [kind.name(lang) for kind in kinds]
        row = [button(kind.name(lang), FLOW, "kind", kind.code) for kind in kinds]
        rows.extend(row[i : i + 3] for i in range(0, len(row), 3))
        if group:
            together = t("care.kind_separator", lang).join(names)
            lines.append(t("care.kind_group_line", lang, group=group, kinds=together))
    text = t("care.ask_kind", lang, groups=Raw("\n".join(lines)))
    await ctx.drafts.put(
        Draft(me.user_id, FLOW, "kind", {}),
        ctx.now(),
        [outgoing.message(me.user_id, text, markup=keyboard(rows))],
    )


async def receive_kind(ctx: GridContext, me: Person, press: Press) -> None:
    """Takes the kind pressed (still configured) and asks for the unit."""
    draft = await draft_at(ctx, me, FLOW, "kind")
    if draft is None:
        return
    if kind_book(ctx.services.settings).get(press.args[0] if press.args else "") is None:
        await say(ctx, me, "care.kind_gone", end_flow=True)
        return
    draft.data["kind"] = press.args[0]
    await ctx.drafts.put(draft, ctx.now(), await picker.begin(ctx, me, draft))


async def unit_chosen(ctx: GridContext, me: Person, draft: Draft, done: list[Outgoing]) -> None:
    draft.step = "label"
    ask = outgoing.message(me.user_id, ctx.texts("care.ask_label", me.lang))
    await ctx.drafts.put(draft, ctx.now(), [*done, ask])


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
    kind = kind_book(ctx.services.settings).get(draft.data["kind"])
    proposed = kind.cadence if kind is not None else None
    await ctx.drafts.put(draft, ctx.now(), [cadence_prompt(ctx, me, "cad", proposed=proposed)])


async def receive_cadence(ctx: GridContext, me: Person, press: Press) -> None:
    draft = await choice_at(ctx, me, FLOW, "cadence", press, Cadence)
    if draft is None:
        return
    draft.data["cadence"], draft.step = press.args[0], "visitor"
    prompt = await visitor_prompt(ctx, me, draft.data["unit"], "vis")
    await ctx.drafts.put(draft, ctx.now(), [prompt])


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
    text = ctx.texts("care.ask_notes", me.lang, limit=domain.MAX_NOTES)
    skip = skip_markup(ctx, me, FLOW)
    await ctx.drafts.put(draft, ctx.now(), [outgoing.message(me.user_id, text, markup=skip)])


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
    data = draft.data
    done = await usecases.register_household(
        ctx.services,
        by=me.user_id,
        at=ctx.now(),
        kind=data["kind"],
        unit=data["unit"],
        label=data["label"],
        cadence=Cadence(data["cadence"]),
        visitor_id=int(data["visitor"]),
        notes=notes,
    )
    if isinstance(done, Refused):  # a refusal by rule (or a kind gone) ends the flow; anything
        # else may be fixed
        ends = done.rule is not None or done.key == "care.kind_gone"
        await say_refused(ctx, me, done, end_flow=ends)


# Wiring --------------------------------------------------------------------------------------

VERBS = {
    "kind": receive_kind,
    "cad": receive_cadence,
    "vis": receive_visitor,
    "skip": skip_notes,
    **MANAGE_VERBS,
}


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
    app.add_handler(presses(FLOW, VERBS))


# (flow, step) → what receives a message there (handlers/kit/flows.py dispatches by it)
STEPS: dict[tuple[str, str], StepCallback] = {
    (FLOW, "label"): receive_label,
    (FLOW, "notes"): receive_notes,
}

# flow → how it asks for its unit (handlers/kit/picker.py) and what it does with it
PLACES: dict[str, Place] = {FLOW: unit_place(access.register_household, unit_chosen)}
