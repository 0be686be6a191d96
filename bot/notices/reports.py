"""What each move of a report tells whom: the reporter's status card, the workers' cards, notices.

Every message here becomes an outbox row in the same transaction as the move (storage/reports.py).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta, tzinfo

from bot.domain.callins import CallIn
from bot.domain.categories import Category
from bot.domain.deadlines import Span, pending_extension
from bot.domain.duplicates import pending_reject
from bot.domain.people import Person, Staff
from bot.domain.reports import Action, Report, ReportEvent, Status, takes_unassigned
from bot.domain.units import UnitTree
from bot.notices import callin_lines, outgoing
from bot.notices import checks as checks_notices
from bot.notices.buttons import button, key, keyboard
from bot.services import Services
from bot.texts import plural_key
from storage.outbox import Outgoing

TIER_ICON = {"grid": "🟢", "community": "🟡", "street": "🔵", "district": "🔴"}


@functools.lru_cache(maxsize=4096)
def _local_minute(at: datetime, tz: tzinfo) -> str:
    """Returns AT to the minute in TZ (remembered: a deadline pass shows the same few moments on
    thousands of cards)."""
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def status_key(report: Report) -> str:
    return f"report:{report.id}:status"


def work_key(report: Report) -> str:
    return f"report:{report.id}:work"


class Cards:
    """Renders cards and notices for one report in each recipient's language."""

    def __init__(self, services: Services, tree: UnitTree, categories: list[Category]):
        self.services = services
        self.texts = services.texts
        self.tree = tree
        self.categories = {c.code: c for c in categories}
        self.parties = callin_lines.party_book(services.settings)
        self.callins: dict[int, list[CallIn]] = {}  # by report id, once know_callins read them
        # The last report's work card per (language, active): every holder reading one language
        # gets the same text and buttons, rendered once (a report object is immutable).
        self._rendered: tuple[Report | None, Person | None] = (None, None)
        self._work: dict[tuple[str, bool], tuple[str, dict | None]] = {}

    @classmethod
    async def load(cls, services: Services) -> Cards:
        return cls(services, await services.units.tree(), await services.units.categories())

    async def know_callins(self, report: Report) -> None:
        """Reads REPORT's call-ins (吹哨), which its cards show."""
        if report.id is not None:
            self.callins[report.id] = await self.services.store.callins.of_report(report.id)
            self._rendered = (None, None)  # its cards show them

    # Pieces ------------------------------------------------------------------------------

    def when(self, at: datetime | None) -> str:
        if at is None:
            return "—"
        return _local_minute(at, self.services.tz)

    def due(self, report: Report) -> str:
        """Returns the deadline to show: the running accept/resolve window's, else '—'.

        (A resolved report's clock is the reporter's time to verify, not a deadline to handle.)
        """
        shown = report.status.is_open or report.status.is_gated  # 核实 / 复查 run clocks too
        return self.when(report.due_at if shown else None)

    def category_name(self, code: str, lang: str) -> str:
        category = self.categories.get(code)
        return category.name(lang) if category else code

    def place(self, report: Report) -> str:
        return self.tree.place_name(report.unit)

    def status_name(self, report: Report, lang: str) -> str:
        return self.texts(f"status.{report.status.value}", lang)

    def work_status_name(self, report: Report, lang: str) -> str:
        """Returns the status as staff read it ('awaiting your confirmation' is the reporter's)."""
        if report.status is Status.RESOLVED:
            return self.texts("worker.status_resolved", lang)
        return self.status_name(report, lang)

    def tier_label(self, report: Report, lang: str) -> str:
        return f"{TIER_ICON[report.tier.value]} " + self.texts(f"tier.{report.tier.value}", lang)

    def holder_label(self, report: Report, lang: str) -> str:
        """Returns who holds the report by role, never by name (residents see roles only)."""
        unit = self.tree.get(report.holder_unit).name if report.holder_unit in self.tree else "?"
        if report.assignee_id is None:
            return self.texts("card.holder_unassigned", lang, unit=unit)
        return self.texts("card.holder_assigned", lang, unit=unit)

    # Cards -------------------------------------------------------------------------------

    def status_card(self, report: Report, lang: str) -> Outgoing | None:
        """Returns the reporter's status card: one message edited whenever the report moves."""
        chat = report.reporter_id or report.entered_by
        if chat is None:
            return None
        text = self.texts(
            "card.status",
            lang,
            number=report.number,
            status=self.status_name(report, lang),
            tier=self.tier_label(report, lang),
            holder=self.holder_label(report, lang),
            category=self.category_name(report.category, lang),
            place=self.place(report),
            created=self.when(report.created_at),
            updated=self.when(report.updated_at or report.created_at),
            due=self.due(report),
        )
        text += callin_lines.status_line(
            self.texts, self.parties, self.callins.get(report.id or 0, []), lang
        )
        return outgoing.card(chat, status_key(report), text)

    def work_card_text(self, report: Report, lang: str, reporter: Person | None) -> str:
        who = reporter.name if reporter and reporter.name else self.texts("card.anonymous", lang)
        phone = report.contact or (reporter.phone if reporter else None)
        description = report.description
        if report.anonymous:  # the bot relays questions (bot/usecases/relay.py)
            who, phone = self.texts("anonymous.reporter", lang), self.texts("anonymous.phone", lang)
        if report.extra.get("erased"):  # the reporter erased their data, or retention did
            who = phone = description = self.texts("privacy.erased_marker", lang)
        text = self.texts(
            "card.work",
            lang,
            number=report.number,
            status=self.work_status_name(report, lang),
            tier=self.tier_label(report, lang),
            category=self.category_name(report.category, lang),
            place=self.place(report),
            description=description,
            reporter=who,
            phone=phone or self.texts("card.no_phone", lang),
            created=self.when(report.created_at),
            due=self.due(report),
        )
        callins = self.callins.get(report.id or 0, [])
        return text + callin_lines.work_lines(self.texts, self.parties, callins, lang, self.when)

    def work_buttons(self, report: Report, lang: str) -> dict:
        t = self.texts
        if report.status is Status.OPEN:
            rows = [
                [key(t("button.accept", lang), "report", "accept", report.id)],
                [
                    key(t("button.resolve", lang), "report", "resolve", report.id),
                    key(t("button.transfer", lang), "report", "transfer", report.id),
                ],
                [
                    key(t("button.refer", lang), "report", "refer", report.id),
                    key(t("button.reject", lang), "report", "reject", report.id),
                ],
            ]
        elif report.status is Status.ACCEPTED:
            rows = [
                [key(t("button.resolve", lang), "report", "resolve", report.id)],
                [
                    key(t("button.transfer", lang), "report", "transfer", report.id),
                    key(t("button.refer", lang), "report", "refer", report.id),
                ],
                [key(t("button.reject", lang), "report", "reject", report.id)],
            ]
        else:
            rows = checks_notices.gated_buttons(t, report, lang)  # 核实 / 复查
        if report.status.is_open and report.anonymous:  # handlers/reports/relay.py
            rows.append([key(t("anonymous.ask_button", lang), "report", "ask", report.id)])
        if report.status.is_open:  # 申请延期 (handlers/reports/extension.py)
            rows.append([key(t("extension.button", lang), "ext", "ask", report.id)])
        if report.status.is_open and self.parties:  # 吹哨 (handlers/callins/picker.py)
            rows.append([key(t("callin.button", lang), "callin", "pick", report.id)])
        if report.status.is_open:  # "find volunteers" (handlers/volunteers/report_help.py)
            rows.append([key(t("volunteer.find", lang), "vfind", "list", report.id)])
        if report.status.is_open:  # 并单 (handlers/reports/merge.py)
            rows.append([key(t("merge.button", lang), "merge", "pick", report.id)])
        return keyboard(rows)

    def work_card(
        self,
        report: Report,
        chat_id: int,
        lang: str,
        reporter: Person | None,
        *,
        active: bool = True,
    ) -> Outgoing:
        """Returns the card a worker acts from; an inactive one (moved on) has no buttons."""
        last, last_reporter = self._rendered
        if last is not report or last_reporter is not reporter:
            self._rendered = (report, reporter)
            self._work = {}
        rendered = self._work.get((lang, active))
        if rendered is None:
            text = self.work_card_text(report, lang, reporter)
            if not active:
                text += "\n\n" + self.texts(
                    "card.moved_on", lang, holder=self.holder_label(report, lang)
                )
            # A finished report has no buttons; its empty markup serialises to {}, which is not
            # a keyboard, so pass None and let the card remove the old buttons explicitly.
            markup = self.work_buttons(report, lang) if active else None
            rendered = self._work[(lang, active)] = (text, markup or None)
        text, markup = rendered
        return outgoing.card(chat_id, work_key(report), text, markup=markup)

    def notice(
        self, chat_id: int, lang: str, key: str, report: Report, **params: object
    ) -> Outgoing:
        return outgoing.message(chat_id, self.texts(key, lang, number=report.number, **params))


