"""The holder asks the tier above, which approves or declines: one request shape for 申请延期
(bot/domain/deadlines.py EXTENSION) and 退单 that needs approval (bot/domain/duplicates.py
REJECT). Who decides is deadlines.extension_deciders / may_decide_extension for both.

A request waits in the report's extra under the ask's SLOT as {"n": number, "by": asker, …};
COUNTER numbers them, so a decision names the request it decides and a stale press (the request
decided or asked again since) is told apart. Pure: no clock, no storage."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.people import Staff
from bot.domain.reports import Action, Report, ReportEvent, move


class AskError(Exception):
    """The request cannot be made or decided now (KEY names the catalog text)."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class Ask:
    """What is asked: where the request waits (SLOT), what numbers them (COUNTER), the error it
    raises (ERROR) with ALREADY (one is waiting) or STALE (not the request waiting)."""

    slot: str
    counter: str
    error: Callable[[str], AskError]
    already: str
    stale: str

    def pending(self, report: Report) -> dict | None:
        """Returns the request waiting for a decision, if any."""
        pending = report.extra.get(self.slot)
        return pending if isinstance(pending, dict) else None

    def waits(self, report: Report, request: int | None) -> bool:
        """Tells whether REQUEST is the one waiting on REPORT."""
        pending = self.pending(report)
        return request is not None and pending is not None and pending.get("n") == request

    def ask(
        self,
        report: Report,
        by: Staff,
        at: datetime,
        action: Action,
        *,
        note: str,
        fields: dict[str, Any],
        data: dict[str, Any],
    ) -> tuple[Report, ReportEvent]:
        """Returns REPORT with BY's request (FIELDS) waiting, and ACTION's event (DATA, NOTE)."""
        if self.pending(report) is not None:
            raise self.error(self.already)
        number = int(report.extra.get(self.counter, 0)) + 1
        request = {"n": number, "by": by.user_id, **fields}
        return move(
            report,
            action,
            actor_id=by.user_id,
            at=at,
            note=note,
            data={"request": number, **data},
            extra={**report.extra, self.slot: request, self.counter: number},
        )

    def decided(self, report: Report, request: int) -> tuple[dict, dict]:
        """Returns the request REQUEST waiting on REPORT and the report's extra without it."""
        if not self.waits(report, request):
            raise self.error(self.stale)
        pending = self.pending(report)
        assert pending is not None
        return pending, {k: v for k, v in report.extra.items() if k != self.slot}

    def decline(
        self,
        report: Report,
        by: Staff,
        at: datetime,
        request: int,
        action: Action,
        *,
        note: str | None = None,
    ) -> tuple[Report, ReportEvent]:
        """Returns REPORT without its waiting request REQUEST, and ACTION's event (NOTE: why)."""
        _, extra = self.decided(report, request)
        return move(
            report,
            action,
            actor_id=by.user_id,
            at=at,
            note=note,
            data={"request": request},
            extra=extra,
        )
