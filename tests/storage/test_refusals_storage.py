"""Refusals on a real SQLite file: recorded in their own commit, counted by rule, newest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.db import Database, current_update
from storage.inbox import Inbox
from storage.refusals import Refusal, Refusals

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


async def test_refusals_are_counted_by_rule_within_the_window_and_listed_newest_first(
    db: Database,
):
    refusals = Refusals(db)
    await refusals.record(Refusal(1, "wish:claim", "wish_claim", "wish:1", NOW - timedelta(days=9)))
    await refusals.record(Refusal(2, "wish:claim", "wish_claim", "wish:2", NOW - timedelta(days=1)))
    await refusals.record(Refusal(3, "report:accept", "report_handle", "report:5", NOW))
    await refusals.record(Refusal(2, "wish:claim", "wish_claim", "wish:3", NOW))
    counts = await refusals.counts_since(NOW - timedelta(days=7))
    assert counts == {"wish_claim": 2, "report_handle": 1}
    latest = await refusals.latest(3)
    assert [(r.user_id, r.target) for r in latest] == [
        (2, "wish:3"),
        (3, "report:5"),
        (2, "wish:2"),
    ]
    assert latest[0].at == NOW


async def test_recording_a_refusal_marks_the_update_done_in_the_same_commit(db: Database):
    inbox = Inbox(db)
    await inbox.store([{"update_id": 77}], NOW)
    token = current_update.set(77)
    try:
        await Refusals(db).record(Refusal(9, "audit", "admin_only", None, NOW))
    finally:
        current_update.reset(token)
    assert await inbox.pending() == []
    row = await db.fetchone("SELECT user_id, action, rule, target FROM refusals")
    assert row is not None and tuple(row) == (9, "audit", "admin_only", None)
