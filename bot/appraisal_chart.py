"""The 通报's chart: 三率 of each sub-unit (or of the unit itself) as grouped bars, a PNG.

Drawn in the chart process (bot/chart_process.py), so matplotlib never loads in the bot;
bot/chart.py's font look-up is reused: Chinese labels only with a font that has the glyphs.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

COLOURS = ("#4C78A8", "#59A14F", "#F28E2B")
MAX_BARS = 12


@dataclass(frozen=True, slots=True)
class Group:
    label: str
    rates: tuple[float | None, float | None, float | None]  # 0–1; None: no cases


def render(
    groups: Sequence[Group], title: str, series: Sequence[str], *, family: str | None = None
) -> bytes:
    """Returns a PNG of GROUPS' three rates in percent, the first MAX_BARS groups, drawn in the
    chart process."""
    from bot import chart_process
    from bot.chart import font_file

    shown = list(groups)[:MAX_BARS]
    return bytes(
        chart_process.call("appraisal", shown, title, list(series), family, font_file(family))
    )


def draw(
    groups: Sequence[Group],
    title: str,
    series: Sequence[str],
    family: str | None = None,
    font: str | None = None,
) -> bytes:
    """`render` in this process (the chart process runs it): FONT is FAMILY's file."""
    from bot.chart import register

    register(font)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    shown = list(groups)[:MAX_BARS]
    families = [family, "DejaVu Sans"] if family else ["DejaVu Sans"]
    text = FontProperties(family=families, size=10)
    figure = Figure(figsize=(max(6.0, 1.1 * len(shown) + 2), 4.4), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    width = 0.26
    for index, name in enumerate(series):
        values = [(g.rates[index] or 0.0) * 100 for g in shown]
        positions = [p + (index - 1) * width for p in range(len(shown))]
        bars = axes.bar(positions, values, width, color=COLOURS[index], label=name)
        labels = [
            "–" if g.rates[index] is None else f"{v:.0f}"
            for g, v in zip(shown, values, strict=True)
        ]
        axes.bar_label(bars, labels=labels, padding=2, fontsize=8)
    axes.set_xticks(list(range(len(shown))), [g.label for g in shown], fontproperties=text)
    axes.set_ylim(0, 115)
    axes.set_ylabel("%")
    axes.set_title(title, fontproperties=FontProperties(family=families, size=13))
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", alpha=0.3)
    axes.set_axisbelow(True)
    axes.legend(prop=text, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def cjk_family(configured: str | None) -> str | None:
    """Returns a font family with Chinese glyphs (bot/chart.py's look-up), or None."""
    from bot.chart import cjk_font

    return cjk_font(configured)
