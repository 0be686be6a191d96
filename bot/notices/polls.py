"""Who is told what about a 议事会 poll: the residents' cards, the groups' native polls, the
results (outbox rows; the catalog is bot/locales/*/polls.toml)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.polls import Poll, Tally
from bot.domain.units import UnitTree
from bot.notices import outgoing
from bot.notices.buttons import button, keyboard
from bot.texts import Raw, Texts
from storage.outbox import Outgoing
from storage.polls import NativePoll, batch_of, card_key

LOW = -1  # outbox priority of the cards and native polls: case notices go first
VOTE = "poll"  # the noun of a resident's buttons on a card


def when(at: datetime, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def unit_name(tree: UnitTree, code: str) -> str:
    return tree.get(code).name if code in tree else code


def card_text(
    texts: Texts, tree: UnitTree, tz: ZoneInfo, poll: Poll, lang: str, voted: int | None = None
) -> str:
    text = texts(
        "poll.card",
        lang,
        unit=unit_name(tree, poll.unit),
        question=poll.question,
        closes=when(poll.closes_at, tz),
    )
    if voted is not None and 0 <= voted < len(poll.options):
        text += "\n\n" + texts("poll.card_voted", lang, option=poll.options[voted])
    return text


def card(
    texts: Texts,
    tree: UnitTree,
    tz: ZoneInfo,
    poll: Poll,
    chat_id: int,
    lang: str,
    *,
    voted: int | None = None,
    wants_result: bool = False,
    priority: int = LOW,
) -> Outgoing:
    """Returns a resident's card: the question with a button per option; once voted, their
    choice and (unless asked already) a button to be told the result. PRIORITY: LOW for the
    cards of a new poll; 0 for the answer to a resident's own press."""
    assert poll.id is not None
    if voted is None:
        rows = [[button(option, VOTE, "vote", poll.id, i)] for i, option in enumerate(poll.options)]
    elif not wants_result:
        rows = [[button(texts("poll.button_notify", lang), VOTE, "notify", poll.id)]]
    else:
        rows = []
    text = card_text(texts, tree, tz, poll, lang, voted)
    if wants_result:
        text += "\n" + texts("poll.card_will_notify", lang)
    markup = keyboard(rows) if rows else None
    out = outgoing.card(chat_id, card_key(poll.id), text, markup=markup)
    return Outgoing(out.chat_id, out.method, out.params, card=out.card, priority=priority)


def native(poll: Poll, chat_id: int) -> Outgoing:
    """Returns the group's native poll (anonymous: Telegram counts, nobody is named)."""
    assert poll.id is not None
    params = {"question": poll.question, "options": [{"text": o} for o in poll.options]}
    return Outgoing(chat_id, "sendPoll", params, priority=LOW, batch=batch_of(poll.id))


def stop(poll: Poll, found: NativePoll) -> Outgoing:
    assert poll.id is not None
    params = {"message_id": found.message_id}
    return Outgoing(found.chat_id, "stopPoll", params, batch=batch_of(poll.id))


def results_text(
    texts: Texts, tree: UnitTree, tz: ZoneInfo, poll: Poll, tally: Tally, lang: str
) -> str:
    """Returns the results: the residents' votes (one per person) and, apart, the groups'."""
    lines = [
        texts("poll.result_line", lang, option=option, votes=votes)
        for option, votes in zip(poll.options, tally.private, strict=True)
    ]
    text = texts(
        "poll.results",
        lang,
        unit=unit_name(tree, poll.unit),
        question=poll.question,
        closes=when(poll.closes_at, tz),
        lines=Raw("\n".join(lines)),
        voters=tally.voters,
        eligible=tally.eligible,
        turnout=tally.turnout,
    )
    if tally.groups:
        native_lines = [
            texts("poll.result_line", lang, option=option, votes=votes)
            for option, votes in zip(
                poll.options, tally.native or (0,) * len(poll.options), strict=True
            )
        ]
        text += "\n\n" + texts(
            "poll.results_groups",
            lang,
            lines=Raw("\n".join(native_lines)),
            voters=tally.native_total,
            groups=tally.groups,
        )
    return text


def results(
    texts: Texts,
    tree: UnitTree,
    tz: ZoneInfo,
    poll: Poll,
    tally: Tally,
    people: Sequence[tuple[int, str]],
) -> list[Outgoing]:
    """Returns the results to each of PEOPLE ((chat id, language): the creator, the voters who
    asked, the groups)."""
    cache: dict[str, str] = {}
    out = []
    for chat_id, lang in people:
        if lang not in cache:
            cache[lang] = results_text(texts, tree, tz, poll, tally, lang)
        out.append(outgoing.message(chat_id, cache[lang]))
    return out
