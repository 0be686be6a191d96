"""Report categories, with names in both languages and routing hints."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    zh: str
    en: str
    route_level: str | None = None  # handled from this level up (e.g. "community")
    urgent: bool = False  # clocks run on wall time, nags ignore quiet hours
    merge_radius_m: int = 100  # 并单: open reports this close are offered as the same problem
    reject_needs_approval: bool = False  # 退单 becomes a request to the tier above
    anonymous: bool = True  # a resident may report it without sharing their identity
    verify: bool = False  # 核实: checked on site before dispatch (bot/domain/checks.py)
    review: bool = False  # 复查: checked on site after resolve, by someone else

    revisit: bool = False  # 回访: a closed case gets a follow-up call (bot/domain/revisit.py)

    def name(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh
