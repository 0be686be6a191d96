"""A staff member composing something for one unit's residents (/broadcast, /poll): what they
write differs, the frame is one. The command is for staff the access rule allows at their own
unit; the unit is chosen with the one picker (handlers/kit/picker.py), bounded by the staff
member's own unit (read again on every press) and re-authorised by the same rule when chosen;
every press is re-checked against the draft (handlers/kit/presses.press_of) and run by its verb.
The use case authorises once more on confirming."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import GridContext
from bot.domain.access import Decision
from bot.domain.people import Person, Staff
from bot.domain.units import UnitTree
from bot.notices.buttons import Press, pattern
from handlers.kit.flows import NEW_PRIVATE, NOWHERE, Place, PlaceDone
from handlers.kit.presses import press_of
from handlers.kit.refusals import record
from handlers.kit.reply import say
from storage.drafts import Draft

# What a button of the flow does (the press already re-checked against the draft)
Verb = Callable[[GridContext, Person, Press, Draft], Awaitable[None]]
# The access rule for composing at a unit (bot/domain/access.py)
StaffRule = Callable[[Staff | None, str, UnitTree], Decision]


@dataclass(frozen=True)
class Composer:
    """FLOW's frame: COMMAND starts it for staff RULE allows at their own unit (else STAFF_ONLY
    is said); the picker asks ASK_UNIT (with {place}) and a unit RULE refuses ends the flow with
    NOT_ALLOWED; a press runs VERBS[verb] if STEPS_OF[verb] holds the draft's step."""

    flow: str
    command: str
    rule: StaffRule
    staff_only: str
    ask_unit_key: str
    not_allowed: str
    steps_of: Mapping[str, tuple[str, ...]]
    verbs: Mapping[str, Verb]

    async def may_start(self, ctx: GridContext, me: Person) -> bool:
        """Whether ME may start the flow; if not, says so and records the refusal for /audit."""
        staff, tree = await ctx.people.staff(me.user_id), await ctx.units.tree()
        refused = self.rule(staff, staff.unit if staff is not None else "", tree)
        if refused is not None:
            await say(ctx, me, self.staff_only)
            await record(ctx, me.user_id, refused, None, f"/{self.command}")
            return False
        return True

    async def reach(self, ctx: GridContext, me: Person, draft: Draft) -> str | None:
        """Returns the unit the walk is bounded by: the staff member's own (read again on every
        press); NOWHERE once the rule no longer allows them."""
        staff, tree = await ctx.people.staff(me.user_id), await ctx.units.tree()
        if staff is None or self.rule(staff, staff.unit, tree) is not None:
            return NOWHERE
        return staff.unit

    async def ask_unit(
        self, ctx: GridContext, me: Person, draft: Draft, tree: UnitTree, node: str | None
    ) -> str:
        return ctx.texts(self.ask_unit_key, me.lang, place=tree.place_name(node) if node else "—")

    async def allowed_at(self, ctx: GridContext, me: Person, chosen: str) -> UnitTree | None:
        """Re-authorises the unit CHOSEN: the unit tree if the rule allows ME there; else ends
        the flow with NOT_ALLOWED, records the refusal and returns None."""
        staff, tree = await ctx.people.staff(me.user_id), await ctx.units.tree()
        if (refused := self.rule(staff, chosen, tree)) is not None:
            await say(ctx, me, self.not_allowed, end_flow=True)
            await record(ctx, me.user_id, refused, f"unit:{chosen}", f"{self.flow}:unit")
            return None
        return tree

    def place(self, done: PlaceDone) -> Place:
        """How the flow asks for its unit; DONE receives the unit chosen."""
        return Place(
            done=done, ask=self.ask_unit, here="picker.here", up="picker.up", reach=self.reach
        )

    async def on_press(self, update: Update, ctx: GridContext) -> None:
        """Runs the button pressed, if it fits where the presser's draft stands."""
        pressed = await press_of(update, ctx, noun=self.flow, verbs=self.steps_of, flow=self.flow)
        if pressed is None:
            return
        me, press, draft = pressed
        assert draft is not None
        await self.verbs[press.verb](ctx, me, press, draft)

    def register(
        self,
        app: Application,
        start: Callable[[Update, GridContext], Coroutine[object, object, None]],
    ) -> None:
        """Adds the command (private messages only) and the flow's buttons."""
        app.add_handler(CommandHandler(self.command, start, filters=NEW_PRIVATE))
        app.add_handler(CallbackQueryHandler(self.on_press, pattern=pattern(self.flow)))