async def handlers_of(services: Services, report: Report) -> list[Staff]:
    """Returns who gets the worker card: the assignee, or every front-line staff at the unit;
    while the report waits for 核实 or 复查, its verifiers or reviewers."""
    if report.status.is_gated:
        return await checks_notices.checkers_of(services, report)
    if report.assignee_id is not None:
        staff = await services.people.staff(report.assignee_id)
        return [staff] if staff else []
    return [
        s
        for s in await services.people.staff_at([report.holder_unit])
        if takes_unassigned(s, report)
    ]


async def messages_for(services: Services, report: Report, event: ReportEvent) -> list[Outgoing]:
    """Returns every message that EVENT on REPORT causes, in each recipient's language."""
    cards = await Cards.load(services)
    await cards.know_callins(report)
    reporter_chat = report.reporter_id or report.entered_by
    reporter = await services.people.get(report.reporter_id) if report.reporter_id else None
    current = await handlers_of(services, report)
    # Everyone who ever got this report's worker card sees it change (buttons go when it moves on).
    card_holders = set(await services.outbox.card_chats(work_key(report)))
    langs = await services.people.languages(
        [s.user_id for s in current]
        + list(card_holders)
        + ([reporter_chat] if reporter_chat else [])
        + ([event.actor_id] if event.actor_id else [])
    )
    lang_of = lambda user_id: langs.get(user_id, services.settings.default_language)  # noqa: E731

    out: list[Outgoing] = []
    action = event.action
    rlang = lang_of(reporter_chat) if reporter_chat else "zh"

    # To the reporter.
    if reporter_chat is not None:
        if action is Action.SUBMIT:
            out.append(cards.notice(reporter_chat, rlang, "notice.submitted", report))
            if report.status is Status.CHECKING:  # 核实 first
                out.append(cards.notice(reporter_chat, rlang, "verify.submitted_checking", report))
        elif action in checks_notices.REPORTER_NOTICES and report.status is not Status.RESOLVED:
            note = event.note or ""
            key_ = checks_notices.REPORTER_NOTICES[action]
            out.append(cards.notice(reporter_chat, rlang, key_, report, note=note))
        elif action in (Action.RESOLVE, Action.REVIEW_PASS):
            caption = services.texts(
                "notice.resolved", rlang, number=report.number, note=report.resolution_note or ""
            )
            markup = keyboard(
                [
                    [
                        key(services.texts("button.solved", rlang), "report", "solved", report.id),
                        key(
                            services.texts("button.unsolved", rlang),
                            "report",
                            "unsolved",
                            report.id,
                        ),
                    ]
                ]
            )
            if report.resolution_photo and report.id is not None:  # beside the reporter's own
                labels = before_after_labels(services, rlang)
                notice = outgoing.before_after(
                    reporter_chat, report.id, labels, caption, markup=markup
                )
                if event.data.get("album"):  # the rest of the album joins the picture first
                    notice = replace(notice, not_before=event.at + AFTER_ALBUM_SETTLE)
                out.append(notice)
            else:
                out.append(outgoing.message(reporter_chat, caption, markup=markup))
        elif action in REPORTER_NOTICES:
            params: dict[str, object] = {}
            if action is Action.REJECT:
                params["reason"] = services.texts(f"reject.{report.reject_reason}", rlang)
                params["note"] = event.note or ""
            if action in (Action.REFER_UP, Action.ESCALATE):
                params["tier"] = cards.tier_label(report, rlang)
            if action is Action.ACCEPT:  # the tier that acted, not always the grid
                params["by"] = services.texts(f"accepted_by.{report.tier.value}", rlang)
            out.append(
                cards.notice(reporter_chat, rlang, REPORTER_NOTICES[action], report, **params)
            )
        status = cards.status_card(report, rlang)
        if status is not None:
            out.append(status)

    # To the residents who follow it (并单): the reporter's news, never the reporter's words.
    out.extend(await follower_messages(services, cards, report, event))

    # To the staff member who typed the move (after-photo, reason, note): it is done.
    actor = event.actor_id
    if action in ACTOR_NOTICES and actor is not None and actor != reporter_chat:
        alang = lang_of(actor)
        tier = cards.tier_label(report, alang)
        said = ACTOR_NOTICES[action]
        if action is Action.RESOLVE and report.status is Status.REVIEWING:
            said = "verify.resolve_done_reviewing"  # 复查 comes before the reporter
        out.append(cards.notice(actor, alang, said, report, tier=tier))

    # To the staff who now hold it: photos and a fresh card when it arrives with them.
    arrived = action in (
        Action.SUBMIT,
        Action.TRANSFER,
        Action.REFER_UP,
        Action.ESCALATE,
        Action.REOPEN,
        Action.REASSIGN,
        Action.CHECK_CONFIRM,
        Action.CHECK_LAPSE,
    )
    reviewing = report.status is Status.REVIEWING and action in checks_notices.TO_REVIEW
    for staff in current:
        lang = lang_of(staff.user_id)
        if reviewing and staff.user_id not in card_holders:  # 复查: before and after
            out.extend(checks_notices.review_arrival(services, cards, report, staff.user_id, lang))
        elif arrived and staff.user_id not in card_holders:
            if report.photos:
                out.extend(outgoing.media(staff.user_id, report.photos))
            if action is not Action.SUBMIT:
                note = event.note or ""
                if action in ARRIVAL_REASONS:
                    note = services.texts(ARRIVAL_REASONS[action], lang, note=note)
                out.append(cards.notice(staff.user_id, lang, "notice.arrived", report, note=note))
        elif action is Action.CHECK_LAPSE:  # the verifier holds it now: say it is theirs
            note = services.texts(ARRIVAL_REASONS[action], lang, note="")
            out.append(cards.notice(staff.user_id, lang, "notice.arrived", report, note=note))
        elif action in STAFF_NOTICES and staff.user_id != event.actor_id:
            out.append(
                cards.notice(
                    staff.user_id,
                    lang,
                    STAFF_NOTICES[action],
                    report,
                    stars="★" * (report.stars or 0),
                    comment=event.note or "",
                )
            )
        out.append(cards.work_card(report, staff.user_id, lang, reporter))

    # Earlier holders' cards lose their buttons and say where the report went.
    for chat_id in card_holders - {s.user_id for s in current}:
        if action in PREVIOUS_NOTICES:  # a card edit alone would not notify them
            lang = lang_of(chat_id)
            tier = cards.tier_label(report, lang)
            out.append(cards.notice(chat_id, lang, PREVIOUS_NOTICES[action], report, tier=tier))
        out.append(cards.work_card(report, chat_id, lang_of(chat_id), reporter, active=False))
    return out


