"""`griddesk import units|staff FILE.csv`: load the grid tree or staff from a spreadsheet.

Every row is checked before anything is written, and the rows go in as one transaction, so a
bad row leaves the database as it was. Re-importing a file updates rows and never duplicates.
The configuration file stays the source of truth for what it lists: a row that would change a
unit or staff member defined there is refused (the next `griddesk run` would undo it).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.domain.categories import Category
from bot.domain.people import Role, Staff
from bot.domain.staffing import ROLE_LEVELS, fits_level
from bot.domain.units import Unit, UnitTree
from bot.services import Services
from bot.settings import Settings, check_unit_code

UNIT_COLUMNS = ("code", "name", "level", "parent", "lat", "lon")
STAFF_COLUMNS = ("telegram_id", "name", "role", "unit", "categories")
REQUIRED = {"units": ("code", "name", "level"), "staff": ("telegram_id", "name", "role", "unit")}

# Spreadsheets kept by Chinese offices often say 网格 rather than grid.
LEVEL_NAMES = {
    "区": "district",
    "街道": "street",
    "社区": "community",
    "网格": "grid",
    "楼栋": "building",
    "单元": "entrance",  # 单元 of a building; "unit" is the code's word for any tree node
}
ROLE_NAMES = {
    "网格员": Role.GRID_WORKER,
    "网格长": Role.GRID_HEAD,
    "社区": Role.COMMUNITY,
    "街道": Role.STREET,
    "区": Role.DISTRICT,
    "协作单位": Role.PARTNER,
    "管理员": Role.ADMIN,
    "兼职网格员": Role.PART_TIME,
    "楼栋长": Role.BUILDING_HEAD,
    "单元长": Role.ENTRANCE_HEAD,
}
# Full-width forms too: Chinese input methods type them.
CATEGORY_SEPARATORS = re.compile(r"[;|；｜]")


class ImportRefused(Exception):
    """The file cannot be imported; `problems` holds one line per problem, with line numbers."""

    def __init__(self, path: Path, problems: list[str]):
        super().__init__(f"{path}: {len(problems)} problem(s)")
        self.path = path
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Row:
    line: int  # where the row starts in the file, as an editor numbers lines
    cells: dict[str, str]


@dataclass(frozen=True, slots=True)
class ImportResult:
    kind: str  # "units" or "staff"
    new: int
    updated: int
    unchanged: int

    def summary(self, path: Path) -> str:
        count = self.new + self.updated
        return (
            f"{path}: {count} {self.kind} imported ({self.new} new, {self.updated} updated,"
            f" {self.unchanged} unchanged)"
        )


def read_rows(path: Path, kind: str) -> list[Row]:
    """Returns the data rows of a UTF-8 CSV (BOM or not) after checking its header."""
    columns = UNIT_COLUMNS if kind == "units" else STAFF_COLUMNS
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise ImportRefused(path, [f"{path}: file not found"]) from None
    except UnicodeDecodeError as exc:
        hint = "in Excel use Save As → CSV UTF-8 (逗号分隔)"
        raise ImportRefused(path, [f"{path}: not UTF-8 (byte {exc.start}); {hint}"]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise ImportRefused(path, [f"{path}: the file is empty"])
    names = [name.strip().lower() for name in header]
    problems = []
    missing = [name for name in REQUIRED[kind] if name not in names]
    unknown = [name for name in names if name and name not in columns]
    doubled = sorted({name for name in names if name and names.count(name) > 1})
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown column(s) {', '.join(unknown)}")
    if doubled:
        problems.append(f"column(s) listed twice: {', '.join(doubled)}")
    if problems:
        expected = ",".join(columns)
        raise ImportRefused(
            path, [f"{path}:1: {'; '.join(problems)} (the header must be {expected})"]
        )
    rows: list[Row] = []
    line = 2
    for record in reader:
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in record):
            continue  # blank lines and Excel's trailing ",,,,"
        if len(record) > len(names) and any(cell.strip() for cell in record[len(names) :]):
            raise ImportRefused(
                path, [f"{path}:{start}: {len(record)} fields but the header has {len(names)}"]
            )
        cells = {name: "" for name in columns}
        for name, cell in zip(names, record, strict=False):
            if name:
                cells[name] = cell.strip()
        rows.append(Row(start, cells))
    return rows


def check_units(
    rows: list[Row], existing: UnitTree, configured: Mapping[str, Unit], config_name: str
) -> tuple[list[Unit], list[str]]:
    """Returns the units of ROWS and the problems found, each as 'LINE: message'."""
    problems: list[str] = []
    units: list[Unit] = []
    lines: dict[str, int] = {}
    for row in rows:
        unit, row_problems = _unit_of(row)
        problems += [f"{row.line}: {p}" for p in row_problems]
        if unit is None:
            continue
        if unit.code in lines:
            problems.append(f"{row.line}: unit {unit.code!r} is already on line {lines[unit.code]}")
            continue
        lines[unit.code] = row.line
        if unit.code in configured and configured[unit.code] != unit:
            problems.append(
                f"{row.line}: unit {unit.code!r} is defined in {config_name} with other values;"
                " change it there"
            )
            continue
        units.append(unit)
    parents: dict[str, str | None] = {u.code: u.parent for u in existing}
    parents.update({u.code: u.parent for u in units})
    reported: set[frozenset[str]] = set()
    for unit in units:
        line = lines[unit.code]
        if unit.parent is not None and unit.parent not in parents:
            problems.append(
                f"{line}: parent {unit.parent!r} is neither in this file nor in the database"
            )
            continue
        loop = _cycle_from(unit.code, parents)
        if loop and frozenset(loop) not in reported:
            reported.add(frozenset(loop))
            problems.append(f"{line}: units form a cycle: {' → '.join([*loop, loop[0]])}")
    problems.sort(key=lambda p: int(p.split(":", 1)[0]))
    return units, problems


def _unit_of(row: Row) -> tuple[Unit | None, list[str]]:
    cells = row.cells
    problems = [f"{name} is empty" for name in REQUIRED["units"] if not cells[name]]
    code = cells["code"]
    if code:
        try:
            check_unit_code(code)
        except ValueError as exc:
            problems.append(f"code {code!r}: {exc}")
    if len(cells["name"]) > 64:
        problems.append("name is longer than 64 characters")
    level = LEVEL_NAMES.get(cells["level"], cells["level"])
    parent = cells["parent"] or None
    if parent is not None and parent == code:
        problems.append(f"unit {code!r} is its own parent")
    lat = _coordinate(cells["lat"], "lat", 90, problems)
    lon = _coordinate(cells["lon"], "lon", 180, problems)
    if (lat is None) != (lon is None) and not any(p.startswith(("lat", "lon")) for p in problems):
        problems.append("lat and lon must be given together")
    if problems:
        return None, problems
    return Unit(code, cells["name"], level, parent, lat, lon), []


def _coordinate(text: str, name: str, limit: int, problems: list[str]) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        problems.append(f"{name} {text!r} is not a number")
        return None
    if not math.isfinite(value) or not -limit <= value <= limit:
        problems.append(f"{name} {text!r} is outside -{limit}…{limit}")
        return None
    return value


def _cycle_from(code: str, parents: Mapping[str, str | None]) -> list[str]:
    """Returns the units of the cycle above CODE (empty if its ancestry reaches a root)."""
    chain: list[str] = []
    current: str | None = code
    while current is not None and current in parents:
        if current in chain:
            return chain[chain.index(current) :]
        chain.append(current)
        current = parents[current]
    return []


def check_staff(
    rows: list[Row],
    tree: UnitTree,
    categories: Iterable[Category],
    configured: Mapping[int, Staff],
    config_name: str,
) -> tuple[list[Staff], list[str]]:
    """Returns the staff of ROWS and the problems found, each as 'LINE: message'."""
    by_name: dict[str, str] = {}
    for category in categories:
        by_name.update({category.code: category.code, category.zh: category.code})
        by_name.setdefault(category.en.lower(), category.code)
    problems: list[str] = []
    staff: list[Staff] = []
    lines: dict[int, int] = {}
    for row in rows:
        person, row_problems = _staff_of(row, tree, by_name)
        problems += [f"{row.line}: {p}" for p in row_problems]
        if person is None:
            continue
        if person.user_id in lines:
            problems.append(
                f"{row.line}: telegram_id {person.user_id} is already on line"
                f" {lines[person.user_id]}"
            )
            continue
        lines[person.user_id] = row.line
        known = configured.get(person.user_id)
        if known is not None and _differs(known, person):
            problems.append(
                f"{row.line}: telegram_id {person.user_id} is defined in {config_name} with"
                " other values; change it there"
            )
            continue
        staff.append(person)
    return staff, problems


def _staff_of(
    row: Row, tree: UnitTree, categories: Mapping[str, str]
) -> tuple[Staff | None, list[str]]:
    cells = row.cells
    problems = [f"{name} is empty" for name in REQUIRED["staff"] if not cells[name]]
    user_id = 0
    if cells["telegram_id"]:
        if re.fullmatch(r"\d{1,15}", cells["telegram_id"]) and int(cells["telegram_id"]) > 0:
            user_id = int(cells["telegram_id"])
        else:
            problems.append(
                f"telegram_id {cells['telegram_id']!r} is not a whole number"
                " (in Excel, format the column as text)"
            )
    if len(cells["name"]) > 64:
        problems.append("name is longer than 64 characters")
    role: Role | None = None
    if cells["role"]:
        role = ROLE_NAMES.get(cells["role"]) or next(
            (r for r in Role if r.value == cells["role"].lower()), None
        )
        if role is None:
            problems.append(
                f"role {cells['role']!r} is not one of {', '.join(r.value for r in Role)}"
            )
    if cells["unit"] and cells["unit"] not in tree:
        problems.append(f"unit {cells['unit']!r} is not in the database (import units first)")
    elif role is not None and cells["unit"] and not fits_level(role, cells["unit"], tree):
        problems.append(
            f"a {role.value} sits on a unit of level {ROLE_LEVELS[role]!r};"
            f" {cells['unit']!r} is a {tree.get(cells['unit']).level!r}"
        )
    codes: list[str] = []
    for part in CATEGORY_SEPARATORS.split(cells["categories"]):
        name = part.strip()
        if not name:
            continue
        code = categories.get(name) or categories.get(name.lower())
        if code is None:
            problems.append(
                f"unknown category {name!r} (known: {', '.join(sorted(set(categories.values())))})"
            )
        elif code not in codes:
            codes.append(code)
    if problems or role is None:
        return None, problems
    return Staff(user_id, cells["name"], role, cells["unit"], tuple(codes)), []


def _differs(a: Staff, b: Staff) -> bool:
    return (a.name, a.role, a.unit, set(a.categories)) != (
        b.name,
        b.role,
        b.unit,
        set(b.categories),
    )


async def import_units(services: Services, path: Path) -> ImportResult:
    """Checks every row of the units CSV at PATH, then upserts them all in one transaction."""
    rows = read_rows(path, "units")
    existing = await services.units.tree()
    configured = {u.code: u for u in UnitTree.from_configs(services.settings.units)}
    units, problems = check_units(rows, existing, configured, _config_name(services.settings))
    if problems:
        raise ImportRefused(path, [f"{path}:{p}" for p in problems])
    changed = [u for u in units if u.code not in existing or existing.get(u.code) != u]
    if changed:
        await services.units.import_units(changed)
    new = sum(1 for u in changed if u.code not in existing)
    return ImportResult("units", new, len(changed) - new, len(units) - len(changed))


async def import_staff(services: Services, path: Path) -> ImportResult:
    """Checks every row of the staff CSV at PATH, then upserts them all in one transaction."""
    rows = read_rows(path, "staff")
    tree = await services.units.tree()
    categories = await services.units.categories()
    configured = {
        s.telegram_id: Staff(s.telegram_id, s.name, Role(s.role), s.unit, tuple(s.categories))
        for s in services.settings.staff
    }
    staff, problems = check_staff(
        rows, tree, categories, configured, _config_name(services.settings)
    )
    if problems:
        raise ImportRefused(path, [f"{path}:{p}" for p in problems])
    existing = {s.user_id: s for s in await services.people.all_staff()}
    changed = [s for s in staff if s.user_id not in existing or _differs(existing[s.user_id], s)]
    if changed:
        await services.people.sync_staff(changed, "csv")
    new = sum(1 for s in changed if s.user_id not in existing)
    return ImportResult("staff", new, len(changed) - new, len(staff) - len(changed))


def _config_name(settings: Settings) -> str:
    return Path(settings.source).name if settings.source else "the config file"
