"""The planner's memo of a morning tells any change of who hears of an occasion, where and when."""

from __future__ import annotations

from datetime import UTC, date, datetime

from scheduler.outbox.planner import Occasion, _hashes

DAY = date(2022, 4, 29)
AT = datetime(2022, 4, 29, 0, 30, tzinfo=UTC)


def occasion(*targets: tuple[int, str, str]) -> Occasion:
    return Occasion(7, DAY, list(targets), [AT] * len(targets))


def test_officials_whose_sums_agree_are_told_apart() -> None:
    """{1,5,6} and {2,3,7}: same count, same sum of ids, same sum of squares (the old fingerprint)."""
    one = occasion(*((o, "telegram", "due_today") for o in (1, 5, 6)))
    other = occasion(*((o, "telegram", "due_today") for o in (2, 3, 7)))
    assert _hashes([one]) != _hashes([other])


def test_a_channel_a_kind_or_a_time_changes_the_memo() -> None:
    base = _hashes([occasion((1, "telegram", "due_today"))])
    assert _hashes([occasion((1, "zalo", "due_today"))]) != base
    assert _hashes([occasion((1, "telegram", "overdue"))]) != base
    later = Occasion(7, DAY, [(1, "telegram", "due_today")], [AT.replace(hour=1)])
    assert _hashes([later]) != base
    assert _hashes([occasion((1, "telegram", "due_today"))]) == base  # and the same rows hash the same
