"""A unit picker for flows that choose a unit at or below the staff member's own: a walk down
the tree (a button per child, "here", "up"), kept in the draft (data "top" and "unit")."""

from __future__ import annotations

from bot.context import GridContext
from bot.domain.people import Person
from bot.notices import outgoing
from bot.notices.buttons import Press, button, keyboard
from handlers.kit.reply import say
from storage.drafts import Draft
from storage.outbox import Outgoing

VERBS = ("down", "up", "here")
MAX_CHILDREN = 40


async def prompt(ctx: GridContext, me: Person, noun: str, draft: Draft, question: str) -> Outgoing:
    """Returns the picker message (catalog QUESTION, with {place}) for where DRAFT stands."""
    tree = await ctx.units.tree()
    current, top = draft.data["unit"], draft.data["top"]
    rows = [
        [button(child.name, noun, "down", i)]
        for i, child in enumerate(tree.children(current)[:MAX_CHILDREN])
    ]
    rows.append([button(ctx.texts("picker.here", me.lang), noun, "here")])
    if current != top:
        rows.append([button(ctx.texts("picker.up", me.lang), noun, "up")])
    text = ctx.texts(question, me.lang, place=tree.place_name(current))
    return outgoing.message(me.user_id, text, markup=keyboard(rows))


async def walk(
    ctx: GridContext, me: Person, draft: Draft, press: Press, question: str
) -> str | None:
    """Moves DRAFT's picker one press (stored with the next prompt); returns the unit chosen
    on "here". A forged index is stale; "up" never goes above the top."""
    tree = await ctx.units.tree()
    current, top = draft.data["unit"], draft.data["top"]
    if press.verb == "here":
        return str(current)
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
    await ctx.drafts.put(draft, ctx.now(), [await prompt(ctx, me, press.noun, draft, question)])
    return None
