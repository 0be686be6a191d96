"""Summary aggregates, group bindings and the once-per-week claim, on a real SQLite file."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain import reports as domain
from bot.domain.categories import Category
from bot.domain.groups import Binding, Purpose
from bot.domain.people import Role, Staff
from bot.domain.reports import Action, Report
from bot.domain.summary import IsoWeek, roll_up
from bot.domain.units import Tier, Unit, UnitTree
from storage import summaries as summary_sql
from storage.db import Database
from storage.groups import Groups, follow_migration, nearest
from storage.outbox import Outbox, Outgoing
from storage.outbox_files import MissingFile, file_id, forget_old_files, load_file
from storage.reports import Reports
from storage.summaries import Summaries
from storage.units import Units

SHANGHAI = ZoneInfo("Asia/Shanghai")
W47 = IsoWeek(2026, 47)
TREE = UnitTree(
    [
        Unit("S1", "青山街道", "street"),
        Unit("C1", "春晖社区", "community", "S1"),
        Unit("C2", "明月社区", "community", "S1"),
        Unit("G1", "第一网格", "grid", "C1"),
        Unit("G2", "第二网格", "grid", "C1"),
        Unit("B1", "1栋", "building", "G1"),
    ]
)
WORKER = Staff(101, "w", Role.GRID_WORKER, "G1")
REPORTER = 5001


def local(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """Returns a November 2026 moment in Shanghai, in UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture
async def stored(db: Database) -> Database:
    await Units(db).replace_from_config(
        list(TREE),
        [Category("litter", "环境卫生", "Litter"), Category("road", "道路设施", "Roads")],
    )
    return db


class Story:
    """Files reports and moves them through the real repository, at chosen times."""

    def __init__(self, db: Database):
        self.reports = Reports(db)

    async def report(
        self, unit: str, category: str, at: datetime, *, due: datetime | None = None
    ) -> Report:
        draft = Report(REPORTER, category, unit, "描述", (), at, unit, Tier.GRID, due_at=due)

        async def no_messages(_: Report) -> list[Outgoing]:
            return []

        return await self.reports.create(
            draft, domain.submit(draft, actor_id=REPORTER, at=at), no_messages
        )

    async def move(self, report: Report, action: str, at: datetime, **kwargs) -> Report:
        if action == "accept":
            new, event = domain.accept(report, WORKER, at)
        elif action == "resolve":
            new, event = domain.resolve(report, WORKER, at, photo="p", note="done")
        elif action == "confirm":
            new, event = domain.confirm(report, REPORTER, at, stars=kwargs["stars"])
        elif action == "expire":
            new, event = domain.move(report, Action.EXPIRE, actor_id=None, at=at)
        elif action == "reject":
            new, event = domain.reject(
                report, WORKER, at, reason=domain.RejectReason.DUPLICATE, note="dup"
            )
        else:
            raise AssertionError(action)
        return await self.reports.save(new, event, [], expect_version=report.version)


@pytest.fixture
async def week47(stored: Database) -> Database:
    """A week at 春晖社区 (C1) and 明月社区 (C2), with reports just outside it on both sides."""
    s = Story(stored)
    r1 = await s.report("B1", "litter", local(16, 10))
    r1 = await s.move(r1, "accept", local(16, 12))  # 2 h to accept
    r1 = await s.move(r1, "resolve", local(16, 20))  # 10 h to resolve
    await s.move(r1, "confirm", local(18, 9), stars=5)
    r2 = await s.report("G1", "road", local(17, 9))
    r2 = await s.move(r2, "accept", local(17, 10))  # 1 h
    r2 = await s.move(r2, "resolve", local(19, 9))  # 48 h
    await s.move(r2, "expire", local(22, 20))  # closed unverified
    r3 = await s.report("G2", "litter", local(18, 11))
    await s.move(r3, "reject", local(18, 12))
    r4 = await s.report("G2", "litter", local(19, 8), due=local(20, 18))
    await s.move(r4, "accept", local(19, 12))  # 4 h; open and overdue
    await s.report("C2", "road", local(20, 9), due=local(21, 9))  # the other community
    r6 = await s.report("G1", "litter", local(13, 10))  # Friday of W46
    r6 = await s.move(r6, "accept", local(13, 11))
    await s.move(r6, "resolve", local(16, 10))  # resolved in W47 after 72 h
    await s.report("G1", "road", local(22, 23, 30), due=local(24, 12))  # Sunday night: W47
    await s.report("G1", "road", local(23, 0, 10))  # Monday 00:10: W48
    r9 = await s.report("G2", "litter", local(21, 10))
    r9 = await s.move(r9, "accept", local(21, 11))  # 1 h
    await s.move(r9, "resolve", local(23, 8))  # Monday 08:00, before the 09:00 summary
    return stored


