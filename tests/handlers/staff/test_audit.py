"""/audit: admins see counts by rule for the week and the latest refusals; others are refused."""

from __future__ import annotations

from datetime import timedelta

from storage.refusals import Refusal, Refusals
from tests import updates
from tests.conftest import ADMIN, COMMUNITY, RESIDENT


async def test_an_admin_sees_counts_by_rule_and_the_latest_refusals_in_local_time(harness):
    refusals = Refusals(harness.services.store.db)
    now = harness.clock()
    old = now - timedelta(days=8)
    await refusals.record(Refusal(6003, "wish:claim", "wish_claim", "wish:1", old))
    await refusals.record(Refusal(6003, "wish:claim", "wish_claim", "wish:2", now))
    await refusals.record(Refusal(5002, "report:accept", "report_handle", "report:7", now))
    await harness.send(updates.text(ADMIN, "/audit"))
    text = harness.last_text(ADMIN)
    assert "近 7 天共 2 次" in text
    assert "wish_claim：1 次" in text and "report_handle：1 次" in text
    local = now.astimezone(harness.services.tz).strftime("%m-%d %H:%M")
    assert f"{local} · 用户 6003 · wish:claim · wish_claim · wish:2" in text
    # Newest first; the latest list is not limited to the week.
    assert text.index("report:7") < text.index("wish:2") < text.index("wish:1")


async def test_audit_with_nothing_refused_says_so(harness):
    await harness.send(updates.text(ADMIN, "/audit"))
    assert harness.last_text(ADMIN) == "近 7 天没有被拒绝的操作。"


async def test_a_non_admin_asking_for_audit_is_refused_and_that_is_recorded(harness):
    for user in (COMMUNITY, RESIDENT):
        await harness.send(updates.text(user, "/audit"))
        assert harness.last_text(user) == "您没有权限进行此操作。"
    rows = await harness.services.store.db.fetchall(
        "SELECT user_id, action, rule, target FROM refusals"
    )
    assert [tuple(r) for r in rows] == [
        (COMMUNITY, "/audit", "admin_only", None),
        (RESIDENT, "/audit", "admin_only", None),
    ]
    await harness.send(updates.text(ADMIN, "/audit"))
    assert "admin_only：2 次" in harness.last_text(ADMIN)
