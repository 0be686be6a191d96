"""五必访 visits: /visits lists a visitor's households; a button logs one in a few taps.

outcome → wellbeing 1–5 (when met) → a note → needs found: none, a report (category and
description, routed the usual way) or a wish — stored with the visit in ONE commit. A volunteer's
visit is confirmed by staff; only that confirmation earns points.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.context import GridContext
from bot.domain import access, wishes
from bot.domain import care as domain
from bot.domain.care import Household, Outcome
from bot.domain.people import Person
from bot.domain.volunteers import InvalidInput
from bot.domain.wishes import clean_wish_text
from bot.notices import outgoing
from bot.notices.buttons import Press, button, keyboard
from bot.notices.care import brief, kind_book
from bot.texts import Raw
from bot.usecases.care import NewReport, confirm_visit, log_visit
from bot.usecases.results import Refused
from handlers.care.common import (
    PRIVATE,
    choice_at,
    draft_at,
    not_allowed,
    presses,
    skip_markup,
    store,
)
from handlers.kit.flows import StepCallback, person_of, text_of
from handlers.kit.reply import say, say_refused
from storage.drafts import Draft
from storage.outbox import Outgoing

FLOW = "visit"
MAX_LISTED = 30


async def list_visits(update: Update, ctx: GridContext) -> None:
    """/visits: the caller's households, soonest due first, with a button to log each."""
    me = await person_of(update, ctx)
    found = await store(ctx).for_visitor(me.user_id, limit=MAX_LISTED)
    if not found:
        await say(ctx, me, "visit.none")
        return
    tree = await ctx.units.tree()
    today = domain.local_date(ctx.now(), ctx.services.tz)
    lines = []
    for household in found:
        mark = "⚠️ " if household.due_on < today else ("⏰ " if household.due_on == today else "")
        lines.append(
            mark + brief(ctx.texts, tree, household, me.lang, kind_book(ctx.services.settings))
        )
    rows = [[button(f"#{h.id} {h.label}", FLOW, "log", h.id)] for h in found]
    text = ctx.texts("visit.listed", me.lang, count=len(found), lines=Raw("\n\n".join(lines)))
    await ctx.outbox.send([outgoing.message(me.user_id, text, markup=keyboard(rows))], ctx.now())


async def loggable(
    ctx: GridContext, me: Person, household_id: object, *, end_flow: bool = False
) -> Household | None:
    """Returns the household if ME may log a visit to it now; else says why not (and with
    END_FLOW ends the conversation in the same commit)."""
    try:
        household = await store(ctx).get(int(str(household_id)))
    except ValueError:
        household = None
    staff = await ctx.people.staff(me.user_id)
    tree = await ctx.units.tree()
    if household is not None and not household.active:
        allowed = household.visitor_id == me.user_id or domain.may_manage(staff, household, tree)
        if allowed:
            await say(ctx, me, "care.inactive", id=household.id, end_flow=end_flow)
            return None
    if household is None:
        await say(ctx, me, "common.not_allowed", end_flow=end_flow)
        return None
    if (refused := access.log_visit(me.user_id, staff, household, tree)) is not None:
        target = f"household:{household.id}"
        await not_allowed(ctx, me, refused, target, "visit:log", end_flow=end_flow)
        return None
    return household


async def start_log(ctx: GridContext, me: Person, press: Press) -> None:
    """Starts logging a visit: shows what is visited and asks how it went."""
    household = await loggable(ctx, me, press.args[0] if press.args else "")
    if household is None:
        return
    tree = await ctx.units.tree()
    rows = [
        [button(ctx.texts(f"visit.outcome_{o.value}", me.lang), FLOW, "out", o.value)]
        for o in Outcome
    ]
    text = ctx.texts(
        "visit.ask_outcome",
        me.lang,
        brief=Raw(brief(ctx.texts, tree, household, me.lang, kind_book(ctx.services.settings))),
    )
    draft = Draft(me.user_id, FLOW, "outcome", {"household": household.id})
    await ctx.drafts.put(
        draft, ctx.now(), [outgoing.message(me.user_id, text, markup=keyboard(rows))]
    )