async def test_a_units_week_is_counted_over_its_whole_subtree(week47):
    raw = await Summaries(week47).week_tallies(W47.start(SHANGHAI), W47.end(SHANGHAI), local(23, 9))
    c1 = roll_up(raw, TREE)["C1"]
    assert c1.new == 6
    assert c1.resolved == 3  # r1, r2 and r6 (created the week before)
    assert (c1.closed, c1.closed_unverified, c1.rejected) == (1, 1, 1)
    assert c1.overdue == 1  # r4; r7's deadline is still ahead
    assert (c1.received, c1.concluded) == (5, 3)  # r3 rejected; r1, r2, r9 done by Monday 09:00
    assert c1.completion_rate == 0.6
    assert c1.median_accept_hours == pytest.approx(1.5)  # 1, 1, 2, 4
    assert c1.median_resolve_hours == pytest.approx(48.0)  # 10, 48, 72
    assert c1.average_stars == 5.0
    assert c1.top_categories(3) == [("litter", 4), ("road", 2)]


async def test_the_street_includes_both_communities_and_the_overdue_report_of_the_other(week47):
    raw = await Summaries(week47).week_tallies(W47.start(SHANGHAI), W47.end(SHANGHAI), local(23, 9))
    rolled = roll_up(raw, TREE)
    assert rolled["S1"].new == 7
    assert rolled["C2"].overdue == 1
    assert rolled["S1"].overdue == 2
    assert rolled["G1"].new == 3 and rolled["G2"].new == 3


async def test_the_completion_rate_is_judged_at_as_of_not_at_the_end_of_the_week(week47):
    summaries = Summaries(week47)
    at_sunday_end = await summaries.week_tallies(
        W47.start(SHANGHAI), W47.end(SHANGHAI), W47.end(SHANGHAI)
    )
    at_monday_nine = await summaries.week_tallies(
        W47.start(SHANGHAI), W47.end(SHANGHAI), local(23, 9)
    )
    assert roll_up(at_sunday_end, TREE)["G2"].concluded == 0
    assert roll_up(at_monday_nine, TREE)["G2"].concluded == 1  # r9, resolved Monday 08:00


async def test_week_counts_give_new_and_closed_per_unit(week47):
    summaries = Summaries(week47)
    w46 = await summaries.week_counts(IsoWeek(2026, 46).start(SHANGHAI), W47.start(SHANGHAI))
    w47 = await summaries.week_counts(W47.start(SHANGHAI), W47.end(SHANGHAI))
    assert w46 == {"G1": (1, 0)}
    assert w47 == {"B1": (1, 1), "G1": (2, 1), "G2": (3, 0), "C2": (1, 0)}


async def test_an_empty_week_has_no_tallies(stored):
    raw = await Summaries(stored).week_tallies(W47.start(SHANGHAI), W47.end(SHANGHAI), local(23, 9))
    assert raw == {}
    assert roll_up(raw, TREE)["S1"].completion_rate is None


