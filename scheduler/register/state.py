"""States derived from stored facts and a day: overdue, done on time, done late. Never stored."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from scheduler.clock import LOCAL_TZ
from scheduler.register.models import Status


class State(StrEnum):
    open = "open"
    in_progress = "in_progress"
    overdue = "overdue"
    done_on_time = "done_on_time"
    done_late = "done_late"
    cancelled = "cancelled"


STATE_LABELS: dict[str, str] = {
    State.open: "chưa làm",
    State.in_progress: "đang làm",
    State.overdue: "quá hạn",
    State.done_on_time: "xong đúng hạn",
    State.done_late: "xong trễ hạn",
    State.cancelled: "đã hủy",
    Status.done: "xong",
}


def state_of(status: str, due: date, done_at: datetime | None, today: date) -> State:
    """What a person would call the assignment today; a task closed after its due date is done late."""
    if status == Status.cancelled:
        return State.cancelled
    if status == Status.done:
        if done_at is not None and done_at.astimezone(LOCAL_TZ).date() > due:
            return State.done_late
        return State.done_on_time
    if due < today:
        return State.overdue
    return State.in_progress if status == Status.in_progress else State.open


def days_text(due: date, today: date) -> str:
    """'còn 3 ngày', 'hôm nay', 'quá 2 ngày' — how far the deadline is, in words."""
    delta = (due - today).days
    if delta == 0:
        return "hạn hôm nay"
    if delta > 0:
        return f"còn {delta} ngày"
    return f"quá {-delta} ngày"
