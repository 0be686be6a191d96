"""[[care.kinds]] and [[work_units]] / [dualreport]: safe defaults, and each mistake refused at
start-up with one line naming its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import settings as settings_module
from bot.settings import ConfigError

DATA = Path(__file__).parent / "data"
GOOD = (DATA / "config.toml").read_text(encoding="utf-8")

KIND = """
[[care.kinds]]
code = "lone_elder"
zh = "孤寡老人"
en = "Elder living alone"
cadence = "weekly"
group = "四进四访"
"""

WORK_UNIT = """
[[work_units]]
code = "tax"
name = "区税务局"
contact_user = 7001
"""

BAD = [
    ("duplicate kind", KIND + KIND, "care.kinds", "unique"),
    (
        "kind code with a colon",
        KIND.replace('"lone_elder"', '"lone:elder"'),
        "care.kinds.0.code",
        "",
    ),
    ("unknown cadence", KIND.replace('"weekly"', '"daily"'), "care.kinds.0.cadence", ""),
    ("no kinds", "[care]\nkinds = []\n", "care.kinds", ""),
    ("duplicate work unit", WORK_UNIT + WORK_UNIT, "work_units", "unique"),
    (
        "work unit without contact",
        WORK_UNIT.replace("contact_user = 7001", ""),
        "work_units.0",
        "contact",
    ),
    ("work unit code with a space", WORK_UNIT.replace('"tax"', '"t x"'), "work_units.0.code", ""),
    ("report day past the 28th", "[dualreport]\nday = 31\n", "dualreport.day", ""),
]


@pytest.mark.parametrize(("case", "extra", "key", "words"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_kind_or_work_unit_is_refused_naming_its_key(tmp_path, case, extra, key, words):
    path = tmp_path / "office.toml"
    path.write_text(GOOD + extra, encoding="utf-8")

    with pytest.raises(ConfigError) as refused:
        settings_module.load(path)

    message = str(refused.value)
    assert f": {key}: " in message and words in message and "\n" not in message


def test_the_defaults_ship_wubifang_with_todays_codes_and_sijinsifang(tmp_path):
    path = tmp_path / "office.toml"
    path.write_text(GOOD, encoding="utf-8")
    loaded = settings_module.load(path)

    groups = {k.code: k.group for k in loaded.care.kinds}
    assert [c for c, g in groups.items() if g == "五必访"] == [
        "illness",
        "disability",
        "empty_nest",
        "hardship",
        "bereaved",
    ]
    assert [k.zh for k in loaded.care.kinds if k.group == "四进四访"] == [
        "困难家庭",
        "离退休人员",
        "孤寡老人",
        "信访人员",
    ]
    assert loaded.work_units == [] and loaded.dualreport.enabled  # inert without work units


def test_configured_kinds_replace_the_defaults_and_work_units_load(tmp_path):
    path = tmp_path / "office.toml"
    path.write_text(GOOD + KIND + WORK_UNIT, encoding="utf-8")
    loaded = settings_module.load(path)

    assert [(k.code, k.cadence) for k in loaded.care.kinds] == [("lone_elder", "weekly")]
    assert [(w.code, w.contact_user, w.contact_chat) for w in loaded.work_units] == [
        ("tax", 7001, None)
    ]
