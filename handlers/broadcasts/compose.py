"""/broadcast (政策宣传): a staff member composes a text, photo or document, picks the unit and the
audience (residents, groups, both), sees a preview with the recipient count, and confirms.

The unit is chosen with the one picker (handlers/kit/picker.py), bounded by the staff member's
own unit (PLACES). Every press is re-checked against the draft (handlers/kit/presses.press_of),
the unit is re-authorised when chosen and the use case does it again on confirming
(bot/usecases/broadcasts.py)."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import Application

from bot.context import GridContext
from bot.domain import access
from bot.domain import broadcasts as domain
from bot.domain.broadcasts import Audience, BroadcastError, Content, Kind
from bot.domain.people import Person
from bot.notices import outgoing
from bot.notices.broadcasts import preview
from bot.notices.buttons import Press, button, keyboard
from bot.usecases import broadcasts
from bot.usecases.results import Refused
from handlers.kit import picker
from handlers.kit.compose import Composer
from handlers.kit.flows import Place, StepCallback, person_of
from handlers.kit.reply import say, say_refused
from storage.drafts import Draft
from storage.outbox import Outgoing

FLOW = "bcast"
ASK_UNIT = "broadcast.ask_unit"
STEPS_OF = {
    "aud": ("audience",),
    "send": ("confirm",),
    "cancel": ("content", picker.STEP, "audience", "confirm"),
}


async def start(update: Update, ctx: GridContext) -> None:
    """/broadcast: asks for the text, photo or document to send (staff of a grid unit only)."""
    me = await person_of(update, ctx)
    if not await COMPOSER.may_start(ctx, me):
        return
    draft = Draft(me.user_id, FLOW, "content", {})
    text = ctx.texts("broadcast.ask_content", me.lang, limit=domain.MAX_TEXT)
    await ctx.drafts.put(
        draft, ctx.now(), [outgoing.message(me.user_id, text, markup=cancel_markup(ctx, me))]
    )


def cancel_markup(ctx: GridContext, me: Person) -> dict:
    return keyboard([[button(ctx.texts("broadcast.button_cancel", me.lang), FLOW, "cancel")]])


def content_of(message: Message) -> tuple[Kind, str, str | None] | None:
    """Returns what MESSAGE offers to broadcast: a text, a photo or a document, or None."""
    if message.photo:
        return Kind.PHOTO, message.caption or "", message.photo[-1].file_id
    if message.document is not None:
        return Kind.DOCUMENT, message.caption or "", message.document.file_id
    if message.text is not None and not message.text.startswith("/"):
        return Kind.TEXT, message.text, None
    return None


async def receive_content(update: Update, ctx: GridContext, draft: Draft) -> None:
    """Takes the text, photo or document and asks which unit's residents get it."""
    me = await person_of(update, ctx)
    message = update.effective_message
    assert message is not None
    offered = content_of(message)
    if offered is None:
        await say(ctx, me, "broadcast.content_kinds", markup=cancel_markup(ctx, me))
        return
    try:
        content = domain.check_content(*offered)
    except BroadcastError as error:
        limit = domain.MAX_TEXT if error.key == "broadcast.too_long" else domain.MAX_CAPTION
        await say(ctx, me, error.key, limit=limit, markup=cancel_markup(ctx, me))
        return
    draft.data.update(kind=content.kind.value, text=content.text, file=content.file_id)
    await ctx.drafts.put(draft, ctx.now(), await picker.begin(ctx, me, draft))


async def use_buttons(update: Update, ctx: GridContext, draft: Draft) -> None:
    """A message where a button is wanted: says so; the draft stays where it is."""
    me = await person_of(update, ctx)
    await say(ctx, me, "broadcast.use_buttons", markup=cancel_markup(ctx, me))


def content_in(draft: Draft) -> Content:
    data = draft.data
    return Content(Kind(data["kind"]), data.get("text", ""), data.get("file"))


