"""/building CODE: a building's team (1+1+1+N) and its party member (一名党员一幢楼).

Callbacks: "bldg:show:<building>" the team card; "bldg:pick:<building>:<page>" the people who
may be linked; "bldg:set:<building>:<user>" links one; "bldg:unset:<building>:<user>" removes
the one linked. Every press is re-authorised by bot/usecases/teams.py (team_view, team_link).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import GridContext
from bot.domain import teams as domain
from bot.domain.people import Person, Staff
from bot.domain.teams import Candidate, Team
from bot.domain.units import UnitTree
from bot.notices import outgoing
from bot.notices.buttons import button, keyboard
from bot.usecases import teams
from bot.usecases.results import Refused
from handlers.kit.flows import NEW_PRIVATE, person_of
from handlers.kit.presses import press_of
from handlers.kit.reply import say, say_refused
from storage.outbox import Outgoing

NOUN = "bldg"
PAGE = 8


def card_key(user_id: int) -> str:
    return f"building:{user_id}"


def _names(
    ctx: GridContext, me: Person, people: tuple[Staff, ...], tree: UnitTree, *, where: bool = False
) -> str:
    """Returns PEOPLE's names (WHERE: each with their unit's name, for entrance heads)."""
    if not people:
        return ctx.texts("teams.nobody", me.lang)
    if not where:
        return ", ".join(p.name for p in people)
    return ", ".join(
        f"{p.name} ({tree.get(p.unit).name if p.unit in tree else p.unit})" for p in people
    )


def team_card(ctx: GridContext, me: Person, team: Team, tree: UnitTree, *, links: bool) -> Outgoing:
    """Returns the team card of TEAM; LINKS: with the buttons to link or unlink its 党员."""
    t, lang = ctx.texts, me.lang
    member = team.party_member
    text = t(
        "teams.building_team",
        lang,
        place=tree.place_name(team.building),
        grid=tree.get(team.grid).name if team.grid and team.grid in tree else "—",
        workers=_names(ctx, me, team.workers, tree),
        heads=_names(ctx, me, team.heads, tree),
        part_timers=_names(ctx, me, team.part_timers, tree),
        building_heads=_names(ctx, me, team.building_heads, tree),
        entrance_heads=_names(ctx, me, team.entrance_heads, tree, where=True),
        party_member=member.name if member else t("teams.nobody", lang),
    )
    rows = []
    if links:
        label = "teams.button_change" if member else "teams.button_link"
        rows.append([button(t(label, lang), NOUN, "pick", team.building, 0)])
        if member:
            rows.append(
                [
                    button(
                        t("teams.button_unlink", lang), NOUN, "unset", team.building, member.user_id
                    )
                ]
            )
    return outgoing.card(me.user_id, card_key(me.user_id), text, markup=keyboard(rows) or None)


def pick_card(
    ctx: GridContext, me: Person, building: str, people: list[Candidate], page: int, tree: UnitTree
) -> Outgoing:
    """Returns page PAGE of the people who may be linked to BUILDING, a button each."""
    t, lang = ctx.texts, me.lang
    pages = max(1, -(-len(people) // PAGE))
    page = min(max(page, 0), pages - 1)
    rows = []
    for c in people[page * PAGE : (page + 1) * PAGE]:
        kind = t("teams.kind_staff" if c.staff else "teams.kind_volunteer", lang)
        rows.append([button(f"{c.name} · {kind}", NOUN, "set", building, c.user_id)])
    nav = []
    if page > 0:
        nav.append(button(t("staff.previous", lang), NOUN, "pick", building, page - 1))
    if page + 1 < pages:
        nav.append(button(t("staff.next", lang), NOUN, "pick", building, page + 1))
    rows.append(nav)
    rows.append([button(t("staff.back", lang), NOUN, "show", building)])
    text = t(
        "teams.pick",
        lang,
        place=tree.place_name(building),
        count=len(people),
        page=page + 1,
        pages=pages,
    )
    return outgoing.card(me.user_id, card_key(me.user_id), text, markup=keyboard(rows) or None)


async def show(ctx: GridContext, me: Person, building: str) -> None:
    found = await teams.building_team(ctx.services, building, by=me.user_id, at=ctx.now())
    if isinstance(found, Refused):
        await say_refused(ctx, me, found)
        return
    tree = await ctx.units.tree()
    staff = await ctx.people.staff(me.user_id)
    links = domain.may_link(staff, building, tree)
    await ctx.outbox.send([team_card(ctx, me, found.value, tree, links=links)], ctx.now())


async def command(update: Update, ctx: GridContext) -> None:
    """/building CODE: the building's team, with the party member's buttons for community staff."""
    me = await person_of(update, ctx)
    code = " ".join(ctx.args or []).strip()
    if not code:
        await say(ctx, me, "teams.building_usage")
        return
    await show(ctx, me, code)


async def on_press(update: Update, ctx: GridContext) -> None:
    """bldg:(show|pick|set|unset):<building>[:arg] — re-authorised by the use case."""
    found = await press_of(update, ctx, noun=NOUN, verbs=("show", "pick", "set", "unset"))
    if found is None:
        return
    me, press, _ = found
    building = press.args[0] if press.args else ""
    arg = press.int_arg(1)
    if not building or (press.verb != "show" and arg is None):
        await say(ctx, me, "teams.stale")
        return
    now, by = ctx.now(), me.user_id
    if press.verb == "show":
        await show(ctx, me, building)
    elif press.verb == "pick":
        people = await teams.candidates(ctx.services, building, by=by, at=now)
        if isinstance(people, Refused):
            await say_refused(ctx, me, people)
            return
        tree = await ctx.units.tree()
        await ctx.outbox.send([pick_card(ctx, me, building, people.value, arg or 0, tree)], now)
    elif press.verb == "set":
        assert arg is not None
        linked = await teams.link(ctx.services, building, arg, by=by, at=now)
        if isinstance(linked, Refused):
            await say_refused(ctx, me, linked)
            return
        await say(ctx, me, "teams.linked", name=linked.value.name)
        await show(ctx, me, building)
    else:
        assert arg is not None
        gone = await teams.unlink(ctx.services, building, arg, by=by, at=now)
        if isinstance(gone, Refused):
            await say_refused(ctx, me, gone)
            return
        await say(ctx, me, "teams.unlinked")
        await show(ctx, me, building)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("building", command, filters=NEW_PRIVATE))
    app.add_handler(CallbackQueryHandler(on_press, pattern=rf"^{NOUN}:"))
