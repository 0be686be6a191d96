"""Charts are drawn in a child process: the same PNGs, matplotlib never in the bot's memory,
failures raised to the caller as before, the child replaced when it dies and gone when idle."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from bot import appraisal_chart, chart, chart_process

ROOT = Path(__file__).resolve().parents[1]
BARS = [chart.Bar("W45\n11-02", 3, 1), chart.Bar("W46\n11-09", 0, 0), chart.Bar("W47\n11-16", 9, 7)]
LABELS = chart.Labels("C1 · new vs closed", "New", "Closed")
GROUPS = [appraisal_chart.Group("C1", (0.5, None, 1.0)), appraisal_chart.Group("C2", (1, 0.25, 0))]
SERIES = ["response", "resolution", "satisfaction"]


def image(data: bytes) -> tuple[str, tuple[int, int]]:
    with Image.open(io.BytesIO(data)) as png:
        png.verify()  # raises on a truncated or corrupt file
    with Image.open(io.BytesIO(data)) as png:
        return str(png.format), png.size


def test_the_summary_chart_from_the_child_is_the_png_drawn_here():
    child = chart.render(BARS, LABELS)
    here = chart.draw(BARS, LABELS)
    assert image(child) == ("PNG", (800, 420))
    assert len(child) == len(here)


def test_a_chinese_summary_chart_from_the_child_is_the_png_drawn_here():
    family = chart.cjk_font(None)
    if family is None:
        pytest.skip("no CJK font installed (.ci/run installs fonts-wqy-microhei)")
    labels = chart.Labels("春晖社区 · 近 3 周", "新增", "办结")
    child = chart.render(BARS, labels, family=family)
    here = chart.draw(BARS, labels, family, chart.font_file(family))
    assert image(child) == ("PNG", (800, 420))
    assert len(child) == len(here)


def test_the_appraisal_chart_from_the_child_is_the_png_drawn_here():
    child = appraisal_chart.render(GROUPS, "C · 2026-10", SERIES)
    here = appraisal_chart.draw(GROUPS, "C · 2026-10", SERIES)
    assert image(child)[0] == "PNG"
    assert image(child)[1] == image(here)[1]
    assert len(child) == len(here)


def test_drawing_charts_never_loads_matplotlib_or_numpy_in_the_calling_process():
    script = """
import json, sys
from bot import appraisal_chart, chart
family = chart.cjk_font(None)
chart.render([chart.Bar("W1", 1, 2)], chart.Labels("t", "n", "c"), family=family)
appraisal_chart.render([appraisal_chart.Group("C1", (0.5, 0.5, 0.5))], "t", ["a", "b", "c"])
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(done.stdout.splitlines()[-1]))
    assert "bot" in loaded  # it did run
    assert not loaded & {"matplotlib", "numpy", "PIL"}


def test_an_exception_in_the_child_is_raised_to_the_caller_as_itself():
    with pytest.raises(AttributeError, match="has no attribute 'new'"):
        chart_process.call("summary", ["not a bar"], LABELS, None, None)
    assert image(chart.render(BARS, LABELS))[0] == "PNG"  # the child is still serving


def test_only_chart_functions_run_in_the_child():
    with pytest.raises(ValueError, match="no chart function"):
        chart_process.call("os.system", "true")


def test_a_child_that_died_is_replaced_on_the_next_chart():
    chart.render(BARS, LABELS)
    pid = chart_process.child_pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while chart_process.child_pid() == pid and time.monotonic() < deadline:
        time.sleep(0.05)
    assert image(chart.render(BARS, LABELS))[0] == "PNG"
    assert chart_process.child_pid() not in (None, pid)


def test_the_child_exits_once_idle_and_a_later_chart_starts_another(monkeypatch):
    monkeypatch.setenv("GRIDDESK_CHART_IDLE", "0.5")
    if chart_process._child is not None:  # started before the short idle was set: replace it
        chart_process._stop(chart_process._child)
    chart.render(BARS, LABELS)
    child = chart_process._child
    assert child is not None
    child.wait(timeout=30)  # it exits by itself
    assert chart_process.child_pid() is None
    assert image(chart.render(BARS, LABELS))[0] == "PNG"
    assert chart_process.child_pid() not in (None, child.pid)
    chart_process._stop(chart_process._child)  # type: ignore[arg-type]
