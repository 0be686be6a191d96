"""Configuration: a broken file is refused with one line naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import settings as settings_module
from bot.settings import ConfigError

DATA = Path(__file__).parent / "data"
GOOD = (DATA / "config.toml").read_text(encoding="utf-8")


def _load(tmp_path: Path, text: str):
    path = tmp_path / "office.toml"
    path.write_text(text, encoding="utf-8")
    return settings_module.load(path)


def _edit(old: str, new: str, count: int = 1) -> str:
    assert old in GOOD, old
    return GOOD.replace(old, new, count)


BROKEN = [
    # (what is wrong, the broken text, the key the error names, words the message holds)
    ("bad TOML", GOOD + "\n[[units]\n", None, "not valid TOML"),
    ("unknown top-level key", GOOD.replace("timezone", "time_zone"), "time_zone", "Extra inputs"),
    ("unknown nested key", _edit("token =", "tokn ="), "telegram.tokn", "Extra inputs"),
    (
        "unknown unit key",
        _edit('level = "grid"', 'level = "grid"\nlevle = "x"'),
        "units.3.levle",
        "",
    ),
    ("bad parent", _edit('parent = "C1"', 'parent = "C9"'), "units.3.parent", "'C9'"),
    (
        "cycle",
        _edit('level = "district"', 'level = "district"\nparent = "B1"'),
        "units.0.parent",
        "cycle D1 → B1 → G1 → C1 → S1 → D1",
    ),
    ("self parent", _edit('parent = "C1"', 'parent = "G1"'), "units.3.parent", "cycle G1 → G1"),
    ("duplicate unit", _edit('code = "B3"', 'code = "B2"'), "units.7.code", "duplicate"),
    ("unit code with ':'", _edit('code = "B3"', 'code = "B:3"'), "units.7.code", "':'"),
    ("lat without lon", _edit("lon = 114.3100\n", ""), "units.7", "together (unit 'B3')"),
    ("lat out of range", _edit("lat = 30.6100", "lat = 130.61"), "units.7.lat", "90"),
    ("empty unit name", _edit('name = "3栋"', 'name = ""'), "units.7.name", "at least 1"),
    ("staff at unknown unit", _edit('unit = "G2"', 'unit = "G7"'), "staff.1.unit", "'G7'"),
    (
        "duplicate staff id",
        _edit("telegram_id = 102", "telegram_id = 101"),
        "staff.1.telegram_id",
        "twice",
    ),
    (
        "bad role",
        _edit('role = "street"', 'role = "mayor"'),
        "staff.4.role",
        "'entrance_head' (staff 301)",
    ),
    (
        "non-numeric id",
        _edit("telegram_id = 102", 'telegram_id = "abc"'),
        "staff.1.telegram_id",
        "integer",
    ),
    (
        "unknown staff category",
        _edit('["property"]', '["plumbing"]'),
        "staff.5.categories",
        "'plumbing'",
    ),
    (
        "duplicate category",
        _edit('code = "road"', 'code = "litter"'),
        "categories.1.code",
        "duplicate",
    ),
    (
        "bad route level",
        _edit('route_level = "community"', 'route_level = "comunity"'),
        "categories.3.route_level",
        "'comunity'",
    ),
    (
        "bad bot username",
        _edit("[telegram]\n", '[telegram]\nbot_username = "my bot"\n'),
        "telegram.bot_username",
        "ends in 'bot'",
    ),
]


@pytest.mark.parametrize(("case", "text", "key", "words"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_config_is_refused_with_one_line_naming_the_file_and_key(
    tmp_path, case, text, key, words
):
    with pytest.raises(ConfigError) as refused:
        _load(tmp_path, text)

    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(f"{tmp_path / 'office.toml'}: ")
    if key is not None:
        assert f": {key}: " in message
    assert words in message


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"nowhere\.toml: file not found"):
        settings_module.load(tmp_path / "nowhere.toml")


def test_a_file_that_is_not_utf8_is_named(tmp_path):
    path = tmp_path / "gbk.toml"
    path.write_bytes(GOOD.encode("gb18030"))
    with pytest.raises(ConfigError, match=r"gbk\.toml: not UTF-8"):
        settings_module.load(path)


def test_the_test_config_loads_with_its_tree_staff_and_categories(tmp_path):
    settings = _load(tmp_path, GOOD)

    assert [u.code for u in settings.units] == ["D1", "S1", "C1", "G1", "G2", "B1", "B2", "B3"]
    assert {s.telegram_id for s in settings.staff} == {101, 102, 103, 201, 301, 401, 901}
    assert [c.code for c in settings.categories if c.urgent] == ["safety"]
    assert settings.telegram.bot_username is None


def test_the_bot_username_may_be_written_with_an_at_sign(tmp_path):
    settings = _load(tmp_path, _edit("[telegram]\n", '[telegram]\nbot_username = "@Grid_Bot"\n'))
    assert settings.telegram.bot_username == "Grid_Bot"


def test_an_empty_parent_means_a_top_unit(tmp_path):
    settings = _load(tmp_path, _edit('level = "district"', 'level = "district"\nparent = ""'))
    assert settings.units[0].parent is None


def test_the_environment_overrides_token_and_database(tmp_path, monkeypatch):
    monkeypatch.setenv("GRIDDESK_TOKEN", "999:FROM-ENV")
    monkeypatch.setenv("GRIDDESK_DB", "/tmp/elsewhere.sqlite3")
    settings = _load(tmp_path, GOOD)
    assert settings.telegram.token == "999:FROM-ENV"
    assert settings.database_path() == Path("/tmp/elsewhere.sqlite3")


def test_a_missing_token_names_the_file_and_key(tmp_path, monkeypatch):
    monkeypatch.delenv("GRIDDESK_TOKEN", raising=False)
    settings = _load(tmp_path, _edit('token = "123456:TEST-TOKEN"', 'token = ""'))
    with pytest.raises(ConfigError) as refused:
        settings_module.require_token(settings)
    assert str(refused.value).startswith(f"{tmp_path / 'office.toml'}: telegram.token ")


def test_the_example_config_is_valid():
    example = Path(__file__).resolve().parent.parent / "config.example.toml"
    settings = settings_module.load(example)
    levels = {u.level for u in settings.units}
    assert {"district", "street", "community", "grid", "building"} <= levels
    assert {s.role for s in settings.staff} == set(settings_module.STAFF_ROLES)
    assert 6 <= len(settings.categories) <= 8
    assert any(c.urgent for c in settings.categories)
    assert any(c.route_level for c in settings.categories)
    assert any(s.role == "partner" and s.categories for s in settings.staff)
    assert any(u.lat is not None for u in settings.units)


def test_limits_default_to_a_street_office_and_are_read_from_the_file(tmp_path):
    from bot.settings import LimitSettings

    example = Path(__file__).resolve().parent.parent / "config.example.toml"
    assert settings_module.load(example).limits == LimitSettings()
    assert LimitSettings().reports_per_hour == 10
    path = tmp_path / "office.toml"
    path.write_text("[limits]\nreports_per_hour = 5\n", encoding="utf-8")
    assert settings_module.load(path).limits.reports_per_hour == 5
    path.write_text("[limits]\npresses_per_second = 0\n", encoding="utf-8")
    with pytest.raises(settings_module.ConfigError, match=r"limits\.presses_per_second"):
        settings_module.load(path)


def test_appraisal_defaults_match_the_example_and_bad_thresholds_name_their_key(tmp_path):
    from bot.settings import AppraisalSettings

    example = Path(__file__).resolve().parent.parent / "config.example.toml"
    assert settings_module.load(example).appraisal == AppraisalSettings()
    path = tmp_path / "office.toml"
    path.write_text("[appraisal]\nstars = [90, 80, 70, 60, 50]\n", encoding="utf-8")
    with pytest.raises(settings_module.ConfigError, match=r"appraisal\.stars: .*ascending"):
        settings_module.load(path)
    path.write_text("[appraisal]\nweights = { speed = 10 }\n", encoding="utf-8")
    with pytest.raises(settings_module.ConfigError, match=r"appraisal\.weights"):
        settings_module.load(path)


# 吹哨报到: the parties are checked at start-up, each mistake named by its key.
PARTY = """
[[parties]]
code = "cg"
zh = "城管"
en = "City management"
kind = "department"
categories = ["litter"]
units = ["S1"]
members = [411]
"""

BAD_PARTIES = [
    ("unknown unit", PARTY.replace('["S1"]', '["S9"]'), "parties.0.units", "'S9'"),
    (
        "unknown category",
        PARTY.replace('["litter"]', '["noise"]'),
        "parties.0.categories",
        "'noise'",
    ),
    ("unknown kind", PARTY.replace('"department"', '"police"'), "parties.0.kind", ""),
    ("no members", PARTY.replace("[411]", "[]"), "parties.0.members", ""),
    ("duplicate code", PARTY + PARTY.replace("[411]", "[412]"), "parties.1.code", "'cg'"),
    ("member twice", PARTY + PARTY.replace('"cg"', '"cg2"'), "parties.1.members", "'cg'"),
    ("member not a partner", PARTY.replace("[411]", "[101]"), "parties.0.members", "partner"),
    ("code with a colon", PARTY.replace('code = "cg"', 'code = "c:g"'), "parties.0.code", "':'"),
    ("bad clock", '[callins]\nack = "soon"\n', "callins.ack", "'soon'"),
]


@pytest.mark.parametrize(
    ("case", "extra", "key", "words"), BAD_PARTIES, ids=[b[0] for b in BAD_PARTIES]
)
def test_a_bad_party_is_refused_at_start_up_naming_its_key(tmp_path, case, extra, key, words):
    with pytest.raises(ConfigError) as refused:
        _load(tmp_path, GOOD + extra)

    message = str(refused.value)
    assert f": {key}: " in message and words in message and "\n" not in message


def test_parties_are_optional_and_load_with_their_clocks(tmp_path):
    assert _load(tmp_path, GOOD).parties == []
    loaded = _load(tmp_path, GOOD + '[callins]\nack = "2h"\n' + PARTY)
    assert [p.code for p in loaded.parties] == ["cg"]
    assert (loaded.callins.ack, loaded.callins.done) == ("2h", "3d")


def test_echo_is_off_by_default_and_contacts_are_checked(tmp_path):
    assert settings_module.load(DATA / "config.toml").echo.channel is None
    worker = 'telegram_id = 101\nname = "李网格"\nrole = "grid_worker"\nunit = "G1"\n'
    published = worker + 'public = true\npublic_phone = "027-8288 1234"\n'
    settings = _load(tmp_path, _edit(worker, published) + "\n[echo]\nchannel = -1001234\n")
    assert settings.echo.channel == -1001234
    assert [s.public_phone for s in settings.staff if s.public] == ["027-8288 1234"]
    with pytest.raises(ConfigError, match=r"staff\.0\.public_phone"):
        _load(tmp_path, _edit(worker, worker + 'public_phone = "call me"\n'))
    with pytest.raises(ConfigError, match=r"echo\.channel"):
        _load(tmp_path, GOOD + "\n[echo]\nchannel = 12345\n")  # a user id, not a channel


# 码上安全: the checks are checked at start-up, each mistake named by its key.
MERCHANT_CHECK = """
[[categories]]
code = "safety"
zh = "安全隐患"
en = "Safety hazard"

