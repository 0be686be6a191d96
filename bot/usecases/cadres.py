"""下沉干部 use cases: a grid's cadres listed, attached and detached by the offices above it
(/cadres), a cadre's progress on their duties (/duty), the weekly reminder sweep, the figures
of /monthly, and the config file's attachments ([[cadres.members]]) written at every start.

Every change is re-authorised against the database (bot/domain/access.manage_cadres) and
written with the messages it causes in one commit. The patrol log (/patrol) is what counts:
nothing is entered twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from bot.domain import access
from bot.domain import cadres as domain
from bot.domain.cadres import Attachment, Duty, Per, Progress
from bot.domain.care import month_bounds
from bot.domain.patrols import PatrolKind
from bot.domain.people import Role, Staff
from bot.domain.staffing import RANK
from bot.domain.units import UnitTree
from bot.notices import cadres as notices
from bot.services import Services
from bot.settings import Settings
from bot.usecases.results import Done, Refused, refuse
from storage.outbox import Outgoing


@dataclass(frozen=True, slots=True)
class Member:
    """An active attachment and the cadre's name as staff know it."""

    attachment: Attachment
    name: str


@dataclass(frozen=True, slots=True)
class GridCadres:
    unit: str
    place: str
    members: list[Member]


@dataclass(frozen=True, slots=True)
class GridProgress:
    """One grid a cadre serves and their progress on each of its duties this period."""

    unit: str
    place: str
    items: list[Progress]


@dataclass(frozen=True, slots=True)
class CadreMonth:
    """A cadre's month at one grid: (duty, patrols that counted, patrols asked) per duty."""

    name: str
    place: str
    items: list[tuple[Duty, int, int]]


def configured_duties(settings: Settings) -> list[Duty]:
    return [
        Duty(d.code, d.zh, d.en, PatrolKind(d.kind), d.count, Per(d.per))
        for d in settings.cadres.duties
    ]


async def name_of(services: Services, user_id: int) -> str:
    staff = await services.people.staff(user_id) or await services.people.former(user_id)
    return staff.name if staff is not None else str(user_id)


async def _allowed(
    services: Services, unit: str, *, by: int, at: datetime, attempted: str
) -> UnitTree | Refused:
    """Returns the tree if BY may manage the cadres of the grid UNIT; else the refusal."""
    tree = await services.units.tree()
    staff = await services.people.staff(by)
    if (rule := access.manage_cadres(staff, unit, tree)) is not None:
        return await refuse(services, by, rule, f"unit:{unit}", attempted, at=at)
    if not domain.is_grid(unit, tree):
        return Refused("cadres.not_grid")
    return tree


async def may_start(services: Services, *, by: int, at: datetime) -> Done[Staff] | Refused:
    """/cadres: Done(BY's staff record) if they may manage some grid's cadres (at their unit or
    below); else the refusal, recorded."""
    staff = await services.people.staff(by)
    tree = await services.units.tree()
    unit = staff.unit if staff is not None else ""
    if (rule := access.manage_cadres(staff, unit, tree)) is not None or staff is None:
        return await refuse(
            services,
            by,
            rule or access.Rule.CADRE_MANAGE,
            None,
            "/cadres",
            at=at,
            key="cadres.not_allowed",
        )
    return Done(staff)


async def _view(services: Services, unit: str, tree: UnitTree) -> GridCadres:
    members = [
        Member(a, await name_of(services, a.user_id))
        for a in await services.store.cadres.active_at([unit])
    ]
    return GridCadres(unit, tree.place_name(unit), members)


async def grid_cadres(
    services: Services, unit: str, *, by: int, at: datetime
) -> Done[GridCadres] | Refused:
    """Returns the grid UNIT's active cadres, if BY may manage them."""
    tree = await _allowed(services, unit, by=by, at=at, attempted="cadre:list")
    if isinstance(tree, Refused):
        return tree
    return Done(await _view(services, unit, tree))


async def candidates(
    services: Services, unit: str, *, by: int, at: datetime
) -> Done[list[Staff]] | Refused:
    """Returns the active staff who may be sent down to the grid UNIT and are not yet there:
    partners and department staff first, then by unit and name."""
    tree = await _allowed(services, unit, by=by, at=at, attempted="cadre:add")
    if isinstance(tree, Refused):
        return tree
    there = {a.user_id for a in await services.store.cadres.active_at([unit])}
    people = [
        s
        for s in await services.people.all_staff()
        if domain.may_serve(s) and s.user_id not in there
    ]
    people.sort(
        key=lambda s: (RANK[s.role], tree.path_name(s.unit) if s.unit in tree else "", s.name)
    )
    if not people:
        return Refused("cadres.no_candidates")
    return Done(people)


