"""Retention and the erasure rule list on both backends: what is pruned when, in bounded
batches, found through the partial indexes; and every table has a decision for erasure."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.privacy import Retention, cutoffs
from storage.db import to_db
from storage.privacy import ERASURE, Privacy, erase_person
from tests.db_tables import table_names

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
POLICY = cutoffs(Retention(), NOW)

# Tables with no erasure rule, and why none is needed (a new table must be decided on here or
# get a rule in storage.privacy.ERASURE).
NOT_A_RESIDENT = {
    "units": "the office's tree",
    "categories": "the office's categories",
    "meta": "a counter",
    "staff": "staff records follow the office's rules (removed by an admin)",
    "staff_events": "staff records: who joined, moved or left (ids and unit codes)",
    "invites": "staff enrolment; used_by is a member of staff",
    "group_bindings": "group chats; bound_by is staff",
    "summaries_sent": "group chats",
    "leaderboard_posts": "group chats",
    "outbox_files": "chart images, 通报 and 台账 spreadsheets (de-identified; sent to staff)",
    "appraisal_sent": "unit codes and months (the monthly posts' claims)",
    "report_facts": "report ids, unit codes, actions and times (the summaries' kept facts)",
    "activities": "organised by staff",
    "patrols": "staff work",
    "patrol_photos": "staff work",
    "patrol_findings": "staff work",
    "erasures": "holds no person (a pseudonym's source, households' reasons)",
    "inbox": "scrubbed by payload (erase_person)",
    "poll_groups": "anonymous native polls in group chats (counts only)",
    "echo_posts": "report ids and the reporter's yes/no; posts are rendered from the report",
    "web_state": "the web app's generated secrets (webhook path and token)",
    "cadre_grid_lists": "grid codes and weeks (the 下沉干部 sweep's claims)",
    "team_digests": "grid codes and months (the monthly reports' missing lists' claims)",
    "dual_reports": "work unit codes and months (the 双报告's claims; the report is an outbox row)",
}
# Each backend's own bookkeeping.
NOT_A_RESIDENT_BY_BACKEND = {
    "sqlite": {"sqlite_sequence": "SQLite's counters"},
    "postgresql": {"griddesk_schema": "the migrations applied (storage/pg.py)"},
}


async def _report(db, *, status: str, updated: datetime, reporter: int = 5001) -> int:
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT OR IGNORE INTO units (code, name, level) VALUES ('B1', '1栋', 'building')"
        )
        cursor = await conn.execute(
            "INSERT INTO reports (reporter_id, category, unit, description, contact, status,"
            " holder_unit, tier, stars, comment, lat, lon, created_at, updated_at)"
            " VALUES (?, 'litter', 'B1', '垃圾没人清', '13800000000', ?, 'B1', 'grid', 4,"
            " '谢谢', 30.1, 114.2, ?, ?)",
            (reporter, status, to_db(updated), to_db(updated)),
        )
        report_id = cursor.lastrowid
        await conn.execute(
            "INSERT INTO report_photos (report_id, position, file_id) VALUES (?, 0, 'ph')",
            (report_id,),
        )
        await conn.execute(
            "INSERT INTO report_events (report_id, action, new, actor_id, at, note)"
            " VALUES (?, 'reopen', 'open', ?, ?, '还是没修好')",
            (report_id, reporter, to_db(updated)),
        )
    assert report_id is not None
    return report_id


async def _inbox(db, update_id: int, *, state: str, received: datetime) -> None:
    payload = json.dumps({"update_id": update_id, "message": {"from": {"id": 5001}}})
    async with db.transaction(completes_update=False) as conn:
        await conn.execute(
            "INSERT INTO inbox (update_id, payload, state, received_at) VALUES (?, ?, ?, ?)",
            (update_id, payload, state, to_db(received)),
        )


async def _outbox(db, *, state: str, created: datetime) -> None:
    async with db.transaction(completes_update=False) as conn:
        await conn.execute(
            "INSERT INTO outbox (chat_id, method, payload, state, created_at)"
            " VALUES (5001, 'sendMessage', '{\"text\": \"电话 13800000000\"}', ?, ?)",
            (state, to_db(created)),
        )


async def payloads(db, table: str) -> list[str]:
    key = "update_id" if table == "inbox" else "id"
    return [r[0] for r in await db.fetchall(f"SELECT payload FROM {table} ORDER BY {key}")]


async def test_raw_payloads_and_sent_messages_go_after_raw_days_pending_ones_stay(db):
    old, recent = NOW - timedelta(days=8), NOW - timedelta(days=6)
    await _inbox(db, 1, state="done", received=old)
    await _inbox(db, 2, state="parked", received=old)
    await _inbox(db, 3, state="new", received=old)  # not processed yet: never pruned
    await _inbox(db, 4, state="done", received=recent)
    for state in ("sent", "failed", "pending"):
        await _outbox(db, state=state, created=old)
    await _outbox(db, state="sent", created=recent)

    done = await Privacy(db).prune(NOW, POLICY)

    assert (done["inbox"], done["outbox"]) == (2, 2)
    inbox = await payloads(db, "inbox")
    assert inbox[:2] == ["{}", "{}"] and "5001" in inbox[2] and "5001" in inbox[3]
    kept = await db.fetchall("SELECT state, payload FROM outbox ORDER BY id")
    assert [r["state"] for r in kept] == ["pending", "sent"]  # the old pending one, the recent
    assert all("13800000000" in r["payload"] for r in kept)
    assert (await Privacy(db).prune(NOW, POLICY))["inbox"] == 0  # nothing twice


async def test_closed_reports_lose_their_personal_fields_after_case_years_figures_stay(db):
    old = NOW - timedelta(days=3 * 365 + 1)
    closed = await _report(db, status="closed", updated=old)
    still_open = await _report(db, status="accepted", updated=old)
    recent = await _report(db, status="closed", updated=NOW - timedelta(days=30))

    assert (await Privacy(db).prune(NOW, POLICY))["reports"] == 1

    rows = await db.fetchall(
        "SELECT id, reporter_id, description, contact, comment, lat, stars, status, category,"
        " created_at, deidentified_at, CAST(json_extract(extra, '$.erased') AS INTEGER) AS erased"
        " FROM reports ORDER BY id"
    )
    gone = rows[0]
    assert gone["id"] == closed
    assert (gone["reporter_id"], gone["description"], gone["contact"]) == (None, "", None)
    assert (gone["comment"], gone["lat"], gone["erased"]) == (None, None, 1)
    assert (gone["stars"], gone["status"], gone["category"]) == (4, "closed", "litter")
    assert gone["deidentified_at"] == to_db(NOW)
    assert [r["reporter_id"] for r in rows[1:]] == [5001, 5001]  # open, recent: kept
    photos = await db.fetchall("SELECT report_id FROM report_photos ORDER BY report_id")
    assert [p[0] for p in photos] == [still_open, recent]
    events = await db.fetchall(
        "SELECT actor_id, note FROM report_events WHERE report_id = ?", (closed,)
    )
    assert [tuple(e) for e in events] == [(None, None)]
    assert (await Privacy(db).prune(NOW, POLICY))["reports"] == 0


async def test_abandoned_drafts_go_after_draft_days(db):
    async with db.transaction() as conn:
        for user, days in ((1, 8), (2, 6)):
            await conn.execute(
                "INSERT INTO drafts (user_id, flow, step, data, updated_at)"
                " VALUES (?, 'report', 'description', '{}', ?)",
                (user, to_db(NOW - timedelta(days=days))),
            )
    assert (await Privacy(db).prune(NOW, POLICY))["drafts"] == 1
    assert [r[0] for r in await db.fetchall("SELECT user_id FROM drafts")] == [2]


async def test_each_kind_is_pruned_in_batches_of_at_most_batch_rows(db):
    for update_id in range(1, 8):
        await _inbox(db, update_id, state="done", received=NOW - timedelta(days=9))
    small = cutoffs(Retention(batch=3), NOW)
    passes = [(await Privacy(db).prune(NOW, small))["inbox"] for _ in range(4)]
    assert passes == [3, 3, 1, 0]


@pytest.mark.parametrize(
    ("sql", "index"),
    [
        (
            "SELECT update_id FROM inbox INDEXED BY inbox_prunable"
            " WHERE state <> 'new' AND payload <> '{}' AND received_at < ? LIMIT 500",
            "inbox_prunable",
        ),
        (
            "SELECT id FROM outbox INDEXED BY outbox_prunable WHERE state IN ('sent', 'failed')"
            " AND payload <> '{}' AND created_at < ? LIMIT 500",
            "outbox_prunable",
        ),
        (
            "SELECT id FROM reports INDEXED BY reports_retained WHERE deidentified_at IS NULL"
            " AND status IN ('closed', 'closed_unverified', 'rejected', 'merged')"
            " AND updated_at < ? LIMIT 500",
            "reports_retained",
        ),
        (
            "SELECT id FROM visits INDEXED BY visits_noted WHERE note <> '' AND at < ? LIMIT 500",
            "visits_noted",
        ),
        (
            "SELECT id FROM refusals INDEXED BY refusals_at WHERE at < ? LIMIT 500",
            "refusals_at",
        ),
    ],
)
async def test_the_sweep_finds_its_work_through_a_partial_index(db, sql, index):
    if db.dialect == "postgresql":
        # The index's predicate must imply the query's for PostgreSQL to use it at all; with
        # sequential scans priced out it takes the index whenever it can (the tables are tiny).
        await db.fetchall("SET enable_seqscan = off")
        plan = await db.fetchall(f"EXPLAIN {sql}", (to_db(NOW),))
        assert any(index in row[0] for row in plan), [row[0] for row in plan]
        return
    # INDEXED BY makes SQLite refuse the query outright if the index cannot serve it.
    plan = await db.fetchall(f"EXPLAIN QUERY PLAN {sql}", (to_db(NOW),))
    assert any(index in row["detail"] for row in plan)


async def _refusal(db, at: datetime) -> None:
    async with db.transaction(completes_update=False) as conn:
        await conn.execute(
            "INSERT INTO refusals (user_id, action, rule, target, at)"
            " VALUES (5001, 'wish:claim', 'claim_wish', 'wish:1', ?)",
            (to_db(at),),
        )


async def test_refused_presses_older_than_audit_days_go_in_batches_and_newer_ones_stay(db):
    for age in (181, 200, 365, 179, 1):
        await _refusal(db, NOW - timedelta(days=age))
    small = cutoffs(Retention(batch=2), NOW)
    passes = [(await Privacy(db).prune(NOW, small))["refusals"] for _ in range(3)]
    assert passes == [2, 1, 0]
    kept = [r["at"] for r in await db.fetchall("SELECT at FROM refusals ORDER BY at")]
    assert kept == [to_db(NOW - timedelta(days=179)), to_db(NOW - timedelta(days=1))]


async def test_every_table_has_an_erasure_rule_or_a_reason_for_none(db):
    tables = set(await table_names(db))
    ruled = {rule.table for rule in ERASURE}
    reasons = set(NOT_A_RESIDENT) | set(NOT_A_RESIDENT_BY_BACKEND[db.dialect])
    assert tables - ruled - reasons == set()
    assert ruled <= tables and reasons <= tables


async def test_erasing_someone_deletes_their_ledger_exports_and_keeps_others(db):
    async with db.transaction() as conn:
        for uid in (5001, 5002):
            await conn.execute(
                "INSERT INTO ledger_exports (user_id, unit, first_day, last_day, lang,"
                " requested_at, due_at) VALUES (?, 'C1', '2026-11-01', '2026-11-30', 'zh', ?, ?)",
                (uid, to_db(NOW), to_db(NOW)),
            )
    async with db.transaction() as conn:
        erased = await erase_person(conn, 5001, NOW, "（已删除）")
    assert erased.rows["ledger_exports"] == 1
    left = await db.fetchall("SELECT user_id FROM ledger_exports")
    assert [row["user_id"] for row in left] == [5002]


async def test_erasing_someone_unknown_changes_nothing_but_the_log(db):
    await _report(db, status="open", updated=NOW, reporter=5002)
    before = await db.fetchall("SELECT * FROM reports")
    async with db.transaction() as conn:
        erased = await erase_person(conn, 5001, NOW, "（已删除）")
    assert erased.total == 0
    assert [tuple(r) for r in await db.fetchall("SELECT * FROM reports")] == [
        tuple(r) for r in before
    ]
    assert len(await db.fetchall("SELECT * FROM erasures")) == 1


async def test_an_erased_volunteer_visitor_leaves_no_id_in_households_or_their_history(db):
    at = to_db(NOW)
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO units (code, name, level) VALUES ('B1', '1栋', 'building')")
        await conn.execute(
            "INSERT INTO households (kind, unit, label, cadence, visitor_id, visitor_kind, notes,"
            " due_on, stage, created_by, created_at, updated_at) VALUES ('empty_nest', 'B1',"
            " '3单元502', 'weekly', 6001, 'volunteer', '', '2026-12-01', 'scheduled', 201, ?, ?)",
            (at, at),
        )
        await conn.execute(
            "INSERT INTO household_events (household_id, action, actor_id, at, data)"
            " VALUES (1, 'visitor', 201, ?, '{\"from\": 6001}')",
            (at,),
        )
        await conn.execute(
            "INSERT INTO visits (household_id, visitor_id, visitor_kind, at, outcome, due_on,"
            " note) VALUES (1, 6001, 'volunteer', ?, 'met', '2026-12-01', '老人很好')",
            (at,),
        )
        await erase_person(conn, 6001, NOW, "（已删除）")
    [household] = await db.fetchall("SELECT visitor_id, visitor_kind FROM households")
    assert tuple(household) == (201, "staff")  # back to the staff member who registered it
    [event] = await db.fetchall("SELECT data FROM household_events")
    assert "6001" not in event[0] and json.loads(event[0])["from"] < 0
    [visit] = await db.fetchall("SELECT visitor_id, note, outcome FROM visits")
    assert visit[0] < 0 and (visit[1], visit[2]) == ("", "met")


async def test_a_closed_report_s_followers_lose_their_link_with_the_reporter_after_case_years(db):
    old = NOW - timedelta(days=3 * 365 + 1)
    closed = await _report(db, status="closed", updated=old)
    recent = await _report(db, status="closed", updated=NOW - timedelta(days=30))
    async with db.transaction() as conn:
        for report_id in (closed, recent):
            await conn.execute(
                "INSERT INTO report_followers (report_id, user_id, via, since, stars)"
                " VALUES (?, 5002, 'me_too', ?, 4)",
                (report_id, to_db(old)),
            )
            for action in ("follow", "rate"):
                await conn.execute(
                    "INSERT INTO report_events (report_id, action, new, actor_id, at, note)"
                    " VALUES (?, ?, 'closed', 5002, ?, '楼下也一样')",
                    (report_id, action, to_db(old)),
                )

    await Privacy(db).prune(NOW, POLICY)

    rows = await db.fetchall(
        "SELECT report_id, actor_id, note FROM report_events WHERE action IN ('follow', 'rate')"
        " ORDER BY report_id, id"
    )
    assert [tuple(r) for r in rows] == [
        (closed, None, None),
        (closed, None, None),
        (recent, 5002, "楼下也一样"),
        (recent, 5002, "楼下也一样"),
    ]
    followers = await db.fetchall("SELECT report_id FROM report_followers")
    assert [r[0] for r in followers] == [recent]
