"""The zh and en catalogs have the same keys and placeholders, and code uses only known keys."""

import re
from pathlib import Path

from bot.texts import load_catalog, placeholders

ROOT = Path(__file__).resolve().parent.parent


def test_zh_and_en_have_the_same_keys():
    zh, en = load_catalog("zh"), load_catalog("en")
    assert sorted(set(zh) - set(en)) == []
    assert sorted(set(en) - set(zh)) == []


def test_zh_and_en_have_the_same_placeholders():
    zh, en = load_catalog("zh"), load_catalog("en")
    mismatched = [key for key in zh if key in en and placeholders(zh[key]) != placeholders(en[key])]
    assert mismatched == []


def test_every_literal_key_used_in_code_exists():
    zh = load_catalog("zh")
    used = set()
    # Possessive (++, *+): an argument's text and the blanks after its comma are never split
    # another way on backtracking; that was exponential in the arguments of a multi-line call.
    pattern = re.compile(
        r"""(?:texts|say|notice)\(\s*+(?:[^,()]++,\s*+)*?["']([a-z_]+\.[a-z0-9_.]+)["']"""
    )
    for folder in ("bot", "handlers"):
        for path in (ROOT / folder).rglob("*.py"):
            used.update(pattern.findall(path.read_text(encoding="utf-8")))
    assert used, "the pattern found no keys at all"
    assert sorted(key for key in used if key not in zh) == []


def test_no_english_text_hedges_a_plural_with_brackets():
    """'1 hour(s)' reads as machine text: a count has one/many keys (bot.texts.plural_key) or
    a phrasing that needs no plural ('photos (2)')."""
    en = load_catalog("en")
    assert sorted(key for key, text in en.items() if "(s)" in text or "(es)" in text) == []
