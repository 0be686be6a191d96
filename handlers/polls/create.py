"""/poll (议事会): a staff member writes the question, adds 2–10 options (buttons remove one or
finish), picks the unit and the closing time (1, 3 or 7 days, or a typed date), sees a preview
with whom it asks, and confirms (bot/usecases/polls.py re-authorises and creates it). The unit
is chosen with the one picker (handlers/kit/picker.py), bounded by the staff member's own unit
(PLACES), and re-authorised when chosen."""

from __future__ import annotations

from datetime import datetime

from telegram import Update
from telegram.ext import Application

from bot.context import GridContext
from bot.domain import access
from bot.domain import polls as domain
from bot.domain.people import Person
from bot.domain.polls import PollError
from bot.notices import outgoing
from bot.notices.buttons import Press, button, keyboard
from bot.notices.polls import when
from bot.usecases import polls
from bot.usecases.results import Refused
from handlers.kit import picker
from handlers.kit.compose import Composer
from handlers.kit.flows import Place, StepCallback, person_of, text_of
from handlers.kit.reply import say, say_refused
from storage.drafts import Draft
from storage.outbox import Outgoing

FLOW = "pollnew"
ASK_UNIT = "poll.ask_unit"
STEPS_OF = {
    "rm": ("options",),
    "done": ("options",),
    "days": ("close",),
    "ok": ("confirm",),
    "cancel": ("question", "options", picker.STEP, "close", "confirm"),
}


def cancel_row(ctx: GridContext, me: Person) -> list:
    return [button(ctx.texts("poll.button_cancel", me.lang), FLOW, "cancel")]


async def start(update: Update, ctx: GridContext) -> None:
    """/poll: asks for the question (staff of a grid unit only)."""
    me = await person_of(update, ctx)
    if not await COMPOSER.may_start(ctx, me):
        return
    draft = Draft(me.user_id, FLOW, "question", {"options": []})
    text = ctx.texts("poll.ask_question", me.lang, limit=domain.MAX_QUESTION)
    markup = keyboard([cancel_row(ctx, me)])
    await ctx.drafts.put(draft, ctx.now(), [outgoing.message(me.user_id, text, markup=markup)])


async def receive_question(update: Update, ctx: GridContext, draft: Draft) -> None:
    me = await person_of(update, ctx)
    message = update.effective_message
    assert message is not None
    try:
        question = domain.check_question(text_of(message) or "")
    except PollError as error:
        await say(ctx, me, error.key, limit=domain.MAX_QUESTION)
        return
    draft.data["question"], draft.step = question, "options"
    await ctx.drafts.put(draft, ctx.now(), [options_prompt(ctx, me, draft)])


def options_prompt(ctx: GridContext, me: Person, draft: Draft, key: str = "") -> Outgoing:
    """Returns the options so far, a button to remove each and one to finish."""
    options: list[str] = draft.data["options"]
    lines = "\n".join(f"{i + 1}. {option}" for i, option in enumerate(options))
    text = ctx.texts(
        "poll.ask_options",
        me.lang,
        count=len(options),
        low=domain.MIN_OPTIONS,
        high=domain.MAX_OPTIONS,
        limit=domain.MAX_OPTION,
    )
    if options:
        text += "\n\n" + ctx.texts("poll.options_so_far", me.lang, options=lines)
    if key:
        limits = {"low": domain.MIN_OPTIONS, "high": domain.MAX_OPTIONS, "limit": domain.MAX_OPTION}
        text = ctx.texts(key, me.lang, **limits) + "\n\n" + text
    remove = [
        button(ctx.texts("poll.button_remove", me.lang, n=i + 1), FLOW, "rm", i)
        for i in range(len(options))
    ]
    rows = [remove[i : i + 5] for i in range(0, len(remove), 5)]
    rows.append([button(ctx.texts("poll.button_options_done", me.lang), FLOW, "done")])
    rows.append(cancel_row(ctx, me))
    return outgoing.message(me.user_id, text, markup=keyboard(rows))


async def receive_option(update: Update, ctx: GridContext, draft: Draft) -> None:
    """Adds the option typed (one per message)."""
    me = await person_of(update, ctx)
    message = update.effective_message
    assert message is not None
    options: list[str] = draft.data["options"]
    try:
        option = domain.check_option(text_of(message) or "", options)
    except PollError as error:
        await ctx.outbox.send([options_prompt(ctx, me, draft, error.key)], ctx.now())
        return
    options.append(option)
    await ctx.drafts.put(draft, ctx.now(), [options_prompt(ctx, me, draft)])


async def use_buttons(update: Update, ctx: GridContext, draft: Draft) -> None:
    """A message where a button is wanted: says so; the draft stays where it is."""
    me = await person_of(update, ctx)
    await say(ctx, me, "poll.use_buttons", markup=keyboard([cancel_row(ctx, me)]))


async def remove_option(ctx: GridContext, me: Person, press: Press, draft: Draft) -> None:
    options: list[str] = draft.data["options"]
    index = press.int_arg(0)
    if index is None or not 0 <= index < len(options):
        await say(ctx, me, "common.stale_button")
        return
    options.pop(index)
    await ctx.drafts.put(draft, ctx.now(), [options_prompt(ctx, me, draft)])


