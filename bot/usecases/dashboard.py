"""The staff dashboard's case list and case page (handlers/web/dashboard.py): the reports a staff
member sees (bot/domain/dashboard.py), their history and photos, what the member may do now, and
the 办结 start that hands the member over to the chat flow. Moves themselves are
bot/usecases/reports.py's, called by the page as the worker card calls them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain import access, dashboard, deadlines
from bot.domain import reports as domain
from bot.domain.categories import Category
from bot.domain.people import Staff
from bot.domain.reports import Action, InvalidTransition, Report, ReportEvent, Status
from bot.domain.units import Tier, UnitTree
from bot.notices import outgoing
from bot.services import Services
from bot.usecases import callins, echo
from bot.usecases import reports as moves
from bot.usecases.results import Done, Refused
from storage.dashboard import Query
from storage.drafts import Draft

PAGE = 50  # reports a page
MAX_PAGE = 200  # deepest page: caps the OFFSET a request can make SQLite skip
COUNT_CAP = 1000  # the list says "1000+" beyond this rather than counting a million rows
# "open" is both a kind (待接单 and 处置中) and a status (待接单): the status alone is "waiting"
STATES = (
    "open",
    "waiting",
    "closed",
    "all",
    *(s.value for s in Status if s.value not in ("open", "closed")),
)
NOT_FOUND = "dashboard.not_found"

# What a page may offer, in the card's order
ACTIONS = (Action.ACCEPT, Action.TRANSFER, Action.REFER_UP, Action.RESOLVE)


@dataclass(frozen=True, slots=True)
class Filters:
    """The list's filters as typed (GET parameters); empty strings: no filter."""

    unit: str = ""
    category: str = ""
    state: str = "open"
    tier: str = ""
    overdue: bool = False


@dataclass(frozen=True, slots=True)
class Row:
    report: Report
    place: str  # the unit's path name, e.g. 东城区/和平街道/一社区
    holder: str  # the assignee's name, else the holding unit's name
    overdue: bool


@dataclass(frozen=True, slots=True)
class CasePage:
    rows: list[Row]
    page: int
    has_next: bool
    count: int  # capped at COUNT_CAP + 1 ("1000+")
    units: list[tuple[str, str]]  # (code, path name) the viewer may filter by
    categories: list[Category]  # those the viewer sees


@dataclass(frozen=True, slots=True)
class CaseView:
    report: Report
    place: str
    holder: str
    history: list[ReportEvent]
    photos: int  # the resident's photos, then the after-photos (if any)
    actions: frozenset[Action]
    targets: list[Staff] = field(default_factory=list)  # whom a transfer may go to
    actors: dict[int, str] = field(default_factory=dict)  # staff names of the history's actors


def path_name(tree: UnitTree, code: str) -> str:
    """The unit's names from the top down ("东城区/和平街道/一社区"); the code if unknown."""
    if code not in tree:
        return code
    return "/".join(u.name for u in reversed(tree.chain(code)))


def parse_number(text: str) -> int | None:
    """The report id in a case number as typed: R000123, r123 or 123; None if it is not one."""
    match = re.fullmatch(r"[Rr]?0*(\d{1,12})", text.strip())
    return int(match[1]) if match and int(match[1]) > 0 else None


async def cases(
    services: Services, by: int, filters: Filters, page: int, *, at: datetime
) -> Done[CasePage] | Refused:
    """Returns page PAGE (from 1) of the reports BY sees under FILTERS, most urgent first for
    open ones, newest first otherwise. Refused: dashboard.not_staff, dashboard.bad_page,
    dashboard.bad_filter (an unknown value, or a unit or category outside BY's scope: never
    silently widened)."""
    staff = await services.people.staff(by)
    if staff is None:
        return Refused("dashboard.not_staff")
    if not 1 <= page <= MAX_PAGE:
        return Refused("dashboard.bad_page", {"max": MAX_PAGE})
    tree = await services.units.tree()
    area, kinds = dashboard.area(staff, tree), dashboard.categories(staff)
    known = [c for c in await services.units.categories() if kinds is None or c.code in kinds]
    units: list[str] | None = sorted(area) if area is not None else None
    assignee: int | None = staff.user_id
    if filters.unit:
        if filters.unit not in tree or (area is not None and filters.unit not in area):
            return Refused("dashboard.bad_filter", {"field": "unit"})
        units = [u.code for u in tree if tree.is_within(u.code, filters.unit)]
        units = [u for u in units if area is None or u in area]
        assignee = None
    if filters.category and filters.category not in {c.code for c in known}:
        return Refused("dashboard.bad_filter", {"field": "category"})
    if filters.state not in STATES:
        return Refused("dashboard.bad_filter", {"field": "state"})
    if filters.tier and filters.tier not in {t.value for t in Tier}:
        return Refused("dashboard.bad_filter", {"field": "tier"})
    statuses = _statuses(filters)
    query = Query(
        units=units,
        assignee=assignee,
        categories=sorted(kinds) if kinds is not None else None,
        category=filters.category or None,
        statuses=statuses,
        tier=filters.tier or None,
        due_before=at if filters.overdue else None,
        urgent=all(Status(s).is_open for s in statuses) and bool(statuses),
    )
    found = await services.store.dashboard.page(query, limit=PAGE + 1, offset=(page - 1) * PAGE)
    names = {s.user_id: s.name for s in await services.people.all_staff()}
    rows = [_row(r, tree, names, at) for r in found[:PAGE]]
    count = await services.store.dashboard.count(query, cap=COUNT_CAP + 1)
    choices = [(u.code, path_name(tree, u.code)) for u in tree if area is None or u.code in area]
    return Done(
        CasePage(rows, page, len(found) > PAGE, count, sorted(choices, key=lambda c: c[1]), known)
    )


