"""台账 export: a unit subtree's cases, visits, patrols, points, wishes and activities as XLSX.

In chat, `/export` asks a period (handlers/ledger); `request` re-authorises, refuses an empty
period and records the export with a "preparing…" line in one commit; the ledger sweep
(bot/jobs/ledger.py) then calls `run`, which builds the workbook in a worker thread (the bot
keeps answering) and queues it as a document. `griddesk export` calls `build` directly.

The sheets are one table, SHEETS: (key, reader, columns). A feature adds its sheet as one
entry: a reader in storage/ledger.py yielding pages of records, and its columns (a catalog
header key and how to show a record's cell).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import tzinfo as TzInfo
from typing import Any

from bot.domain import access
from bot.domain.categories import Category
from bot.domain.ledger import (
    ActivityRecord,
    BookingRecord,
    CallInRecord,
    CaseRecord,
    PatrolRecord,
    Period,
    PointsRecord,
    VisitRecord,
    WishRecord,
    bounds,
    case_steps,
)
from bot.domain.units import UnitTree
from bot.domain.volunteers import subtree
from bot.notices import ledger as notices
from bot.services import Services
from bot.texts import Texts
from bot.usecases.results import Done, Refused, refuse
from bot.xlsx import Cell, Sheet, workbook
from storage.ledger import ExportRequest
from storage.polls import PollRow
from storage.uow import Store

LEASE = timedelta(minutes=30)  # a crashed export is taken again after this
MAX_ATTEMPTS = 3
PAGE_TIMEOUT = 300.0  # seconds a page read may take before the worker thread gives up


@dataclass(frozen=True, slots=True)
class Scope:
    """What a sheet reads: [start, end) and the units it may show (None: every unit)."""

    start: datetime
    end: datetime
    units: Sequence[str] | None
    as_of: datetime
    roots: tuple[str, ...] = ()  # the units whose subtrees make UNITS (polls read by subtree)


@dataclass(frozen=True, slots=True)
class Render:
    """What a cell needs to show a record: the language, the time zone, names."""

    lang: str
    tz: TzInfo
    texts: Texts
    tree: UnitTree
    categories: dict[str, Category]
    as_of: datetime
    parties: dict[str, str] = field(default_factory=dict)  # [[parties]] code → name
    resources: dict[str, str] = field(default_factory=dict)  # [[resources]] code → name
    household_kinds: dict[str, str] = field(default_factory=dict)  # [[care.kinds]] code → name

    def when(self, at: datetime | None) -> datetime | None:
        return at.astimezone(self.tz) if at is not None else None

    def unit(self, code: str | None) -> str | None:
        if code is None:
            return None
        return self.tree.get(code).name if code in self.tree else code

    def label(self, key: str, code: str | None) -> str | None:
        """Returns the catalog's name for CODE under KEY (e.g. ledger.status_<code>), else CODE."""
        if code is None:
            return None
        full = f"{key}_{code}"
        return self.texts(full, self.lang) if self.texts.has(full) else code

    def category(self, code: str) -> str:
        found = self.categories.get(code)
        return found.name(self.lang) if found is not None else code

    def yes_no(self, value: bool | None) -> str | None:
        if value is None:
            return None
        return self.texts("ledger.yes" if value else "ledger.no", self.lang)


Reader = Callable[[Store, Scope], AsyncIterator[list[Any]]]


@dataclass(frozen=True, slots=True)
class Column:
    header: str  # catalog key ledger.col_<header>
    cell: Callable[[Any, Render], Cell]
    width: int = 12


@dataclass(frozen=True, slots=True)
class SheetSpec:
    key: str  # catalog key ledger.sheet_<key>
    read: Reader
    columns: tuple[Column, ...]
    prepare: Callable[[Any, Render], Any] = field(default=lambda record, _: record)


def _case(record: CaseRecord, r: Render) -> tuple[CaseRecord, Any]:
    return record, case_steps(record, r.as_of)


