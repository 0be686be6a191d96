"""The one request shape of 申请延期 and 退单 approval (bot/domain/asks.py): each ask keeps its
own slot and numbering, refuses a second waiting request and a decision on any other."""

from __future__ import annotations

import pytest

from bot.domain.asks import Ask, AskError
from bot.domain.deadlines import EXTENSION, ExtensionError
from bot.domain.duplicates import REJECT, RejectRequestError
from bot.domain.reports import Action, Report
from tests.domain.test_duplicates import COMMUNITY, NOW, WORKER, report

REPORT = report(1)
ASKS = [
    pytest.param(EXTENSION, Action.ASK_EXTENSION, Action.DENY_EXTENSION, ExtensionError, id="延期"),
    pytest.param(REJECT, Action.ASK_REJECT, Action.DECLINE_REJECT, RejectRequestError, id="退单"),
]


def asked(ask: Ask, action: Action, base: Report = REPORT) -> Report:
    after, _ = ask.ask(base, WORKER, NOW, action, note="n", fields={"x": 1}, data={"y": 2})
    return after


@pytest.mark.parametrize(("ask", "action", "decline", "error"), ASKS)
def test_a_request_waits_numbered_and_a_second_one_is_refused(ask, action, decline, error):
    after, event = ask.ask(REPORT, WORKER, NOW, action, note="n", fields={"x": 1}, data={"y": 2})
    assert ask.pending(after) == {"n": 1, "by": 101, "x": 1}
    assert (event.action, event.note, event.data) == (action, "n", {"request": 1, "y": 2})
    assert ask.waits(after, 1) and not ask.waits(after, 2) and not ask.waits(after, None)
    with pytest.raises(error, match=ask.already):
        asked(ask, action, after)


@pytest.mark.parametrize(("ask", "action", "decline", "error"), ASKS)
def test_only_the_waiting_request_is_decided_and_the_next_one_counts_on(
    ask, action, decline, error
):
    after = asked(ask, action)
    with pytest.raises(AskError, match=ask.stale):
        ask.decline(after, COMMUNITY, NOW, 2, decline)
    kept, event = ask.decline(after, COMMUNITY, NOW, 1, decline, note="why")
    assert ask.pending(kept) is None and ask.slot not in kept.extra
    assert (event.action, event.actor_id, event.note, event.data) == (
        decline,
        201,
        "why",
        {"request": 1},
    )
    with pytest.raises(error, match=ask.stale):
        ask.decided(kept, 1)
    assert ask.pending(asked(ask, action, kept))["n"] == 2


def test_the_two_asks_wait_side_by_side_without_touching_each_other():
    both = asked(REJECT, Action.ASK_REJECT, asked(EXTENSION, Action.ASK_EXTENSION))
    assert EXTENSION.waits(both, 1) and REJECT.waits(both, 1)
    declined, _ = REJECT.decline(both, COMMUNITY, NOW, 1, Action.DECLINE_REJECT)
    assert EXTENSION.waits(declined, 1) and REJECT.pending(declined) is None
