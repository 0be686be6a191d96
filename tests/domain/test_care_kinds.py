"""Household kinds as configuration: names by language, groups in order, and a kind that left the
configuration shown by its code."""

from __future__ import annotations

import pytest

from bot.domain.care import Cadence, Kind, Kinds

KINDS = Kinds(
    (
        Kind("illness", "重病", "Serious illness", Cadence.WEEKLY, "五必访"),
        Kind("poor_family", "困难家庭", "Family in hardship", Cadence.MONTHLY, "四进四访"),
        Kind("empty_nest", "空巢", "Empty nest", Cadence.WEEKLY, "五必访"),
        Kind("other", "其他", "Other", Cadence.QUARTERLY),
    )
)


@pytest.mark.parametrize(
    ("code", "lang", "name"),
    [
        ("illness", "zh", "重病"),
        ("illness", "en", "Serious illness"),
        ("poor_family", "zh", "困难家庭"),
        ("bereaved", "zh", "bereaved"),  # removed from the configuration: its code
        ("bereaved", "en", "bereaved"),
    ],
)
def test_a_kind_is_named_from_the_configuration_or_by_its_code(code, lang, name):
    assert KINDS.name(code, lang) == name


def test_kinds_are_offered_by_group_in_the_order_of_their_first_kind():
    groups = [(g, [k.code for k in kinds]) for g, kinds in KINDS.groups()]
    assert groups == [
        ("五必访", ["illness", "empty_nest"]),
        ("四进四访", ["poor_family"]),
        ("", ["other"]),
    ]


def test_figures_list_configured_kinds_first_then_the_codes_no_longer_configured():
    assert KINDS.ordered({"zzz", "empty_nest", "bereaved"}) == [
        "illness",
        "poor_family",
        "empty_nest",
        "other",
        "bereaved",
        "zzz",
    ]
    assert KINDS.get("bereaved") is None and KINDS.get("other") is not None
