"""Staff: enrolment by invite, deactivation, moves and role changes in chat, their command
menus, and — when a staff member leaves or moves — handing the open reports and household
visits they no longer cover to someone else.

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
import re
from dataclasses import replace
from datetime import datetime, timedelta

from bot.domain import access
from bot.domain import reports as domain
from bot.domain.care import VisitorKind
from bot.domain.people import Role, Staff
from bot.domain.staffing import next_visitor, reroute, still_holds, still_visits
from bot.domain.units import UnitTree
from bot.notices import outgoing
from bot.notices.care import brief, kind_book
from bot.notices.residents import main_keyboard
from bot.notices.staff import changed_messages, command_menu, deactivated_messages, help_key
from bot.services import Services
from bot.texts import Raw, Texts
from bot.usecases.reports import save_move
from bot.usecases.results import Done, Refused, refuse
from storage.care import StaleHousehold
from storage.outbox import Outgoing
from storage.people import InviteError, MenuTarget
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
            brief=Raw(brief(services.texts, tree, after, lang, kind_book(services.settings))),
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
    role = target.role if target.active else None
    menu = command_menu(services.texts, target.user_id, target.lang, role=role)
    fingerprint = _fingerprint(menu)
    if fingerprint == target.sent:
        return False
    return await services.people.queue_menu(target, fingerprint, menu, at)


# Enrolment and changes -----------------------------------------------------------------------

# What Telegram allows in a start parameter; anything else cannot be one of our tokens.
TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _where(texts: Texts, tree: UnitTree, staff: Staff, lang: str) -> dict[str, str]:
    """Returns STAFF's role and unit, named in LANG (the parameters of the invite texts)."""
    unit = staff.unit
    if unit in tree:
        unit = tree.path_name(unit) or tree.get(unit).name
    return {"role": texts(f"invite.roles.{staff.role.value}", lang), "unit": unit}


async def redeem_invite(
    services: Services, token: str, *, by: int, name: str, lang: str, at: datetime
) -> Done[Staff] | Refused:
    """Enrols BY as staff from the single-use invite TOKEN, greets them (in LANG, with the
    staff help and the main keyboard) and queues their command menu, in one commit.

    Someone already staff is not re-enrolled (the link stays unused: it was probably meant for
    somebody else, and a forwarded link must never move or demote a working member of staff).
    Refused: "invite.already_staff" ({role}, {unit}), "invite.unknown", "invite.used",
    "invite.expired".
    """
    tree = await services.units.tree()  # reloaded if units were imported since start-up
    current = await services.people.staff(by)
    if current is not None:
        return Refused("invite.already_staff", _where(services.texts, tree, current, lang))
    if not TOKEN.fullmatch(token):
        return Refused("invite.unknown")
    texts = services.texts
    try:
        async with services.store.transaction() as tx:
            staff = await tx.people.redeem_invite(token, by, name, at)
            text = texts(
                "invite.welcome",
                lang,
                help=Raw(texts(help_key(staff), lang)),
                name=staff.name,
                **_where(texts, tree, staff, lang),
            )
            keyboard = main_keyboard(texts, lang)
            await tx.outbox.send([outgoing.message(by, text, markup=keyboard)], at)
            await refresh_menu(services, by, at=at)
    except InviteError as refused:
        return Refused(refused.key)
    log.info("invite redeemed: %s at %s", staff.role.value, staff.unit)
    return Done(staff)


async def _changeable(
    services: Services, user_id: int, *, by: int, at: datetime, action: str
) -> tuple[Staff, Staff, UnitTree] | Refused:
    """Returns (BY's staff record, USER_ID's, the tree) if BY may still change USER_ID now."""
    actor = await services.people.staff(by)
    target = f"staff:{user_id}"
    if (rule := access.manage_staff(actor)) is not None:
        return await refuse(services, by, rule, target, action, at=at, key="staff.not_allowed")
    assert actor is not None
    person = await services.people.staff(user_id)
    if person is None:  # left meanwhile, or no such person
        return Refused("staff.gone")
    tree = await services.units.tree()
    if (rule := access.change_staff(actor, person, tree)) is not None:
        return await refuse(services, by, rule, target, action, at=at, key="staff.gone")
    return actor, person, tree


async def _lang(services: Services, user_id: int) -> str:
    langs = await services.people.languages([user_id])
    return langs.get(user_id, services.settings.default_language)


async def deactivate_staff(
    services: Services, user_id: int, *, by: int, at: datetime
) -> Done[int] | Refused:
    """BY deactivates staff member USER_ID: both are told, USER_ID's menu goes back to the
    residents' and their web sessions and login links end, in one commit; then what they held
    is handed over (hand_over, its own commits).
    Returns how many reports and households moved.

    Refused: "staff.not_allowed" / "staff.gone" (by the staff_manage / staff_change rules:
    recorded), "staff.gone" (left meanwhile).
    """
    found = await _changeable(services, user_id, by=by, at=at, action="staff:offok")
    if isinstance(found, Refused):
        return found
    _, person, _ = found
    messages = deactivated_messages(
        services.texts,
        by=by,
        by_lang=await _lang(services, by),
        target=person,
        lang=await _lang(services, user_id),
    )
    async with services.store.transaction() as tx:
        if not await tx.people.deactivate(user_id, by, at, messages):
            return Refused("staff.gone")
        await tx.weblogin.end_all(user_id)  # their dashboard sessions and login links end now
        await refresh_menu(services, user_id, at=at)
    return Done(await hand_over(services, user_id))


async def change_staff(
    services: Services,
    user_id: int,
    *,
    by: int,
    at: datetime,
    unit: str | None = None,
    role: Role | None = None,
) -> Done[tuple[Staff, int]] | Refused:
    """BY moves staff member USER_ID to UNIT and/or gives them ROLE: both are told and USER_ID's
    menu follows in one commit; then what they no longer cover is handed over. Returns the
    changed record and how many reports and households moved.

    Refused: "staff.config_note" (listed in the config file: change them there),
    "staff.role_not_allowed" / "staff.unit_not_allowed" (staff_place rule), or what the
    staff_manage / staff_change rules refuse (recorded), "staff.gone".
    """
    action = "staff:setrole" if role is not None else "staffmove:unit"
    found = await _changeable(services, user_id, by=by, at=at, action=action)
    if isinstance(found, Refused):
        return found
    actor, before, tree = found
    if await services.people.source_of(user_id) == "config":
        return Refused("staff.config_note")
    after = replace(before, unit=unit or before.unit, role=role or before.role)
    if (rule := access.place_staff(actor, after.role, after.unit, tree)) is not None:
        key = "staff.role_not_allowed" if role is not None else "staff.unit_not_allowed"
        target = f"staff:{user_id}" if role is not None else f"unit:{after.unit}"
        return await refuse(services, by, rule, target, action, at=at, key=key)
    messages = changed_messages(
        services.texts,
        tree,
        by=by,
        by_lang=await _lang(services, by),
        after=after,
        lang=await _lang(services, user_id),
    )
    async with services.store.transaction() as tx:
        if not await tx.people.change(before, after, by, at, messages):
            return Refused("staff.gone")
        await refresh_menu(services, user_id, at=at)
    return Done((after, await hand_over(services, user_id)))
