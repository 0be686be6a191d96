"""Who is who: staff with a role at a unit, and residents with a registered place."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain.units import UnitTree


class Role(StrEnum):
    GRID_WORKER = "grid_worker"  # 网格员
    GRID_HEAD = "grid_head"  # 网格长
    COMMUNITY = "community"  # 社区工作人员
    STREET = "street"  # 街道
    DISTRICT = "district"  # 区
    PARTNER = "partner"  # 部门 / 物业 / 业委会, whistled in for their categories
    ADMIN = "admin"
    # The grid team's helpers (1+1+1+N, bot/domain/teams.py):
    PART_TIME = "part_time_worker"  # 兼职网格员: takes a grid's reports when it has no 网格员
    BUILDING_HEAD = "building_head"  # 楼栋长, on a building unit: told of its new reports
    ENTRANCE_HEAD = "entrance_head"  # 单元长, on an entrance unit (单元) below a building

    @property
    def is_supervisor(self) -> bool:
        """Tells whether this role may act on reports held below its own unit."""
        return self in (Role.GRID_HEAD, Role.COMMUNITY, Role.STREET, Role.DISTRICT, Role.ADMIN)

    @property
    def is_helper(self) -> bool:
        """Tells whether this role is one of the grid team's helpers (兼职网格员, 楼栋长, 单元长):
        they act only on what is theirs (a part-time worker's own reports), never on a unit's
        residents, households, volunteers, groups or figures."""
        return self in (Role.PART_TIME, Role.BUILDING_HEAD, Role.ENTRANCE_HEAD)

    @property
    def is_building_team(self) -> bool:
        """Tells whether this role is a 楼栋长 or 单元长: told of reports, never routed them."""
        return self in (Role.BUILDING_HEAD, Role.ENTRANCE_HEAD)


@dataclass(frozen=True, slots=True)
class Staff:
    user_id: int
    name: str
    role: Role
    unit: str
    categories: tuple[str, ...] = ()

    def handles(self, category: str) -> bool:
        return category in self.categories

    def oversees(self, unit: str, tree: UnitTree) -> bool:
        """Tells whether this staff member may act on reports held at UNIT."""
        if self.role is Role.ADMIN:
            return True
        if unit == self.unit:
            return True
        return self.role.is_supervisor and unit in tree and tree.is_within(unit, self.unit)


@dataclass(frozen=True, slots=True)
class Person:
    """Anyone who has talked to the bot: language and, for residents, their registered place."""

    user_id: int
    name: str = ""
    lang: str = "zh"
    unit: str | None = None
    phone: str | None = None
    staff: Staff | None = field(default=None)

    @property
    def is_staff(self) -> bool:
        return self.staff is not None