async def attach(
    services: Services,
    unit: str,
    user_id: int,
    *,
    by: int,
    at: datetime,
    messages: Callable[[GridCadres], Sequence[Outgoing]] = lambda view: (),
) -> Done[GridCadres] | Refused:
    """Sends USER_ID down to the grid UNIT with every configured duty, tells them, and writes
    MESSAGES (rendered from the grid's cadres as they now are) in one commit.
    Refused: the rule (recorded), "cadres.not_grid", "cadres.cannot_serve", "cadres.already"."""
    tree = await _allowed(services, unit, by=by, at=at, attempted="cadre:pick")
    if isinstance(tree, Refused):
        return tree
    target = await services.people.staff(user_id)
    if not domain.may_serve(target):
        return Refused("cadres.cannot_serve")
    assert target is not None
    view = await _view(services, unit, tree)
    lang = (await services.people.languages([user_id])).get(user_id, "zh")
    duties = configured_duties(services.settings)
    async with services.store.transaction() as tx:
        stored = await tx.cadres.attach(Attachment(user_id, unit, at, attached_by=by))
        if stored is None:
            return Refused("cadres.already", {"name": target.name})
        view = replace(view, members=[*view.members, Member(stored, target.name)])
        told = notices.attached(services.texts, lang, user_id, view.place, duties)
        await tx.outbox.send([told, *messages(view)], at)
    return Done(view)


async def detach(
    services: Services,
    attachment_id: int,
    *,
    by: int,
    at: datetime,
    messages: Callable[[GridCadres], Sequence[Outgoing]] = lambda view: (),
) -> Done[GridCadres] | Refused:
    """Ends the attachment, tells the cadre, and writes MESSAGES (rendered from the grid's
    cadres as they now are) in one commit. Refused: "cadres.gone" (detached already, or never
    was), the rule (recorded), "cadres.in_config" (the file attaches them)."""
    attachment = await services.store.cadres.get(attachment_id)
    if attachment is None:
        return Refused("cadres.gone")
    tree = await _allowed(services, attachment.unit, by=by, at=at, attempted="cadre:detach")
    if isinstance(tree, Refused):
        return tree
    if attachment.until is not None:
        return Refused("cadres.gone")
    if attachment.source == "config":
        return Refused("cadres.in_config")
    view = await _view(services, attachment.unit, tree)
    view = replace(view, members=[m for m in view.members if m.attachment.id != attachment_id])
    lang = (await services.people.languages([attachment.user_id])).get(attachment.user_id, "zh")
    async with services.store.transaction() as tx:
        if not await tx.cadres.detach(attachment_id, by=by, at=at):
            return Refused("cadres.gone")
        told = notices.detached(services.texts, lang, attachment.user_id, view.place)
        await tx.outbox.send([told, *messages(view)], at)
    return Done(view)


async def progress_of(
    services: Services, attachments: Sequence[Attachment], at: datetime, tree: UnitTree
) -> dict[int, list[Progress]]:
    """Returns each attachment's progress (by its id) on its duties in the periods AT is in:
    the cadre's patrols of each duty's kind in the grid or below."""
    duties = configured_duties(services.settings)
    users = [a.user_id for a in attachments]
    rows: dict[Per, list[tuple[int, str, str, int]]] = {}
    for per in Per:
        if any(d.per is per for d in duties) and users:
            start, end = domain.period_bounds(per, at, services.tz)
            rows[per] = await services.store.cadres.patrol_counts(users, start, end)
    by_worker = {per: _by_worker(found) for per, found in rows.items()}
    progress: dict[int, list[Progress]] = {}
    for attachment in attachments:
        assert attachment.id is not None
        items = []
        for duty in domain.duties_of(attachment, duties):
            mine = by_worker.get(duty.per, {}).get(attachment.user_id, [])
            items += domain.progress([duty], domain.counted(mine, attachment.unit, tree))
        progress[attachment.id] = items
    return progress


def _by_worker(rows: Sequence[tuple[int, str, str, int]]) -> dict[int, list[tuple[str, str, int]]]:
    """Returns ROWS (worker, unit, kind, count) as worker → [(unit, kind, count)]."""
    grouped: dict[int, list[tuple[str, str, int]]] = {}
    for worker, unit, kind, n in rows:
        grouped.setdefault(worker, []).append((unit, kind, n))
    return grouped


async def my_duties(
    services: Services, user_id: int, *, at: datetime
) -> Done[list[GridProgress]] | Refused:
    """/duty: USER_ID's grids and their progress this week and month; Refused("cadres.not_cadre")
    when they are sent down nowhere."""
    attachments = await services.store.cadres.active_of(user_id)
    if not attachments or await services.people.staff(user_id) is None:
        return Refused("cadres.not_cadre")
    tree = await services.units.tree()
    found = await progress_of(services, attachments, at, tree)
    return Done(
        [GridProgress(a.unit, tree.place_name(a.unit), found[a.id or 0]) for a in attachments]
    )