REPORTER_NOTICES: dict[Action, str] = {
    Action.ACCEPT: "notice.accepted",
    Action.TRANSFER: "notice.transferred",
    Action.REFER_UP: "notice.referred",
    Action.ESCALATE: "notice.escalated",
    Action.REJECT: "notice.rejected",
    Action.CONFIRM: "notice.closed",
    Action.REOPEN: "notice.reopened",
    Action.EXPIRE: "notice.expired",
    Action.REASSIGN: "staff.notice_reassigned",
}

# Confirmations to the staff member who made a move they typed rather than tapped.
ACTOR_NOTICES = {
    Action.RESOLVE: "resolve_flow.done",
    Action.REFER_UP: "refer.done",
    Action.REJECT: "reject_flow.done",
    **checks_notices.ACTOR_NOTICES,
}

# Why a report arrived with its new holders, when no person typed a note (catalog keys).
ARRIVAL_REASONS = {
    Action.ESCALATE: "deadline.arrived_escalated",
    Action.REOPEN: "deadline.arrived_reopened",
    Action.REASSIGN: "staff.arrived_reassigned",
    **checks_notices.ARRIVAL_REASONS,
}

# To the earlier holders when the report leaves them without their doing.
PREVIOUS_NOTICES = {
    Action.ESCALATE: "deadline.escalated_away",
    Action.REOPEN: "deadline.reopened_away",
    **checks_notices.PREVIOUS_NOTICES,
}

