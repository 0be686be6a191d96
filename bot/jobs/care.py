"""The 五必访 sweep: reminds visitors, nags on missed visits and escalates to the community once.

It asks the database only for households whose `next_at` has come (a partial index), lets the
domain decide the one thing to do for each (domain.care.decide: the highest rung reached, so
after downtime one message per household, not a burst), and writes the new stage, the event and
the messages in one compare-and-set commit: a restart or a second instance never acts twice.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.domain import care as domain
from bot.domain.care import CareAction, Decision, Household
from bot.domain.people import Staff
from bot.domain.units import UnitTree
from bot.notices import outgoing
from bot.notices.buttons import button, keyboard
from bot.notices.care import brief, visitor_name_of
from bot.services import Services
from bot.texts import Raw
from bot.usecases.care import care_policy
from storage.outbox import Outgoing

log = logging.getLogger(__name__)

BATCH = 200  # households per pass; the rest are picked up by the next pass

_VISITOR_KEYS = {
    CareAction.REMIND: "visit.remind",
    CareAction.DUE: "visit.due_today",
    CareAction.MISS: "visit.missed",
    CareAction.NAG: "visit.nag",
    CareAction.ESCALATE: "visit.escalated_visitor",
}


async def visits_due(services: Services, now: datetime) -> int:
    """Acts on every household whose next look has come; returns how many were told something."""
    households = services.store.households
    due = await households.due(now, limit=BATCH)
    if not due:
        return 0
    policy = care_policy(services)
    tree = await services.units.tree()
    staff = await services.people.all_staff()
    acted = 0
    for household in due:
        decision = domain.decide(household, now, policy)
        messages = await messages_for(services, tree, staff, household, decision)
        if await households.advance(household, decision, now, messages) and messages:
            acted += 1
    if acted:
        log.info("care sweep: %d households acted on", acted)  # counts only, never who
    return acted


async def messages_for(
    services: Services,
    tree: UnitTree,
    staff: list[Staff],
    household: Household,
    decision: Decision,
) -> list[Outgoing]:
    """Returns what DECISION tells whom: the visitor, and on escalation the community's staff."""
    if decision.action is None or decision.action is CareAction.DEFER:
        return []
    texts = services.texts
    targets = (
        domain.escalation_targets(household.unit, tree, staff)
        if decision.action is CareAction.ESCALATE
        else []
    )
    langs = await services.people.languages([household.visitor_id, *(s.user_id for s in targets)])
    default = services.settings.default_language
    lang = langs.get(household.visitor_id, default)
    log_button = keyboard([[button(texts("visit.button_log", lang), "visit", "log", household.id)]])
    text = texts(
        _VISITOR_KEYS[decision.action],
        lang,
        brief=Raw(brief(texts, tree, household, lang)),
    )
    out = [outgoing.message(household.visitor_id, text, markup=log_button)]
    if targets:
        visitor = await visitor_name_of(services, household.visitor_id, household.visitor_kind)
        for target in targets:
            tlang = langs.get(target.user_id, default)
            show = keyboard(
                [[button(texts("care.button_show", tlang), "household", "show", household.id)]]
            )
            text = texts(
                "visit.escalated",
                tlang,
                brief=Raw(brief(texts, tree, household, tlang)),
                visitor=visitor,
            )
            out.append(outgoing.message(target.user_id, text, markup=show))
    return out
