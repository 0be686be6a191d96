"""The lines a report's cards show about its call-ins (吹哨报到): the reporter's status card names
the parties called in (never persons); the holder's card shows each party's state and clock.

bot/notices/reports.py Cards renders them; nothing here imports it (bot/notices/callins.py does).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from bot.domain.callins import CallIn, Kind, Party, State
from bot.settings import Settings
from bot.texts import Texts


def party_book(settings: Settings) -> dict[str, Party]:
    """Returns the configured parties ([[parties]]) by code."""
    return {
        p.code: Party(
            p.code, p.zh, p.en, Kind(p.kind), tuple(p.categories), tuple(p.units), tuple(p.members)
        )
        for p in settings.parties
    }


def party_name(parties: Mapping[str, Party], code: str, lang: str) -> str:
    party = parties.get(code)
    return party.name(lang) if party else code


def names(parties: Mapping[str, Party], codes: Sequence[str], lang: str, texts: Texts) -> str:
    """'城管、物业' / 'City management, Property' in LANG."""
    return texts("callin.separator", lang).join(party_name(parties, c, lang) for c in codes)


def status_line(
    texts: Texts, parties: Mapping[str, Party], callins: Sequence[CallIn], lang: str
) -> str:
    """Returns the reporter's line '已吹哨：城管、物业' (parties not withdrawn), or ''."""
    codes: list[str] = []
    for callin in callins:
        if callin.state is not State.WITHDRAWN and callin.party not in codes:
            codes.append(callin.party)
    if not codes:
        return ""
    return "\n" + texts("callin.status_line", lang, parties=names(parties, codes, lang, texts))


def work_lines(
    texts: Texts,
    parties: Mapping[str, Party],
    callins: Sequence[CallIn],
    lang: str,
    when: Callable[[datetime | None], str],
) -> str:
    """Returns the holder's lines: each call-in's party, state and clock, or ''."""
    lines = []
    for callin in callins:
        late = texts("callin.late", lang) if callin.stage > 0 and callin.state.is_live else ""
        lines.append(
            texts(
                f"callin.line_{callin.state.value}",
                lang,
                party=party_name(parties, callin.party, lang),
                due=when(callin.due_at),
                late=late,
            )
        )
    if not lines:
        return ""
    return "\n\n" + texts("callin.work_header", lang) + "\n" + "\n".join(lines)
