"""Helpers for the volunteer, wish and activity use-case tests (not a test module)."""

from __future__ import annotations

from dataclasses import replace

from bot.domain.volunteers import Volunteer, VolunteerStatus
from bot.services import Services
from tests.conftest import COMMUNITY


async def sent_to(services: Services, chat_id: int) -> list[str]:
    """Returns the payload of every outbox row queued for CHAT_ID, oldest first."""
    rows = await services.store.db.fetchall(
        "SELECT payload FROM outbox WHERE chat_id = ? ORDER BY id", (chat_id,)
    )
    return [row[0] for row in rows]


async def refusals(services: Services) -> list[tuple[int, str, str, str | None]]:
    """Returns every recorded refusal as (user, action, rule, target), oldest first."""
    rows = await services.store.db.fetchall(
        "SELECT user_id, action, rule, target FROM refusals ORDER BY id"
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


async def approved_volunteer(
    services: Services,
    user_id: int,
    name: str,
    unit: str = "B1",
    *,
    status: VolunteerStatus = VolunteerStatus.APPROVED,
    team: str | None = None,
) -> Volunteer:
    """Registers USER_ID (a repairer living at UNIT, phone 139, of TEAM) straight in storage,
    approved unless told otherwise."""
    await services.people.touch(user_id, name, "zh", services.clock())
    v = Volunteer(
        user_id, name, unit, skills=("repair",), availability=("weekend",), phone="139", team=team
    )
    await services.store.volunteers.register(v, services.clock(), [])
    if status is not VolunteerStatus.PENDING:
        decided = replace(v, status=status, decided_by=COMMUNITY)
        await services.store.volunteers.decide(decided, services.clock(), [])
    return replace(v, status=status)
