"""Who is told what about 下沉干部: the cadre when attached or detached, the cadre behind on a
duty, and the grid's head with the list of those behind (private chats only: names are
personal data)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.domain.cadres import Duty, Per, Progress
from bot.notices import outgoing
from bot.texts import Raw, Texts
from storage.outbox import Outgoing

MONTH_LINES = 25  # cadres shown in /monthly's block, those behind first


class CadreMonthLike(Protocol):
    """A cadre's month at a grid (bot/usecases/cadres.CadreMonth)."""

    @property
    def name(self) -> str: ...
    @property
    def place(self) -> str: ...
    @property
    def items(self) -> Sequence[tuple[Duty, int, int]]: ...


def duty_line(texts: Texts, lang: str, duty: Duty) -> str:
    """Returns "网格叮咚敲门：每周 1 次"."""
    return texts(f"cadres.quota_{duty.per.value}", lang, duty=duty.name(lang), count=duty.count)


def duty_lines(texts: Texts, lang: str, duties: Sequence[Duty]) -> str:
    lines = [texts("cadres.bullet", lang, text=duty_line(texts, lang, d)) for d in duties]
    return "\n".join(lines) or texts("cadres.no_duties", lang)


def progress_line(texts: Texts, lang: str, item: Progress) -> str:
    """Returns "✅ 网格叮咚敲门 本周 1/1" or "⚠️ … 0/1"."""
    return texts(
        "cadres.progress_behind" if item.behind else "cadres.progress_met",
        lang,
        duty=item.duty.name(lang),
        period=texts(f"cadres.this_{item.duty.per.value}", lang),
        done=item.done,
        needed=item.needed,
    )


def progress_lines(texts: Texts, lang: str, items: Sequence[Progress]) -> str:
    return "\n".join(progress_line(texts, lang, i) for i in items) or texts(
        "cadres.no_duties", lang
    )


def attached(texts: Texts, lang: str, user_id: int, place: str, duties: Sequence[Duty]) -> Outgoing:
    text = texts(
        "cadres.you_attached", lang, place=place, duties=Raw(duty_lines(texts, lang, duties))
    )
    return outgoing.message(user_id, text)


def detached(texts: Texts, lang: str, user_id: int, place: str) -> Outgoing:
    return outgoing.message(user_id, texts("cadres.you_detached", lang, place=place))


def reminder(
    texts: Texts, lang: str, user_id: int, behind: Sequence[tuple[str, Sequence[Progress]]]
) -> Outgoing:
    """Returns the weekly reminder: per grid (its name) the duties the cadre is behind on."""
    blocks = [
        texts("cadres.grid_block", lang, place=place) + "\n" + progress_lines(texts, lang, items)
        for place, items in behind
    ]
    return outgoing.message(user_id, texts("cadres.reminder", lang, grids=Raw("\n\n".join(blocks))))


def head_list(
    texts: Texts,
    lang: str,
    head_id: int,
    place: str,
    behind: Sequence[tuple[str, Sequence[Progress]]],
) -> Outgoing:
    """Returns the grid head's one list of the grid's cadres behind (name, then duties)."""
    blocks = [
        texts("cadres.member_block", lang, name=name) + "\n" + progress_lines(texts, lang, items)
        for name, items in behind
    ]
    text = texts(
        "cadres.head_list", lang, place=place, count=len(behind), members=Raw("\n".join(blocks))
    )
    return outgoing.message(head_id, text)


def month_item(texts: Texts, lang: str, duty: Duty, done: int, needed: int) -> str:
    key = "cadres.month_item_met" if done >= needed else "cadres.month_item_behind"
    per = texts(f"cadres.per_{Per(duty.per).value}", lang)
    return texts(key, lang, duty=duty.name(lang), done=done, needed=needed, per=per)


def month_block(
    texts: Texts, lang: str, figures: Sequence[CadreMonthLike], limit: int = MONTH_LINES
) -> str:
    """Returns /monthly's 下沉干部 block: a line per cadre and grid with each duty's figures,
    the first LIMIT of them (a message holds 4,096 characters) and how many more there are."""
    shown, more = figures[:limit], len(figures) - limit
    lines = [
        texts(
            "cadres.monthly_line",
            lang,
            name=f.name,
            place=f.place,
            items=Raw(
                texts("cadres.separator", lang).join(
                    month_item(texts, lang, duty, done, needed) for duty, done, needed in f.items
                )
                or texts("cadres.no_duties", lang)
            ),
        )
        for f in shown
    ]
    if more > 0:
        lines.append(texts("cadres.monthly_more", lang, count=more))
    body = "\n".join(lines) or texts("cadres.monthly_none", lang)
    return texts("cadres.monthly_title", lang) + "\n" + body
