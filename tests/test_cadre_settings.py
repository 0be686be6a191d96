"""[cadres]: off without duties; a bad duty or member is refused at start-up naming its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import settings as settings_module
from bot.settings import ConfigError

GOOD = (Path(__file__).parent / "data" / "config.toml").read_text(encoding="utf-8")
CADRES = """
[cadres]
weekday = 1
hour = 8

[[cadres.duties]]
code = "knock"
zh = "网格叮咚敲门"
en = "Door-knocking"
kind = "doorknock"
count = 1

[[cadres.members]]
telegram_id = 301
grid = "G1"
duties = ["knock"]
"""

BAD = [
    (
        "a building is no grid",
        CADRES.replace('grid = "G1"', 'grid = "B1"'),
        "cadres.members.0.grid",
        "'B1'",
    ),
    ("unknown grid", CADRES.replace('grid = "G1"', 'grid = "G9"'), "cadres.members.0.grid", "'G9'"),
    ("unknown duty", CADRES.replace('["knock"]', '["sweep"]'), "cadres", "'sweep'"),
    ("unknown kind", CADRES.replace('"doorknock"', '"visit"'), "cadres.duties.0.kind", ""),
    ("no quota", CADRES.replace("count = 1", "count = 0"), "cadres.duties.0.count", ""),
    (
        "bad period",
        CADRES.replace("count = 1", 'count = 1\nper = "day"'),
        "cadres.duties.0.per",
        "",
    ),
    (
        "code with a colon",
        CADRES.replace('code = "knock"', 'code = "k:n"'),
        "cadres.duties.0.code",
        "':'",
    ),
    ("weekday 0", CADRES.replace("weekday = 1", "weekday = 0"), "cadres.weekday", ""),
    ("member twice", CADRES + CADRES[CADRES.index("[[cadres.members]]") :], "cadres", "twice"),
]


@pytest.mark.parametrize(("case", "extra", "key", "words"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_cadre_entry_is_refused_naming_its_key(tmp_path, case, extra, key, words):
    path = tmp_path / "office.toml"
    path.write_text(GOOD + extra, encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        settings_module.load(path)
    message = str(refused.value)
    assert f": {key}: " in message and words in message and "\n" not in message


def test_cadres_are_inert_by_default_and_load_from_the_file(tmp_path):
    path = tmp_path / "office.toml"
    path.write_text(GOOD, encoding="utf-8")
    assert settings_module.load(path).cadres.duties == []
    path.write_text(GOOD + CADRES, encoding="utf-8")
    cadres = settings_module.load(path).cadres
    assert (cadres.weekday, cadres.hour, cadres.remind) == (1, 8, True)
    assert [(d.code, d.kind, d.count, d.per) for d in cadres.duties] == [
        ("knock", "doorknock", 1, "week")
    ]
    assert [(m.telegram_id, m.grid, m.duties) for m in cadres.members] == [(301, "G1", ["knock"])]
