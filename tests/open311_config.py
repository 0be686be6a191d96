"""The [open311] section the Open311 tests add to tests/data/config.toml (not a test module)."""

from __future__ import annotations

from pathlib import Path

KEY_C1 = "hotline-12345-key-for-c1"  # the community 春晖社区 (C1): buildings B1, B2, B3
KEY_G2 = "grid-two-key-0123456789"  # 第二网格 (G2) only: building B3
NEAR_B1 = (30.6001, 114.3001)  # about 14 m from 1栋 (B1, in G1)
NEAR_B3 = (30.6099, 114.3099)  # next to 3栋 (B3, in G2)
FAR_AWAY = (39.9042, 116.4074)  # Beijing: no building within 2 km

SECTION = f"""
[open311]
page_size = 100

[[open311.keys]]
key = "{KEY_C1}"
name = "12345热线"
unit = "C1"

[[open311.keys]]
key = "{KEY_G2}"
name = "二网格平台"
unit = "G2"
"""


def add_open311(config: Path) -> Path:
    """Appends SECTION to the copied test config CONFIG."""
    config.write_text(config.read_text(encoding="utf-8") + SECTION, encoding="utf-8")
    return config