async def receive_outcome(ctx: GridContext, me: Person, press: Press) -> None:
    draft = await choice_at(ctx, me, FLOW, "outcome", press, Outcome)
    if draft is None:
        return
    draft.data["outcome"] = press.args[0]
    if press.args[0] == Outcome.MET.value:
        draft.step = "wellbeing"
        rows = [[button(str(n), FLOW, "wb", n) for n in range(1, 6)]]
        text = ctx.texts("visit.ask_wellbeing", me.lang)
        message = outgoing.message(me.user_id, text, markup=keyboard(rows))
    else:
        draft.step, message = "note", note_prompt(ctx, me)
    await ctx.drafts.put(draft, ctx.now(), [message])


def note_prompt(ctx: GridContext, me: Person) -> Outgoing:
    text = ctx.texts("visit.ask_note", me.lang, limit=domain.MAX_NOTE)
    return outgoing.message(me.user_id, text, markup=skip_markup(ctx, me, FLOW))


async def receive_wellbeing(ctx: GridContext, me: Person, press: Press) -> None:
    draft = await draft_at(ctx, me, FLOW, "wellbeing")
    if draft is None:
        return
    score = press.int_arg(0)
    if score is None or not 1 <= score <= 5:
        await say(ctx, me, "visit.bad_wellbeing")
        return
    draft.data["wellbeing"], draft.step = score, "note"
    await ctx.drafts.put(draft, ctx.now(), [note_prompt(ctx, me)])


async def receive_note(update: Update, ctx: GridContext, draft: Draft) -> None:
    """Takes the visit note and asks whether needs were found."""
    me = await person_of(update, ctx)
    message = update.effective_message
    assert message is not None
    note = (text_of(message) or "").strip()
    if not note:
        await say(ctx, me, "visit.note_text_only")
        return
    if len(note) > domain.MAX_NOTE:
        await say(ctx, me, "visit.note_too_long", limit=domain.MAX_NOTE)
        return
    await ask_needs(ctx, me, draft, note)


async def skip_note(ctx: GridContext, me: Person, press: Press) -> None:
    draft = await draft_at(ctx, me, FLOW, "note")
    if draft is not None:
        await ask_needs(ctx, me, draft, "")


async def ask_needs(ctx: GridContext, me: Person, draft: Draft, note: str) -> None:
    draft.data["note"], draft.step = note, "needs"
    rows = [
        [button(ctx.texts("visit.needs_none", me.lang), FLOW, "needs", "none")],
        [button(ctx.texts("visit.needs_report", me.lang), FLOW, "needs", "report")],
    ]
    rows.append([button(ctx.texts("visit.needs_wish", me.lang), FLOW, "needs", "wish")])
    text = ctx.texts("visit.ask_needs", me.lang)
    await ctx.drafts.put(
        draft, ctx.now(), [outgoing.message(me.user_id, text, markup=keyboard(rows))]
    )


async def receive_needs(ctx: GridContext, me: Person, press: Press) -> None:
    draft = await draft_at(ctx, me, FLOW, "needs")
    if draft is None:
        return
    choice = press.args[0] if press.args else ""
    if choice == "none":
        await finish(ctx, me, draft)
    elif choice == "report":
        draft.step = "category"
        rows = [
            [button(c.name(me.lang), FLOW, "cat", c.code)] for c in await ctx.units.categories()
        ]
        text = ctx.texts("visit.ask_category", me.lang)
        await ctx.drafts.put(
            draft, ctx.now(), [outgoing.message(me.user_id, text, markup=keyboard(rows))]
        )
    elif choice == "wish":
        draft.step = "wish"
        text = ctx.texts("visit.ask_wish", me.lang)
        await ctx.drafts.put(draft, ctx.now(), [outgoing.message(me.user_id, text)])
    else:
        await say(ctx, me, "common.stale_button")


