"""The one definition of what a person sees: a state derived from stored facts and the day seen. Never stored.

The facts of an assignment are its stored status and percent, its deadline (`due`, moved by an approved
extension) and its original deadline, when it was closed (`done_at`), and whether its task is a recurring
*event* (a meeting held on its day) rather than a deadline. Seen on the day `today`:

- cancelled: cancelled;
- done on time / done late: closed on or before `today`, on or before its deadline / after it
  (an event that took place is done on time whenever it is confirmed);
- a task closed after `today` was still open that day (with nothing reported: the row keeps only its
  latest progress), so a report for a past day stays what it was;
- overdue: not closed and its deadline has passed; for an event, *not reported* instead (it took
  place or not, nobody said: it is counted, not chased);
- in progress: not closed, deadline not passed, progress reported (status or percent);
- open (not started): not closed, deadline not passed, nothing reported;
- extended is a flag beside the state: the deadline was moved by an approved extension.

`state_of` is the Python answer; `state_case` and `in_state` are the same rules as SQL, used by the
queries, the statistics, the Excel table, the Monday digest and the bot. A property test over random
histories and days checks that the two agree on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, and_, case, false, literal, not_, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from scheduler.clock import LOCAL_TZ
from scheduler.register.models import ASSIGNMENTS, TASKS, Status, TaskKind


class State(StrEnum):
    open = "open"  # not started
    in_progress = "in_progress"
    overdue = "overdue"
    not_reported = "not_reported"
    done_on_time = "done_on_time"
    done_late = "done_late"
    cancelled = "cancelled"


STATE_LABELS: dict[str, str] = {
    State.open: "chưa làm",
    State.in_progress: "đang làm",
    State.overdue: "quá hạn",
    State.not_reported: "chưa báo cáo",
    State.done_on_time: "xong đúng hạn",
    State.done_late: "xong trễ hạn",
    State.cancelled: "đã hủy",
    Status.done: "xong",
}

# States whose deadline still matters to someone: listed, reminded, counted as "what is left".
PENDING = (State.open, State.in_progress, State.overdue)


def local_day(instant: datetime) -> date:
    """The local (Asia/Ho_Chi_Minh) calendar day of a stored UTC instant."""
    return instant.astimezone(LOCAL_TZ).date()


def state_of(
    status: str,
    due: date,
    done_at: datetime | None,
    today: date,
    percent: int = 0,
    event: bool = False,
) -> State:
    """What a person would call the assignment on `today` (see the module's rules)."""
    if status == Status.cancelled:
        return State.cancelled
    if status == Status.done:
        done_day = local_day(done_at) if done_at is not None else None
        if done_day is None or done_day <= today:
            if event or done_day is None or done_day <= due:
                return State.done_on_time
            return State.done_late
        status, percent = Status.open, 0  # closed after that day: then it was still open
    if due < today:
        return State.not_reported if event else State.overdue
    return State.in_progress if status == Status.in_progress or percent > 0 else State.open


def is_extended(due: date, original_due: date) -> bool:
    """An approved extension moved the deadline."""
    return due != original_due


# --- the same rules in SQL -------------------------------------------------------------------------


class _LocalDate(FunctionElement[date]):
    """The local calendar day of a stored UTC timestamp (Vietnam keeps UTC+7 all year)."""

    type = Date()
    inherit_cache = True


@compiles(_LocalDate, "sqlite")
def _local_date_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, '+7 hours')"


@compiles(_LocalDate)
def _local_date_default(element: Any, compiler: Any, **kw: Any) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)} AT TIME ZONE 'Asia/Ho_Chi_Minh') AS DATE)"


def _done_by(today: date) -> ColumnElement[bool]:
    """Closed on or before `today` (a row closed without a time counts as closed)."""
    closed_by = datetime.combine(today + timedelta(days=1), datetime.min.time(), LOCAL_TZ).astimezone(UTC)
    return and_(
        ASSIGNMENTS.c.status == Status.done.value,
        or_(ASSIGNMENTS.c.done_at.is_(None), ASSIGNMENTS.c.done_at < closed_by),
    )


def _is_event() -> ColumnElement[bool]:
    return TASKS.c.kind == TaskKind.event.value


def _not_closed(today: date) -> ColumnElement[bool]:
    """Open, in progress, or closed only after `today`."""
    return and_(ASSIGNMENTS.c.status != Status.cancelled.value, not_(_done_by(today)))


def _reported(today: date) -> ColumnElement[bool]:
    """Progress reported, as it stood on `today` (a row closed later shows nothing that day)."""
    return and_(
        ASSIGNMENTS.c.status != Status.done.value,
        or_(ASSIGNMENTS.c.status == Status.in_progress.value, ASSIGNMENTS.c.percent > 0),
    )


def in_state(state: State | str, today: date) -> ColumnElement[bool]:
    """The SQL condition of one state on `today`; the query must join TASKS (for the event flag)."""
    state = State(state)
    late = ASSIGNMENTS.c.due < today
    if state == State.cancelled:
        return ASSIGNMENTS.c.status == Status.cancelled.value
    if state in (State.done_on_time, State.done_late):
        on_time = or_(
            _is_event(),
            ASSIGNMENTS.c.done_at.is_(None),
            _LocalDate(ASSIGNMENTS.c.done_at) <= ASSIGNMENTS.c.due,
        )
        return and_(_done_by(today), on_time if state == State.done_on_time else not_(on_time))
    if state == State.overdue:
        return and_(_not_closed(today), late, not_(_is_event()))
    if state == State.not_reported:
        return and_(_not_closed(today), late, _is_event())
    within = and_(_not_closed(today), not_(late))
    if state == State.in_progress:
        return and_(within, _reported(today))
    return and_(within, not_(_reported(today)))


def in_states(states: tuple[State, ...], today: date) -> ColumnElement[bool]:
    """Any of several states (e.g. PENDING: what is left to do)."""
    return or_(*(in_state(s, today) for s in states)) if states else false()


def state_case(today: date) -> ColumnElement[str]:
    """The state of each row as an SQL expression (for grouping and for the agreement test)."""
    return case(*((in_state(s, today), literal(s.value)) for s in State), else_=literal(""))


def extended() -> ColumnElement[bool]:
    """The SQL form of `is_extended`."""
    return ASSIGNMENTS.c.due != ASSIGNMENTS.c.original_due


def days_text(due: date, today: date) -> str:
    """'còn 3 ngày', 'hôm nay', 'quá 2 ngày' — how far the deadline is, in words."""
    delta = (due - today).days
    if delta == 0:
        return "hạn hôm nay"
    if delta > 0:
        return f"còn {delta} ngày"
    return f"quá {-delta} ngày"