def _statuses(filters: Filters) -> list[str]:
    if filters.state == "waiting":
        return [Status.OPEN.value]
    if filters.overdue or filters.state == "open":
        return [s.value for s in Status if s.is_open]
    if filters.state == "closed":
        return [s.value for s in Status if s.is_closed]
    if filters.state == "all":
        return []
    return [filters.state]


def _row(report: Report, tree: UnitTree, names: dict[int, str], at: datetime) -> Row:
    holder = names.get(report.assignee_id or 0) or path_name(tree, report.holder_unit)
    late = report.status.is_open and report.due_at is not None and report.due_at < at
    return Row(report, path_name(tree, report.unit), holder, late)


async def _seen(services: Services, by: int, number: str) -> tuple[Report, Staff, UnitTree] | None:
    """The report NUMBER names if BY (active staff) sees it on the dashboard; else None."""
    report_id = parse_number(number)
    staff = await services.people.staff(by)
    report = await services.reports.get(report_id) if report_id is not None else None
    if staff is None or report is None:
        return None
    tree = await services.units.tree()
    return (report, staff, tree) if dashboard.sees(staff, report, tree) else None


async def case(services: Services, by: int, number: str) -> Done[CaseView] | Refused:
    """Returns the case page of report NUMBER for BY: the report, its history, how many photos,
    and the moves BY may make now. Refused: dashboard.not_found, alike for a wrong number, an
    unknown report and another unit's (nobody learns that it exists)."""
    seen = await _seen(services, by, number)
    if seen is None:
        return Refused(NOT_FOUND)
    report, staff, tree = seen
    history = await services.reports.events(report.id or 0)
    staff_names = {s.user_id: s.name for s in await services.people.all_staff()}
    actions = frozenset(a for a in ACTIONS if _may(staff, report, tree, a))
    if _may_ask_more_time(staff, report):
        actions |= {Action.ASK_EXTENSION}
    targets = (
        await moves.transfer_targets(services, report, by=by) if Action.TRANSFER in actions else []
    )
    if not targets:
        actions -= {Action.TRANSFER}
    actors = {e.actor_id: staff_names[e.actor_id] for e in history if e.actor_id in staff_names}
    photos = len(report.photos) + len(report.after_photos)
    holder = staff_names.get(report.assignee_id or 0) or path_name(tree, report.holder_unit)
    return Done(
        CaseView(
            report,
            path_name(tree, report.unit),
            holder,
            history,
            photos,
            actions,
            targets,
            actors,
        )
    )


def _may(staff: Staff, report: Report, tree: UnitTree, action: Action) -> bool:
    if not domain.may_handle(staff, report, tree):
        return False
    try:
        domain.check(report, action)
    except InvalidTransition:
        return False
    return True


def _may_ask_more_time(staff: Staff, report: Report) -> bool:
    """申请延期 as reports.extension_refused decides it, without recording a refusal: the page
    only asks whether to show the form; the use case re-checks (and records) when it is sent."""
    return (
        report.status.is_open
        and report.due_at is not None
        and report.timer is not None
        and access.ask_extension(staff, report) is None
        and deadlines.pending_extension(report) is None
    )


async def photo(services: Services, by: int, number: str, n: int) -> Done[str] | Refused:
    """Returns the Telegram file id of photo N (from 1: the resident's, then the after-photos) of
    report NUMBER if BY sees it. Refused: dashboard.not_found."""
    seen = await _seen(services, by, number)
    if seen is None:
        return Refused(NOT_FOUND)
    report = seen[0]
    files = [*report.photos, *report.after_photos]
    if not 1 <= n <= len(files):
        return Refused(NOT_FOUND)
    return Done(files[n - 1])


async def start_resolve(
    services: Services, number: str, *, by: int, at: datetime
) -> Done[Report] | Refused:
    """办结 from the page: starts BY's chat flow for the after-photo exactly as the card's 完成
    does (the same draft and prompt, in one commit); the member goes on in Telegram, where
    bot/usecases/reports.resolve makes the move. Refused: as reports.check, callin.parts_open."""
    checked = await moves.check(
        services, parse_number(number), by=by, at=at, action=Action.RESOLVE, attempted="web:resolve"
    )
    if isinstance(checked, Refused):
        return checked
    report = checked.value.report
    if await callins.live_parts(services, report.id or 0):
        return Refused("callin.parts_open", {"number": report.number})
    me = await services.people.get(by)
    lang = me.lang if me is not None else services.texts.default
    prompt = services.texts("resolve_flow.ask_photo", lang, number=report.number)
    if echo.is_on(services):  # the note is the official reply the 回音壁 shows
        prompt += "\n" + services.texts("echo.note_is_public", lang)
    draft = Draft(by, "resolve", "photo", {"report": report.id})
    await services.drafts.put(draft, at, [outgoing.message(by, prompt)])
    return Done(report)
