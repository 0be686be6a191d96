"""码上安全 use cases: a shop registering, staff deciding on it and deactivating it, the owner
starting and submitting a check (each failed item a report routed the usual way, in the check's
own commit), and the cadence sweep (checklists, reminders, one list of missed checks per grid
worker)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.domain import access
from bot.domain import merchants as domain
from bot.domain.access import Rule
from bot.domain.merchants import (
    Action,
    Answer,
    Item,
    Merchant,
    MerchantError,
    MerchantStatus,
    Policy,
)
from bot.domain.people import Role, Staff
from bot.domain.volunteers import subtree
from bot.notices import outgoing
from bot.notices.merchants import (
    checklist_message,
    decided_messages,
    decision_cards,
    langs,
    missed_message,
    submitted_message,
)
from bot.services import Services
from bot.usecases.reports import submit
from bot.usecases.results import Done, Refused, refuse
from storage.merchants import AlreadyRegistered, StaleMerchant
from storage.outbox import Outgoing

log = logging.getLogger(__name__)

BATCH = 500  # shops per sweep pass; the rest are picked up by the next pass
PAGE = 8  # shops per page of /merchants


def policy(services: Services) -> Policy:
    """Returns the [merchants] cadence and clocks in the office's time zone."""
    c = services.settings.merchants
    return Policy(
        tz=services.tz,
        cadence=c.cadence,
        weekday=c.weekday,
        day=c.day,
        hour=c.hour,
        reminders=c.reminders,
        remind_every=timedelta(hours=c.remind_every_hours),
        grace=timedelta(hours=c.grace_hours),
    )


def items_for(services: Services, kind: str) -> list[Item]:
    """Returns the checklist of a shop of KIND, as configured."""
    return domain.checklist(
        (
            Item(c.code, c.zh, c.en, c.category, c.photo, tuple(c.kinds))
            for c in services.settings.merchants.checks
        ),
        kind,
    )


async def _deciders(services: Services, unit: str) -> list[Staff]:
    return domain.responsible(unit, await services.units.tree(), await services.people.all_staff())


# Registering and deciding ------------------------------------------------------------------


async def register(
    services: Services, merchant: Merchant, *, by: int, at: datetime, card: str
) -> Done[Merchant] | Refused:
    """Stores BY's shop as pending, turns the registration CARD into "submitted", sends the
    grid's staff (else the community's …) the decision cards and ends BY's draft, in one commit.

    Refused: "merchant.off" (the feature is off), "merchant.outside" (the place lies in no
    grid), "merchant.bad_kind", "merchant.already_registered" (BY's shop is approved or was
    deactivated: staff decide on that one).
    """
    if not services.settings.merchants.enabled:
        return Refused("merchant.off")
    tree = await services.units.tree()
    if not domain.in_a_grid(tree, merchant.unit):
        return Refused("merchant.outside")
    if merchant.kind not in {k.code for k in services.settings.merchants.kinds}:
        return Refused("merchant.bad_kind")
    merchant = replace(merchant, owner_id=by, status=MerchantStatus.PENDING, created_at=at)
    deciders = await _deciders(services, merchant.unit)
    lang = (await langs(services, [by]))[by]
    grid = domain.grid_of(merchant.unit, tree)
    done = outgoing.card(
        by,
        card,
        services.texts(
            "merchant.registered", lang, name=merchant.name, grid=grid.name if grid else ""
        ),
    )
    try:
        async with services.store.transaction() as tx:
            stored = await tx.merchants.register(merchant, at, [done], clear_draft_of=by)
            await tx.outbox.send(await decision_cards(services, stored, deciders, tree), at)
    except AlreadyRegistered:
        return Refused("merchant.already_registered")
    return Done(stored)


async def shop_to_manage(
    services: Services, merchant_id: int | None, *, by: int, at: datetime, action: str
) -> tuple[Merchant, Staff] | Refused:
    """Returns the shop and BY's staff record if BY may manage it (access.manage_merchant).

    Refused: "common.stale_button" (no such shop), "common.not_allowed" (recorded).
    """
    merchant = await services.store.merchants.get(merchant_id) if merchant_id else None
    if merchant is None:
        return Refused("common.stale_button")
    staff = await services.people.staff(by)
    rule = access.manage_merchant(staff, merchant.unit, await services.units.tree())
    if rule is not None or staff is None:
        target = f"merchant:{merchant.id}"
        return await refuse(services, by, rule or Rule.MERCHANT_MANAGE, target, action, at=at)
    return merchant, staff


