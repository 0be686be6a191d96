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