async def receive_category(ctx: GridContext, me: Person, press: Press) -> None:
    draft = await draft_at(ctx, me, FLOW, "category")
    if draft is None:
        return
    category = await ctx.units.category(press.args[0]) if press.args else None
    if category is None:
        await say(ctx, me, "common.stale_button")
        return
    draft.data["category"], draft.step = category.code, "describe"
    text = ctx.texts("visit.ask_description", me.lang, category=category.name(me.lang))
    await ctx.drafts.put(draft, ctx.now(), [outgoing.message(me.user_id, text)])


async def receive_description(update: Update, ctx: GridContext, draft: Draft) -> None:
    """Takes the description of the need and stores the visit with its report."""
    me = await person_of(update, ctx)
    message = update.effective_message
    assert message is not None
    text = (text_of(message) or "").strip()
    limits = ctx.services.settings.reports
    if len(text) < limits.min_description or len(text) > limits.max_description:
        await say(
            ctx,
            me,
            "visit.bad_description",
            low=limits.min_description,
            high=limits.max_description,
        )
        return
    await finish(ctx, me, draft, description=text)


async def receive_wish(update: Update, ctx: GridContext, draft: Draft) -> None:
    """Takes the household's micro-wish and stores the visit with it (staff review the wish)."""
    me = await person_of(update, ctx)
    message = update.effective_message
    assert message is not None
    try:
        text = clean_wish_text(text_of(message))
    except InvalidInput:
        await say(ctx, me, "visit.bad_wish", low=wishes.MIN_TEXT, high=wishes.MAX_TEXT)
        return
    await finish(ctx, me, draft, wish=text)


# Storing the visit ---------------------------------------------------------------------------


async def finish(
    ctx: GridContext,
    me: Person,
    draft: Draft,
    *,
    description: str | None = None,
    wish: str | None = None,
) -> None:
    """Re-authorises and stores the visit (with the report or wish it opens) in one commit."""
    household = await loggable(ctx, me, draft.data.get("household"), end_flow=True)
    if household is None:
        return
    data = draft.data
    report = None
    if description is not None:
        report = NewReport(str(data.get("category", "")), description)
    result = await log_visit(
        ctx.services,
        household,
        by=me,
        at=ctx.now(),
        outcome=Outcome(data["outcome"]),
        wellbeing=data.get("wellbeing"),
        note=data.get("note", ""),
        report=report,
        wish_text=wish,
    )
    if isinstance(result, Refused):
        await say_refused(ctx, me, result, end_flow=result.key == "care.stale")


# Confirming a volunteer's visit --------------------------------------------------------------


async def confirm(ctx: GridContext, me: Person, press: Press) -> None:
    """Staff covering the household confirm a volunteer's visit, once; points follow."""
    visit_id = press.int_arg(0)
    if visit_id is None:
        await say(ctx, me, "common.not_allowed")
        return
    result = await confirm_visit(ctx.services, visit_id, by=me, at=ctx.now())
    if isinstance(result, Refused):
        await say_refused(ctx, me, result)


VERBS = {
    "log": start_log,
    "out": receive_outcome,
    "wb": receive_wellbeing,
    "skip": skip_note,
    "needs": receive_needs,
    "cat": receive_category,
    "confirm": confirm,
}


def register(app: Application) -> None:
    app.add_handler(CommandHandler("visits", list_visits, filters=PRIVATE))
    app.add_handler(presses(FLOW, VERBS))


# (flow, step) → what receives a message there (handlers/kit/flows.py dispatches by it)
STEPS: dict[tuple[str, str], StepCallback] = {
    (FLOW, "note"): receive_note,
    (FLOW, "describe"): receive_description,
    (FLOW, "wish"): receive_wish,
}