async def remind_behind(services: Services, now: datetime) -> int:
    """The weekly sweep: once the configured weekday and hour of this week have come, tells
    each cadre behind on a duty (once per cadre and week) and each grid's head the grid's
    cadres behind (once per grid and week). After downtime, only this week. Returns how many
    were told something."""
    config = services.settings.cadres
    if not config.remind or not config.duties:
        return 0
    period = domain.reminders_due(now, services.tz, config.weekday, config.hour)
    if period is None:
        return 0
    tree = await services.units.tree()
    acted = 0
    for user_id in await services.store.cadres.unreminded(period):
        acted += await _remind_cadre(services, user_id, period, now, tree)
    for unit in await services.store.cadres.unlisted(period):
        acted += await _list_to_head(services, unit, period, now, tree)
    return acted


async def _remind_cadre(
    services: Services, user_id: int, period: str, now: datetime, tree: UnitTree
) -> int:
    attachments = await services.store.cadres.active_of(user_id)
    staff = await services.people.staff(user_id)  # someone who left is reminded of nothing
    found = await progress_of(services, attachments, now, tree) if staff else {}
    behind = [
        (tree.place_name(a.unit), [p for p in found.get(a.id or 0, []) if p.behind])
        for a in attachments
    ]
    behind = [(place, items) for place, items in behind if items]
    lang = (await services.people.languages([user_id])).get(user_id, "zh")
    messages = [notices.reminder(services.texts, lang, user_id, behind)] if behind else []
    async with services.store.transaction() as tx:
        if not await tx.cadres.claim_reminder(user_id, period, now):
            return 0
        await tx.outbox.send(messages, now)
    return len(messages)


async def heads_of(services: Services, unit: str, tree: UnitTree) -> list[Staff]:
    """Returns the grid's heads (网格长); without one, the staff of its community."""
    heads = [s for s in await services.people.staff_at([unit]) if s.role is Role.GRID_HEAD]
    if heads or unit not in tree:
        return heads
    above = [u.code for u in tree.chain(unit)[1:] if u.level == "community"]
    return [s for s in await services.people.staff_at(above[:1]) if s.role is Role.COMMUNITY]


async def _list_to_head(
    services: Services, unit: str, period: str, now: datetime, tree: UnitTree
) -> int:
    attachments = [
        a
        for a in await services.store.cadres.active_at([unit])
        if await services.people.staff(a.user_id) is not None
    ]
    found = await progress_of(services, attachments, now, tree)
    behind = []
    for a in attachments:
        items = [p for p in found[a.id or 0] if p.behind]
        if items:
            behind.append((await name_of(services, a.user_id), items))
    heads = await heads_of(services, unit, tree) if behind else []
    languages = await services.people.languages(h.user_id for h in heads)
    place = tree.place_name(unit)
    messages = [
        notices.head_list(services.texts, languages.get(h.user_id, "zh"), h.user_id, place, behind)
        for h in heads
    ]
    async with services.store.transaction() as tx:
        if not await tx.cadres.claim_list(unit, period, now):
            return 0
        await tx.outbox.send(messages, now)
    return len(messages)


async def month_figures(services: Services, unit: str, month: tuple[int, int]) -> list[CadreMonth]:
    """Returns, for /monthly (already authorised for UNIT), each cadre who served a grid at
    UNIT or below during MONTH: per duty the patrols that counted and what the month asked."""
    tree = await services.units.tree()
    if unit not in tree:
        return []
    grids = [u.code for u in tree if u.level == domain.GRID and tree.is_within(u.code, unit)]
    start, end = month_bounds(*month, services.tz)
    attachments = await services.store.cadres.served(grids, start, end)
    if not attachments:
        return []
    duties = configured_duties(services.settings)
    rows = _by_worker(
        await services.store.cadres.patrol_counts([a.user_id for a in attachments], start, end)
    )
    names = {s.user_id: s.name for s in await services.people.all_staff()}  # one read, not N
    figures = []
    for a in attachments:
        kinds = domain.counted(rows.get(a.user_id, []), a.unit, tree)
        items = [
            (d, kinds.get(d.kind.value, 0), domain.month_needed(d, *month))
            for d in domain.duties_of(a, duties)
        ]
        figures.append(
            CadreMonth(
                names.get(a.user_id) or await name_of(services, a.user_id),
                tree.place_name(a.unit),
                items,
            )
        )
    # Those behind first: what a secretary acts on (/monthly shows the first MONTH_LINES).
    figures.sort(key=lambda f: (all(done >= needed for _, done, needed in f.items), f.place))
    return figures


async def sync_config(services: Services, at: datetime) -> None:
    """Writes the config file's attachments ([[cadres.members]]) into the database (at every
    start): new ones start, those no longer listed end."""
    await services.store.cadres.sync_config(
        [
            Attachment(m.telegram_id, m.grid, at, tuple(m.duties), source="config")
            for m in services.settings.cadres.members
        ],
        at,
    )