async def options_done(ctx: GridContext, me: Person, press: Press, draft: Draft) -> None:
    """Finishes the options (one option is politely refused) and asks for the unit."""
    try:
        domain.check_options(draft.data["options"])
    except PollError as error:
        await ctx.outbox.send([options_prompt(ctx, me, draft, error.key)], ctx.now())
        return
    await ctx.drafts.put(draft, ctx.now(), await picker.begin(ctx, me, draft))


async def picked_unit(
    ctx: GridContext, me: Person, draft: Draft, chosen: str, messages: list[Outgoing]
) -> None:
    """The unit chosen (re-authorised): asks when the poll closes."""
    if await COMPOSER.allowed_at(ctx, me, chosen) is None:
        return
    draft.data["unit"], draft.step = chosen, "close"
    rows = [
        [
            button(ctx.texts("poll.button_days", me.lang, days=days), FLOW, "days", days)
            for days in domain.PRESET_DAYS
        ],
        cancel_row(ctx, me),
    ]
    text = ctx.texts("poll.ask_closing", me.lang, days=domain.MAX_DAYS)
    await ctx.drafts.put(
        draft, ctx.now(), [*messages, outgoing.message(me.user_id, text, markup=keyboard(rows))]
    )


async def picked_days(ctx: GridContext, me: Person, press: Press, draft: Draft) -> None:
    days = press.int_arg(0)
    try:
        closes = domain.preset_closing(days if days is not None else -1, ctx.now())
    except PollError:
        await say(ctx, me, "common.stale_button")
        return
    await ask_confirm(ctx, me, draft, closes)


async def receive_date(update: Update, ctx: GridContext, draft: Draft) -> None:
    """Takes a typed closing date ("2026-12-20" or "2026-12-20 18:00", in the office's zone)."""
    me = await person_of(update, ctx)
    message = update.effective_message
    assert message is not None
    try:
        closes = domain.parse_closing(text_of(message) or "", ctx.now(), ctx.services.tz)
    except PollError as error:
        await say(ctx, me, error.key, days=domain.MAX_DAYS)
        return
    await ask_confirm(ctx, me, draft, closes)


async def ask_confirm(ctx: GridContext, me: Person, draft: Draft, closes: datetime) -> None:
    """Shows the poll as it will go out, with whom it asks; a poll nobody would get ends here."""
    data = draft.data
    planned = await polls.plan(
        ctx.services,
        by=me.user_id,
        unit=data["unit"],
        question=data["question"],
        options=data["options"],
        at=ctx.now(),
    )
    if isinstance(planned, Refused):
        await say_refused(ctx, me, planned, end_flow=True)
        return
    found, tree = planned.value, await ctx.units.tree()
    data["closes"], draft.step = closes.isoformat(), "confirm"
    fits = domain.fits_native(data["question"], data["options"])
    text = ctx.texts(
        "poll.preview",
        me.lang,
        question=data["question"],
        options="\n".join(f"{i + 1}. {o}" for i, o in enumerate(data["options"])),
        place=tree.place_name(data["unit"]),
        closes=when(closes, ctx.services.tz),
        residents=len(found.residents),
        groups=len(found.groups),
    )
    if not fits:
        text += "\n" + ctx.texts("poll.no_native", me.lang)
    rows = [
        [button(ctx.texts("poll.button_confirm", me.lang), FLOW, "ok")],
        cancel_row(ctx, me),
    ]
    await ctx.drafts.put(
        draft, ctx.now(), [outgoing.message(me.user_id, text, markup=keyboard(rows))]
    )


async def confirmed(ctx: GridContext, me: Person, press: Press, draft: Draft) -> None:
    data = draft.data
    result = await polls.create(
        ctx.services,
        by=me,
        unit=data["unit"],
        question=data["question"],
        options=data["options"],
        closes_at=datetime.fromisoformat(data["closes"]),
        at=ctx.now(),
    )
    if isinstance(result, Refused):
        await say_refused(ctx, me, result, end_flow=True)


async def cancelled(ctx: GridContext, me: Person, press: Press, draft: Draft) -> None:
    await say(ctx, me, "poll.cancelled", end_flow=True)


VERBS = {
    "rm": remove_option,
    "done": options_done,
    "days": picked_days,
    "ok": confirmed,
    "cancel": cancelled,
}


COMPOSER = Composer(
    flow=FLOW,
    command="poll",
    rule=access.create_poll,
    staff_only="poll.staff_only",
    ask_unit_key=ASK_UNIT,
    not_allowed="poll.not_allowed",
    steps_of=STEPS_OF,
    verbs=VERBS,
)


def register(app: Application) -> None:
    COMPOSER.register(app, start)


# (flow, step) → what receives a message there (handlers/kit/flows.py dispatches by it)
STEPS: dict[tuple[str, str], StepCallback] = {
    (FLOW, "question"): receive_question,
    (FLOW, "options"): receive_option,
    (FLOW, "close"): receive_date,
    (FLOW, picker.STEP): use_buttons,
    (FLOW, "confirm"): use_buttons,
}


# flow → how it asks for the unit (handlers/kit/picker.py) and what it does with it
PLACES: dict[str, Place] = {FLOW: COMPOSER.place(picked_unit)}