STAFF_NOTICES = {
    Action.CONFIRM: "notice.staff_confirmed",
    Action.REOPEN: "notice.staff_reopened",
    Action.COMMENT: "notice.staff_comment",
    **checks_notices.STAFF_NOTICES,
}


# 申请延期: the request card to the deciders and the answers ---------------------------------------


def span_label(services: Services, span: Span, lang: str) -> str:
    """'2 days' / '4 hours' in LANG."""
    amount = int(span.amount) if span.amount == int(span.amount) else span.amount
    return services.texts(plural_key(f"extension.span_{span.unit}", amount), lang, n=amount)


# A request to the tier above (申请延期, 退单 approval): its cards to the deciders ----------------

# The request card's text in a language
CardText = Callable[[str], Awaitable[str]]


async def ask_cards(
    services: Services,
    deciders: list[Staff],
    key: str,
    text_of: CardText,
    labels: tuple[str, str],
    data: tuple[str, int | None, int],
) -> list[Outgoing]:
    """The request card KEY to each decider in their language, with an approve and a decline
    button (catalog LABELS) pressing "<noun>:ok|no:<report id>:<request>" (DATA)."""
    noun, report_id, request = data
    langs = await services.people.languages(d.user_id for d in deciders)
    messages = []
    for decider in deciders:
        lang = langs.get(decider.user_id, services.settings.default_language)
        choices = [
            button(services.texts(labels[0], lang), noun, "ok", report_id, request),
            button(services.texts(labels[1], lang), noun, "no", report_id, request),
        ]
        text = await text_of(lang)
        messages.append(outgoing.card(decider.user_id, key, text, markup=keyboard([choices])))
    return messages