[merchants]
enabled = true
{extra}

[[merchants.checks]]
code = "exits"
zh = "安全出口畅通"
en = "Exits clear"
category = "{category}"
{kinds}
"""


@pytest.mark.parametrize(
    ("extra", "category", "kinds", "words"),
    [
        ("", "fire", "", r"merchants\.checks\.0\.category: unknown category 'fire'"),
        ("reminders = 3\ngrace_hours = 48", "safety", "", r"merchants: .*before grace_hours"),
        ("grace_hours = 200", "safety", "", r"merchants: .*shorter than a week"),
        ("", "safety", 'kinds = ["food"]', r"merchants: kind 'retail' has no check"),
        ("", "safety", 'kinds = ["cafe"]', r"merchants: checks 'exits': unknown kind 'cafe'"),
    ],
)
def test_a_bad_merchants_section_names_its_key(tmp_path, extra, category, kinds, words):
    text = MERCHANT_CHECK.format(extra=extra, category=category, kinds=kinds)
    with pytest.raises(settings_module.ConfigError, match=words):
        _load(tmp_path, text)


def test_merchant_checks_are_off_by_default_and_on_in_the_example():
    from bot.settings import MerchantSettings

    assert MerchantSettings().enabled is False and MerchantSettings().checks == []
    example = Path(__file__).resolve().parent.parent / "config.example.toml"
    merchants = settings_module.load(example).merchants
    assert merchants.enabled and {c.category for c in merchants.checks} == {"safety"}


RESOURCE = """
[[resources]]
code = "room"
zh = "活动室"
en = "Room"
unit = "C1"
hours = ["mon-fri 09:00-12:00,14:00-17:30", "sat 09:00-12:00"]
"""

BAD_RESOURCES = [
    ("unknown unit", RESOURCE.replace('"C1"', '"C9"'), "resources.0.unit", "'C9'"),
    ("duplicate code", RESOURCE + RESOURCE, "resources.1.code", "'room'"),
    ("bad day", RESOURCE.replace('"sat ', '"sa '), "resources.0.hours", "'sa 09:00-12:00'"),
    ("overlap", RESOURCE.replace("14:00", "11:00"), "resources.0.hours", "overlap"),
    ("no capacity", RESOURCE + "capacity = 0\n", "resources.0.capacity", ""),
    ("code with a colon", RESOURCE.replace('"room"', '"r:m"'), "resources.0.code", ""),
]


@pytest.mark.parametrize(
    ("case", "extra", "key", "words"), BAD_RESOURCES, ids=[b[0] for b in BAD_RESOURCES]
)
def test_a_bad_resource_is_refused_at_start_up_naming_its_key(tmp_path, case, extra, key, words):
    with pytest.raises(ConfigError) as refused:
        _load(tmp_path, GOOD + extra)
    message = str(refused.value)
    assert f": {key}: " in message and words in message and "\n" not in message


def test_bookings_are_off_without_resources_and_resources_load_with_defaults(tmp_path):
    assert _load(tmp_path, GOOD).resources == []
    [room] = _load(tmp_path, GOOD + RESOURCE).resources
    assert (room.capacity, room.slot_minutes, room.days_ahead, room.confirm) == (1, 60, 14, True)