@pytest.mark.parametrize(
    "sql",
    [
        summary_sql._COHORT,
        summary_sql._COUNTS,
        summary_sql._CONFIRMED,
        summary_sql._MEDIANS,
        summary_sql._OVERDUE,
        summary_sql._NEW_BY_UNIT,
        summary_sql._CLOSED_BY_UNIT,
    ],
)
@pytest.mark.parametrize("units", [None, ["C1", "G1"]])
@pytest.mark.sqlite_only  # SQLite's plans (EXPLAIN QUERY PLAN)
async def test_every_summary_query_reads_through_an_index(stored, sql, units):
    fragments, names = summary_sql.scoped(units)
    params = {"start": "a", "end": "b", "as_of": "c", **names}
    text = sql.format(
        hours=summary_sql.HOURS["sqlite"], bucket=summary_sql.BUCKET["sqlite"], **fragments
    )
    rows = await stored.fetchall(f"EXPLAIN QUERY PLAN {text}", params)
    plan = [row["detail"] for row in rows]
    scanned = r"SCAN (r|e|f|reports|report_events|report_facts)\b"
    full_scans = [line for line in plan if re.match(scanned, line)]
    assert full_scans == [], plan
    if units and "{created}" in sql:  # one range of 0022 per unit
        assert any("INDEX figures_reports_unit_created (unit=?" in line for line in plan), plan
    elif units and "{facts}" in sql:  # one range of 0025's per unit
        assert any("INDEX report_facts_unit (unit=?" in line for line in plan), plan
    elif "{facts}" in sql:  # the period's slice of the kept facts, no join for the unit
        covering = "" if "JOIN reports" in sql else "COVERING "  # confirmations: their stars
        assert any(f"{covering}INDEX report_facts_window (at>?" in line for line in plan), plan
    else:
        assert any("INDEX summary_" in line for line in plan), plan


def binding(chat_id: int, unit: str, purpose: Purpose = Purpose.SUMMARY, **kw) -> Binding:
    return Binding(chat_id, unit, purpose, 201, kw.get("at", local(10, 9)), "zh")


async def test_groups_for_a_unit_are_its_own_then_its_ancestors(stored):
    groups = Groups(stored)
    for chat, unit in [(-3, "S1"), (-1, "G1"), (-2, "C1"), (-4, "C2"), (-5, "G1")]:
        await groups.bind(binding(chat, unit, Purpose.VOLUNTEERS), [])
    await groups.bind(binding(-9, "G1", Purpose.SUMMARY), [])
    found = await groups.groups_for("B1", Purpose.VOLUNTEERS)
    assert [(b.chat_id, b.unit) for b in found] == [(-5, "G1"), (-1, "G1"), (-2, "C1"), (-3, "S1")]
    assert [b.chat_id for b in nearest(found)] == [-5, -1]
    assert [b.chat_id for b in await groups.groups_for("C2", Purpose.VOLUNTEERS)] == [-4, -3]


async def test_a_chat_has_one_binding_per_purpose_and_rebinding_replaces_it(stored):
    groups = Groups(stored)
    assert await groups.bind(binding(-1, "G1"), []) is None
    await groups.bind(binding(-1, "C1", Purpose.VOLUNTEERS), [])
    old = await groups.bind(binding(-1, "C1"), [])
    assert old is not None and old.unit == "G1"
    assert [(b.purpose, b.unit) for b in await groups.bindings(-1)] == [
        (Purpose.SUMMARY, "C1"),
        (Purpose.VOLUNTEERS, "C1"),
    ]
    assert await groups.unbind(-1, Purpose.SUMMARY, local(11, 9), []) is True
    assert await groups.unbind(-1, Purpose.SUMMARY, local(11, 9), []) is False
    assert [b.purpose for b in await groups.bindings(-1)] == [Purpose.VOLUNTEERS]


