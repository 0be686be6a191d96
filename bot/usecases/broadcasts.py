"""Broadcast use cases: whom a broadcast reaches, sending it (one outbox row per recipient in
one commit), its progress line and end report (the sweep), and muting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain import access
from bot.domain.broadcasts import Audience, Broadcast, Content, Progress
from bot.domain.volunteers import subtree
from bot.notices import outgoing
from bot.notices.broadcasts import deliveries, end_report, progress_line
from bot.services import Services
from bot.usecases.results import Done, Refused, refuse
from storage.broadcasts import Recipient


@dataclass(frozen=True, slots=True)
class Reach:
    """Who a broadcast to a unit reaches now: residents (not muted, not blocked) and groups."""

    residents: list[Recipient]
    groups: list[Recipient]

    @property
    def total(self) -> int:
        return len(self.residents) + len(self.groups)


async def reach(services: Services, unit: str, audience: Audience) -> Reach:
    """Returns the residents registered in UNIT's subtree and the groups bound to it, as
    AUDIENCE asks; muted residents and chats that blocked the bot are left out."""
    tree = await services.units.tree()
    units = subtree(unit, tree) if unit in tree else []
    found = services.store.broadcasts
    residents = await found.residents_in(units) if audience.residents else []
    groups = await found.groups_in(units) if audience.groups else []
    return Reach(residents, groups)


async def plan(
    services: Services, *, by: int, unit: str, audience: Audience, at: datetime
) -> Done[Reach] | Refused:
    """Re-authorises BY for UNIT and returns whom AUDIENCE reaches there.

    Refused: "broadcast.not_allowed" (rule broadcast_send, recorded), "broadcast.no_recipients".
    """
    staff = await services.people.staff(by)
    tree = await services.units.tree()
    if (rule := access.send_broadcast(staff, unit, tree)) is not None:
        return await refuse(
            services, by, rule, f"unit:{unit}", "/broadcast", at=at, key="broadcast.not_allowed"
        )
    found = await reach(services, unit, audience)
    if found.total == 0:
        return Refused("broadcast.no_recipients")
    return Done(found)


async def send(
    services: Services,
    *,
    by: int,
    lang: str,
    unit: str,
    audience: Audience,
    content: Content,
    at: datetime,
) -> Done[Broadcast] | Refused:
    """Sends CONTENT to AUDIENCE of UNIT: the broadcast, one outbox row per recipient (low
    priority, tagged with its id), BY's progress line, and the end of BY's draft, in one commit.

    Refused as `plan` (who may send, and to whom, is decided again on confirming).
    """
    planned = await plan(services, by=by, unit=unit, audience=audience, at=at)
    if isinstance(planned, Refused):
        return planned
    found = planned.value
    broadcast = Broadcast(
        created_by=by,
        unit=unit,
        content=content,
        audience=audience,
        residents=len(found.residents),
        groups=len(found.groups),
        created_at=at,
        lang=lang,
    )
    tree = await services.units.tree()
    async with services.store.transaction() as tx:
        saved = await tx.broadcasts.add(broadcast, progress_due=at)
        messages = deliveries(services.texts, tree, saved, found.residents, found.groups)
        messages.append(progress_line(services.texts, saved, Progress(len(messages), 0, 0, 0)))
        await tx.drafts.clear(by, at, messages)
    return Done(saved)


async def advance(services: Services, now: datetime) -> int:
    """Edits each due broadcast's progress line; a broadcast with nothing left to deliver gets
    its end report and is done. One action per broadcast and pass (compare-and-set)."""
    found = services.store.broadcasts
    every = timedelta(seconds=services.settings.broadcasts.progress_seconds)
    acted = 0
    for broadcast, due in await found.due(now):
        assert broadcast.id is not None
        progress = await found.progress(broadcast.id)
        messages = [progress_line(services.texts, broadcast, progress)]
        if progress.finished:
            messages.append(end_report(services.texts, broadcast, progress))
        next_due = None if progress.finished else now + every
        if await found.step(broadcast.id, due, next_due, progress, messages, now):
            acted += 1
    return acted


async def mute(services: Services, user_id: int, *, lang: str, at: datetime) -> Done[bool]:
    """Stops broadcasts reaching USER_ID and tells them; Done(False) if they were muted."""
    muted = await services.store.broadcasts.is_muted(user_id)
    key = "broadcast.muted_already" if muted else "broadcast.muted"
    message = outgoing.message(user_id, services.texts(key, lang))
    return Done(await services.store.broadcasts.mute(user_id, at, [message]))


async def unmute(services: Services, user_id: int, *, lang: str, at: datetime) -> Done[bool]:
    """Lets broadcasts reach USER_ID again and tells them; Done(False) if they were not muted."""
    muted = await services.store.broadcasts.is_muted(user_id)
    key = "broadcast.unmuted" if muted else "broadcast.not_muted"
    message = outgoing.message(user_id, services.texts(key, lang))
    return Done(await services.store.broadcasts.unmute(user_id, at, [message]))
