"""When a staff member leaves or moves: the open reports and household visits they no longer
cover go to someone else.

`hand_over` is the one use case for it, called right after a deactivation, a move or a role
change (/staff) and by the staff_departed sweep (bot/jobs/staff.py), which finishes the job
after a crash and after the start-up sync deactivated staff removed from the config file. A move
or role change leaves a pending marker in its own commit (storage/people.py); `hand_over` clears
it once nothing it covers is left, so a crash between the change and the hand-over is finished by
the sweep. Each report moves on its own commit through save_move (compare-and-set, event,
notices), so a restart resumes where it stopped and never moves a report twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import replace
from datetime import datetime, timedelta

from bot.domain import reports as domain
from bot.domain.care import VisitorKind
from bot.domain.people import Role
from bot.domain.staffing import next_visitor, reroute, still_holds, still_visits
from bot.notices import outgoing
from bot.notices.care import brief
from bot.notices.staff import command_menu
from bot.services import Services
from bot.texts import Raw
from bot.usecases.reports import save_move
from storage.care import StaleHousehold
from storage.outbox import Outgoing
from storage.people import MenuTarget
from storage.reports import StaleReport

log = logging.getLogger(__name__)

BATCH = 50  # reports read at a time
MAX_MOVES = 500  # per call; the sweep's next pass takes the rest


async def hand_over(services: Services, user_id: int) -> int:
    """Re-routes the open reports and hands over the household visits USER_ID no longer covers:
    all of them once they left, those outside their new unit after a move; clears their pending
    hand-over once it is complete.

    Returns how many reports and households moved.
    """
    marker = await services.people.pending_handover(user_id)
    reports, reports_done = await _reports(services, user_id)
    households, households_done = await _households(services, user_id)
    moved = reports + households
    if moved:
        log.info("handed over %d items of a departed or moved staff member", moved)
    if marker is not None and reports_done and households_done:
        await services.people.handover_done(user_id, marker)
    return moved


async def finish_pending(services: Services) -> int:
    """Finishes the hand-overs that moves and role changes left pending; returns items moved."""
    moved = 0
    for user_id, _ in await services.people.pending_handovers():
        moved += await hand_over(services, user_id)
    return moved


async def _reports(services: Services, user_id: int) -> tuple[int, bool]:
    """Moves USER_ID's open reports they no longer hold; returns (moved, nothing left behind)."""
    moved, last, done = 0, 0, True
    while True:
        held = await services.reports.held_by(user_id, last, BATCH)
        if not held:
            break
        if moved >= MAX_MOVES:  # the sweep's next pass takes the rest
            done = False
            break
        tree, staff = await services.units.tree(), await services.people.all_staff()
        holder = next((s for s in staff if s.user_id == user_id), None)
        for report in held:
            assert report.id is not None
            last = report.id
            if still_holds(holder, report, tree):
                continue
            target = reroute(report, tree, staff, left=user_id)
            after, event = domain.reassign(report, target, services.clock(), left=user_id)
            try:
                await save_move(services, report, after, event)
                moved += 1
            except StaleReport:  # someone moved it meanwhile; the sweep looks again if need be
                done = False
    return moved, done


async def _households(services: Services, user_id: int) -> tuple[int, bool]:
    """Gives each active household USER_ID visited to the nearest care staff member over it;
    returns (moved, nothing left behind). A household with nobody over it keeps its visitor
    (missed visits escalate) and does not keep the hand-over pending."""
    store = services.store.households
    tree, staff = await services.units.tree(), await services.people.all_staff()
    holder = next((s for s in staff if s.user_id == user_id), None)
    moved, done = 0, True
    held = await store.for_visitor(user_id, limit=MAX_MOVES)
    for before in held:
        if before.visitor_kind is not VisitorKind.STAFF or still_visits(holder, before.unit, tree):
            continue
        successor = next_visitor(before.unit, tree, staff, left=user_id)
        if successor is None:  # nobody left over it: missed visits escalate to the community
            continue
        after = replace(before, visitor_id=successor.user_id, visitor_kind=VisitorKind.STAFF)
        lang = (await services.people.languages([successor.user_id])).get(
            successor.user_id, services.settings.default_language
        )
        text = services.texts(
            "staff.household_handed_over",
            lang,
            brief=Raw(brief(services.texts, tree, after, lang)),
        )
        try:
            await store.save(
                before,
                after,
                action="visitor",
                actor_id=None,
                at=services.clock(),
                messages=[outgoing.message(successor.user_id, text)],
                data={"from": user_id, "reason": "left"},
            )
            moved += 1
        except StaleHousehold:
            done = False
    # A full batch that moved some may hide more behind it: the sweep's next pass reads again.
    return moved, done and not (len(held) == MAX_MOVES and moved > 0)


async def create_link(
    services: Services, role: Role, unit: str, *, name: str, ttl: timedelta, username: str
) -> tuple[str, datetime]:
    """Stores a single-use invite for ROLE at UNIT; returns its https://t.me link and expiry.

    The one way invites are made: `griddesk invite` and /invite in chat both call it.
    """
    now = services.clock()
    token = await services.people.create_invite(role, unit, name, now, ttl)
    return f"https://t.me/{username}?start={token}", now + ttl


def _fingerprint(menu: Outgoing) -> int:
    """Returns a 63-bit fingerprint of MENU's parameters (what Telegram would be told)."""
    digest = hashlib.sha256(json.dumps(menu.params, sort_keys=True).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


async def refresh_menu(services: Services, user_id: int, *, at: datetime) -> bool:
    """Queues USER_ID's command menu (staff: their commands; former staff: the residents' list)
    if it differs from the one last queued for them; True if one was queued.

    Called after an invite is redeemed, a move or role change, a deactivation and /lang; the
    staff_menus sweep calls `refresh_menus` for everyone, which covers staff added by the config
    file or an import, staff who first wrote to the bot, and a crash right after a change.
    """
    targets = await services.people.menu_targets(user_id)
    return bool(targets) and await _refresh(services, targets[0], at)


async def refresh_menus(services: Services, *, at: datetime) -> int:
    """Queues every staff member's menu that changed since it was last queued; returns how many."""
    queued = 0
    for target in await services.people.menu_targets():
        queued += await _refresh(services, target, at)
    return queued


async def _refresh(services: Services, target: MenuTarget, at: datetime) -> bool:
    if not target.active and target.sent is None:
        return False  # never given a staff menu: the default one is already theirs
    menu = command_menu(services.texts, target.user_id, target.lang, staff=target.active)
    fingerprint = _fingerprint(menu)
    if fingerprint == target.sent:
        return False
    return await services.people.queue_menu(target, fingerprint, menu, at)
