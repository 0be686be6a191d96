"""核实 and 复查 (bot/domain/checks.py): who gets the check or review card, its buttons, and what
each step tells whom. bot/notices/reports.messages_for uses these tables; every message is an
outbox row written with the move."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.domain import checks
from bot.domain.people import Staff
from bot.domain.reports import Action, Report, Status
from bot.notices import outgoing
from bot.notices.buttons import key
from bot.services import Services
from storage.outbox import Outgoing

if TYPE_CHECKING:
    from bot.notices.reports import Cards


async def checkers_of(services: Services, report: Report) -> list[Staff]:
    """Returns who gets REPORT's card while it waits: its verifiers (核实) or reviewers (复查)."""
    tree = await services.units.tree()
    if report.status is Status.CHECKING:
        staff = await services.people.staff_at(checks.check_units(report, tree))
        return checks.verifiers(report, tree, staff)
    start = checks.review_start(report)
    units = [u.code for u in tree.chain(start)] if start in tree else [start]
    return checks.reviewers(report, tree, await services.people.staff_at(units))


def gated_buttons(t: Callable[..., str], report: Report, lang: str) -> list[list[dict]]:
    """The check card's confirm / not a problem, or the review card's pass / fail."""
    if report.status is Status.CHECKING:
        return [
            [
                key(t("verify.button_confirm", lang), "check", "ok", report.id),
                key(t("verify.button_dismiss", lang), "check", "no", report.id),
            ]
        ]
    if report.status is Status.REVIEWING:
        return [
            [
                key(t("verify.button_pass", lang), "review", "ok", report.id),
                key(t("verify.button_fail", lang), "review", "no", report.id),
            ]
        ]
    return []


def review_arrival(
    services: Services, cards: Cards, report: Report, chat_id: int, lang: str
) -> list[Outgoing]:
    """What a reviewer gets first: the before-photos, the after-photo with the handler's note."""
    out = outgoing.media(chat_id, report.photos) if report.photos else []
    text = services.texts(
        "verify.review_arrived",
        lang,
        number=report.number,
        category=cards.category_name(report.category, lang),
        place=cards.place(report),
        note=report.resolution_note or "",
    )
    photo = report.resolution_photo
    if photo and not photo.startswith(outgoing.DOCUMENT):
        out.append(outgoing.photo(chat_id, photo, text))
        return out
    if photo:  # an after-photo sent as an image file
        out.extend(outgoing.media(chat_id, [photo]))
    out.append(outgoing.message(chat_id, text))
    return out


# The moves after which a report arrives with reviewers who have not seen it.
TO_REVIEW = frozenset({Action.RESOLVE, Action.REVIEW_ESCALATE})

# To the reporter (and followers), by move; `note` is the verifier's or reviewer's.
REPORTER_NOTICES: dict[Action, str] = {
    Action.RESOLVE: "verify.resolved_reviewing",  # resolved into 复查, not yet theirs to verify
    Action.CHECK_CONFIRM: "verify.checked_dispatched",
    Action.CHECK_LAPSE: "verify.lapsed_dispatched",
    Action.CHECK_DISMISS: "verify.dismissed",
    Action.REVIEW_FAIL: "verify.review_failed_reporter",
}

# To the verifier or reviewer who made the move.
ACTOR_NOTICES: dict[Action, str] = {
    Action.CHECK_CONFIRM: "verify.confirm_done",
    Action.CHECK_DISMISS: "verify.dismiss_done",
    Action.REVIEW_PASS: "verify.pass_done",
    Action.REVIEW_FAIL: "verify.fail_done",
}

# Why a report arrived with its holders after 核实 (catalog keys; `note` is empty there).
ARRIVAL_REASONS: dict[Action, str] = {
    Action.CHECK_CONFIRM: "verify.arrived_checked",
    Action.CHECK_LAPSE: "verify.arrived_unchecked",
}

# To earlier card holders when the review leaves them for the reviewers above.
PREVIOUS_NOTICES: dict[Action, str] = {
    Action.REVIEW_ESCALATE: "verify.review_escalated_away",
}

# To the holder, who has the card already: the review's outcome (`comment` is the note).
STAFF_NOTICES: dict[Action, str] = {
    Action.REVIEW_FAIL: "verify.review_failed_holder",
    Action.REVIEW_PASS: "verify.review_passed_holder",
}