async def decide(
    services: Services, merchant_id: int | None, *, by: int, at: datetime, approve: bool
) -> Done[Merchant] | Refused:
    """Staff member BY approves (its first checklist goes out on the next sweep) or declines the
    pending shop: the owner is told and every decider's card closes naming BY, in one commit;
    once only.

    Refused: "common.stale_button" (no such shop), "common.not_allowed" (recorded),
    "merchant.already_decided".
    """
    found = await shop_to_manage(
        services, merchant_id, by=by, at=at, action="merch:ok" if approve else "merch:no"
    )
    if isinstance(found, Refused):
        return found
    before, staff = found
    try:
        after = domain.approve(before, staff, at, approve)
    except MerchantError as error:
        return Refused(error.key)
    tree = await services.units.tree()
    deciders = await _deciders(services, before.unit)
    if staff.user_id not in {s.user_id for s in deciders}:
        deciders.append(staff)
    messages = await decided_messages(
        services, after, staff, deciders, tree, items_for(services, after.kind)
    )
    try:
        async with services.store.transaction() as tx:
            stored = await tx.merchants.save(before, after, at, messages)
    except StaleMerchant:
        return Refused("merchant.already_decided")
    return Done(stored)


async def deactivate(
    services: Services, merchant_id: int | None, *, by: int, at: datetime
) -> Done[Merchant] | Refused:
    """Staff member BY stops the shop's checks (closed, moved away): BY and the owner are told,
    in one commit. Refused: see decide, "merchant.already_inactive", "common.stale_button"."""
    found = await shop_to_manage(services, merchant_id, by=by, at=at, action="merch:offok")
    if isinstance(found, Refused):
        return found
    before, _ = found
    try:
        after = domain.deactivate(before)
    except MerchantError as error:
        return Refused(error.key, {"name": before.name})
    found_langs = await langs(services, [by, before.owner_id])
    t = services.texts
    messages = [outgoing.message(by, t("merchant.off_done", found_langs[by], name=before.name))]
    if before.owner_id != by:
        owner_lang = found_langs[before.owner_id]
        text = t("merchant.off_owner", owner_lang, name=before.name)
        messages.append(outgoing.message(before.owner_id, text))
    try:
        async with services.store.transaction() as tx:
            stored = await tx.merchants.save(before, after, at, messages)
    except StaleMerchant:
        return Refused("merchant.stale")
    return Done(stored)


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a unit's shops for staff."""

    merchants: list[Merchant]
    total: int
    page: int
    unit: str


async def listing(services: Services, *, by: int, at: datetime, page: int) -> Done[Page] | Refused:
    """Returns page PAGE of the shops in BY's area (their unit and below; admins: all).

    Refused: "merchant.staff_only" (recorded).
    """
    staff = await services.people.staff(by)
    tree = await services.units.tree()
    unit = staff.unit if staff is not None else ""
    rule = access.manage_merchant(staff, unit, tree)
    if rule is not None or staff is None:
        return await refuse(
            services,
            by,
            rule or Rule.MERCHANT_MANAGE,
            None,
            "/merchants",
            at=at,
            key="merchant.staff_only",
        )
    units = [u.code for u in tree] if staff.role is Role.ADMIN else subtree(staff.unit, tree)
    found, total = await services.store.merchants.within(units, offset=page * PAGE, limit=PAGE)
    if page > 0 and not found:
        return Refused("common.stale_button")
    return Done(Page(found, total, page, unit))


# The check ----------------------------------------------------------------------------------


async def open_check(
    services: Services, merchant_id: int | None, period: str, *, by: int, at: datetime
) -> Done[tuple[Merchant, list[Item]]] | Refused:
    """Returns the shop and its checklist if BY (its owner) may answer PERIOD's check now.

    Refused: "common.stale_button", "common.not_allowed" (not the owner: recorded), the
    domain's key ("merchant.check_expired", "merchant.already_submitted", "merchant.not_active").
    """
    merchant = await services.store.merchants.get(merchant_id) if merchant_id else None
    if merchant is None:
        return Refused("common.stale_button")
    if (rule := access.check_merchant(by, merchant.owner_id)) is not None:
        return await refuse(services, by, rule, f"merchant:{merchant.id}", "mchk:go", at=at)
    if (key := domain.may_submit(merchant, period)) is not None:
        return Refused(key)
    return Done((merchant, items_for(services, merchant.kind)))


@dataclass(frozen=True, slots=True)
class Submitted:
    merchant: Merchant
    answers: list[Answer]
    numbers: list[str]  # the reports the failed items became