CASE_COLUMNS = (
    Column("number", lambda c, r: c[0].number, 10),
    Column("category", lambda c, r: r.category(c[0].history.category), 12),
    Column("unit", lambda c, r: r.unit(c[0].history.unit), 14),
    Column("status", lambda c, r: r.label("ledger.status", c[0].status), 12),
    Column("created", lambda c, r: r.when(c[0].history.created_at), 18),
    Column("accepted", lambda c, r: r.when(c[1].accepted), 18),
    Column("resolved", lambda c, r: r.when(c[1].resolved), 18),
    Column("closed", lambda c, r: r.when(c[1].closed), 18),
    Column("rejected", lambda c, r: r.when(c[1].rejected), 18),
    Column("holder_unit", lambda c, r: r.unit(c[0].holder_unit), 14),
    Column("holder_role", lambda c, r: r.label("ledger.role", c[0].holder_role), 12),
    Column("tier", lambda c, r: r.label("ledger.tier", c[0].tier), 8),
    Column("on_time", lambda c, r: r.yes_no(c[1].on_time), 8),
    Column("rating", lambda c, r: c[0].stars, 8),
)

VISIT_COLUMNS = (
    Column("visit", lambda v, r: v.id, 8),
    Column("visited_at", lambda v, r: r.when(v.at), 18),
    Column("unit", lambda v, r: r.unit(v.unit), 14),
    Column(
        "household_kind", lambda v, r: r.household_kinds.get(v.household_kind, v.household_kind), 10
    ),
    Column("visitor_kind", lambda v, r: r.label("ledger.visitor", v.visitor_kind), 10),
    Column("outcome", lambda v, r: r.label("visit.outcome", v.outcome), 10),
    Column("wellbeing", lambda v, r: v.wellbeing, 8),
    Column("needs", lambda v, r: r.yes_no(v.needs), 8),
    Column("case", lambda v, r: f"R{v.report_id:06d}" if v.report_id else None, 10),
    Column("wish", lambda v, r: f"W{v.wish_id:06d}" if v.wish_id else None, 10),
    Column("confirmed", lambda v, r: r.yes_no(v.confirmed), 8),
)

PATROL_COLUMNS = (
    Column("patrol", lambda p, r: p.id, 8),
    Column("patrolled_at", lambda p, r: r.when(p.at), 18),
    Column("unit", lambda p, r: r.unit(p.unit), 14),
    Column("patrol_kind", lambda p, r: r.label("patrol.kind", p.kind), 10),
    Column("worker", lambda p, r: p.worker, 10),
    Column("worker_role", lambda p, r: r.label("ledger.role", p.worker_role), 12),
    Column("findings", lambda p, r: p.findings, 8),
)


def _points_ref(p: PointsRecord) -> str:
    if p.kind == "wish" and p.ref.isdigit():
        return f"W{int(p.ref):06d}"
    return f"#{p.ref}"


POINTS_COLUMNS = (
    Column("awarded_at", lambda p, r: r.when(p.at), 18),
    Column("unit", lambda p, r: r.unit(p.unit), 14),
    Column("volunteer", lambda p, r: p.volunteer, 10),
    Column("points_kind", lambda p, r: r.label("points.kind", p.kind), 10),
    Column("ref", lambda p, r: _points_ref(p), 10),
    Column("points", lambda p, r: p.points, 8),
)

WISH_COLUMNS = (
    Column("wish", lambda w, r: w.number, 10),
    Column("created", lambda w, r: r.when(w.created_at), 18),
    Column("unit", lambda w, r: r.unit(w.unit), 14),
    Column("wish_kind", lambda w, r: r.label("wish.kind", w.category), 10),
    Column("status", lambda w, r: r.label("wish.status", w.status), 10),
    Column("claimed", lambda w, r: r.when(w.claimed_at), 18),
    Column("done", lambda w, r: r.when(w.done_at), 18),
)

