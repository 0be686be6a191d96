"""Patrols (二巡查) and door-knocking rounds (网格叮咚敲门), whose findings can become reports."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.care import covers, is_care_staff
from bot.domain.people import Staff
from bot.domain.units import UnitTree

MAX_PHOTOS = 5
MAX_FINDINGS = 10
MAX_NOTE = 500
MAX_FINDING = 500
MIN_FINDING = 4


class PatrolKind(StrEnum):
    PATROL = "patrol"  # 二巡查: the grid's routine patrol
    DOORKNOCK = "doorknock"  # 网格叮咚敲门: door-to-door round
    SAFETY = "safety"  # safety check (安全检查)


class PatrolError(ValueError):
    """Input that cannot become a patrol or a finding (the key names the message)."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


@dataclass(frozen=True, slots=True)
class Finding:
    text: str
    position: int = 0
    report_id: int | None = None
    patrol_id: int | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Patrol:
    worker_id: int
    kind: PatrolKind
    unit: str
    at: datetime
    note: str = ""
    photos: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    id: int | None = None


def may_patrol(
    staff: Staff | None, unit: str, tree: UnitTree, sent_to: Collection[str] = ()
) -> bool:
    """Tells whether STAFF may log a patrol of UNIT: care staff working at or above it, or a
    cadre sent down (下沉) to a grid in SENT_TO patrolling it or below (bot/domain/cadres.py)."""
    if is_care_staff(staff) and covers(staff, unit, tree):
        return True
    return (
        staff is not None
        and unit in tree
        and any(grid in tree and tree.is_within(unit, grid) for grid in sent_to)
    )


def may_report_finding(staff: Staff | None, patrol: Patrol, tree: UnitTree) -> bool:
    """Tells whether STAFF may open a report from one of PATROL's findings."""
    if staff is None:
        return False
    return staff.user_id == patrol.worker_id or covers(staff, patrol.unit, tree)


def check_finding(text: str) -> str:
    """Returns the finding trimmed, or raises PatrolError if too short or too long."""
    text = text.strip()
    if len(text) < MIN_FINDING:
        raise PatrolError("patrol.finding_too_short")
    if len(text) > MAX_FINDING:
        raise PatrolError("patrol.finding_too_long")
    return text


def check_note(text: str) -> str:
    text = text.strip()
    if len(text) > MAX_NOTE:
        raise PatrolError("patrol.note_too_long")
    return text


def log(
    *,
    worker: Staff,
    kind: PatrolKind,
    unit: str,
    at: datetime,
    note: str,
    photos: list[str] | tuple[str, ...],
    findings: list[str] | tuple[str, ...],
    tree: UnitTree,
    sent_to: Collection[str] = (),
) -> Patrol:
    """Returns a new patrol by WORKER of UNIT; raises PatrolError on anything out of bounds.
    SENT_TO: the grids WORKER is sent down to as a cadre."""
    if not may_patrol(worker, unit, tree, sent_to):
        raise PatrolError("patrol.not_allowed")
    if len(photos) > MAX_PHOTOS:
        raise PatrolError("patrol.too_many_photos")
    if len(findings) > MAX_FINDINGS:
        raise PatrolError("patrol.too_many_findings")
    return Patrol(
        worker_id=worker.user_id,
        kind=kind,
        unit=unit,
        at=at,
        note=check_note(note),
        photos=tuple(photos),
        findings=tuple(Finding(check_finding(text), position=i) for i, text in enumerate(findings)),
    )
