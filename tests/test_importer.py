"""CSV import of units and staff: all rows or none, idempotent, bad rows named by line."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import cli, importer
from bot.app import open_services
from bot.domain.people import Role
from bot.domain.units import Unit
from bot.importer import ImportRefused
from bot.services import Services
from storage.units import upsert_units

UNITS = """code,name,level,parent,lat,lon
G3,第三网格,grid,C1,,
B31,31栋,building,G3,30.6200,114.3200
B32,32栋,楼栋,G3,30.6205,114.3207
B33,33栋,building,G3,,
"""

STAFF = """telegram_id,name,role,unit,categories
7001,孙网格,grid_worker,G3,
7002,G3 物业,partner,G3,property;litter
7003,钱网格长,网格长,G3,road|safety
"""


@pytest.fixture
async def services(settings, clock) -> AsyncIterator[Services]:
    opened = await open_services(settings, clock)
    yield opened
    await opened.store.close()


def _csv(tmp_path: Path, text: str, name: str = "data.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


async def _count(services: Services, table: str) -> int:
    row = await services.store.db.fetchone(f"SELECT count(*) FROM {table}")
    assert row is not None
    return int(row[0])


async def _units(services: Services) -> dict[str, tuple]:
    rows = await services.store.db.fetchall("SELECT code, name, level, parent, lat, lon FROM units")
    return {row["code"]: tuple(row) for row in rows}


async def test_units_are_imported_below_configured_units(services, tmp_path):
    result = await importer.import_units(services, _csv(tmp_path, UNITS))

    assert (result.new, result.updated, result.unchanged) == (4, 0, 0)
    services.units.invalidate()
    tree = await services.units.tree()
    assert tree.path_name("B31") == "青山街道 / 春晖社区 / 第三网格 / 31栋"
    assert tree.get("B31") == Unit("B31", "31栋", "building", "G3", 30.62, 114.32)
    assert tree.get("B32").level == "building"  # 楼栋 means building
    assert tree.get("B33").lat is None
    assert tree.nearest_building(30.6204, 114.3206) == (tree.get("B32"), pytest.approx(13, abs=5))


async def test_importing_the_same_units_twice_changes_nothing_the_second_time(services, tmp_path):
    path = _csv(tmp_path, UNITS)
    await importer.import_units(services, path)
    before = await _units(services)

    again = await importer.import_units(services, path)

    assert (again.new, again.updated, again.unchanged) == (0, 0, 4)
    assert await _units(services) == before


async def test_a_changed_row_updates_the_unit_in_place(services, tmp_path):
    await importer.import_units(services, _csv(tmp_path, UNITS))
    count = await _count(services, "units")

    result = await importer.import_units(
        services, _csv(tmp_path, UNITS.replace("31栋,building,G3", "31栋（东）,building,G3"))
    )

    assert (result.new, result.updated, result.unchanged) == (0, 1, 3)
    assert await _count(services, "units") == count
    assert (await _units(services))["B31"][1] == "31栋（东）"


async def test_a_unit_file_saved_by_excel_with_a_bom_is_read(services, tmp_path):
    path = _csv(tmp_path, UNITS.replace("\n", "\r\n"), encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbfcode,")

    result = await importer.import_units(services, path)

    assert result.new == 4
    assert "G3" in await _units(services)


async def test_a_unit_file_in_gbk_is_refused_with_a_hint(services, tmp_path):
    path = _csv(tmp_path, UNITS, encoding="gb18030")
    with pytest.raises(ImportRefused) as refused:
        await importer.import_units(services, path)
    assert "not UTF-8" in refused.value.problems[0]
    assert "CSV UTF-8" in refused.value.problems[0]


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("G3,第三网格,grid,C1,,", "missing column(s) code, name, level"),
        ("code,name,parent", "missing column(s) level"),
        ("code,name,level,parent,latitude,lon", "unknown column(s) latitude"),
    ],
)
async def test_a_unit_file_without_the_header_is_refused(services, tmp_path, header, problem):
    text = header + "\n" + UNITS.split("\n", 1)[1]
    with pytest.raises(ImportRefused) as refused:
        await importer.import_units(services, _csv(tmp_path, text))
    assert problem in refused.value.problems[0]
    assert refused.value.problems[0].startswith(f"{tmp_path / 'data.csv'}:1: ")


BAD_UNIT_ROWS = [
    # (what is wrong, the row, the problem reported for it)
    ("missing name", "B34,,building,G3,,", "name is empty"),
    ("missing level", "B34,34栋,,G3,,", "level is empty"),
    (
        "unknown parent",
        "B34,34栋,building,G9,,",
        "parent 'G9' is neither in this file nor in the database",
    ),
    ("bad lat", "B34,34栋,building,G3,north,114.3", "lat 'north' is not a number"),
    ("lat out of range", "B34,34栋,building,G3,91,114.3", "lat '91' is outside"),
    ("lat without lon", "B34,34栋,building,G3,30.6,", "lat and lon must be given together"),
    ("own parent", "B34,34栋,building,B34,,", "its own parent"),
    ("code with ':'", "B:34,34栋,building,G3,,", "without ':'"),
    ("duplicate code", "B31,31栋,building,G3,,", "unit 'B31' is already on line 3"),
    ("changes a configured unit", "G1,一网格,grid,C1,,", "defined in config.toml"),
]


@pytest.mark.parametrize(
    ("case", "row", "problem"), BAD_UNIT_ROWS, ids=[b[0] for b in BAD_UNIT_ROWS]
)
async def test_a_bad_unit_row_is_reported_by_line_and_nothing_is_imported(
    services, tmp_path, case, row, problem
):
    text = UNITS.replace("B33,33栋,building,G3,,\n", "B33,33栋,building,G3,,\n" + row + "\n")
    before = await _units(services)

    with pytest.raises(ImportRefused) as refused:
        await importer.import_units(services, _csv(tmp_path, text))

    line = 6  # header, G3, B31, B32, B33, then the bad row
    mine = [p for p in refused.value.problems if p.startswith(f"{tmp_path / 'data.csv'}:{line}: ")]
    assert mine and problem in mine[0], refused.value.problems
    assert await _units(services) == before


async def test_a_cycle_within_the_file_is_reported_once(services, tmp_path):
    text = "code,name,level,parent\nX1,一,area,X2\nX2,二,area,X3\nX3,三,area,X1\n"
    with pytest.raises(ImportRefused) as refused:
        await importer.import_units(services, _csv(tmp_path, text))
    assert refused.value.problems == [
        f"{tmp_path / 'data.csv'}:2: units form a cycle: X1 → X2 → X3 → X1"
    ]


async def test_a_cycle_through_units_already_in_the_database_is_refused(services, tmp_path):
    await importer.import_units(services, _csv(tmp_path, UNITS, "units.csv"))
    before = await _units(services)
    text = "code,name,level,parent\nG3,第三网格,grid,B31\n"

    with pytest.raises(ImportRefused) as refused:
        await importer.import_units(services, _csv(tmp_path, text))

    assert refused.value.problems == [
        f"{tmp_path / 'data.csv'}:2: units form a cycle: G3 → B31 → G3"
    ]
    assert await _units(services) == before


async def test_every_bad_row_is_reported_not_just_the_first(services, tmp_path):
    text = UNITS + "B40,,building,G3,,\nB41,41栋,building,G3,x,y\n"
    with pytest.raises(ImportRefused) as refused:
        await importer.import_units(services, _csv(tmp_path, text))
    lines = [p.split(":")[1] for p in refused.value.problems]
    assert lines == ["6", "7", "7"]


async def test_rows_may_refer_to_parents_further_down_the_file(services, tmp_path):
    text = "code,name,level,parent\nB50,50栋,building,G5\nG5,第五网格,grid,C1\n"
    result = await importer.import_units(services, _csv(tmp_path, text))
    assert result.new == 2


async def test_a_row_identical_to_the_config_is_accepted_as_unchanged(services, tmp_path):
    text = "code,name,level,parent,lat,lon\nB1,1栋,building,G1,30.6000,114.3000\n"
    result = await importer.import_units(services, _csv(tmp_path, text))
    assert (result.new, result.updated, result.unchanged) == (0, 0, 1)


async def test_staff_are_imported_with_their_categories(services, tmp_path):
    await importer.import_units(services, _csv(tmp_path, UNITS, "units.csv"))

    result = await importer.import_staff(services, _csv(tmp_path, STAFF, "staff.csv"))

    assert (result.new, result.updated, result.unchanged) == (3, 0, 0)
    partner = await services.people.staff(7002)
    assert partner is not None
    assert (partner.role, partner.unit, partner.categories) == (
        Role.PARTNER,
        "G3",
        ("property", "litter"),
    )
    head = await services.people.staff(7003)
    assert (
        head is not None and head.role is Role.GRID_HEAD and head.categories == ("road", "safety")
    )


async def test_the_grid_teams_roles_and_entrances_are_imported_by_their_chinese_names(
    services, tmp_path
):
    units = UNITS + "E311,1单元,单元,B31,,\n"
    await importer.import_units(services, _csv(tmp_path, units, "units.csv"))
    staff = "telegram_id,name,role,unit,categories\n7101,钱楼长,楼栋长,B31,\n"
    staff += "7102,孙单元长,单元长,E311,\n7103,李兼职,兼职网格员,G3,\n"
    result = await importer.import_staff(services, _csv(tmp_path, staff, "staff.csv"))
    assert result.new == 3
    roles = {s.user_id: (s.role, s.unit) for s in await services.people.all_staff()}
    assert roles[7101] == (Role.BUILDING_HEAD, "B31")
    assert roles[7102] == (Role.ENTRANCE_HEAD, "E311")
    assert roles[7103] == (Role.PART_TIME, "G3")


async def test_importing_the_same_staff_twice_duplicates_nobody(services, tmp_path):
    await importer.import_units(services, _csv(tmp_path, UNITS, "units.csv"))
    path = _csv(tmp_path, STAFF, "staff.csv")
    await importer.import_staff(services, path)
    count = await _count(services, "staff")

    again = await importer.import_staff(services, path)
    moved = await importer.import_staff(
        services,
        _csv(tmp_path, STAFF.replace("7001,孙网格,grid_worker,G3", "7001,孙网格,grid_worker,G2")),
    )

    assert (again.new, again.updated, again.unchanged) == (0, 0, 3)
    assert (moved.new, moved.updated, moved.unchanged) == (0, 1, 2)
    assert await _count(services, "staff") == count
    worker = await services.people.staff(7001)
    assert worker is not None and worker.unit == "G2"


BAD_STAFF_ROWS = [
    ("non-numeric id", "abc,某人,grid_worker,G1,", "telegram_id 'abc' is not a whole number"),
    ("Excel's scientific notation", "7.00E+03,某人,grid_worker,G1,", "format the column as text"),
    ("bad role", "7009,某人,mayor,G1,", "role 'mayor' is not one of"),
    ("unknown unit", "7009,某人,grid_worker,G9,", "unit 'G9' is not in the database"),
    ("unknown category", "7009,某人,partner,G1,plumbing", "unknown category 'plumbing'"),
    ("missing name", "7009,,grid_worker,G1,", "name is empty"),
    ("duplicate id", "7001,又一人,grid_worker,G1,", "telegram_id 7001 is already on line 2"),
    ("changes configured staff", "101,李网格,grid_head,G1,", "defined in config.toml"),
    (
        "a building head off a building",
        "7009,某人,楼栋长,G1,",
        "sits on a unit of level 'building'",
    ),
    ("an entrance head on a building", "7009,某人,单元长,B1,", "level 'entrance'; 'B1' is a"),
]


@pytest.mark.parametrize(
    ("case", "row", "problem"), BAD_STAFF_ROWS, ids=[b[0] for b in BAD_STAFF_ROWS]
)
async def test_a_bad_staff_row_is_reported_by_line_and_nothing_is_imported(
    services, tmp_path, case, row, problem
):
    text = STAFF.replace("7001,孙网格,grid_worker,G3,", "7001,孙网格,grid_worker,G1,") + row + "\n"
    before = await services.people.all_staff()

    with pytest.raises(ImportRefused) as refused:
        await importer.import_staff(services, _csv(tmp_path, text))

    mine = [p for p in refused.value.problems if p.startswith(f"{tmp_path / 'data.csv'}:5: ")]
    assert mine and problem in mine[0], refused.value.problems
    assert await services.people.all_staff() == before


async def test_config_sync_at_start_up_keeps_csv_units_and_staff(settings, clock, tmp_path):
    """CSV units hang below config units; a config unit once re-parented under a CSV unit is
    put back. Neither stops the next start-up from loading the config."""
    first = await open_services(settings, clock)
    try:
        await importer.import_units(first, _csv(tmp_path, UNITS, "units.csv"))
        await importer.import_staff(first, _csv(tmp_path, STAFF, "staff.csv"))
        # As an older version might have left it: config unit B3 below the CSV unit G3.
        async with first.store.db.transaction() as conn:
            await upsert_units(conn, [Unit("B3", "3栋", "building", "G3", 30.61, 114.31)])
    finally:
        await first.store.close()

    again = await open_services(settings, clock)
    try:
        tree = await again.units.tree()
        assert tree.get("B3").parent == "G2"
        assert tree.get("B31").parent == "G3" and tree.get("G3").parent == "C1"
        assert await again.people.staff(7002) is not None
        assert len(tree) == 8 + 4
    finally:
        await again.store.close()


def test_the_import_command_prints_a_one_line_summary(config_path, tmp_path, capsys):
    path = _csv(tmp_path, UNITS, "units.csv")

    assert cli.main(["import", "units", str(path), "--config", str(config_path)]) == 0
    assert cli.main(["import", "units", str(path), "--config", str(config_path)]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{path}: 4 units imported (4 new, 0 updated, 0 unchanged)",
        f"{path}: 0 units imported (0 new, 0 updated, 4 unchanged)",
    ]


def test_the_import_command_refuses_a_bad_file_with_exit_1(config_path, tmp_path, capsys):
    path = _csv(tmp_path, STAFF + "x,某人,grid_worker,G1,\n", "staff.csv")

    assert cli.main(["import", "staff", str(path), "--config", str(config_path)]) == 1

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        f"{path}:2: unit 'G3' is not in the database (import units first)",
        f"{path}:3: unit 'G3' is not in the database (import units first)",
        f"{path}:4: unit 'G3' is not in the database (import units first)",
        f"{path}:5: telegram_id 'x' is not a whole number (in Excel, format the column as text)",
        f"griddesk: {path}: nothing was imported",
    ]