async def test_a_group_that_becomes_a_supergroup_keeps_its_bindings_and_history(stored):
    groups, summaries = Groups(stored), Summaries(stored)
    await groups.bind(binding(-1, "C1"), [])
    await groups.bind(binding(-1, "C1", Purpose.VOLUNTEERS), [])
    await summaries.queue(binding(-1, "C1"), W47, local(23, 9), lambda _: [], b"png")
    # what the sender does, with the hook bot/app.py gives the outbox
    await Outbox(stored, chat_moved=(follow_migration,)).migrate_chat(-1, -1001, local(24, 9))
    assert await groups.bindings(-1) == []
    assert {b.purpose for b in await groups.bindings(-1001)} == set(Purpose)
    assert await summaries.sent_weeks(-1001) == ["2026-W47"]


async def test_the_weekly_claim_is_taken_once_and_carries_the_chart(stored):
    summaries = Summaries(stored)
    group = binding(-1, "C1")

    def messages(chart):
        return [Outgoing(-1, "sendPhoto", {"photo": chart, "caption": "c"})]

    assert await summaries.queue(group, W47, local(23, 9), messages, b"\x89PNG-bytes") is True
    assert await summaries.queue(group, W47, local(23, 10), messages, b"\x89PNG-other") is False
    rows = await stored.fetchall("SELECT payload FROM outbox WHERE chat_id = -1")
    assert len(rows) == 1
    reference = file_id(json.loads(rows[0]["payload"])["photo"])
    assert reference is not None
    assert await load_file(stored, reference) == ("summary-2026-W47.png", b"\x89PNG-bytes")


async def test_due_groups_skip_those_served_bound_too_late_or_gone(stored):
    groups, summaries = Groups(stored), Summaries(stored)
    send_at = local(23, 9)
    await groups.bind(binding(-1, "C1"), [])  # bound in W46: owed W47
    await groups.bind(binding(-2, "G1", at=local(19, 9)), [])  # mid-week: owed W47 too
    await groups.bind(binding(-3, "G2", at=local(23, 10)), [])  # after the send time: next week
    await groups.bind(binding(-4, "C2"), [])  # removed the bot since
    await groups.bind(binding(-5, "C2", Purpose.VOLUNTEERS), [])  # not a summary group
    await groups.bind(binding(-6, "S1"), [])
    await summaries.queue(binding(-6, "S1"), W47, send_at, lambda _: [], None)
    await Outbox(stored).mark_chat_unreachable(-4, "bot was kicked", local(20, 9))
    due = await summaries.due_groups(W47, send_at, limit=50)
    assert sorted(b.chat_id for b in due) == [-2, -1]


async def test_a_group_bound_again_after_removing_the_bot_is_owed_summaries_again(stored):
    groups, summaries = Groups(stored), Summaries(stored)
    await groups.bind(binding(-4, "C2"), [])
    await Outbox(stored).mark_chat_unreachable(-4, "bot was kicked", local(18, 9))
    await groups.bind(binding(-4, "C2", at=local(19, 9)), [])
    assert [b.chat_id for b in await summaries.due_groups(W47, local(23, 9), 50)] == [-4]


async def test_old_files_are_forgotten_once_their_chat_has_nothing_pending(stored):
    summaries = Summaries(stored)

    def messages(chart):
        return [Outgoing(-2, "sendPhoto", {"photo": chart})]

    await summaries.queue(binding(-1, "C1"), W47, local(1, 9), lambda _: [], b"old, sent")
    await summaries.queue(binding(-2, "C1"), W47, local(1, 9), messages, b"old, pending")
    await summaries.queue(binding(-3, "C1"), W47, local(28, 9), lambda _: [], b"recent")
    removed = await forget_old_files(stored, local(28, 10), timedelta(days=14))
    assert removed == 1
    names = await stored.fetchall("SELECT data FROM outbox_files ORDER BY id")
    assert [bytes(r["data"]) for r in names] == [b"old, pending", b"recent"]
    with pytest.raises(MissingFile):
        await load_file(stored, 1)


def test_file_references_are_recognised_only_in_their_exact_shape():
    assert file_id({"$file": 7}) == 7
    assert file_id({"$file": "7"}) is None
    assert file_id({"$file": 7, "x": 1}) is None
    assert file_id("AgAC-file-id") is None


