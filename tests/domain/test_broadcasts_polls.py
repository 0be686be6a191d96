"""Broadcast content and delivery counts, and poll input, closing times and counts: pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain import broadcasts, polls
from bot.domain.broadcasts import Audience, BroadcastError, Kind, Progress
from bot.domain.polls import PollError

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("kind", "text", "file_id", "key"),
    [
        (Kind.TEXT, "  ", None, "broadcast.empty"),
        (Kind.TEXT, "字" * 3501, None, "broadcast.too_long"),
        (Kind.PHOTO, "说明", None, "broadcast.empty"),
        (Kind.DOCUMENT, "字" * 901, "file-1", "broadcast.caption_too_long"),
    ],
)
def test_content_that_cannot_go_out_is_refused_by_its_key(kind, text, file_id, key):
    with pytest.raises(BroadcastError) as refused:
        broadcasts.check_content(kind, text, file_id)
    assert refused.value.key == key


@pytest.mark.parametrize(
    ("kind", "text", "file_id"),
    [(Kind.TEXT, " 通知 ", None), (Kind.PHOTO, "", "photo-1"), (Kind.DOCUMENT, "字" * 900, "f")],
)
def test_content_within_the_limits_is_kept_trimmed(kind, text, file_id):
    content = broadcasts.check_content(kind, text, file_id)
    assert (content.kind, content.text, content.file_id) == (kind, text.strip(), file_id)


@pytest.mark.parametrize(
    ("audience", "residents", "groups"),
    [
        (Audience.RESIDENTS, True, False),
        (Audience.GROUPS, False, True),
        (Audience.BOTH, True, True),
    ],
)
def test_an_audience_names_whom_it_reaches(audience, residents, groups):
    assert (audience.residents, audience.groups) == (residents, groups)


@pytest.mark.parametrize(
    ("progress", "pending", "finished"),
    [
        (Progress(10, 0, 0, 0), 10, False),
        (Progress(10, 7, 2, 0), 1, False),
        (Progress(10, 7, 2, 1), 0, True),
        (Progress(0, 0, 0, 0), 0, True),
    ],
)
def test_a_broadcast_is_finished_when_every_delivery_has_an_outcome(progress, pending, finished):
    assert (progress.pending, progress.finished) == (pending, finished)


@pytest.mark.parametrize(
    ("text", "options", "key"),
    [
        ("", [], "poll.option_empty"),
        ("甲" * 101, [], "poll.option_too_long"),
        ("同意", ["同意"], "poll.option_twice"),
        ("第十一", [str(n) for n in range(10)], "poll.too_many_options"),
    ],
)
def test_an_option_that_cannot_be_added_is_refused_by_its_key(text, options, key):
    with pytest.raises(PollError) as refused:
        polls.check_option(text, options)
    assert refused.value.key == key


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ([], "poll.too_few_options"),
        (["同意"], "poll.too_few_options"),
        (["a"] * 11, "poll.too_many_options"),
    ],
)
def test_a_poll_needs_two_to_ten_options(options, key):
    with pytest.raises(PollError) as refused:
        polls.check_options(options)
    assert refused.value.key == key
    assert polls.check_options(["同意", "不同意"]) == ("同意", "不同意")


@pytest.mark.parametrize(
    ("question", "options", "fits"),
    [
        ("装电梯吗？", ["装", "不装"], True),
        ("问" * 300, ["装", "不装"], True),
        ("问" * 301, ["装", "不装"], False),
        ("装电梯吗？", ["装"], False),
    ],
)
def test_a_native_poll_is_used_only_where_telegram_takes_it(question, options, fits):
    assert polls.fits_native(question, options) is fits


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-12-20", datetime(2026, 12, 21, 0, 0, tzinfo=SHANGHAI)),  # the end of that day
        ("2026/12/20 18:00", datetime(2026, 12, 20, 18, 0, tzinfo=SHANGHAI)),
        ("2026年12月20日", datetime(2026, 12, 21, 0, 0, tzinfo=SHANGHAI)),
        ("2026-11-24 10:30", datetime(2026, 11, 24, 10, 30, tzinfo=SHANGHAI)),
    ],
)
def test_a_typed_closing_date_is_read_in_the_offices_zone(typed, expected):
    assert polls.parse_closing(typed, NOW, SHANGHAI) == expected


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("next week", "poll.bad_date"),
        ("2026-02-30", "poll.bad_date"),
        ("2026-11-24 10:03", "poll.date_past"),  # less than five minutes ahead
        ("2026-11-23", "poll.date_past"),
        ("2027-03-01", "poll.date_far"),
    ],
)
def test_a_closing_date_past_far_or_unreadable_is_refused(typed, key):
    with pytest.raises(PollError) as refused:
        polls.parse_closing(typed, NOW, SHANGHAI)
    assert refused.value.key == key


def test_preset_closing_times_are_the_offered_days_only():
    assert polls.preset_closing(3, NOW) == NOW + timedelta(days=3)
    with pytest.raises(PollError):
        polls.preset_closing(2, NOW)


def test_votes_are_counted_per_option_and_a_stray_option_is_not():
    assert polls.count(["甲", "乙", "丙"], [0, 2, 2, 5, -1]) == (1, 0, 2)
    assert polls.add_native([[3, 1], [1, 0, 9]], 2) == (4, 1)
    tally = polls.Tally(("甲", "乙"), (3, 1), eligible=8)
    assert (tally.voters, tally.turnout) == (4, 50)
    assert polls.Tally(("甲", "乙"), (0, 0)).turnout == 0
