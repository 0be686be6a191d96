"""`griddesk export` writes a unit subtree's 台账 to an XLSX file from the database."""

from __future__ import annotations

import asyncio
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot import cli
from bot.app import open_services
from bot.settings import Settings
from bot.usecases import reports
from tests.conftest import RESIDENT
from tests.fakes import FakeClock


async def _fill(settings: Settings) -> list[int]:
    """Reports at 1栋 (G1) on 1 and 30 November and at 3栋 (G2) on 15 November (local)."""
    clock = FakeClock()
    services = await open_services(settings, clock)
    ids = []
    try:
        for unit, at in [
            ("B1", datetime(2026, 10, 31, 16, 0, 30, tzinfo=UTC)),  # 1 Nov 00:00:30 local
            ("B3", datetime(2026, 11, 15, 2, 0, tzinfo=UTC)),
            ("B1", datetime(2026, 11, 30, 15, 59, tzinfo=UTC)),  # 30 Nov 23:59 local
        ]:
            clock.now = at
            report = await reports.submit(
                services, reporter_id=RESIDENT, entered_by=None, category="litter",
                unit=unit, description="楼道堆放杂物", photos=["p1"],
            )  # fmt: skip
            assert report.id is not None
            ids.append(report.id)
    finally:
        await services.store.close()
    return ids


@pytest.fixture
def filled(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[int]]:
    ids = asyncio.run(_fill(settings))
    if settings.storage.url:  # the command reads the same PostgreSQL database
        monkeypatch.setenv("GRIDDESK_DB_URL", settings.storage.url)
    return Path(settings.source), ids


def test_export_writes_the_grids_cases_both_days_included(filled, tmp_path, capsys):
    config, ids = filled
    out = tmp_path / "ledger.xlsx"
    code = cli.main(
        ["export", "--config", str(config), "--unit", "G1", "--from", "2026-11-01",
         "--to", "2026-11-30", "--out", str(out)]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert "cases 2" in capsys.readouterr().out
    book = load_workbook(out, read_only=True)
    rows = list(book["案件"].values)
    assert rows[0][0] == "案件编号"
    assert [row[0] for row in rows[1:]] == [f"R{ids[0]:06d}", f"R{ids[2]:06d}"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert not list(tmp_path.glob("*.part"))


def test_export_in_english_for_the_community(filled, tmp_path, capsys):
    config, ids = filled
    out = tmp_path / "ledger.xlsx"
    code = cli.main(
        ["export", "--config", str(config), "--unit", "C1", "--from", "2026-11-15",
         "--to", "2026-11-15", "--out", str(out), "--lang", "en"]
    )  # fmt: skip
    assert code == 0
    rows = list(load_workbook(out, read_only=True)["Cases"].values)
    assert [row[0] for row in rows[1:]] == [f"R{ids[1]:06d}"]


def test_an_empty_period_writes_no_file(filled, tmp_path, capsys):
    config, _ = filled
    out = tmp_path / "ledger.xlsx"
    code = cli.main(
        ["export", "--config", str(config), "--unit", "C1", "--from", "2026-09-01",
         "--to", "2026-09-30", "--out", str(out)]
    )  # fmt: skip
    assert code == cli.REFUSED
    assert "nothing to export" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--unit", "NOPE", "--from", "2026-11-01", "--to", "2026-11-30"], "no unit"),
        (["--unit", "C1", "--from", "2026-11-30", "--to", "2026-11-01"], "before --from"),
    ],
)
def test_bad_arguments_are_refused_without_a_file(filled, tmp_path, capsys, args, message):
    config, _ = filled
    out = tmp_path / "ledger.xlsx"
    code = cli.main(["export", "--config", str(config), *args, "--out", str(out)])
    assert code == cli.CONFIG
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_a_date_that_does_not_exist_is_a_usage_error(filled, tmp_path, capsys):
    config, _ = filled
    with pytest.raises(SystemExit) as exit_:
        cli.main(
            ["export", "--config", str(config), "--unit", "C1", "--from", "2026-02-30",
             "--to", "2026-03-01", "--out", str(tmp_path / "x.xlsx")]
        )  # fmt: skip
    assert exit_.value.code == 2
    assert "not a date" in capsys.readouterr().err
