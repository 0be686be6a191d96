"""The [deadlines] and [calendar] settings: defaults, overrides, errors that name the key."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from bot import settings as settings_module
from bot.domain.deadlines import Span
from bot.domain.reports import Window
from bot.domain.units import Tier
from bot.settings import ConfigError
from bot.usecases.deadlines import deadline_rules


def write(config_path, extra: str):
    config_path.write_text(config_path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return settings_module.load(config_path)


def test_the_defaults_are_documented_working_hours_and_windows(settings):
    rules = deadline_rules(settings)
    assert rules.calendar.day_length == timedelta(hours=7, minutes=30)
    assert rules.policy.windows[Tier.GRID].accept == Span(2, "h")
    assert rules.policy.windows[Tier.DISTRICT].resolve == Span(10, "d")
    assert (rules.policy.quiet_start, rules.policy.quiet_end) == (time(22), time(7, 30))
    assert rules.policy.verify_within == timedelta(hours=72)
    assert rules.policy.reminder_at == 0.75


def test_an_office_sets_its_own_windows_hours_and_days(config_path):
    settings = write(
        config_path,
        """
[deadlines]
nag_every = "90m"
quiet_hours = "21:00-08:00"

[deadlines.community]
accept = "1d"
resolve = "4d"

[deadlines.categories.safety.grid]
accept = "30m"
resolve = "4h"

[calendar]
working_hours = ["09:00-12:00", "14:00-18:00"]
holidays = [2027-01-01]
workdays = [2027-02-07]
""",
    )
    rules = deadline_rules(settings)
    assert rules.policy.windows[Tier.COMMUNITY].accept == Span(1, "d")
    assert rules.policy.span("safety", Tier.GRID, Window.ACCEPT) == Span(30, "m")
    assert rules.policy.nag_every == Span(90, "m")
    assert rules.policy.quiet_start == time(21)
    assert rules.calendar.day_length == timedelta(hours=7)
    assert not rules.calendar.is_workday(date(2027, 1, 1))
    assert rules.calendar.is_workday(date(2027, 2, 7))  # a Sunday made a working day


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ('[deadlines.grid]\naccept = "2w"\nresolve = "3d"\n', "deadlines.grid.accept"),
        ('[deadlines]\nnag_every = "often"\n', "deadlines.nag_every"),
        ('[deadlines]\nquiet_hours = "22:00"\n', "deadlines.quiet_hours"),
        ("[deadlines]\nreminder_at = 1.5\n", "deadlines.reminder_at"),
        ('[deadlines.categories.nosuch.grid]\naccept = "1h"\nresolve = "1d"\n', "nosuch"),
        ('[calendar]\nworking_hours = ["08:00-12:00", "11:00-17:00"]\n', "calendar.working_hours"),
        ('[calendar]\nworking_hours = ["17:00-08:00"]\n', "calendar.working_hours"),
        ("[calendar]\nholidays = [2027-01-01]\nworkdays = [2027-01-01]\n", "calendar"),
    ],
)
def test_a_bad_deadline_setting_is_an_error_naming_its_key(config_path, extra, key):
    with pytest.raises(ConfigError) as error:
        write(config_path, "\n" + extra)
    assert key in str(error.value) and str(config_path) in str(error.value)
