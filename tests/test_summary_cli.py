"""`griddesk summary` prints a unit's weekly figures from the database and writes the chart."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import cli
from bot.app import open_services
from bot.domain import reports as domain
from bot.domain.reports import Report
from bot.domain.units import Tier
from bot.settings import Settings
from storage.outbox import Outgoing
from tests.conftest import RESIDENT, WORKER_G1
from tests.fakes import FakeClock

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=SHANGHAI).astimezone(UTC)


async def _fill(settings: Settings) -> None:
    """W47 at 春晖社区: three reports, one resolved and confirmed with 4 stars, one rejected."""
    services = await open_services(settings, FakeClock(local(24, 10)))
    try:
        repo = services.reports
        staff = await services.people.staff(WORKER_G1)
        assert staff is not None

        async def none(_: Report) -> list[Outgoing]:
            return []

        stored = []
        for unit, category, at in [
            ("B1", "litter", local(16, 9)),
            ("G2", "road", local(17, 9)),
            ("G1", "litter", local(18, 9)),
        ]:
            report = Report(RESIDENT, category, unit, "d", (), at, unit, Tier.GRID)
            submitted = domain.submit(report, actor_id=RESIDENT, at=at)
            stored.append(await repo.create(report, submitted, none))
        first = stored[0]
        moved, event = domain.accept(first, staff, local(16, 11))
        first = await repo.save(moved, event, [], expect_version=first.version)
        moved, event = domain.resolve(first, staff, local(17, 9), photo="p", note="ok")
        first = await repo.save(moved, event, [], expect_version=first.version)
        moved, event = domain.confirm(first, RESIDENT, local(18, 9), stars=4)
        await repo.save(moved, event, [], expect_version=first.version)
        third = stored[2]
        moved, event = domain.reject(
            third, staff, local(18, 10), reason=domain.RejectReason.DUPLICATE, note="dup"
        )
        await repo.save(moved, event, [], expect_version=third.version)
    finally:
        await services.store.close()


@pytest.fixture
def filled(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Path:
    asyncio.run(_fill(settings))
    if settings.storage.url:  # the command reads the same PostgreSQL database
        monkeypatch.setenv("GRIDDESK_DB_URL", settings.storage.url)
    # The command reads the system clock: put it on Tuesday of W48.
    offset = (local(24, 10) - datetime.now(UTC)).total_seconds()
    monkeypatch.setenv("GRIDDESK_CLOCK_OFFSET", str(offset))
    return Path(settings.source)


def test_the_summary_command_prints_the_weeks_figures_and_writes_the_chart(
    filled, tmp_path, capsys
):
    png = tmp_path / "chart.png"
    code = cli.main(
        ["summary", "--config", str(filled), "--unit", "C1", "--week", "2026-W47",
         "--png", str(png), "--lang", "zh"]
    )  # fmt: skip

    out = capsys.readouterr().out
    assert code == 0
    assert "春晖社区 周报 · 2026-W47（11月16日–11月22日）" in out  # tags stripped
    assert "新增 3 件 · 已处置 1 件 · 退回 1 件" in out
    assert "结案 1 件：居民确认 1 件，超时未评价 0 件" in out
    assert "办结率 50%（本周受理 2 件，已办结 1 件）" in out
    assert "平均评分 4.0 ★（1 条评价）" in out
    assert "高发类别：环境卫生 2 件、道路设施 1 件" in out
    assert "1. 第一网格 — 100%" in out
    assert "<b>" not in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_summary_command_speaks_english_and_defaults_to_the_last_complete_week(filled, capsys):
    code = cli.main(["summary", "--config", str(filled), "--unit", "S1", "--lang", "en"])

    out = capsys.readouterr().out
    assert code == 0
    assert "2026-W47 (11/16 – 11/22)" in out
    assert "New 3 · resolved 1 · rejected 1" in out


def test_an_unknown_unit_is_a_one_line_error(filled, capsys):
    code = cli.main(["summary", "--config", str(filled), "--unit", "NOPE", "--week", "2026-W47"])

    assert code == 2
    assert "NOPE" in capsys.readouterr().err


def test_a_week_that_does_not_exist_is_refused_by_the_parser(filled, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["summary", "--config", str(filled), "--unit", "C1", "--week", "2027-W53"])
    assert exit_.value.code == 2
    assert "no ISO week 53" in capsys.readouterr().err