CALLIN_COLUMNS = (
    Column("callin", lambda c, r: c.id, 8),
    Column("case", lambda c, r: c.case, 10),
    Column("unit", lambda c, r: r.unit(c.unit), 14),
    Column("party", lambda c, r: r.parties.get(c.party, c.party), 14),
    Column("status", lambda c, r: r.label("callin.state", c.state), 12),
    Column("called", lambda c, r: r.when(c.called_at), 18),
    Column("acked", lambda c, r: r.when(c.acked_at), 18),
    Column("done", lambda c, r: r.when(c.done_at), 18),
    Column("withdrawn", lambda c, r: r.when(c.withdrawn_at), 18),
    Column("overdue", lambda c, r: r.yes_no(c.stage > 0), 8),
    Column("escalations", lambda c, r: max(0, c.stage - 1), 8),
)


def _poll_results(row: PollRow, r: Render) -> str:
    """Returns each option with its votes, private and in the groups added: 同意 12；反对 3."""
    tally = row.tally
    parts = []
    for index, option in enumerate(tally.options):
        votes = tally.private[index] + (tally.native[index] if index < len(tally.native) else 0)
        parts.append(r.texts("ledger.poll_option", r.lang, option=option, votes=votes))
    return r.texts("ledger.poll_separator", r.lang).join(parts)


POLL_COLUMNS = (
    Column("poll", lambda p, r: p.poll.id, 8),
    Column("unit", lambda p, r: r.unit(p.poll.unit), 14),
    Column("question", lambda p, r: p.poll.question, 30),
    Column("created", lambda p, r: r.when(p.poll.created_at), 18),
    Column("closes", lambda p, r: r.when(p.poll.closes_at), 18),
    Column("status", lambda p, r: r.label("ledger.poll_state", p.poll.state.value), 10),
    Column("asked", lambda p, r: p.tally.eligible, 8),
    Column("voters", lambda p, r: p.tally.voters, 8),
    Column("group_voters", lambda p, r: p.tally.native_total, 8),
    Column("results", _poll_results, 40),
)

ACTIVITY_COLUMNS = (
    Column("activity", lambda a, r: a.id, 8),
    Column("starts", lambda a, r: r.when(a.starts_at), 18),
    Column("unit", lambda a, r: r.unit(a.unit), 14),
    Column("title", lambda a, r: a.title, 20),
    Column("place", lambda a, r: a.place, 16),
    Column("capacity", lambda a, r: a.capacity, 8),
    Column("going", lambda a, r: a.going, 8),
    Column("attended", lambda a, r: a.attended, 8),
)

BOOKING_COLUMNS = (
    Column("booking", lambda b, r: b.number, 10),
    Column("slot", lambda b, r: r.when(b.starts_at), 18),
    Column("unit", lambda b, r: r.unit(b.unit), 14),
    Column("resource", lambda b, r: r.resources.get(b.resource, b.resource), 16),
    Column("booking_status", lambda b, r: r.label("ledger.booking_status", b.status), 10),
    Column("attendance", lambda b, r: r.label("ledger.attendance", b.attendance), 10),
    Column("booked", lambda b, r: r.when(b.created_at), 18),
)


def _cases(store: Store, s: Scope) -> AsyncIterator[list[CaseRecord]]:
    return store.ledgers.cases(s.start, s.end, s.units, s.as_of)


def _callins(store: Store, s: Scope) -> AsyncIterator[list[CallInRecord]]:
    return store.ledgers.callins(s.start, s.end, s.units)


async def _polls(store: Store, s: Scope) -> AsyncIterator[list[PollRow]]:
    # A unit's polls are few (a handful a month): each subtree's in one page.
    for root in s.roots:
        rows = await store.polls.rows_for(root, s.start, s.end)
        if rows:
            yield rows


def _visits(store: Store, s: Scope) -> AsyncIterator[list[VisitRecord]]:
    return store.ledgers.visits(s.start, s.end, s.units)


def _patrols(store: Store, s: Scope) -> AsyncIterator[list[PatrolRecord]]:
    return store.ledgers.patrols(s.start, s.end, s.units)


