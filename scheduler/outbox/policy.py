"""When to remind: 7, 3 and 1 day before, on the day, then every 2 working days while overdue.

Days off (weekends, Vietnamese public holidays) move a reminder that comes before or on the deadline to
the working day before — people must hear of it in time — and an overdue one to the working day after.
After the third overdue reminder the leaders are told too (escalation). The register's `reminders:`
section and each task's `reminders:` override these defaults.

A recurring *event* (a meeting on its day, `kind: event`) is reminded the day before and on the morning,
and never chased afterwards: once its day has passed, nobody confirming it makes it "not reported".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from functools import lru_cache
from typing import Any

from scheduler.workdays import add_working_days, next_working_day, previous_working_day

BEFORE = "before_{}d"
DUE_TODAY = "due_today"
OVERDUE = "overdue"
ESCALATION = "escalation"


def is_planner_kind(kind: str) -> bool:
    """True for the kinds the policy plans (before_Nd, due_today, overdue, escalation); a snoozed reminder or a
    notice to admins lives in the same outbox but is nobody's plan, so the planner never skips it."""
    return kind in (DUE_TODAY, OVERDUE, ESCALATION) or (kind.startswith("before_") and kind.endswith("d"))


class PolicyError(ValueError):
    """A `reminders:` setting that cannot be used; the message names the key."""


@dataclass(frozen=True)
class Occasion:
    """One reminder moment of an assignment: its kind and the working day it goes out."""

    kind: str
    day: date
    overdue_number: int = 0  # 1 for the first overdue reminder, …


@dataclass(frozen=True)
class ReminderPolicy:
    """The reminder rules; immutable and hashable so that schedules can be cached per due date."""

    before_days: tuple[int, ...] = (7, 3, 1)
    on_due_day: bool = True
    overdue_every: int = 2
    escalate_after: int = 3
    send_at: time = time(7, 30)
    quiet_from: time = time(21, 0)
    quiet_until: time = time(7, 0)

    def with_settings(self, settings: Mapping[str, Any] | None) -> ReminderPolicy:
        """This policy with a `reminders:` mapping applied on top."""
        if not settings:
            return self
        known = {"before_days", "on_due_day", "overdue_every", "escalate_after", "send_at", "quiet_hours"}
        changes: dict[str, Any] = {}
        for key, value in settings.items():
            if key not in known:
                raise PolicyError(f"reminders.{key}: không có cài đặt này (có: {', '.join(sorted(known))})")
            if key == "before_days":
                if not isinstance(value, list) or not all(isinstance(v, int) and 0 < v <= 60 for v in value):
                    raise PolicyError("reminders.before_days: cần danh sách số ngày từ 1 đến 60, vd. [7, 3, 1]")
                changes[key] = tuple(sorted(set(value), reverse=True))
            elif key in ("overdue_every", "escalate_after"):
                if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 60:
                    raise PolicyError(f"reminders.{key}: cần một số nguyên từ 0 đến 60")
                changes[key] = value
            elif key == "on_due_day":
                if not isinstance(value, bool):
                    raise PolicyError("reminders.on_due_day: cần true hoặc false")
                changes[key] = value
            elif key == "send_at":
                changes[key] = _clock_time(key, value)
            else:
                if not isinstance(value, str) or "-" not in value:
                    raise PolicyError("reminders.quiet_hours: cần dạng '21:00-07:00'")
                start, end = value.split("-", 1)
                changes["quiet_from"], changes["quiet_until"] = _clock_time(key, start), _clock_time(key, end)
        policy = replace(self, **changes)
        if policy.is_quiet(policy.send_at):
            raise PolicyError("reminders.send_at: giờ gửi nằm trong giờ yên lặng (quiet_hours)")
        return policy

    def for_event(self) -> ReminderPolicy:
        """An event's rules: the day before and the morning itself (days off move them earlier), never after."""
        return replace(self, before_days=(1,), on_due_day=True, overdue_every=0, escalate_after=0)

    def for_task(self, event: bool, settings: Mapping[str, Any] | None) -> ReminderPolicy:
        """A task's rules: the register's (an event's, for an event), with the task's own `reminders:` on top."""
        return (self.for_event() if event else self).with_settings(settings)

    def is_quiet(self, at: time) -> bool:
        """Nothing is sent between quiet_from and quiet_until (21:00–07:00 by default)."""
        if self.quiet_from <= self.quiet_until:
            return self.quiet_from <= at < self.quiet_until
        return at >= self.quiet_from or at < self.quiet_until

    def occasions(self, due: date, until: date) -> list[Occasion]:
        """Every occasion of a deadline up to `until`, in order; a later kind wins a shared day."""
        return list(_occasions(self, due, until))

    def latest(self, due: date, today: date) -> Occasion | None:
        """The most recent occasion on or before today: the one reminder worth sending now."""
        found = _occasions(self, due, today)
        return found[-1] if found else None


def _clock_time(key: str, value: Any) -> time:
    if isinstance(value, int) and not isinstance(value, bool):  # YAML reads 07:30 as a sexagesimal number
        value = f"{value // 60:02d}:{value % 60:02d}"
    try:
        return time.fromisoformat(str(value).strip())
    except ValueError:
        raise PolicyError(f"reminders.{key}: giờ {value!r} phải viết dạng HH:MM, vd. 07:30") from None


@lru_cache(maxsize=65536)
def _occasions(policy: ReminderPolicy, due: date, until: date) -> tuple[Occasion, ...]:
    by_day: dict[date, Occasion] = {}
    for days in policy.before_days:
        day = previous_working_day(due - timedelta(days=days))
        by_day[day] = Occasion(BEFORE.format(days), day)
    if policy.on_due_day:
        day = previous_working_day(due)
        by_day[day] = Occasion(DUE_TODAY, day)
    if policy.overdue_every > 0:
        day = next_working_day(due + timedelta(days=1))
        number = 1
        while day <= until:
            kind = ESCALATION if policy.escalate_after and number == policy.escalate_after + 1 else OVERDUE
            by_day[day] = Occasion(kind, day, number)
            day = add_working_days(day, policy.overdue_every)
            number += 1
    return tuple(o for _, o in sorted(by_day.items()) if o.day <= until)
