"""The weekly summary's chart: reports created vs closed over the last weeks, as a PNG.

matplotlib's bundled font (DejaVu Sans) has no Chinese glyphs, and asking it to draw them
prints "Glyph … missing from font(s)" and shows boxes. So Chinese labels are drawn only with a
font that has them: the configured [summaries] font, else an installed CJK font (Debian's
fonts-wqy-microhei, which .ci/run installs, or fonts-noto-cjk …). Without one the chart is
labelled in English and the unit by its code; the Chinese stays in the text message.

`render` and `cjk_font` run in the chart process (bot/chart_process.py): matplotlib and numpy
(~44 MB) never load in the bot; `draw` and `find_cjk_font` are what that process runs. The object
API is used (no pyplot): nothing global is touched.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

# Where Debian and common systems put fonts with Chinese glyphs, most preferred first.
CJK_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
)
_PROBE = "新增办结周社区网格街道"

NEW_COLOUR = "#4C78A8"
CLOSED_COLOUR = "#59A14F"


@dataclass(frozen=True, slots=True)
class Bar:
    label: str  # e.g. "W47\n11-16"
    new: int
    closed: int


@dataclass(frozen=True, slots=True)
class Labels:
    title: str
    new: str
    closed: str


def _has_glyphs(path: str) -> bool:
    try:
        from matplotlib.ft2font import FT2Font

        font = FT2Font(path)
        return all(font.get_char_index(ord(ch)) for ch in _PROBE)
    except Exception:  # unreadable or not a font: not usable
        return False


# The font files behind the families cjk_font found, for the chart process to register (a fresh
# one after the last exited idle knows none).
_FONT_FILES: dict[str, str] = {}


@lru_cache(maxsize=8)
def cjk_font(configured: str | None = None) -> str | None:
    """Returns the family name of a usable font with Chinese glyphs, or None.

    Looks at CONFIGURED, then the known file locations (so a font installed after matplotlib
    built its font cache is still found), then the fonts matplotlib knows by family name, in
    the chart process.
    """
    from bot import chart_process

    found = chart_process.call("font", configured)
    if found is not None:
        name, path = found
        _FONT_FILES[name] = path
        log.info("chart labels use %s (%s)", name, path)
        return str(name)
    if configured:
        log.warning("summaries.font %s has no Chinese glyphs or is missing", configured)
    log.info("no font with Chinese glyphs found: charts are labelled in English")
    return None


def font_file(family: str | None) -> str | None:
    """Returns the file of FAMILY as cjk_font found it (None: not one of those)."""
    return _FONT_FILES.get(family) if family else None


_REGISTERED: set[str] = set()


def register(path: str | None) -> None:
    """Adds the font file PATH to matplotlib's fonts, once per process (the chart process)."""
    if path and path not in _REGISTERED:
        from matplotlib import font_manager

        font_manager.fontManager.addfont(path)
        _REGISTERED.add(path)


def find_cjk_font(configured: str | None = None) -> tuple[str, str] | None:
    """Returns (family, file) of the first usable font with Chinese glyphs, registered with
    matplotlib in this process, or None (`cjk_font`'s look-up, run in the chart process)."""
    from matplotlib import font_manager
    from matplotlib.font_manager import FontProperties

    candidates = [configured] if configured else []
    candidates += list(CJK_FONT_FILES)
    known = {entry.name: entry.fname for entry in font_manager.fontManager.ttflist}
    candidates += [known[family] for family in CJK_FAMILIES if family in known]
    for path in candidates:
        if path and Path(path).is_file() and _has_glyphs(path):
            register(path)
            return FontProperties(fname=path).get_name(), path
    return None


def render(bars: Sequence[Bar], labels: Labels, *, family: str | None = None) -> bytes:
    """Returns a PNG of grouped bars (created vs closed per week), labelled with LABELS, drawn
    in the chart process.

    FAMILY must have every glyph the labels use (see `cjk_font`); without it, pass ASCII labels.
    """
    from bot import chart_process

    return bytes(chart_process.call("summary", list(bars), labels, family, font_file(family)))


def draw(
    bars: Sequence[Bar], labels: Labels, family: str | None = None, font: str | None = None
) -> bytes:
    """`render` in this process (the chart process runs it): FONT is FAMILY's file."""
    register(font)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.ticker import MaxNLocator

    families = [family, "DejaVu Sans"] if family else ["DejaVu Sans"]
    text = FontProperties(family=families, size=11)
    title = FontProperties(family=families, size=14)

    figure = Figure(figsize=(8, 4.2), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(bars)))
    width = 0.38
    new_bars = axes.bar(
        [p - width / 2 for p in positions],
        [b.new for b in bars],
        width,
        color=NEW_COLOUR,
        label=labels.new,
    )
    closed_bars = axes.bar(
        [p + width / 2 for p in positions],
        [b.closed for b in bars],
        width,
        color=CLOSED_COLOUR,
        label=labels.closed,
    )
    for container in (new_bars, closed_bars):
        axes.bar_label(container, padding=2, fontsize=9)
    axes.set_xticks(positions, [b.label for b in bars], fontproperties=text)
    axes.set_title(labels.title, fontproperties=title)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    top = max([1, *(b.new for b in bars), *(b.closed for b in bars)])
    axes.set_ylim(0, top * 1.18)
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", alpha=0.3)
    axes.set_axisbelow(True)
    axes.legend(prop=text, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
