"""The [merchants] section the 码上安全 tests add to tests/data/config.toml (not a test module).

Weekly on Monday at 09:00 Shanghai; two reminders a day apart; the grid worker is told after
three days. A restaurant answers three items (the extinguisher with a photo), a hardware shop
two."""

from __future__ import annotations

from pathlib import Path

NEAR_B1 = (30.6001, 114.3001)  # about 14 m from 1栋 (B1, in 第一网格 G1)
FAR_AWAY = (39.9042, 116.4074)  # Beijing: outside every grid

SECTION = """
[merchants]
enabled = true
cadence = "weekly"
weekday = 1
hour = 9
reminders = 2
remind_every_hours = 24
grace_hours = 72
max_distance_m = 500

[[merchants.kinds]]
code = "food"
zh = "餐饮"
en = "Restaurant"

[[merchants.kinds]]
code = "hardware"
zh = "五金"
en = "Hardware"

[[merchants.checks]]
code = "exits"
zh = "安全出口畅通"
en = "Fire exits clear"
category = "safety"

[[merchants.checks]]
code = "extinguisher"
zh = "灭火器在有效期内"
en = "Extinguishers in date"
category = "safety"
photo = true

[[merchants.checks]]
code = "gas"
zh = "燃气管道无泄漏"
en = "Gas pipes sound"
category = "safety"
kinds = ["food"]
"""


def add_merchants(config: Path) -> Path:
    """Appends SECTION to the copied test config CONFIG."""
    config.write_text(config.read_text(encoding="utf-8") + SECTION, encoding="utf-8")
    return config
