"""The staff_departed sweep: finishes handing over what staff who left or moved still hold.

A deactivation, move or role change in chat hands over at once; this sweep covers the start-up
sync (staff removed from the config file), a crash half-way through a hand-over or between a
move and its hand-over, and a report that was being moved by someone else at that moment. It
finds leavers through the partial index staff_inactive and moves not yet handed over through
their pending markers (storage/people.py, HANDOVER).
"""

from __future__ import annotations

from datetime import datetime

from bot.services import Services
from bot.usecases.staff import finish_pending, hand_over, refresh_menus


async def staff_departed(services: Services, now: datetime) -> int:
    """Re-routes what departed or moved staff still hold; returns how many items moved."""
    moved = 0
    for user_id in await services.people.departed_holders():
        moved += await hand_over(services, user_id)
    return moved + await finish_pending(services)


async def staff_menus(services: Services, now: datetime) -> int:
    """Queues the command menu of every staff member whose menu changed since it was last
    queued (config sync, import, first contact, or a crash right after a change in chat)."""
    return await refresh_menus(services, at=now)
