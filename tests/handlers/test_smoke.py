from tests import updates
from tests.conftest import RESIDENT


async def test_start_greets_a_new_resident_in_chinese(harness):
    await harness.send(updates.text(RESIDENT, "/start"))
    assert "网格助手" in harness.last_text(RESIDENT)


async def test_lang_switches_to_english_and_back(harness):
    await harness.send(updates.text(RESIDENT, "/lang"))
    assert harness.last_text(RESIDENT) == "Language set to English."
    await harness.send(updates.text(RESIDENT, "/lang"))
    assert harness.last_text(RESIDENT) == "已切换为中文。"


# Every (flow, step) a draft can stand at today; a draft at a step with no callback would be
# cleared as "a step that no longer exists" and the user would lose the conversation.
DRAFT_STEPS = {
    ("check", "note"),  # 核实: why it is not a problem
    ("review", "note"),  # 复查: why it failed
    ("bkdecline", "reason"),
    ("booking", "confirm"),
    ("booking", "day"),
    ("booking", "purpose"),
    ("booking", "resource"),
    ("booking", "slot"),
    ("activity", "capacity"),
    ("activity", "confirm"),
    ("activity", "place"),
    ("activity", "skills"),
    ("activity", "title"),
    ("activity", "walk"),
    ("activity", "when"),
    ("callin", "pick"),
    ("callin", "proof"),
    ("callin", "withdraw"),
    ("revisit", "note"),
    ("bcast", "audience"),
    ("bcast", "confirm"),
    ("bcast", "content"),
    ("bcast", "walk"),
    ("comment", "text"),
    ("contact", "text"),
    ("extension", "reason"),
    ("extension", "span"),
    ("grid", "locate"),
    ("grid", "walk"),
    ("hherase", "reason"),
    ("household", "label"),
    ("household", "notes"),
    ("ledger", "period"),
    ("mcheck", "confirm"),
    ("mcheck", "item"),
    ("mcheck", "note"),
    ("mcheck", "photo"),
    ("merchant", "confirm"),
    ("merchant", "kind"),
    ("merchant", "name"),
    ("merchant", "phone"),
    ("merchant", "place"),
    ("merchant", "walk"),
    ("patrol", "findings"),
    ("patrol", "note"),
    ("patrol", "photos"),
    ("phone", "contact"),
    ("pollnew", "close"),
    ("pollnew", "confirm"),
    ("pollnew", "options"),
    ("pollnew", "question"),
    ("pollnew", "walk"),
    ("refer", "reason"),
    ("register", "locate"),
    ("register", "walk"),
    ("reject", "note"),
    ("rejreq", "why"),
    ("report", "category"),
    ("report", "confirm"),
    ("report", "contact"),
    ("report", "dupes"),
    ("report", "kind"),
    ("report", "locate"),
    ("report", "photos"),
    ("report", "place"),
    ("report", "walk"),
    ("resolve", "album_tail"),
    ("resolve", "note"),
    ("resolve", "photo"),
    ("visit", "describe"),
    ("visit", "note"),
    ("visit", "wish"),
    ("volunteer", "avail"),
    ("volunteer", "confirm"),
    ("volunteer", "name"),
    ("volunteer", "party"),
    ("volunteer", "phone"),
    ("volunteer", "skills"),
    ("volunteer", "team"),
    ("volunteer", "walk"),
    ("volunteer", "work_unit"),
    ("volsunit", "walk"),
    ("wish", "confirm"),
    ("wish", "kind"),
    ("wish", "phone"),
    ("wish", "photo"),
    ("wish", "text"),
    ("wish", "walk"),
    ("wish", "who"),
    ("wish_done", "photo"),
    ("wish_thanks", "text"),
    ("relay", "ask"),
    ("relay", "reply"),
    ("teamreport", "answer"),
}


def test_every_draft_step_has_a_callback():
    from bot.app import FLOWS

    assert set(FLOWS.steps) == DRAFT_STEPS
    assert [offer.__name__ for offer in FLOWS.idle] == ["photo_starts_report"]
    # every flow that asks for a unit does it with the one picker (handlers/kit/picker.py)
    assert set(FLOWS.places) == {
        "register",
        "grid",
        "report",
        "household",
        "patrol",
        "staffmove",
        "volunteer",
        "wish",
        "activity",
        "bcast",
        "pollnew",
        "volsunit",
        "ledger",
        "cadres",
        "merchant",
    }


def test_a_step_listed_twice_is_refused():
    import pytest

    from handlers.kit.flows import Table

    async def receive(update, ctx, draft):
        return None

    with pytest.raises(ValueError, match="listed twice"):
        Table.merge(Table(steps={("a", "b"): receive}), Table(steps={("a", "b"): receive}))
