"""The test office's parties for call-ins (吹哨报到), appended to tests/data/config.toml.

Their members are partner staff without categories of their own, so routing and the other
features' tests never see them.
"""

from __future__ import annotations

from pathlib import Path

CITY = 411  # 城管 (department), street S1: litter and roads
PROPERTY_CO = 412  # 物业 of 春晖社区
RESIDENTS_CO = 413  # 居委会 of 春晖社区
OWNERS_CO = 414  # 业委会 of 第一网格
MARKET = 415  # 市场监管 (department), street S1: property only

PARTIES = """
[callins]
ack = "4h"
done = "1d"
escalate_every = "2h"

[[staff]]
telegram_id = 411
name = "城管队员"
role = "partner"
unit = "S1"

[[staff]]
telegram_id = 412
name = "物业管家"
role = "partner"
unit = "C1"

[[staff]]
telegram_id = 413
name = "居委会干事"
role = "partner"
unit = "C1"

[[staff]]
telegram_id = 414
name = "业委会主任"
role = "partner"
unit = "G1"

[[staff]]
telegram_id = 415
name = "市场监管员"
role = "partner"
unit = "S1"

[[parties]]
code = "cg"
zh = "城管"
en = "City management"
kind = "department"
categories = ["litter", "road"]
units = ["S1"]
members = [411]

[[parties]]
code = "wy"
zh = "物业"
en = "Property company"
kind = "property"
units = ["C1"]
members = [412]

[[parties]]
code = "jwh"
zh = "居委会"
en = "Residents' committee"
kind = "residents_committee"
units = ["C1"]
members = [413]

[[parties]]
code = "ywh"
zh = "业委会"
en = "Owners' committee"
kind = "owners_committee"
units = ["G1"]
members = [414]

[[parties]]
code = "sj"
zh = "市场监管"
en = "Market regulation"
kind = "department"
categories = ["property"]
units = ["S1"]
members = [415]
"""


def add_parties(config: Path) -> Path:
    """Appends the parties (and their members) to the config file at CONFIG."""
    config.write_text(config.read_text(encoding="utf-8") + PARTIES, encoding="utf-8")
    return config
