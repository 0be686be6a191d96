"""The one unit-tree picker: a walk down the unit tree, in one card edited in place.

Every flow that asks for a unit (a resident's place, a report's place, a household, a patrol, a
staff member's move) puts its draft on the walk with `begin` and says in its PLACES
(handlers/kit/flows.py `Place`, merged by bot/app.py into the flow table, keyed by flow) how the
question reads, how far the presser may reach and what happens to the unit chosen.

Callback data "place:<verb>:<nonce>[:<arg>]": pick <index> (go down; a unit without children is
chosen), page <n>, up, here (choose the unit the walk stands at), home (the presser's
registered unit). Every button carries the nonce
of the prompt it belongs to (draft.data["n"]), so a press on an older prompt, another flow's or
a forged one is stale (handlers/kit/presses.press_of); the presser's reach is read again on
every press, and the flow's `done` re-authorises the unit before it writes anything.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import GridContext
from bot.domain.people import Person
from bot.domain.units import Unit, UnitTree
from bot.notices import outgoing
from bot.notices.buttons import Press, button, keyboard
from handlers.kit.flows import NOWHERE, Place, flows_of
from handlers.kit.presses import answer, press_of
from storage.drafts import Draft
from storage.outbox import Outgoing

NOUN = "place"
STEP = "walk"  # the draft step of every flow while its picker is open
VERBS = ("pick", "page", "up", "here", "home")
PAGE = 12  # units per page (two per row)
Choosable = Callable[[str], bool]


def renew(draft: Draft) -> str:
    """Gives the draft's next prompt a fresh nonce (older prompts' buttons become stale)."""
    draft.data["n"] = secrets.token_hex(3)
    return str(draft.data["n"])


def place_of(ctx: GridContext, draft: Draft) -> Place:
    return flows_of(ctx).places[draft.flow]


# The walk --------------------------------------------------------------------------------
# A walk bounded by a unit (TOP: the presser's reach) starts at that unit, which may be chosen
# itself; an unbounded one at the roots, or with SKIP at the first level that offers a choice.


def listing(tree: UnitTree, node: str | None) -> list[Unit]:
    return tree.roots() if node is None else tree.children(node)


def descend(tree: UnitTree, node: str | None) -> str | None:
    """Returns NODE, or the first level below it that offers a real choice."""
    units = listing(tree, node)
    while len(units) == 1 and tree.children(units[0].code):
        node = units[0].code
        units = tree.children(node)
    return node


def start_of(tree: UnitTree, top: str | None, skip: bool = False) -> str | None:
    """Returns where a walk bounded by TOP starts."""
    return top if top is not None else descend(tree, None) if skip else None


def ascend(tree: UnitTree, node: str, top: str | None, skip: bool = False) -> str | None:
    """Returns the listing above NODE, never above the walk's start (with SKIP, past levels
    with a single child)."""
    start = start_of(tree, top, skip)
    parent = tree.get(node).parent
    while skip and parent is not None and parent != start and len(tree.children(parent)) == 1:
        parent = tree.get(parent).parent
    return parent


def within(tree: UnitTree, node: str | None, top: str | None) -> bool:
    """Tells whether a walk bounded by TOP may stand at NODE (None: the top of the whole tree)."""
    if top == NOWHERE:
        return False
    if node is None:
        return top is None
    return node in tree and (top is None or tree.is_within(node, top))


def move(
    tree: UnitTree,
    draft: Draft,
    press: Press,
    top: str | None,
    *,
    here: bool = True,
    skip: bool = False,
    home: str | None = None,
) -> tuple[str, str | None, int] | None:
    """Returns what a press does: ("walk", node, page) or ("done", unit, 0); None if it does not
    fit the walk as it stands (forged, stale, or beyond the presser's reach TOP). HERE: a unit
    with children may be chosen; HOME: the registered unit offered, if any. Whether the presser
    may have the unit is the flow's answer."""
    node = draft.data.get("walk")
    if not within(tree, node, top):
        return None
    units = listing(tree, node)
    arg = press.int_arg(1)
    if press.verb == "pick" and arg is not None and 0 <= arg < len(units):
        code = units[arg].code
        if not tree.children(code):
            return "done", code, 0
        return "walk", descend(tree, code) if skip else code, 0
    if press.verb == "page" and arg is not None and 0 <= arg * PAGE < len(units):
        return "walk", node, arg
    if press.verb == "up" and node is not None and node != start_of(tree, top, skip):
        return "walk", ascend(tree, node, top, skip), 0
    if press.verb == "here" and here and node is not None:
        return "done", node, 0
    if press.verb == "home" and home is not None and home in tree and within(tree, home, top):
        return "done", home, 0
    return None


def _any(_: str) -> bool:
    return True


async def choosable(ctx: GridContext, me: Person, draft: Draft, place: Place) -> Choosable:
    """Returns which units ME may choose in DRAFT's walk (the flow's rule, or any)."""
    if place.choosable is None:
        return _any
    return await place.choosable(ctx, me, draft)


def home_of(me: Person, tree: UnitTree, place: Place, top: str | None) -> str | None:
    """Returns the presser's registered unit if the flow offers it and it is within reach."""
    if place.home is None or me.unit is None or not within(tree, me.unit, top):
        return None
    return me.unit


async def reach(ctx: GridContext, me: Person, draft: Draft, place: Place) -> str | None:
    return None if place.reach is None else await place.reach(ctx, me, draft)


async def card(
    ctx: GridContext,
    me: Person,
    draft: Draft,
    tree: UnitTree,
    place: Place,
    top: str | None,
    may: Choosable,
    page: int = 0,
) -> Outgoing:
    """Returns the walk's card: the units below (two a row, paged), up, here, the flow's rows."""
    t, lang, n = ctx.texts, me.lang, draft.data["n"]
    node = draft.data.get("walk")
    picks = [
        button(u.name, NOUN, "pick", n, i)
        for i, u in enumerate(listing(tree, node))
        if tree.children(u.code) or may(u.code)
    ]
    shown = picks[page * PAGE : (page + 1) * PAGE]
    rows = [shown[i : i + 2] for i in range(0, len(shown), 2)]
    nav = [button("◀", NOUN, "page", n, page - 1)] if page > 0 else []
    if (page + 1) * PAGE < len(picks):
        nav.append(button("▶", NOUN, "page", n, page + 1))
    extra = []
    if node is not None and node != start_of(tree, top, place.skip):
        extra.append(button(t(place.up, lang), NOUN, "up", n))
    if node is not None and place.here is not None and may(node):
        extra.append(button(t(place.here, lang, name=tree.get(node).name), NOUN, "here", n))
    more = place.rows(ctx, me, draft, tree) if place.rows is not None else []
    home = home_of(me, tree, place, top)
    first = []
    if home is not None and may(home):
        first.append(
            [button(t(place.home or "", lang, place=tree.get(home).name), NOUN, "home", n)]
        )
    text = await place.ask(ctx, me, draft, tree, node)
    markup = keyboard([*first, *rows, nav, extra, *more])
    return outgoing.card(me.user_id, draft.data["card"], text, markup=markup)


async def begin(
    ctx: GridContext, me: Person, draft: Draft, *, card_key: str | None = None
) -> list[Outgoing]:
    """Puts DRAFT at the start of a new walk (bounded by its flow's reach for ME) and returns
    the walk's card (CARD_KEY: the card to edit; else a new one). The caller puts the draft."""
    place, tree = place_of(ctx, draft), await ctx.units.tree()
    top = await reach(ctx, me, draft, place)
    draft.step, draft.data["walk"] = STEP, start_of(tree, top, place.skip)
    nonce = renew(draft)
    draft.data["card"] = card_key or f"walk:{nonce}"
    may = await choosable(ctx, me, draft, place)
    return [await card(ctx, me, draft, tree, place, top, may)]


async def on_press(update: Update, ctx: GridContext) -> None:
    """place:<verb>:<nonce>[:<arg>] — a step of the walk; the flow takes the unit chosen."""
    found = await press_of(
        update,
        ctx,
        noun=NOUN,
        verbs=VERBS,
        steps=(STEP,),
        nonce=True,
        own_chat=True,
        answer_first=False,
    )
    if found is None:
        return
    me, press, draft = found
    assert draft is not None
    place = flows_of(ctx).places.get(draft.flow)
    if place is None:  # a flow without a picker (forged)
        await answer(update, ctx.texts("common.stale_button", me.lang))
        return
    tree = await ctx.units.tree()
    top = await reach(ctx, me, draft, place)
    home = home_of(me, tree, place, top)
    here = place.here is not None
    moved = move(tree, draft, press, top, here=here, skip=place.skip, home=home)
    await answer(update, None if moved else ctx.texts("common.stale_button", me.lang))
    if moved is None:
        return
    action, code, page = moved
    if action == "done":
        assert code is not None
        text = ctx.texts("register.chosen", me.lang, place=tree.place_name(code))
        done = [outgoing.card(me.user_id, draft.data["card"], text)]
        await place.done(ctx, me, draft, code, done)
        return
    draft.data["walk"] = code
    renew(draft)
    may = await choosable(ctx, me, draft, place)
    walk = await card(ctx, me, draft, tree, place, top, may, page)
    await ctx.drafts.put(draft, ctx.now(), [walk])


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(on_press, pattern=rf"^{NOUN}:"))
