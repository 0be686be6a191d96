"""The summaries' kept facts (migration 0025) against a recount from the raw tables.

A random sequence of report events — the actions the facts keep and others, stored out of time
order, with ties — then: every fact row equals what report_events says; the migration's own
backfill gives the same rows; and the weekly tallies read from the facts (counts per unit,
the subtree medians taken in SQL) equal a recount of the raw events for random periods.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.summary import median, roll_up
from bot.jobs.summaries import _duration
from storage.db import Database, from_db, to_db
from storage.summaries import Summaries

from .test_summaries_storage import TREE, Story, local
from .test_summaries_storage import stored as office

KEPT = ("accept", "resolve", "confirm", "expire", "reject")
ACTIONS = (*KEPT, "escalate", "verify")  # 'verify': an action the facts do not know
MIGRATION = Path(__file__).parents[2] / "storage" / "migrations" / "0025_summary_facts.sql"
FACT_COLUMNS = "event_id, report_id, unit, action, at, created_at, prev_at"


stored = office  # test_summaries_storage's office: the tree and two categories


@pytest.fixture
async def moved(stored: Database) -> Database:
    """30 reports across the tree and ~240 events at random times, stored in random order."""
    rng = random.Random(11)
    story = Story(stored)
    units = [unit.code for unit in TREE]
    created = []
    for _ in range(30):
        at = local(16, 0) + timedelta(minutes=rng.randrange(0, 4 * 24 * 60))
        report = await story.report(rng.choice(units), "road", at)
        created.append((report.id, at))
    events = []
    for report_id, at in created:
        for _ in range(rng.randrange(2, 14)):
            when = at + timedelta(minutes=rng.randrange(-30, 6 * 24 * 60), seconds=rng.random())
            events.append((report_id, rng.choice(ACTIONS), when))
        events.append(events[-1])  # a tie: the same action at the same moment
    rng.shuffle(events)
    for report_id, action, when in events:
        await _run(
            stored,
            "INSERT INTO report_events (report_id, action, old, new, at) VALUES (?, ?, ?, ?, ?)",
            (report_id, action, "open", "open", to_db(when)),
        )
    return stored


async def _run(db: Database, sql: str, params: tuple = ()) -> None:
    async with db.transaction(completes_update=False) as conn:
        await conn.execute(sql, params)


async def _recount(db: Database) -> set[tuple]:
    """The facts as report_events and reports say they should be."""
    rows = await db.fetchall(
        "SELECT e.id, e.report_id, r.unit, e.action, e.at, r.created_at FROM report_events e"
        " JOIN reports r ON r.id = e.report_id ORDER BY e.report_id, e.action, e.at, e.id"
    )
    facts, previous = set(), {}
    for event_id, report_id, unit, action, at, created_at in rows:
        if action not in KEPT:
            continue
        prev = previous.get((report_id, action))
        facts.add((event_id, report_id, unit, action, at, created_at, prev))
        previous[(report_id, action)] = at
    return facts


async def _kept(db: Database) -> set[tuple]:
    return {tuple(row) for row in await db.fetchall(f"SELECT {FACT_COLUMNS} FROM report_facts")}


async def test_the_kept_facts_equal_a_recount_after_random_moves(moved):
    expected = await _recount(moved)
    assert len(expected) > 150
    assert await _kept(moved) == expected
    # The migration's backfill of stored events gives the same rows.
    backfill = MIGRATION.read_text().split("-- The stored events.", 1)[1]
    await _run(moved, "DELETE FROM report_facts")
    await _run(moved, backfill.strip().rstrip(";"))
    assert await _kept(moved) == expected


def _subtree(code: str) -> set[str]:
    return {unit.code for unit in TREE if TREE.is_within(unit.code, code)}


async def _raw_tallies(db: Database, start: datetime, end: datetime) -> dict:
    """Per unit: the first of each kept action per report in [start, end), from the raw rows."""
    rows = await db.fetchall(
        "SELECT e.report_id, r.unit, e.action, e.at, r.created_at FROM report_events e"
        " JOIN reports r ON r.id = e.report_id WHERE e.at >= ? AND e.at < ?"
        " ORDER BY e.at, e.id",
        (to_db(start), to_db(end)),
    )
    first: dict[tuple[int, str], tuple[str, float]] = {}
    closed: dict[str, int] = defaultdict(int)
    for report_id, unit, action, at, created_at in rows:
        if action in ("confirm", "expire"):
            closed[unit] += 1
        if action in KEPT and (report_id, action) not in first:
            hours = (from_db(at) - from_db(created_at)).total_seconds() / 3600
            first[(report_id, action)] = (unit, max(0.0, hours))
    return {"first": first, "closed": closed}


def _shown(hours: float | None) -> str:
    return _duration(lambda key, lang, **kw: f"{key}{kw}", "en", hours)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_the_weeks_figures_from_the_facts_equal_a_recount_of_the_raw_events(moved, seed):
    rng = random.Random(seed)
    start = local(16, 0) + timedelta(minutes=rng.randrange(0, 5 * 24 * 60))
    end = start + timedelta(minutes=rng.randrange(60, 5 * 24 * 60))
    summaries = Summaries(moved)
    raw = await summaries.week_tallies(start, end, end)
    rolled = roll_up(raw, TREE)
    recount = await _raw_tallies(moved, start, end)
    for unit in TREE:
        below = _subtree(unit.code)
        firsts = [(u, a, h) for (_, a), (u, h) in recount["first"].items() if u in below]
        tally = rolled[unit.code]
        for action, got in (
            ("accept", tally.median_accept_hours),
            ("resolve", tally.median_resolve_hours),
        ):
            hours = [h for u, a, h in firsts if a == action]
            exact = median(hours)
            assert _shown(got) == _shown(exact), (unit.code, action, sorted(hours))
        counted = {a: sum(1 for _, b, _ in firsts if b == a) for a in KEPT}
        assert tally.resolved == counted["resolve"]
        assert tally.closed == counted["confirm"]
        assert tally.closed_unverified == counted["expire"]
        assert tally.rejected == counted["reject"]
    weeks = await summaries.week_counts(start, end)
    assert {unit: closed for unit, (_, closed) in weeks.items() if closed} == dict(
        recount["closed"]
    )
    # A subtree's own read gives its units the same figures as the whole office's.
    scope = sorted(_subtree("C1"))
    own = await summaries.week_tallies(start, end, end, scope)
    assert own == {code: tally for code, tally in raw.items() if code in scope}


async def test_the_medians_are_exact_at_a_buckets_ends_and_within_it_otherwise(stored):
    story = Story(stored)
    at = local(16, 9)
    # Six reports at G1 accepted 10.0, 10.1, 10.2, 10.3 (all shown "10 minutes") and 40, 50 on.
    for minutes in (10.0, 10.1, 10.2, 10.3, 40, 50):
        report = await story.report("G1", "road", at)
        await story.move(report, "accept", at + timedelta(minutes=minutes))
    raw = await Summaries(stored).week_tallies(local(16, 0), local(17, 0), local(17, 0))
    # The 3rd and 4th values: the two interior values of one bucket: a value within it.
    assert 10.0 <= raw["G1"].median_accept_hours * 60 <= 10.3
    assert _shown(raw["G1"].median_accept_hours) == _shown(10.15 / 60)
    report = await story.report("G2", "road", at)
    await story.move(report, "accept", at + timedelta(minutes=70))
    raw = await Summaries(stored).week_tallies(local(16, 0), local(17, 0), local(17, 0))
    # Seven values at C1: the 4th is the last of its bucket: exact.
    assert raw["C1"].median_accept_hours == pytest.approx(10.3 / 60)
    assert raw["G2"].median_accept_hours == pytest.approx(70 / 60)