def _points(store: Store, s: Scope) -> AsyncIterator[list[PointsRecord]]:
    return store.ledgers.points(s.start, s.end, s.units)


def _wishes(store: Store, s: Scope) -> AsyncIterator[list[WishRecord]]:
    return store.ledgers.wishes(s.start, s.end, s.units)


def _activities(store: Store, s: Scope) -> AsyncIterator[list[ActivityRecord]]:
    return store.ledgers.activities(s.start, s.end, s.units)


def _bookings(store: Store, s: Scope) -> AsyncIterator[list[BookingRecord]]:
    return store.ledgers.bookings(s.start, s.end, s.units)


# The workbook's sheets, in order. A new sheet (call-ins, polls …) is one entry here.
SHEETS: tuple[SheetSpec, ...] = (
    SheetSpec("cases", _cases, CASE_COLUMNS, prepare=_case),
    SheetSpec("callins", _callins, CALLIN_COLUMNS),
    SheetSpec("visits", _visits, VISIT_COLUMNS),
    SheetSpec("patrols", _patrols, PATROL_COLUMNS),
    SheetSpec("points", _points, POINTS_COLUMNS),
    SheetSpec("wishes", _wishes, WISH_COLUMNS),
    SheetSpec("activities", _activities, ACTIVITY_COLUMNS),
    SheetSpec("polls", _polls, POLL_COLUMNS),
    SheetSpec("bookings", _bookings, BOOKING_COLUMNS),
)


@dataclass(frozen=True, slots=True)
class Built:
    """A finished workbook: its bytes and how many rows each sheet got."""

    data: bytes
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def scope_units(unit: str | None, tree: UnitTree) -> list[str] | None:
    """Returns the units an export of UNIT shows: its subtree; None (everything) for the top
    of the tree or no unit at all."""
    if unit is None or (unit in tree and tree.get(unit).parent is None):
        return None
    return subtree(unit, tree)


def _pull(loop: asyncio.AbstractEventLoop, pages: AsyncIterator[list[Any]]) -> Iterator[Any]:
    """Yields the records of PAGES, in a worker thread: each page is read on LOOP (where the
    database connection lives), one at a time."""

    async def step() -> list[Any] | None:
        try:
            return await anext(pages)
        except StopAsyncIteration:
            return None

    while True:
        # Bounded: a loop that stopped (the bot shutting down) ends the export, not the thread.
        page = asyncio.run_coroutine_threadsafe(step(), loop).result(timeout=PAGE_TIMEOUT)
        if page is None:
            return
        yield from page


def _rows(
    spec: SheetSpec, records: Iterator[Any], render: Render, counts: dict[str, int]
) -> Iterator[list[Cell]]:
    counts[spec.key] = 0
    for record in records:
        shown = spec.prepare(record, render)
        counts[spec.key] += 1
        yield [column.cell(shown, render) for column in spec.columns]


async def build(
    services: Services,
    unit: str | None,
    span: Period,
    lang: str,
    *,
    at: datetime,
    sheets: Sequence[SheetSpec] = SHEETS,
) -> Built | None:
    """Returns the 台账 of UNIT's subtree (every unit if None) for SPAN, headers in LANG; None
    if every sheet is empty. The workbook is written in a worker thread, reading a page of
    records at a time."""
    tree = await services.units.tree()
    categories = {c.code: c for c in await services.units.categories()}
    start, end = bounds(span, services.tz)
    units = scope_units(unit, tree)
    roots = tuple(u.code for u in tree.roots()) if units is None else (unit or "",)
    scope = Scope(start, end, units, at, roots)
    parties = {p.code: p.en if lang == "en" else p.zh for p in services.settings.parties}
    resources = {r.code: r.en if lang == "en" else r.zh for r in services.settings.resources}
    kinds = {k.code: k.en if lang == "en" else k.zh for k in services.settings.care.kinds}
    render = Render(
        lang,
        services.tz,
        services.texts,
        tree,
        categories,
        at,
        parties,
        resources=resources,
        household_kinds=kinds,
    )
    loop = asyncio.get_running_loop()
    counts: dict[str, int] = {}
    readers = [spec.read(services.store, scope) for spec in sheets]

    def write() -> bytes:
        return workbook(
            [
                Sheet(
                    services.texts(f"ledger.sheet_{spec.key}", lang),
                    [services.texts(f"ledger.col_{c.header}", lang) for c in spec.columns],
                    _rows(spec, _pull(loop, pages), render, counts),
                    widths=[c.width for c in spec.columns],
                )
                for spec, pages in zip(sheets, readers, strict=True)
            ]
        )

    try:
        data = await asyncio.to_thread(write)
    finally:
        for pages in readers:
            await pages.aclose()  # type: ignore[attr-defined]
    built = Built(data, counts)
    return built if built.total else None


