"""The synthetic office every benchmark uses: one unit tree, its staff and categories.

`populate` writes it into a database and `write_config` into the TOML a `griddesk run` process
loads, so the process's start-up sync (units, categories, config staff) matches what is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

TOKEN = "123456:BENCH-TOKEN"
# (code, zh, en, route_level, urgent)
CATEGORIES = [
    ("litter", "环境卫生", "Litter", None, False),
    ("road", "道路设施", "Roads", None, False),
    ("property", "物业问题", "Property", None, False),
    ("dispute", "邻里纠纷", "Dispute", "community", False),
    ("safety", "安全隐患", "Safety hazard", None, True),
    ("noise", "噪音扰民", "Noise", None, False),
    ("green", "绿化养护", "Greenery", None, False),
    ("parking", "停车管理", "Parking", None, False),
]
ADMIN = 900_000
GRID_WORKER_BASE = 100_000
COMMUNITY_BASE = 200_000
STREET_BASE = 300_000
DISTRICT_STAFF = 400_000


@dataclass(frozen=True)
class Office:
    units: list[tuple[str, str, str, str | None]]  # (code, name, level, parent)
    staff: list[tuple[int, str, str, str]]  # (user_id, name, role, unit)

    @property
    def grids(self) -> list[str]:
        return [code for code, _, level, _ in self.units if level == "grid"]

    def worker_of(self, grid: str) -> int:
        return GRID_WORKER_BASE + int(grid[1:])


def office(units: int = 1_000) -> Office:
    """Returns UNITS units (1 district, UNITS/100 streets, UNITS/10 communities, the rest grids),
    one worker per grid and one staff member per community, street and the district."""
    tree: list[tuple[str, str, str, str | None]] = [("D", "江岸区", "district", None)]
    streets = max(1, units // 100)
    communities = max(1, units // 10)
    tree += [(f"S{s}", f"街道{s}", "street", "D") for s in range(streets)]
    tree += [(f"C{c}", f"社区{c}", "community", f"S{c % streets}") for c in range(communities)]
    grids = max(1, units - len(tree))
    tree += [(f"G{g}", f"网格{g}", "grid", f"C{g % communities}") for g in range(grids)]
    staff = [(GRID_WORKER_BASE + g, f"网格员{g}", "grid_worker", f"G{g}") for g in range(grids)]
    staff += [(COMMUNITY_BASE + c, f"社区{c}", "community", f"C{c}") for c in range(communities)]
    staff += [(STREET_BASE + s, f"街道{s}", "street", f"S{s}") for s in range(streets)]
    staff += [(DISTRICT_STAFF, "区中心", "district", "D"), (ADMIN, "管理员", "admin", "D")]
    return Office(tree, staff)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_config(
    folder: Path,
    the_office: Office,
    *,
    database: Path,
    poll_timeout: int = 10,
    sweep_interval: int = 30,
    extra: str = "",
) -> Path:
    """Writes the office's griddesk config (database at DATABASE) into FOLDER; returns its path."""
    lines = [
        'timezone = "Asia/Shanghai"',
        f"sweep_interval = {sweep_interval}",
        "",
        "[telegram]",
        f'token = "{TOKEN}"',
        f"admin_chat_id = {ADMIN}",
        f"poll_timeout = {poll_timeout}",
        "",
        "[storage]",
        f"path = {_quote(str(database))}",
        "",
        # Simulated residents report back to back with no think time; the flood limits (at
        # their maximum here) still run on every update, they just never refuse.
        "[limits]",
        "reports_per_hour = 1000",
        "reports_per_day = 10000",
        "messages_per_minute = 1000",
        "presses_per_second = 100",
        "",
        extra,
    ]
    for code, zh, en, route_level, urgent in CATEGORIES:
        lines += ["[[categories]]", f'code = "{code}"', f'zh = "{zh}"', f'en = "{en}"']
        if route_level:
            lines.append(f'route_level = "{route_level}"')
        if urgent:
            lines.append("urgent = true")
        lines.append("")
    for code, name, level, parent in the_office.units:
        lines += ["[[units]]", f'code = "{code}"', f"name = {_quote(name)}", f'level = "{level}"']
        if parent:
            lines.append(f'parent = "{parent}"')
        lines.append("")
    for user_id, name, role, unit in the_office.staff:
        lines += [
            "[[staff]]",
            f"telegram_id = {user_id}",
            f"name = {_quote(name)}",
            f'role = "{role}"',
            f'unit = "{unit}"',
            "",
        ]
    path = folder / "config.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