async def decided_cards(
    services: Services,
    key: str,
    asker: int,
    text_of: CardText,
    outcome: str,
    **params: object,
) -> tuple[list[Outgoing], str]:
    """Every decider's request card KEY again, without buttons and with the decision (catalog
    OUTCOME with PARAMS) under it; and the ASKER's language, for the caller's answer."""
    chats = await services.outbox.card_chats(key)
    langs = await services.people.languages([asker, *chats])
    default = services.settings.default_language
    out = []
    for chat in chats:
        lang = langs.get(chat, default)
        text = await text_of(lang) + "\n\n" + services.texts(outcome, lang, **params)
        out.append(outgoing.card(chat, key, text))
    return out, langs.get(asker, default)


def extension_key(report: Report, request: int) -> str:
    """The card key of REPORT's extension request number REQUEST (one card per decider)."""
    return f"extension:{report.id}:{request}"


async def request_text(
    services: Services, cards: Cards, report: Report, lang: str, *, new_due: datetime
) -> str:
    """Returns the request card's text for REPORT's pending request (NEW_DUE if granted)."""
    pending = pending_extension(report)
    assert pending is not None
    span = Span.parse(pending["span"])
    asker = await services.people.staff(int(pending["by"]))
    return services.texts(
        "extension.request",
        lang,
        number=report.number,
        tier=cards.tier_label(report, lang),
        category=cards.category_name(report.category, lang),
        place=cards.place(report),
        who=asker.name if asker else "—",
        span=span_label(services, span, lang),
        reason=pending.get("reason", ""),
        due=cards.when(report.due_at),
        new_due=cards.when(new_due),
    )


