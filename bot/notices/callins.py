"""What each step of a call-in (吹哨报到) tells whom: the party's card, the holder, the reporter.

Every message here becomes an outbox row in the same transaction as the step
(storage/callins.py). Parties see the problem and its place, never the reporter's name or phone;
the reporter sees the parties' names, never persons.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.domain.callins import CallIn, Party, State
from bot.domain.people import Staff
from bot.domain.reports import Report
from bot.notices import outgoing
from bot.notices.buttons import button, keyboard
from bot.notices.callin_lines import names, party_name
from bot.notices.reports import Cards, follower_card, handlers_of
from bot.services import Services
from storage.outbox import Outgoing


def card_key(callin: CallIn) -> str:
    return f"callin:{callin.id}"


class Notices:
    """Renders one report's call-in messages in each recipient's language."""

    def __init__(self, services: Services, cards: Cards, report: Report):
        self.services = services
        self.texts = services.texts
        self.cards = cards
        self.report = report
        self.langs: dict[int, str] = {}

    @classmethod
    async def load(cls, services: Services, report: Report) -> Notices:
        cards = await Cards.load(services)
        await cards.know_callins(report)
        return cls(services, cards, report)

    async def learn(self, user_ids: Iterable[int]) -> None:
        self.langs.update(await self.services.people.languages(user_ids))

    def lang(self, user_id: int) -> str:
        return self.langs.get(user_id, self.services.settings.default_language)

    def party(self, code: str, lang: str) -> str:
        return party_name(self.cards.parties, code, lang)

    # The party's card ------------------------------------------------------------------------

    def party_text(self, callin: CallIn, lang: str, caller: str) -> str:
        report, cards = self.report, self.cards
        description = report.description
        if report.extra.get("erased"):
            description = self.texts("privacy.erased_marker", lang)
        text = self.texts(
            "callin.card",
            lang,
            number=report.number,
            party=self.party(callin.party, lang),
            state=self.texts(f"callin.state_{callin.state.value}", lang),
            category=cards.category_name(report.category, lang),
            place=cards.place(report),
            description=description,
            caller=caller,
            holder=cards.holder_label(report, lang),
            called=cards.when(callin.called_at),
        )
        if callin.state.is_live:
            clock = "callin.clock_ack" if callin.state is State.CALLED else "callin.clock_done"
            text += "\n" + self.texts(clock, lang, due=cards.when(callin.due_at))
        if callin.state is State.WITHDRAWN:
            text += "\n" + self.texts("callin.card_withdrawn", lang, reason=callin.reason or "")
        if callin.state is State.DONE and callin.note:
            text += "\n" + self.texts("callin.card_done", lang, note=callin.note)
        return text

    def party_card(self, callin: CallIn, chat_id: int, caller: str) -> Outgoing:
        lang = self.lang(chat_id)
        markup = None
        if callin.state is State.CALLED:
            ack = button(self.texts("callin.ack_button", lang), "callin", "ack", callin.id)
            markup = keyboard([[ack]])
        elif callin.state is State.ACKED:
            done = button(self.texts("callin.done_button", lang), "callin", "done", callin.id)
            markup = keyboard([[done]])
        text = self.party_text(callin, lang, caller)
        return outgoing.card(chat_id, card_key(callin), text, markup=markup)

    async def caller_name(self, callin: CallIn) -> str:
        staff = await self.services.people.staff(callin.called_by) if callin.called_by else None
        return staff.name if staff else "—"

    async def party_cards(self, callin: CallIn, members: Sequence[int]) -> list[Outgoing]:
        """Returns the party's card, current, to each member who has it or gets it now."""
        chats = sorted(set(members) | set(await self.services.outbox.card_chats(card_key(callin))))
        await self.learn(chats)
        caller = await self.caller_name(callin)
        return [self.party_card(callin, chat, caller) for chat in chats]

    # The holder and the reporter ---------------------------------------------------------------

    async def holders(self) -> list[Staff]:
        return await handlers_of(self.services, self.report)

    async def report_cards(self, *, reporter_too: bool) -> list[Outgoing]:
        """Returns the holders' worker cards (showing each party's state) and, with REPORTER_TOO,
        the reporter's and each follower's (并单) status card (naming the parties called in)."""
        report, cards = self.report, self.cards
        holders = await self.holders()
        reporter_chat = report.reporter_id or report.entered_by
        await self.learn([h.user_id for h in holders] + ([reporter_chat] if reporter_chat else []))
        reporter = (
            await self.services.people.get(report.reporter_id) if report.reporter_id else None
        )
        out = [cards.work_card(report, h.user_id, self.lang(h.user_id), reporter) for h in holders]
        if reporter_too and reporter_chat is not None:
            status = cards.status_card(report, self.lang(reporter_chat))
            if status is not None:
                out.append(status)
        if reporter_too and report.id is not None:
            followers = [f.user_id for f in await self.services.store.followers.of(report.id)]
            await self.learn(followers)
            out += [follower_card(cards, report, chat, self.lang(chat)) for chat in followers]
        return out

    async def to_holders(self, key: str, callin: CallIn, **params: object) -> list[Outgoing]:
        """Returns message KEY about CALLIN to each holder of the report."""
        holders = await self.holders()
        await self.learn(h.user_id for h in holders)
        out = []
        for holder in holders:
            lang = self.lang(holder.user_id)
            text = self.texts(
                key,
                lang,
                number=self.report.number,
                party=self.party(callin.party, lang),
                **params,
            )
            out.append(outgoing.message(holder.user_id, text))
        return out

    # Each step ------------------------------------------------------------------------------------

    async def called(
        self, callins: Sequence[CallIn], parties: Sequence[Party], by: int
    ) -> list[Outgoing]:
        """The new cards (with the report's photos) to each party's members, the holder's card
        and the reporter's status card, and a confirmation to BY."""
        out: list[Outgoing] = []
        for callin, party in zip(callins, parties, strict=True):
            for member in party.members:
                if self.report.photos:
                    out.extend(outgoing.media(member, self.report.photos))
            out.extend(await self.party_cards(callin, party.members))
        out.extend(await self.report_cards(reporter_too=True))
        await self.learn([by])
        lang = self.lang(by)
        codes = [c.party for c in callins]
        text = self.texts(
            "callin.called",
            lang,
            number=self.report.number,
            parties=names(self.cards.parties, codes, lang, self.texts),
        )
        out.append(outgoing.message(by, text))
        return out

    async def acked(self, callin: CallIn, party: Party) -> list[Outgoing]:
        out = await self.party_cards(callin, party.members)
        out.extend(await self.to_holders("callin.acked_holder", callin))
        out.extend(await self.report_cards(reporter_too=False))
        return out

    async def done(self, callin: CallIn, party: Party, *, all_done: bool) -> list[Outgoing]:
        out = await self.party_cards(callin, party.members)
        holders = await self.holders()
        await self.learn(h.user_id for h in holders)
        for holder in holders:
            lang = self.lang(holder.user_id)
            text = self.texts(
                "callin.done_holder",
                lang,
                number=self.report.number,
                party=self.party(callin.party, lang),
                note=callin.note or "—",
            )
            if all_done:
                text += "\n" + self.texts("callin.all_done", lang, number=self.report.number)
            if callin.photo:
                out.append(outgoing.photo(holder.user_id, callin.photo, text))
            else:
                out.append(outgoing.message(holder.user_id, text))
        out.extend(await self.report_cards(reporter_too=False))
        return out

    async def withdrawn(self, callin: CallIn, party: Party | None, by: int) -> list[Outgoing]:
        members = party.members if party else ()
        out = await self.party_cards(callin, members)
        for member in members:
            lang = self.lang(member)
            text = self.texts(
                "callin.withdrawn_party",
                lang,
                number=self.report.number,
                reason=callin.reason or "",
            )
            out.append(outgoing.message(member, text))
        out.extend(await self.report_cards(reporter_too=True))
        await self.learn([by])
        lang = self.lang(by)
        text = self.texts(
            "callin.withdrawn_done",
            lang,
            number=self.report.number,
            party=self.party(callin.party, lang),
        )
        out.append(outgoing.message(by, text))
        return out

    # The sweep --------------------------------------------------------------------------------

    def window(self, callin: CallIn, lang: str) -> str:
        key = "callin.window_ack" if callin.state is State.CALLED else "callin.window_done"
        return self.texts(key, lang)

    async def nagged(self, callin: CallIn, party: Party | None) -> list[Outgoing]:
        members = party.members if party else ()
        await self.learn(members)
        out = []
        for member in members:
            lang = self.lang(member)
            text = self.texts(
                "callin.nag",
                lang,
                number=self.report.number,
                window=self.window(callin, lang),
                due=self.cards.when(callin.due_at),
            )
            out.append(outgoing.message(member, text))
        return out

    async def escalated(self, callin: CallIn, to: Sequence[Staff], level: int) -> list[Outgoing]:
        await self.learn(s.user_id for s in to)
        out = []
        for staff in to:
            lang = self.lang(staff.user_id)
            text = self.texts(
                "callin.escalated_holder" if level == 1 else "callin.escalated_above",
                lang,
                number=self.report.number,
                party=self.party(callin.party, lang),
                window=self.window(callin, lang),
                due=self.cards.when(callin.due_at),
                holder=self.cards.holder_label(self.report, lang),
            )
            show = button(self.texts("nag.show", lang), "report", "card", self.report.id)
            out.append(outgoing.message(staff.user_id, text, markup=keyboard([[show]])))
        return out
