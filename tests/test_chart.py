"""The summary chart is a real PNG, and never asks a font for glyphs it does not have."""

from __future__ import annotations

import logging
import struct
import warnings
from datetime import UTC, datetime

import pytest

from bot import chart
from bot.domain.summary import IsoWeek, Tally, WeekCount, WeekSummary
from bot.domain.units import Unit
from bot.jobs.summaries import chart_caption, chart_png
from bot.services import Services

BARS = [
    chart.Bar(f"W{w}\n11-{w - 30:02d}", n, c) for w, n, c in [(45, 3, 1), (46, 0, 0), (47, 9, 7)]
]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


class GlyphWatch:
    """Collects matplotlib's missing-glyph and font-lookup complaints (warnings and logs)."""

    def __init__(self, caplog: pytest.LogCaptureFixture):
        self.caplog = caplog

    def __enter__(self) -> GlyphWatch:
        self.caplog.set_level(logging.WARNING, logger="matplotlib")
        self._catch = warnings.catch_warnings(record=True)
        self.recorded = self._catch.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc: object) -> None:
        self._catch.__exit__(*exc)

    @property
    def complaints(self) -> list[str]:
        messages = [str(w.message) for w in self.recorded]
        messages += [r.getMessage() for r in self.caplog.records if r.name.startswith("matplotlib")]
        return [m for m in messages if "glyph" in m.lower() or "findfont" in m.lower()]


def test_the_chart_is_a_png_of_a_readable_size_in_english():
    data = chart.render(BARS, chart.Labels("C1 · new vs closed", "New", "Closed"))
    assert png_size(data) == (800, 420)
    assert 5_000 < len(data) < 200_000


def test_the_watch_does_see_a_missing_glyph(caplog):
    # Proves the next tests could fail: DejaVu Sans has no Chinese.
    with GlyphWatch(caplog) as watch:
        chart.draw(BARS, chart.Labels("春晖社区", "新增", "办结"))
    assert watch.complaints


def test_chinese_labels_use_a_font_that_has_them_without_complaint(caplog):
    # Drawn in this process (the chart process's `draw`), where the watch sees matplotlib.
    found = chart.find_cjk_font(None)
    if found is None:
        pytest.skip("no CJK font installed (.ci/run installs fonts-wqy-microhei)")
    family, path = found
    with GlyphWatch(caplog) as watch:
        data = chart.draw(BARS, chart.Labels("春晖社区 · 近 3 周", "新增", "办结"), family, path)
    assert watch.complaints == []
    assert png_size(data) == (800, 420)


def _summary() -> WeekSummary:
    history = [WeekCount(IsoWeek(2026, w), w - 40, w - 42) for w in range(43, 48)]
    return WeekSummary(
        Unit("C1", "春晖社区", "community"),
        IsoWeek(2026, 47),
        datetime(2026, 11, 23, 1, tzinfo=UTC),
        Tally(),
        [],
        history,
    )


@pytest.fixture
async def services(settings, db, clock) -> Services:
    from zoneinfo import ZoneInfo

    from bot.texts import Texts
    from storage.uow import Store

    return Services(settings, Store(db), Texts(), clock, ZoneInfo(settings.timezone))


async def test_without_a_cjk_font_a_chinese_summary_is_charted_in_english_by_unit_code(
    services, caplog, monkeypatch
):
    monkeypatch.setattr(chart, "cjk_font", lambda configured=None: None)
    seen: list[chart.Labels] = []

    def spy(bars, labels, *, family=None):  # drawn here, where the watch sees matplotlib
        seen.append(labels)
        return chart.draw(bars, labels, family)

    monkeypatch.setattr(chart, "render", spy)
    with GlyphWatch(caplog) as watch:
        data = chart_png(services, _summary(), "zh")
    assert watch.complaints == []
    assert png_size(data) == (800, 420)
    assert seen[0].title.startswith("C1 ·") and seen[0].new == "New"
    labels = seen[0].title + seen[0].new + seen[0].closed
    assert all(ord(ch) < 0x2E80 for ch in labels)  # no CJK


async def test_with_a_cjk_font_the_chart_is_labelled_in_chinese(services, monkeypatch):
    if chart.cjk_font(None) is None:
        pytest.skip("no CJK font installed (.ci/run installs fonts-wqy-microhei)")
    seen: list[chart.Labels] = []
    render = chart.render

    def spy(bars, labels, *, family=None):
        seen.append(labels)
        return render(bars, labels, family=family)

    monkeypatch.setattr(chart, "render", spy)
    chart_png(services, _summary(), "zh")
    assert seen[0].title == "春晖社区 · 近 5 周新增与结案"
    assert (seen[0].new, seen[0].closed) == ("新增", "结案")


async def test_the_caption_names_the_weeks_and_fits_telegrams_limit(services):
    caption = chart_caption(services, _summary(), "zh")
    assert "2026-W43" in caption and "2026-W47" in caption
    assert len(caption) <= 1024


def test_a_configured_font_without_chinese_glyphs_is_not_used(tmp_path):
    from matplotlib import font_manager

    dejavu = next(e.fname for e in font_manager.fontManager.ttflist if e.name == "DejaVu Sans")
    assert not chart._has_glyphs(dejavu)
    assert not chart._has_glyphs(str(tmp_path / "missing.ttf"))