async def submit_check(
    services: Services,
    merchant_id: int | None,
    period: str,
    answers: Sequence[Answer],
    *,
    by: int,
    at: datetime,
    shown: Sequence[Outgoing] = (),
) -> Done[Submitted] | Refused:
    """Stores BY's check of PERIOD as a whole: each failed item becomes a report routed like
    any other (its check's category, the shop's place, the photo), the shop's state, the
    receipt with the report numbers and BY's draft ended, all in ONE commit; once per period.

    Refused: see open_check; "merchant.check_changed" (the office changed the checklist
    meanwhile: answer it again), "merchant.already_submitted". SHOWN (the summary card closed)
    goes into the same commit.
    """
    for _ in range(3):  # a sweep step on the shop meanwhile (a reminder): read it again
        opened = await open_check(services, merchant_id, period, by=by, at=at)
        if isinstance(opened, Refused):
            return opened
        before, items = opened.value
        if not domain.complete(items, answers):
            return Refused("merchant.check_changed")
        try:
            return Done(await _store_check(services, before, items, answers, by, at, shown))
        except StaleMerchant:
            continue
    return Refused("merchant.already_submitted")


async def _store_check(
    services: Services,
    before: Merchant,
    items: Sequence[Item],
    answers: Sequence[Answer],
    by: int,
    at: datetime,
    shown: Sequence[Outgoing],
) -> Submitted:
    """Writes the check, its reports and its messages in one commit; raises StaleMerchant if
    the shop changed since BEFORE was read (then nothing is written)."""
    failed = domain.failures(items, answers)
    after = domain.submitted(before, at, len(failed), policy(services))
    lang = (await langs(services, [by]))[by]
    default = services.settings.default_language
    by_code = {item.code: item for item, _ in failed}
    stored: list[Answer] = []
    numbers: list[str] = []
    async with services.store.transaction() as tx:
        for answer in answers:
            item = by_code.get(answer.code)
            if item is None or answer.ok:
                stored.append(answer)
                continue
            # stored as the resident's own words are (rendered escaped wherever shown)
            prefix = services.texts("merchant.report_prefix", default)
            description = f"{prefix}{before.name}｜{item.name(default)}：{answer.note or ''}"
            report = await submit(
                services,
                reporter_id=by,
                entered_by=by,
                category=item.category,
                unit=before.unit,
                description=description,
                photos=[answer.photo] if answer.photo else [],
                extra={"source": "merchant", "merchant": before.id},
            )
            numbers.append(report.number)
            stored.append(replace(answer, report_id=report.id))
        await tx.merchants.record_check(before, after, by=by, at=at, answers=stored)
        receipt = submitted_message(services, before, lang, stored, numbers)
        await tx.outbox.send([*shown, receipt], at)
        await tx.drafts.clear(by, at)
    return Submitted(after, stored, numbers)


# The sweep ----------------------------------------------------------------------------------


async def sweep(services: Services, now: datetime) -> int:
    """The cadence sweep's work: for each approved shop whose next look has come (BATCH at a
    time) the one thing due — the checklist, a reminder, or a line in its grid worker's one
    message about missed checks — each with compare-and-set; returns how many shops were acted
    on."""
    if not services.settings.merchants.enabled:
        return 0
    store = services.store.merchants
    due = await store.due(now, limit=BATCH)
    if not due:
        return 0
    rules = policy(services)
    decisions = [(m, domain.decide(m, now, rules)) for m in due]
    found_langs = await langs(services, {m.owner_id for m in due})
    acted = 0
    steps: list[tuple[Merchant, Merchant]] = []  # checklists, reminders, quiet looks
    said: list[list[Outgoing]] = []
    missed: dict[int, list[tuple[Merchant, Merchant]]] = {}
    tree = await services.units.tree()
    staff = await services.people.all_staff()
    by_id = {s.user_id: s for s in staff}
    for before, decision in decisions:
        after = decision.merchant
        if decision.action is Action.ESCALATE:
            told = domain.responsible(before.unit, tree, staff)
            key = told[0].user_id if told else 0  # nobody to tell: recorded all the same
            missed.setdefault(key, []).append((before, after))
            continue
        steps.append((before, after))
        if decision.action is Action.DEFER:
            said.append([])
            continue
        lang = found_langs[before.owner_id]
        items = items_for(services, before.kind)
        reminder = after.reminders if decision.action is Action.REMIND else 0
        said.append([checklist_message(services, after, lang, items, reminder=reminder)])
    if steps:  # one commit for the pass; each shop still compare-and-set on its own row
        async with services.store.transaction(completes_update=False) as tx:
            written = await tx.merchants.save_many(steps, now, said)
        spoken = {m.id for (m, _), words in zip(steps, said, strict=True) if words}
        acted += sum(1 for m in written if m.id in spoken)
    for user_id, moves in missed.items():
        async with services.store.transaction(completes_update=False) as tx:
            written = await tx.merchants.save_many(moves, now)
            if written and user_id in by_id:
                lang = (await langs(services, [user_id]))[user_id]
                message = missed_message(services, by_id[user_id], lang, written, tree)
                await tx.outbox.send([message], now)
        acted += len(written)
    if acted:
        log.info("merchant sweep: %d shops acted on", acted)  # counts only, never which
    return acted