async def test_a_report_overdue_at_the_summarys_moment_counts_though_a_later_pass_escalated_it(
    week47,
):
    # After downtime one sweep pass runs the deadline sweep before the summary: r4 (overdue
    # since Friday 18:00) is escalated at 09:05 on a new clock, then Monday 09:00's summary is
    # built. It was overdue and open at 09:00, so it counts.
    reports = Reports(week47)
    r4 = next(r for r in await reports.get_many(range(1, 12)) if r.due_at == local(20, 18))
    escalated, event = domain.move(
        r4,
        Action.ESCALATE,
        actor_id=None,
        at=local(23, 9, 5),
        holder_unit="C1",
        tier=Tier.COMMUNITY,
        due_at=local(24, 18),
    )
    await reports.save(escalated, event, [], expect_version=r4.version)
    raw = await Summaries(week47).week_tallies(W47.start(SHANGHAI), W47.end(SHANGHAI), local(23, 9))
    assert roll_up(raw, TREE)["C1"].overdue == 1
    # Judged after the escalation, its new deadline is ahead: no longer overdue.
    later = await Summaries(week47).week_tallies(
        W47.start(SHANGHAI), W47.end(SHANGHAI), local(23, 10)
    )
    assert roll_up(later, TREE)["C1"].overdue == 0


async def test_a_report_resolved_after_the_summarys_moment_still_counts_as_overdue_then(week47):
    reports = Reports(week47)
    r4 = next(r for r in await reports.get_many(range(1, 12)) if r.due_at == local(20, 18))
    await Story(week47).move(r4, "resolve", local(23, 9, 30))
    raw = await Summaries(week47).week_tallies(W47.start(SHANGHAI), W47.end(SHANGHAI), local(23, 9))
    assert roll_up(raw, TREE)["C1"].overdue == 1


async def test_a_subtrees_tallies_and_counts_are_the_whole_offices_at_its_units(week47):
    summaries = Summaries(week47)
    window = (W47.start(SHANGHAI), W47.end(SHANGHAI))
    whole = await summaries.week_tallies(*window, local(23, 9))
    c2 = await summaries.week_tallies(*window, local(23, 9), ["C2"])
    c1 = await summaries.week_tallies(*window, local(23, 9), ["C1", "G1", "G2", "B1"])
    counts = await summaries.week_counts(*window, ["C1", "G1", "G2", "B1"])

    assert set(c2) == {"C2"} and c2["C2"] == whole["C2"]  # its overdue report included
    # S1 is outside C1's scope: the whole office's S1 entry holds its subtree's medians only.
    assert c1 == {code: tally for code, tally in whole.items() if code not in ("C2", "S1")}
    assert whole["S1"].new == 0 and whole["S1"].median_resolve_hours == pytest.approx(48.0)
    assert counts == {"B1": (1, 1), "G1": (2, 1), "G2": (3, 0)}
    assert await summaries.week_tallies(*window, local(23, 9), ["S2"]) == {}


async def test_confirmations_with_the_same_stars_each_count(stored):
    s = Story(stored)
    for stars in (4, 4, 2):
        report = await s.report("G2", "road", local(16, 9))
        report = await s.move(report, "accept", local(16, 10))
        report = await s.move(report, "resolve", local(17, 10))
        await s.move(report, "confirm", local(18, 10), stars=stars)
    expired = await s.report("G2", "road", local(16, 9))
    expired = await s.move(expired, "resolve", local(17, 10))
    await s.move(expired, "expire", local(20, 10))
    raw = await Summaries(stored).week_tallies(W47.start(SHANGHAI), W47.end(SHANGHAI), local(23, 9))
    g2 = raw["G2"]
    assert (g2.closed, g2.closed_unverified, g2.resolved) == (3, 1, 4)
    assert sorted(g2.stars) == [2, 4, 4]
