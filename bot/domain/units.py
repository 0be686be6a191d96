"""The grid tree (区 → 街道 → 社区 → 网格 → 楼栋 …) and the tiers reports climb (四色联调)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

# Known levels, top first. Offices may add others (片区, 单元); those count as the tier of the
# nearest known level above them.
LEVELS = ("district", "street", "community", "grid", "building")


class UnitError(ValueError):
    """The unit tree is inconsistent (unknown parent, cycle, duplicate code)."""


class Tier(StrEnum):
    """Who holds a report: grid 绿 → community 黄 → street 蓝 → district 红 (四色联调)."""

    GRID = "grid"
    COMMUNITY = "community"
    STREET = "street"
    DISTRICT = "district"

    @property
    def colour(self) -> str:
        return _COLOURS[self]

    @property
    def above(self) -> Tier | None:
        order = list(Tier)
        index = order.index(self)
        return order[index + 1] if index + 1 < len(order) else None


_COLOURS = {Tier.GRID: "green", Tier.COMMUNITY: "yellow", Tier.STREET: "blue", Tier.DISTRICT: "red"}


@dataclass(frozen=True, slots=True)
class Unit:
    code: str
    name: str
    level: str
    parent: str | None = None
    lat: float | None = None
    lon: float | None = None


class _UnitLike(Protocol):
    code: str
    name: str
    level: str
    parent: str | None
    lat: float | None
    lon: float | None


class UnitTree:
    """An immutable, validated tree of units with ancestry and distance look-ups."""

    def __init__(self, units: Iterable[Unit]):
        self._units: dict[str, Unit] = {}
        for unit in units:
            if unit.code in self._units:
                raise UnitError(f"unit {unit.code!r} is listed twice")
            self._units[unit.code] = unit
        self._children: dict[str | None, list[str]] = {}
        for unit in self._units.values():
            if unit.parent is not None and unit.parent not in self._units:
                raise UnitError(f"unit {unit.code!r} has unknown parent {unit.parent!r}")
            self._children.setdefault(unit.parent, []).append(unit.code)
        for code in self._units:
            self._check_no_cycle(code)

    @classmethod
    def from_configs(cls, configs: Iterable[_UnitLike]) -> UnitTree:
        return cls(Unit(c.code, c.name, c.level, c.parent or None, c.lat, c.lon) for c in configs)

    def _check_no_cycle(self, code: str) -> None:
        seen = {code}
        parent = self._units[code].parent
        while parent is not None:
            if parent in seen:
                raise UnitError(f"units {' → '.join(sorted(seen))} form a cycle")
            seen.add(parent)
            parent = self._units[parent].parent

    def __contains__(self, code: object) -> bool:
        return code in self._units

    def __len__(self) -> int:
        return len(self._units)

    def __iter__(self) -> Iterator[Unit]:
        return iter(self._units.values())

    def get(self, code: str) -> Unit:
        return self._units[code]

    def roots(self) -> list[Unit]:
        return [self._units[c] for c in self._children.get(None, [])]

    def children(self, code: str) -> list[Unit]:
        return [self._units[c] for c in self._children.get(code, [])]

    def chain(self, code: str) -> list[Unit]:
        """Returns the unit and its ancestors, nearest first."""
        chain = []
        current: str | None = code
        while current is not None:
            unit = self._units[current]
            chain.append(unit)
            current = unit.parent
        return chain

    def is_within(self, code: str, ancestor: str) -> bool:
        """Tells whether CODE is ANCESTOR or lies below it."""
        return any(unit.code == ancestor for unit in self.chain(code))

    def path_name(self, code: str) -> str:
        """Returns the names from the top down, e.g. '青山街道 / 春晖社区 / 3 号网格 / 5 栋'."""
        return " / ".join(unit.name for unit in reversed(self.chain(code)) if unit.parent)

    def place_name(self, code: str) -> str:
        """Returns the path for people to read ('青山街道 / 春晖社区 / 1栋'); a top unit by its own
        name, and an unknown code as it is."""
        if code not in self._units:
            return code
        return self.path_name(code) or self._units[code].name

    def tier_of(self, code: str) -> Tier:
        """Returns the tier that holds reports placed at CODE (buildings belong to their grid)."""
        for unit in self.chain(code):
            if unit.level in ("grid", "building"):
                return Tier.GRID
            if unit.level in Tier.__members__.values():
                return Tier(unit.level)
        return Tier.DISTRICT

    def unit_at_tier(self, code: str, tier: Tier) -> Unit | None:
        """Returns the nearest unit at or above CODE whose tier is TIER."""
        for unit in self.chain(code):
            if unit.level == tier.value or (tier is Tier.GRID and unit.level == "grid"):
                return unit
        return None

    def point(self, code: str) -> tuple[float, float] | None:
        """Returns the coordinates of CODE, else of the nearest unit above it that has them (a
        report's building's, else its grid's); None for an unknown code or none on the way."""
        if code not in self._units:
            return None
        for unit in self.chain(code):
            if unit.lat is not None and unit.lon is not None:
                return unit.lat, unit.lon
        return None

    def buildings(self) -> list[Unit]:
        return [u for u in self._units.values() if u.lat is not None and u.lon is not None]

    def nearest_building(self, lat: float, lon: float) -> tuple[Unit, float] | None:
        """Returns the unit with coordinates nearest to (LAT, LON) and its distance in metres."""
        best: tuple[Unit, float] | None = None
        for unit in self.buildings():
            assert unit.lat is not None and unit.lon is not None
            metres = distance_m(lat, lon, unit.lat, unit.lon)
            if best is None or metres < best[1]:
                best = (unit, metres)
        return best


def pin(
    lat: float | None, lon: float | None, unit: str, tree: UnitTree
) -> tuple[float, float] | None:
    """Returns where a report at UNIT goes on a map: its own pin (LAT, LON), else its unit's
    coordinates or the nearest unit's above (Open311's lat/long and the dashboard's map)."""
    if lat is not None and lon is not None:
        return lat, lon
    return tree.point(unit)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Returns the great-circle distance in metres."""
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))