async def request_messages(
    services: Services,
    after: Report,
    request: int,
    deciders: list[Staff],
    asker: Person,
    deciders_unit: str,
    *,
    new_due: datetime,
) -> list[Outgoing]:
    """The request card (approve / deny) to each decider, and the asker's 'sent'."""
    cards = await Cards.load(services)
    messages = await ask_cards(
        services,
        deciders,
        extension_key(after, request),
        lambda lang: request_text(services, cards, after, lang, new_due=new_due),
        ("extension.approve", "extension.deny"),
        ("ext", after.id, request),
    )
    pending = pending_extension(after)
    assert pending is not None
    label = span_label(services, Span.parse(pending["span"]), asker.lang)
    sent = services.texts(
        "extension.sent", asker.lang, number=after.number, span=label, unit=deciders_unit
    )
    messages.append(outgoing.message(asker.user_id, sent))
    return messages


async def decision_messages(
    services: Services,
    before: Report,
    after: Report,
    who: str,
    approved: bool,
    *,
    new_due: datetime,
) -> list[Outgoing]:
    """Returns the answer to the asker and every decider's card, now without buttons."""
    pending = pending_extension(before)
    assert pending is not None
    cards = await Cards.load(services)
    asker = int(pending["by"])
    due = cards.when(after.due_at)
    out, lang = await decided_cards(
        services,
        extension_key(before, int(pending["n"])),
        asker,
        lambda lang: request_text(services, cards, before, lang, new_due=new_due),
        "extension.decided_approved" if approved else "extension.decided_denied",
        who=who,
        due=due,
    )
    answer = "extension.approved" if approved else "extension.denied"
    out.append(outgoing.message(asker, services.texts(answer, lang, number=after.number, due=due)))
    return out


# 并单: what followers are told, and the 退单 request's cards --------------------------------------

# A follower's notice for each move (the reporter's, where it reads right for someone who only
# followed; a rating's thanks is the rater's alone).
FOLLOWER_NOTICES: dict[Action, str] = {
    **{a: k for a, k in REPORTER_NOTICES.items() if a is not Action.CONFIRM},
    Action.CONFIRM: "merge.follower_closed",
}


def follower_card(cards: Cards, report: Report, chat_id: int, lang: str) -> Outgoing:
    """Returns a follower's status card: the reporter's card, in the follower's own chat."""
    card = cards.status_card(replace(report, reporter_id=chat_id), lang)
    assert card is not None
    return card


def follower_buttons(services: Services, report: Report, lang: str) -> dict:
    """Solved / not solved for a follower (follow:… — the reporter's buttons are report:…)."""
    t = services.texts
    return keyboard(
        [
            [
                button(t("button.solved", lang), "follow", "solved", report.id),
                button(t("button.unsolved", lang), "follow", "unsolved", report.id),
            ]
        ]
    )


# An after-photo album's photos arrive as separate updates; the first resolves the case and the
# rest join it (handlers/reports/worker_steps.receive_album_tail) while the notice waits this long.
AFTER_ALBUM_SETTLE = timedelta(seconds=2)


def before_after_labels(services: Services, lang: str) -> tuple[str, str]:
    """The 处理前 / 处理后 labels of a before/after picture, in LANG."""
    return (
        services.texts("notice.photo_before", lang),
        services.texts("notice.photo_after", lang),
    )


