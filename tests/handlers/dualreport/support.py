"""What the 双报告 tests share: the test office with two work units and a sibling community,
and party members registered straight through storage."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from bot.domain.volunteers import Volunteer, VolunteerStatus
from bot.services import Services
from tests.conftest import DATA
from tests.handlers.care.support import EXTRA as SIBLING_COMMUNITY

TAX_CONTACT = 7001  # the tax bureau's contact person
BANK_CHAT = -100555  # the bank's Party branch group

WORK_UNITS = """
[[work_units]]
code = "tax"
name = "区税务局"
contact_user = 7001

[[work_units]]
code = "bank"
name = "工商银行支行"
contact_chat = -100555
"""


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    """The test office with a second community (C2 → G3 → B4) and two work units."""
    path = tmp_path / "config.toml"
    shutil.copy(DATA / "config.toml", path)
    with path.open("a", encoding="utf-8") as file:
        file.write(SIBLING_COMMUNITY + WORK_UNITS)
    return path


async def party_member(
    services: Services, user_id: int, name: str, unit: str = "B1", code: str | None = "tax"
) -> Volunteer:
    """Registers and approves USER_ID as an in-service party member of work unit CODE."""
    at = services.clock()
    v = Volunteer(
        user_id,
        name,
        unit,
        phone="13800000000",
        party_member=True,
        work_unit="区税务局" if code == "tax" else "某单位",
        work_unit_code=code,
    )
    await services.store.volunteers.register(v, at, [])
    await services.store.volunteers.decide(
        replace(v, status=VolunteerStatus.APPROVED, decided_by=201), at, []
    )
    return v
