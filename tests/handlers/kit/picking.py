"""Walking the one unit picker (handlers/kit/picker.py) in handler tests, as a person would:
by the labels of the buttons on the last card."""

from __future__ import annotations

from tests import updates


def labelled(harness, chat_id: int, label: str) -> str:
    """Returns the callback data of the button labelled LABEL on the last inline keyboard."""
    for text, data in harness.buttons(chat_id):
        if text == label:
            return data
    raise AssertionError(f"no button {label!r} in {harness.buttons(chat_id)}")


async def walk(harness, user_id: int, *labels: str) -> None:
    """Presses the buttons labelled LABELS in turn (going down the tree, or choosing a unit
    without children)."""
    for label in labels:
        await harness.send(updates.press(user_id, labelled(harness, user_id, label)))


def offers_here(harness, chat_id: int) -> bool:
    """Tells whether the last card to CHAT_ID offers to choose the unit the walk stands at."""
    return any(data.startswith("place:here:") for _, data in harness.buttons(chat_id))


async def choose_here(harness, user_id: int) -> None:
    await harness.send(updates.press(user_id, harness.button(user_id, "place:here:")))


async def stands_at(harness, user_id: int) -> str | None:
    """Returns the unit USER_ID's walk stands at."""
    draft = await harness.services.drafts.get(user_id)
    assert draft is not None and draft.step == "walk"
    return draft.data["walk"]