async def follower_messages(
    services: Services, cards: Cards, report: Report, event: ReportEvent
) -> list[Outgoing]:
    """Returns what EVENT tells each follower of REPORT: the notice the reporter gets (the
    after-photo with solved / not solved on RESOLVE) and their status card."""
    if report.id is None:
        return []
    followers = await services.store.followers.of(report.id)
    if not followers:
        return []
    langs = await services.people.languages(f.user_id for f in followers)
    default = services.settings.default_language
    out: list[Outgoing] = []
    for follower in followers:
        chat, lang = follower.user_id, langs.get(follower.user_id, default)
        action = event.action
        if action is Action.FOLLOW and event.actor_id == chat:
            out.append(cards.notice(chat, lang, "merge.followed", report))
        elif action in (Action.RESOLVE, Action.REVIEW_PASS) and report.status is Status.RESOLVED:
            caption = services.texts(
                "notice.resolved", lang, number=report.number, note=report.resolution_note or ""
            )
            markup = follower_buttons(services, report, lang)
            if report.resolution_photo:
                out.append(outgoing.photo(chat, report.resolution_photo, caption, markup=markup))
            else:
                out.append(outgoing.message(chat, caption, markup=markup))
        elif action in checks_notices.REPORTER_NOTICES and report.status is not Status.RESOLVED:
            key_ = checks_notices.REPORTER_NOTICES[action]  # 核实 / 复查
            out.append(cards.notice(chat, lang, key_, report, note=event.note or ""))
        elif action in FOLLOWER_NOTICES:
            params: dict[str, object] = {}
            if action is Action.REJECT:
                params["reason"] = services.texts(f"reject.{report.reject_reason}", lang)
                params["note"] = event.note or ""
            if action in (Action.REFER_UP, Action.ESCALATE):
                params["tier"] = cards.tier_label(report, lang)
            if action is Action.ACCEPT:
                params["by"] = services.texts(f"accepted_by.{report.tier.value}", lang)
            out.append(cards.notice(chat, lang, FOLLOWER_NOTICES[action], report, **params))
        out.append(follower_card(cards, report, chat, lang))
    return out


def reject_key(report: Report, request: int) -> str:
    """The card key of REPORT's 退单 request number REQUEST (one card per decider)."""
    return f"rejreq:{report.id}:{request}"


async def reject_request_text(services: Services, cards: Cards, report: Report, lang: str) -> str:
    """Returns the 退单 request card's text for REPORT's pending request."""
    pending = pending_reject(report)
    assert pending is not None
    asker = await services.people.staff(int(pending["by"]))
    return services.texts(
        "merge.reject_request",
        lang,
        number=report.number,
        tier=cards.tier_label(report, lang),
        category=cards.category_name(report.category, lang),
        place=cards.place(report),
        who=asker.name if asker else "—",
        reason=services.texts(f"reject.{pending['reason']}", lang),
        note=pending.get("note", ""),
    )


async def reject_request_messages(
    services: Services,
    after: Report,
    request: int,
    deciders: list[Staff],
    asker: Person,
    deciders_unit: str,
) -> list[Outgoing]:
    """The 退单 request card (approve / decline) to each decider, and the asker's 'sent'."""
    cards = await Cards.load(services)
    messages = await ask_cards(
        services,
        deciders,
        reject_key(after, request),
        lambda lang: reject_request_text(services, cards, after, lang),
        ("merge.reject_approve", "merge.reject_decline"),
        ("rejreq", after.id, request),
    )
    sent = services.texts("merge.reject_sent", asker.lang, number=after.number, unit=deciders_unit)
    messages.append(outgoing.message(asker.user_id, sent))
    return messages


async def reject_decision_messages(
    services: Services, before: Report, who: str, approved: bool, why: str
) -> list[Outgoing]:
    """Returns every decider's card, now without buttons, and (declined) the asker's answer;
    an approved request's news goes out with the REJECT move itself."""
    pending = pending_reject(before)
    assert pending is not None
    cards = await Cards.load(services)
    asker = int(pending["by"])
    out, lang = await decided_cards(
        services,
        reject_key(before, int(pending["n"])),
        asker,
        lambda lang: reject_request_text(services, cards, before, lang),
        "merge.reject_decided_approved" if approved else "merge.reject_decided_declined",
        who=who,
        why=why,
    )
    if approved:
        text = services.texts("merge.reject_approved", lang, number=before.number, who=who)
    else:
        text = services.texts("merge.reject_declined", lang, number=before.number, who=who, why=why)
    out.append(outgoing.message(asker, text))
    return out
