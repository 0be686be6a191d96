"""Group chats: /bind and /unbind authorisation; exactly one weekly summary per group and week."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.app import SWEEPS, open_services
from bot.domain import reports as domain
from bot.domain.groups import Purpose
from bot.domain.reports import Report
from bot.domain.units import Tier
from bot.jobs.summaries import send_weekly_summaries
from storage.groups import Groups
from storage.outbox import Outgoing
from storage.summaries import Summaries
from tests import updates
from tests.conftest import COMMUNITY, PROPERTY, RESIDENT, STREET, WORKER_G1, Harness
from tests.fakes import BOT_USERNAME

GROUP = -100200300
OTHER_GROUP = -100200400
SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


async def in_group(harness: Harness, user: int, text: str, *, lang: str = "zh-hans") -> None:
    await harness.send(updates.text(user, text, chat_id=GROUP, lang=lang))


async def bound(harness: Harness, purpose: Purpose = Purpose.SUMMARY) -> str | None:
    binding = await Groups(harness.services.store.db).binding(GROUP, purpose)
    return binding.unit if binding else None


async def test_community_staff_bind_the_group_to_their_own_unit(harness):
    await in_group(harness, COMMUNITY, "/bind")

    assert await bound(harness) == "C1"
    reply = harness.last_text(GROUP)
    assert "春晖社区" in reply and "周一 09:00" in reply


async def test_the_command_addressed_to_the_bot_by_name_works(harness):
    await in_group(harness, COMMUNITY, f"/bind@{BOT_USERNAME} G2")

    assert await bound(harness) == "G2"


async def test_staff_above_may_bind_a_unit_below_them(harness):
    await in_group(harness, STREET, "/bind c1")  # codes are matched without regard to case

    assert await bound(harness) == "C1"


async def test_a_grid_worker_may_not_bind_the_community_but_may_bind_a_building(harness):
    await in_group(harness, WORKER_G1, "/bind C1")
    assert await bound(harness) is None
    assert "第一网格" in harness.last_text(GROUP)  # told which unit they may bind

    await in_group(harness, WORKER_G1, "/bind B1")
    assert await bound(harness) == "B1"


async def test_a_resident_is_refused_politely_and_nothing_is_bound(harness):
    await in_group(harness, RESIDENT, "/bind C1")

    assert await bound(harness) is None
    assert "只有网格工作人员" in harness.last_text(GROUP)
    # A group member is not recorded as a person just for typing a command.
    assert await harness.services.people.get(RESIDENT) is None


async def test_a_partner_is_refused(harness):
    await in_group(harness, PROPERTY, "/bind")

    assert await bound(harness) is None
    assert "只能把群绑定到本单位" in harness.last_text(GROUP)


async def test_an_unknown_unit_is_named_back(harness):
    await in_group(harness, STREET, "/bind X9")

    assert await bound(harness) is None
    assert "X9" in harness.last_text(GROUP)


async def test_bind_in_a_private_chat_explains_it_is_for_groups(harness):
    await harness.send(updates.text(COMMUNITY, "/bind"))

    assert "群聊" in harness.last_text(COMMUNITY)
    assert await Groups(harness.services.store.db).bindings(COMMUNITY) == []


async def test_an_edited_bind_command_is_ignored(harness):
    payload = updates.text(COMMUNITY, "/bind", chat_id=GROUP)
    payload["edited_message"] = {**payload.pop("message"), "edit_date": 1764000100}

    await harness.send(payload)

    assert await bound(harness) is None
    assert harness.request.sent(chat_id=GROUP) == []


async def test_volunteers_binding_sits_beside_the_summary_binding(harness):
    await in_group(harness, COMMUNITY, "/bind")
    await in_group(harness, COMMUNITY, "/bind volunteers G1")

    assert await bound(harness) == "C1"
    assert await bound(harness, Purpose.VOLUNTEERS) == "G1"
    assert "志愿者群" in harness.last_text(GROUP)


async def test_lower_staff_cannot_take_over_a_group_bound_above_them(harness):
    await in_group(harness, STREET, "/bind S1")
    await in_group(harness, WORKER_G1, "/bind")

    assert await bound(harness) == "S1"
    assert "青山街道" in harness.last_text(GROUP)


async def test_unbind_needs_the_same_right_as_bind(harness):
    await in_group(harness, COMMUNITY, "/bind")

    await in_group(harness, WORKER_G1, "/unbind")
    assert await bound(harness) == "C1"

    await in_group(harness, RESIDENT, "/unbind")
    assert await bound(harness) == "C1"

    await in_group(harness, STREET, "/unbind")
    assert await bound(harness) is None
    assert "解除" in harness.last_text(GROUP)

    await in_group(harness, STREET, "/unbind")
    assert "还没有绑定" in harness.last_text(GROUP)


async def test_a_migration_notice_moves_the_bindings_to_the_supergroup(harness):
    await in_group(harness, COMMUNITY, "/bind")
    payload = updates.text(COMMUNITY, "x", chat_id=GROUP)
    message = payload["message"]
    del message["text"]
    message["migrate_to_chat_id"] = -1009999

    await harness.send(payload)

    assert await bound(harness) is None
    assert [b.unit for b in await Groups(harness.services.store.db).bindings(-1009999)] == ["C1"]


# The weekly summary -------------------------------------------------------------------------


class Uploads:
    """Wraps the recording request to keep what was uploaded as multipart files."""

    def __init__(self, harness: Harness):
        self.files: list[tuple[str, bytes]] = []
        request = harness.request
        original = request.do_request

        async def do_request(url: str, method: str, request_data: Any = None, **kw: Any):
            if request_data is not None and request_data.multipart_data:
                for name, (_, content, _mime) in request_data.multipart_data.items():
                    self.files.append((name, content))
            return await original(url, method, request_data, **kw)

        request.do_request = do_request  # type: ignore[method-assign]


async def file_reports(harness: Harness) -> None:
    """Two reports in W48 at 春晖社区, one done; personal details everywhere they can be."""
    repo = harness.services.reports

    async def none(_: Report) -> list[Outgoing]:
        return []

    for unit, at in [("B1", local(11, 24, 10)), ("G2", local(11, 25, 10))]:
        report = Report(
            RESIDENT,
            "litter",
            unit,
            "幸福路 8 号 3 单元门口垃圾堆",
            (),
            at,
            unit,
            Tier.GRID,
            contact="13800138000",
        )
        await repo.create(report, domain.submit(report, actor_id=RESIDENT, at=at), none)
    first = await repo.get(1)
    assert first is not None
    staff = await harness.services.people.staff(WORKER_G1)
    assert staff is not None
    accepted, event = domain.accept(first, staff, local(11, 24, 11))
    first = await repo.save(accepted, event, [], expect_version=first.version)
    resolved, event = domain.resolve(first, staff, local(11, 25, 9), photo="p", note="清理完毕")
    await repo.save(resolved, event, [], expect_version=first.version)


async def test_the_summary_sweep_is_registered():
    assert dict(SWEEPS)["summaries"] is send_weekly_summaries


async def test_a_group_bound_mid_week_gets_the_next_summary_with_its_chart(harness):
    uploads = Uploads(harness)
    await in_group(harness, COMMUNITY, "/bind")  # Tuesday of W48
    await file_reports(harness)
    services = harness.services

    assert await send_weekly_summaries(services, harness.clock()) == 0  # W47 was before binding
    harness.clock.now = local(11, 30, 8, 59)
    assert await send_weekly_summaries(services, harness.clock()) == 0  # not yet 09:00
    harness.clock.now = local(11, 30, 9, 0)
    harness.request.clear()
    assert await send_weekly_summaries(services, harness.clock()) == 1
    await harness.deliver()

    text, caption = harness.texts_to(GROUP)
    assert "春晖社区" in text and "2026-W48" in text
    assert "新增 2 件" in text and "已处置 1 件" in text
    assert "办结率 <b>50%</b>" in text
    assert "1. 第一网格 — 100%" in text and "2. 第二网格 — 0%" in text
    assert "接单用时中位数 1 小时" in text
    for private in ("13800138000", "幸福路", "张三", "李网格", "清理完毕"):
        assert private not in text and private not in caption
    assert len(text) <= 4096 and len(caption) <= 1024
    photo = harness.request.sent("sendPhoto", GROUP)
    assert len(photo) == 1
    assert [content[:8] for _, content in uploads.files] == [b"\x89PNG\r\n\x1a\n"]


async def test_exactly_one_summary_per_group_and_week_across_passes_restarts_and_instances(
    harness, settings
):
    await in_group(harness, COMMUNITY, "/bind")
    await harness.send(updates.text(STREET, "/bind", chat_id=OTHER_GROUP))
    harness.clock.now = local(11, 30, 9, 30)
    now = harness.clock()

    assert await send_weekly_summaries(harness.services, now) == 2
    assert await send_weekly_summaries(harness.services, now) == 0

    # A restart, and a second instance racing it, on the same database file.
    first = await open_services(settings, harness.clock)
    second = await open_services(settings, harness.clock)
    try:
        later = local(11, 30, 10)
        assert await send_weekly_summaries(first, later) == 0
        harness.clock.now = local(12, 7, 9)  # the next week's send time
        results = await asyncio.gather(
            send_weekly_summaries(first, harness.clock()),
            send_weekly_summaries(second, harness.clock()),
        )
        # Between them, each group once (which instance claims which depends on how their
        # charts interleave in the one chart process): the rows below show none was doubled.
        assert sum(results) == 2
    finally:
        await first.store.close()
        await second.store.close()

    rows = await harness.services.store.db.fetchall(
        "SELECT iso_week, COUNT(*) AS n FROM summaries_sent GROUP BY iso_week ORDER BY iso_week"
    )
    assert [(r["iso_week"], r["n"]) for r in rows] == [("2026-W48", 2), ("2026-W49", 2)]
    photos = await harness.services.store.db.fetchall(
        "SELECT COUNT(*) AS n FROM outbox WHERE method = 'sendPhoto' AND chat_id = ?", (GROUP,)
    )
    assert photos[0]["n"] == 2


async def test_a_summary_is_written_in_the_language_of_whoever_bound_the_group(harness):
    await in_group(harness, STREET, "/bind", lang="en")  # first contact: Telegram's language
    harness.clock.now = local(11, 30, 9, 30)
    await send_weekly_summaries(harness.services, harness.clock())
    harness.request.clear()
    await harness.deliver()

    text, caption = harness.texts_to(GROUP)
    assert "weekly summary" in text and "Completion rate — (nothing received" in text
    assert "(11/23 – 11/29)" in text
    assert "new vs closed" in caption


async def test_the_send_day_is_the_configured_iso_weekday(harness):
    harness.services.settings.summaries.weekday = 3  # ISO: Wednesday
    await in_group(harness, COMMUNITY, "/bind")  # Tuesday of W48
    assert await send_weekly_summaries(harness.services, harness.clock()) == 0
    harness.clock.now = local(11, 25, 8, 59)
    assert await send_weekly_summaries(harness.services, harness.clock()) == 0
    harness.clock.now = local(11, 25, 9, 0)  # Wednesday 09:00: W47's summary is due
    assert await send_weekly_summaries(harness.services, harness.clock()) == 1
    assert await Summaries(harness.services.store.db).sent_weeks(GROUP) == ["2026-W47"]
