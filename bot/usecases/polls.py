"""议事会 poll use cases: creating a poll (cards, native group polls), voting once, asking for
the result, counting the groups' native votes, and closing (the sweep)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain import access
from bot.domain import polls as domain
from bot.domain.people import Person
from bot.domain.polls import Poll, PollError, State
from bot.domain.volunteers import subtree
from bot.notices import outgoing
from bot.notices import polls as notices
from bot.services import Services
from bot.usecases.results import Done, Refused, refuse
from storage.broadcasts import Recipient
from storage.outbox import Outgoing
from storage.polls import card_key


@dataclass(frozen=True, slots=True)
class Voters:
    """Who a poll of a unit asks: its registered residents (a private card each) and its
    bound groups (a native poll each, where the poll fits Telegram's)."""

    residents: list[Recipient]
    groups: list[Recipient]


async def voters(services: Services, unit: str, question: str, options: Sequence[str]) -> Voters:
    tree = await services.units.tree()
    units = subtree(unit, tree) if unit in tree else []
    found = services.store.broadcasts
    residents = await found.residents_in(units, skip_muted=False)  # a vote is no broadcast
    fits = domain.fits_native(question, options)
    groups = await found.groups_in(units) if fits else []
    return Voters(residents, groups)


async def plan(
    services: Services,
    *,
    by: int,
    unit: str,
    question: str,
    options: Sequence[str],
    at: datetime,
) -> Done[Voters] | Refused:
    """Re-authorises BY for UNIT and returns whom the poll would ask.

    Refused: "poll.not_allowed" (rule poll_create, recorded), "poll.no_voters".
    """
    staff = await services.people.staff(by)
    tree = await services.units.tree()
    if (rule := access.create_poll(staff, unit, tree)) is not None:
        return await refuse(
            services, by, rule, f"unit:{unit}", "/poll", at=at, key="poll.not_allowed"
        )
    found = await voters(services, unit, question, options)
    if not found.residents and not found.groups:
        return Refused("poll.no_voters")
    return Done(found)


async def create(
    services: Services,
    *,
    by: Person,
    unit: str,
    question: str,
    options: Sequence[str],
    closes_at: datetime,
    at: datetime,
) -> Done[Poll] | Refused:
    """Creates the poll: a card to each resident asked, a native poll to each bound group, BY's
    confirmation and the end of BY's draft, in one commit.

    Refused as `plan`, or with the PollError's key (one option, a question too long, a
    closing time past or too far).
    """
    try:
        question = domain.check_question(question)
        choices = domain.check_options(options)
        domain.check_closing(closes_at, at)
    except PollError as error:
        return Refused(error.key)
    planned = await plan(
        services, by=by.user_id, unit=unit, question=question, options=choices, at=at
    )
    if isinstance(planned, Refused):
        return planned
    found = planned.value
    poll = Poll(
        created_by=by.user_id,
        unit=unit,
        question=question,
        options=choices,
        created_at=at,
        closes_at=closes_at,
        lang=by.lang,
        residents=len(found.residents),
        groups=len(found.groups),
    )
    tree, tz, texts = await services.units.tree(), services.tz, services.texts
    async with services.store.transaction() as tx:
        saved = await tx.polls.add(poll)
        messages = [
            notices.card(texts, tree, tz, saved, r.chat_id, r.lang) for r in found.residents
        ]
        messages += [notices.native(saved, group.chat_id) for group in found.groups]
        text = texts(
            "poll.created",
            by.lang,
            id=saved.id,
            residents=saved.residents,
            groups=saved.groups,
            closes=notices.when(closes_at, tz),
        )
        messages.append(outgoing.message(by.user_id, text))
        await tx.drafts.clear(by.user_id, at, messages)
    return Done(saved)


async def _asked(services: Services, poll: Poll, user_id: int) -> bool:
    assert poll.id is not None
    return user_id in await services.store.outbox.card_chats(card_key(poll.id))


async def vote(
    services: Services, poll_id: int, option: int, *, by: Person, at: datetime
) -> Done[Poll] | Refused:
    """Records BY's one vote for OPTION and shows it on their card, in one commit.

    Refused: "common.stale_button" (no such poll or option), "common.not_allowed" (not asked:
    rule poll_vote, recorded), "poll.closed", "poll.already_voted" (with {option}: the vote that
    stands; a second vote never replaces it).
    """
    poll = await services.store.polls.get(poll_id)
    if poll is None or not 0 <= option < len(poll.options):
        return Refused("common.stale_button")
    if (rule := access.vote_poll(by.user_id, await _asked(services, poll, by.user_id))) is not None:
        return await refuse(services, by.user_id, rule, f"poll:{poll_id}", "poll:vote", at=at)
    earlier = await services.store.polls.vote_of(poll_id, by.user_id)
    if earlier is not None:
        return Refused("poll.already_voted", {"option": poll.options[earlier]})
    if not poll.is_open_at(at):
        return Refused("poll.closed")
    tree = await services.units.tree()
    card = notices.card(
        services.texts, tree, services.tz, poll, by.user_id, by.lang, voted=option, priority=0
    )
    if not await services.store.polls.vote(poll_id, by.user_id, option, at, [card]):
        earlier = await services.store.polls.vote_of(poll_id, by.user_id)
        if earlier is not None:
            return Refused("poll.already_voted", {"option": poll.options[earlier]})
        return Refused("poll.closed")
    return Done(poll)


async def notify_me(
    services: Services, poll_id: int, *, by: Person, at: datetime
) -> Done[Poll] | Refused:
    """Notes that BY (who voted) wants the result when the poll closes; their card says so.

    Refused: "common.stale_button" (no such poll), "poll.vote_first", "poll.closed".
    """
    poll = await services.store.polls.get(poll_id)
    if poll is None:
        return Refused("common.stale_button")
    voted = await services.store.polls.vote_of(poll_id, by.user_id)
    if voted is None:
        return Refused("poll.vote_first")
    if poll.state is State.CLOSED:
        return Refused("poll.closed")
    tree = await services.units.tree()
    card = notices.card(
        services.texts,
        tree,
        services.tz,
        poll,
        by.user_id,
        by.lang,
        voted=voted,
        wants_result=True,
        priority=0,
    )
    await services.store.polls.want_result(poll_id, by.user_id, at, [card])
    return Done(poll)


async def count_native(
    services: Services,
    telegram_poll_id: str,
    counts: Sequence[int],
    total: int,
    closed: bool,
    at: datetime,
) -> int | None:
    """Keeps the counts Telegram reports for a native group poll of ours (anonymous: no voter
    is known); returns the poll's id, or None if the poll is not ours."""
    return await services.store.polls.record_native(telegram_poll_id, counts, total, closed, at)


async def close_due(services: Services, now: datetime) -> int:
    """Closes the polls past their closing time: first the groups' native polls are stopped
    (their final counts arrive as poll updates), then — once they are in, or
    [polls] stop_grace_seconds after the stop was queued — the results go to the creator, the
    voters who asked and the unit's bound groups. One step per poll and pass, each a
    compare-and-set."""
    found = services.store.polls
    await found.adopt_natives()
    grace = timedelta(seconds=services.settings.polls.stop_grace_seconds)
    acted = 0
    for poll in await found.due(now):
        assert poll.id is not None
        if poll.state is State.OPEN:
            stops = [notices.stop(poll, native) for native in await found.natives(poll.id)]
            moved = await found.move(poll, State.CLOSING, now, now, stops, stop_by=now + grace)
        else:
            waits = poll.stop_by is not None and now < poll.stop_by
            if waits and not await _natives_final(services, poll):
                continue
            messages = await _results(services, poll)
            moved = await found.move(poll, State.CLOSED, None, now, messages)
        acted += int(moved)
    return acted


async def _natives_final(services: Services, poll: Poll) -> bool:
    """Tells whether every native poll was stopped and its final counts arrived."""
    assert poll.id is not None
    if await services.store.polls.natives_in_flight(poll.id):
        return False
    return await services.store.polls.natives_closed(poll.id)


async def _results(services: Services, poll: Poll) -> list[Outgoing]:
    assert poll.id is not None
    tally = await services.store.polls.tally(poll)
    wanted = await services.store.polls.result_wanted_by(poll.id)
    people = [poll.created_by, *(v for v in wanted if v != poll.created_by)]
    languages = await services.people.languages(people)
    # Only people the bot knows (an erased creator or voter is a pseudonym, no chat).
    to = [(user_id, languages[user_id]) for user_id in people if user_id in languages]
    tree = await services.units.tree()
    units = subtree(poll.unit, tree) if poll.unit in tree else []
    to += [(g.chat_id, g.lang) for g in await services.store.broadcasts.groups_in(units)]
    return notices.results(services.texts, tree, services.tz, poll, tally, to)
