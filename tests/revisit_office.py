"""The test office with 回访 on: its `litter` category marked `revisit` and a [revisit] section
(tests/data/config.toml is left as it is for every other test)."""

from __future__ import annotations

from pathlib import Path


def mark_revisit(path: Path, *, unsatisfied: str = "reopen") -> Path:
    """Marks the litter category for 回访 in the config at PATH; returns PATH."""
    text = path.read_text(encoding="utf-8")
    marked = 'en = "Litter and sanitation"\nrevisit = true\n'
    text = text.replace('en = "Litter and sanitation"\n', marked, 1)
    text += f'\n[revisit]\nwithin_days = 3\nstreet_after_days = 2\nunsatisfied = "{unsatisfied}"\n'
    path.write_text(text, encoding="utf-8")
    return path
