"""/grid (公示): a resident sees who serves their grid — the grid worker(s), 网格长 and community
contacts the office published — with title, office hours and a public phone, never a private one.

Without a registered place the resident walks the unit tree first (the shared place picker,
handlers/residents/place.py); the chosen place is stored and the list shown in one commit.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.context import GridContext
from bot.domain.people import Person
from bot.notices import outgoing
from bot.usecases import contacts
from bot.usecases.contacts import Serving
from bot.usecases.residents import set_place
from bot.usecases.results import Refused
from handlers.kit.flows import NEW_PRIVATE, Place, person_of
from handlers.kit.reply import say_refused
from handlers.residents import place
from storage.drafts import Draft
from storage.outbox import Outgoing

FLOW = "grid"


def render(ctx: GridContext, me: Person, serving: Serving) -> str:
    """Returns the /grid answer: the place, then one block per published person."""
    t, lang = ctx.texts, me.lang
    member = serving.party_member
    extra = "\n\n" + t("teams.grid_party_member", lang, name=member) if member else ""
    if not serving.people:
        return t("contacts.grid_none", lang, place=serving.place) + extra
    blocks = [t("contacts.grid_title", lang, place=serving.place)]
    for person in serving.people:
        role = person.title or t(f"invite.roles.{person.role.value}", lang)
        lines = [t("contacts.grid_person", lang, name=person.name, role=role)]
        if person.office_hours:
            lines.append(t("contacts.grid_hours", lang, hours=person.office_hours))
        if person.public_phone:
            lines.append(t("contacts.grid_phone", lang, phone=person.public_phone))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + extra


async def show(update: Update, ctx: GridContext) -> None:
    """/grid: who serves the resident's grid; without a place, the place picker first."""
    me = await person_of(update, ctx)
    found = await contacts.serving(ctx.services, me.user_id)
    if isinstance(found, Refused):
        if not await ctx.units.tree():
            await ctx.outbox.send(
                [outgoing.message(me.user_id, ctx.texts("register.no_units", me.lang))], ctx.now()
            )
            return
        draft = Draft(
            me.user_id, FLOW, "walk", {"intro": ctx.texts("contacts.need_place", me.lang) + "\n\n"}
        )
        await ctx.drafts.put(draft, ctx.now(), await place.walk_messages(ctx, me, draft))
        return
    text = render(ctx, me, found.value)
    await ctx.outbox.send([outgoing.message(me.user_id, text)], ctx.now())


async def placed(
    ctx: GridContext, me: Person, draft: Draft, code: str, messages: list[Outgoing]
) -> None:
    """Stores the place the walk ended on as the resident's, with the /grid answer, in one
    commit."""
    found = await contacts.serving_at(ctx.services, code)
    answer = outgoing.message(me.user_id, render(ctx, me, found))
    done = await set_place(
        ctx.services, me.user_id, code, at=ctx.now(), changing=True, shown=messages, then=[answer]
    )
    if isinstance(done, Refused):
        await say_refused(ctx, me, done, end_flow=True)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("grid", show, filters=NEW_PRIVATE))


# (flow, step) → what receives a message there: the walk takes a shared location like /start's
STEPS = {(FLOW, "walk"): place.receive_location, (FLOW, "locate"): place.receive_location}
PLACES: dict[str, Place] = {
    FLOW: Place(done=placed, ask=place.ask, rows=place.location_row, skip=True)
}
