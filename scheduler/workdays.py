"""Working days in Vietnam: Monday to Friday, minus public holidays (Tết and observed days included)."""

from __future__ import annotations

import importlib.util
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any


@lru_cache(maxsize=1)
def _vietnam() -> Any:
    """Vietnam's holiday calendar class from `holidays`, read from its own module.

    `holidays.country_holidays("VN")` imports the library's whole country package (about 300 modules, some
    10 MB held for as long as the bot runs) to answer for one country; Vietnam's module needs only the core.
    Should a release move that module, the library's own way is used."""
    import holidays  # loaded on the first question about a day off, not by every command that reads a date

    try:
        path = Path(holidays.__file__).parent / "countries" / "vietnam.py"
        spec = importlib.util.spec_from_file_location("nhacviec_holidays_vietnam", path)
        if spec is None or spec.loader is None:
            raise ImportError(path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.Vietnam
    except (ImportError, OSError, AttributeError):
        return lambda years, **kw: holidays.country_holidays("VN", years=years, **kw)


@lru_cache(maxsize=64)
def _holidays_of(year: int) -> frozenset[date]:
    return frozenset(_vietnam()(years=year).keys())


@lru_cache(maxsize=64)
def lunar_new_year(year: int) -> date:
    """The first day of Tết (mùng 1 Tết Nguyên đán) in that year, from the same calendar as the days off, so
    "trước Tết" and "mùng 6 Tết" are read by the dates the law gives, not by a table of our own."""
    days = _vietnam()(years=year, language="en_US").get_named("Lunar New Year", lookup="exact")
    if not days:
        raise LookupError(f"no Tết in {year}")
    return min(days)


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
