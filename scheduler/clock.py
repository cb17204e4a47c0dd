"""The one clock of nhacviec.

Every piece asks a `Clock` for "now", so tests and the demo can stand on 8 April 2022.
Times are stored as aware UTC and shown in Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class Clock(Protocol):
    """Anything that can tell the current instant (aware)."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until it is moved; for tests, the demo and `--today`."""

    def __init__(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._instant = instant

    def now(self) -> datetime:
        return self._instant

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._instant = instant

    def advance(self, delta: timedelta) -> None:
        self._instant = self._instant + delta


def local_now(clock: Clock) -> datetime:
    """The clock's instant in Vietnamese local time."""
    return clock.now().astimezone(LOCAL_TZ)


def local_today(clock: Clock) -> date:
    """Today's date in Vietnam: deadlines are local, inclusive dates."""
    return local_now(clock).date()


def at_local(day: date, at: time = time(8, 0)) -> datetime:
    """An aware instant for a local day and time."""
    return datetime.combine(day, at, tzinfo=LOCAL_TZ)


def to_utc(instant: datetime) -> datetime:
    """Store instants as aware UTC."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime: attach a time zone before storing it")
    return instant.astimezone(UTC)


class TimeTextError(ValueError):
    """A date or time the user typed (`--today`, NHACVIEC_NOW) that cannot be read."""


def parse_now(text: str) -> datetime:
    """Read `2022-04-08` or `2022-04-08T09:14` (local unless it carries an offset)."""
    text = text.strip()
    try:
        if len(text) == 10:
            return at_local(date.fromisoformat(text))
        instant = datetime.fromisoformat(text)
    except ValueError as exc:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?", text):  # the right shape: no such day or hour
            no_such = f"{text!r}: không có ngày giờ này trên lịch (YYYY-MM-DD: tháng 01–12, ngày có trong tháng)"
            raise TimeTextError(no_such) from exc
        raise TimeTextError(f"không đọc được thời điểm {text!r}: hãy viết YYYY-MM-DD hoặc YYYY-MM-DDTHH:MM") from exc
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=LOCAL_TZ)
    return instant


def clock_from_env(today: str | None = None) -> Clock:
    """`--today` wins, then `NHACVIEC_NOW`, then the wall clock."""
    text = today or os.environ.get("NHACVIEC_NOW")
    if text:
        return FixedClock(parse_now(text))
    return SystemClock()


class RunningClock:
    """A clock that starts at a given instant and then runs with the wall clock (a bot run on a past morning)."""

    def __init__(self, start: datetime) -> None:
        self._start = start
        self._origin = datetime.now(UTC)

    def now(self) -> datetime:
        return self._start + (datetime.now(UTC) - self._origin)


def running_clock_from_env() -> Clock:
    """`nhacviec run`: the wall clock, or with `NHACVIEC_NOW` that instant, then running (benchmarks, trials)."""
    text = os.environ.get("NHACVIEC_NOW")
    if text:
        return RunningClock(parse_now(text))
    return SystemClock()
