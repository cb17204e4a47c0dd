"""Working days in Vietnam: Monday to Friday, minus public holidays (Tết and observed days included)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache


@lru_cache(maxsize=64)
def _holidays_of(year: int) -> frozenset[date]:
    import holidays  # loaded on the first question about a day off, not by every command that reads a date

    return frozenset(holidays.country_holidays("VN", years=year).keys())


def is_holiday(day: date) -> bool:
    """A Vietnamese public holiday, observed days included."""
    return day in _holidays_of(day.year)


def is_working_day(day: date) -> bool:
    """Offices work Monday to Friday except public holidays."""
    return day.weekday() < 5 and not is_holiday(day)


def next_working_day(day: date) -> date:
    """The day itself if it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def previous_working_day(day: date) -> date:
    """The day itself if it is a working day, else the last working day before it."""
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def add_working_days(day: date, count: int) -> date:
    """The working day `count` working days after `day` (count >= 0)."""
    if count < 0:
        raise ValueError("count must be >= 0")
    while count:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day