async def offer(
    services: Services, user_id: int, unit: str | None, *, at: datetime
) -> Done[str] | Refused:
    """Checks that USER_ID may export UNIT (their own unit if None); returns the unit."""
    staff = await services.people.staff(user_id)
    tree = await services.units.tree()
    if staff is not None and unit is not None and unit not in tree:
        return Refused("ledger.unknown_unit", {"unit": unit})
    chosen = unit if unit is not None else (staff.unit if staff is not None else "")
    if (rule := access.export_ledger(staff, chosen, tree)) is not None:
        return await refuse(services, user_id, rule, chosen or None, "/export", at=at)
    return Done(chosen)


async def request(
    services: Services, user_id: int, unit: str, span: Period, *, at: datetime, lang: str
) -> Done[int] | Refused:
    """Records the export of UNIT for SPAN (done by the ledger sweep) and tells USER_ID it is
    being prepared, ending their /export conversation, in one commit. Refused: not allowed
    (any more), nothing in the period, or an export of theirs still waiting."""
    allowed = await offer(services, user_id, unit, at=at)
    if isinstance(allowed, Refused):
        return allowed
    tree = await services.units.tree()
    start, end = bounds(span, services.tz)
    if not await services.store.ledgers.any_rows(start, end, scope_units(unit, tree)):
        return Refused("ledger.empty", {"first": span.first, "last": span.last})
    preparing = notices.preparing(services, user_id, lang, tree.get(unit).name, span)
    async with services.store.transaction() as tx:
        made = await tx.ledgers.request(user_id, unit, span.first, span.last, lang, at, [preparing])
    if made is None:
        return Refused("ledger.busy")
    return Done(made)


async def run(services: Services, job: ExportRequest, *, at: datetime) -> str:
    """Builds the export JOB (taken by the sweep) and queues the file, or why there is none, to
    the person who asked; returns how it ended (done, empty, refused, failed)."""
    span = Period(job.first, job.last)
    staff = await services.people.staff(job.user_id)
    tree = await services.units.tree()
    if access.export_ledger(staff, job.unit, tree) is not None:
        await services.store.ledgers.finish(
            job.id, at, lambda _: [notices.text(services, job.user_id, job.lang, "ledger.gone")],
            state="refused",
        )  # fmt: skip
        return "refused"
    built = await build(services, job.unit, span, job.lang, at=at)
    if built is None:
        message = notices.empty(services, job.user_id, job.lang, span)
        await services.store.ledgers.finish(job.id, at, lambda _: [message], state="empty")
        return "empty"
    name = notices.filename(job.unit, span, job.lang)
    unit_name = tree.get(job.unit).name

    def messages(ref: dict[str, int] | None) -> list[Any]:
        assert ref is not None
        return [notices.document(services, job.user_id, job.lang, ref, unit_name, span, built)]

    await services.store.ledgers.finish(job.id, at, messages, file=(job.user_id, name, built.data))
    return "done"


async def give_up(services: Services, job: ExportRequest, *, at: datetime) -> None:
    """Ends an export that failed MAX_ATTEMPTS times, telling the person who asked."""
    message = notices.text(services, job.user_id, job.lang, "ledger.failed")
    await services.store.ledgers.finish(job.id, at, lambda _: [message], state="failed")