async def picked_unit(
    ctx: GridContext, me: Person, draft: Draft, chosen: str, messages: list[Outgoing]
) -> None:
    """The unit chosen (re-authorised): offers the audiences with how many each reaches."""
    if (tree := await COMPOSER.allowed_at(ctx, me, chosen)) is None:
        return
    both = await broadcasts.reach(ctx.services, chosen, Audience.BOTH)
    counts = {
        Audience.RESIDENTS: len(both.residents),
        Audience.GROUPS: len(both.groups),
        Audience.BOTH: both.total,
    }
    rows = [
        [button(ctx.texts(f"broadcast.audience_{a.value}", me.lang, n=n), FLOW, "aud", a.value)]
        for a, n in counts.items()
    ]
    rows.append([button(ctx.texts("broadcast.button_cancel", me.lang), FLOW, "cancel")])
    draft.data["unit"], draft.step = chosen, "audience"
    text = ctx.texts("broadcast.ask_audience", me.lang, place=tree.place_name(chosen))
    await ctx.drafts.put(
        draft, ctx.now(), [*messages, outgoing.message(me.user_id, text, markup=keyboard(rows))]
    )


async def picked_audience(ctx: GridContext, me: Person, press: Press, draft: Draft) -> None:
    """Shows the broadcast as residents will see it and whom it reaches; asks to confirm."""
    if press.args[:1] not in [(a.value,) for a in Audience]:
        await say(ctx, me, "common.stale_button")
        return
    audience, unit = Audience(press.args[0]), draft.data["unit"]
    planned = await broadcasts.plan(
        ctx.services, by=me.user_id, unit=unit, audience=audience, at=ctx.now()
    )
    if isinstance(planned, Refused):
        await say_refused(ctx, me, planned, end_flow=planned.rule is not None)
        return
    found, tree = planned.value, await ctx.units.tree()
    draft.data["audience"], draft.step = audience.value, "confirm"
    sample = domain.Broadcast(
        me.user_id, unit, content_in(draft), audience, 0, 0, ctx.now(), me.lang
    )
    rows = [
        [button(ctx.texts("broadcast.button_send", me.lang), FLOW, "send")],
        [button(ctx.texts("broadcast.button_cancel", me.lang), FLOW, "cancel")],
    ]
    text = ctx.texts(
        "broadcast.confirm",
        me.lang,
        place=tree.place_name(unit),
        residents=len(found.residents),
        groups=len(found.groups),
    )
    messages = [
        preview(ctx.texts, tree, sample, me.user_id),
        outgoing.message(me.user_id, text, markup=keyboard(rows)),
    ]
    await ctx.drafts.put(draft, ctx.now(), messages)


async def confirmed(ctx: GridContext, me: Person, press: Press, draft: Draft) -> None:
    """Sends the broadcast (the use case decides again who may send it, and to whom)."""
    result = await broadcasts.send(
        ctx.services,
        by=me.user_id,
        lang=me.lang,
        unit=draft.data["unit"],
        audience=Audience(draft.data["audience"]),
        content=content_in(draft),
        at=ctx.now(),
    )
    if isinstance(result, Refused):
        await say_refused(ctx, me, result, end_flow=True)


async def cancelled(ctx: GridContext, me: Person, press: Press, draft: Draft) -> None:
    await say(ctx, me, "broadcast.cancelled", end_flow=True)


VERBS = {
    "aud": picked_audience,
    "send": confirmed,
    "cancel": cancelled,
}


COMPOSER = Composer(
    flow=FLOW,
    command="broadcast",
    rule=access.send_broadcast,
    staff_only="broadcast.staff_only",
    ask_unit_key=ASK_UNIT,
    not_allowed="broadcast.not_allowed",
    steps_of=STEPS_OF,
    verbs=VERBS,
)


def register(app: Application) -> None:
    COMPOSER.register(app, start)


# (flow, step) → what receives a message there (handlers/kit/flows.py dispatches by it)
STEPS: dict[tuple[str, str], StepCallback] = {
    (FLOW, "content"): receive_content,
    (FLOW, picker.STEP): use_buttons,
    (FLOW, "audience"): use_buttons,
    (FLOW, "confirm"): use_buttons,
}


# flow → how it asks for the unit (handlers/kit/picker.py) and what it does with it
PLACES: dict[str, Place] = {FLOW: COMPOSER.place(picked_unit)}
