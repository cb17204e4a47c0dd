"""The leaders' Monday digest: this week's deadlines, everything overdue, what changed, and the chart.

It goes out at 07:30 (or the leader's own morning time) on the first working day of each week — Monday,
or Tuesday when Monday is a holiday such as Hùng Kings' day observed on 11/04/2022. Like every message
it is an outbox row (`outbox_message`, kind `weekly`, one per leader × channel × week) sent by the one
dispatcher loop, so a restart neither loses nor repeats it, and a failed send is retried, follows a
migrated chat, unlinks a dead one and tells the admins like a reminder; after downtime the week's digest
goes out once, up to two days late, never stale.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import Engine, select

from scheduler.clock import Clock, at_local, local_today, to_utc
from scheduler.outbox.planner import recipients
from scheduler.outbox.queue import WEEKLY, Outgoing, enqueue
from scheduler.register.models import ASSIGNMENTS, EVENTS, MESSAGES, TASKS, UNITS
from scheduler.register.queries import AssignmentRow, UnitOverdue, overdue_summary, upcoming
from scheduler.reporting.chart import stacked_chart
from scheduler.reporting.stats import Statistics, period_containing, statistics
from scheduler.workdays import is_working_day, next_working_day

log = logging.getLogger("nhacviec.weekly")

DIGEST_TIME = time(7, 30)
CHANGE_KINDS = ("status", "extension_approved", "deadline_changed")
# After downtime the week's digest still goes out for two more days; a bot started on a Friday waits for Monday.
CATCH_UP = timedelta(days=2)


def week_of(day: date) -> date:
    """The Monday of the week a day falls in."""
    return day - timedelta(days=day.weekday())


def digest_day(monday: date) -> date:
    """The day the week's digest goes out: Monday, or the first working day after it."""
    return monday if is_working_day(monday) else next_working_day(monday)


@dataclass(frozen=True)
class Change:
    """One change since the last digest, as a leader reads it."""

    at: datetime
    kind: str
    assignment_id: int
    task_code: str
    title: str
    unit_name: str
    actor: str
    new_status: str | None
    percent: int | None
    old_due: date | None
    new_due: date | None


@dataclass(frozen=True)
class WeeklyReport:
    """What every leader reads on Monday morning; the same for all of them."""

    week_of: date
    today: date
    since: date
    due_this_week: tuple[AssignmentRow, ...]
    overdue: tuple[UnitOverdue, ...]
    changes: tuple[Change, ...]
    stats: Statistics
    chart: bytes = field(repr=False, default=b"")

    @property
    def overdue_total(self) -> int:
        return sum(u.count for u in self.overdue)


def weekly_report(engine: Engine, today: date, with_chart: bool = True) -> WeeklyReport:
    """Build the digest for the week of `today`: deadlines to Sunday, overdue, changes in the last 7 days."""
    monday = week_of(today)
    sunday = monday + timedelta(days=6)
    since = monday - timedelta(days=7)
    stats = statistics(engine, period_containing(today), today)
    query = (
        select(
            EVENTS.c.at,
            EVENTS.c.kind,
            EVENTS.c.assignment_id,
            TASKS.c.code,
            TASKS.c.title,
            UNITS.c.name,
            EVENTS.c.actor,
            EVENTS.c.new_status,
            EVENTS.c.percent,
            EVENTS.c.old_due,
            EVENTS.c.new_due,
        )
        .join(ASSIGNMENTS, ASSIGNMENTS.c.id == EVENTS.c.assignment_id)
        .join(TASKS, TASKS.c.id == ASSIGNMENTS.c.task_id)
        .join(UNITS, UNITS.c.id == ASSIGNMENTS.c.unit_id)
        .where(EVENTS.c.at >= to_utc(at_local(since, DIGEST_TIME)), EVENTS.c.kind.in_(CHANGE_KINDS))
        .order_by(EVENTS.c.at, EVENTS.c.id)
    )
    with engine.connect() as conn:
        changes = tuple(Change(*row) for row in conn.execute(query))  # type: ignore[call-arg]
    return WeeklyReport(
        week_of=monday,
        today=today,
        since=since,
        due_this_week=tuple(upcoming(engine, today, (sunday - today).days)),
        overdue=tuple(overdue_summary(engine, today)),
        changes=changes,
        stats=stats,
        chart=stacked_chart(stats).png if with_chart else b"",
    )


def plan_weekly(engine: Engine, clock: Clock) -> int:
    """Enqueue this week's digest for every leader with a chat, once the digest day has come; the digest
    itself is made when the dispatcher sends it, so that it says what is true that morning."""
    today = local_today(clock)
    monday = week_of(today)
    day = digest_day(monday)
    if not day <= today <= day + CATCH_UP or week_of(day) != monday:
        return 0
    with engine.begin() as conn:
        people = recipients(conn, today)
        existing = set(
            conn.execute(
                select(MESSAGES.c.official_id, MESSAGES.c.channel).where(
                    MESSAGES.c.kind == WEEKLY, MESSAGES.c.key == monday.isoformat()
                )
            ).all()
        )
        rows = [
            Outgoing(
                official_id,
                channel,
                WEEKLY,
                monday.isoformat(),
                send_after=to_utc(at_local(day, people.digest_at.get(official_id, DIGEST_TIME))),
            )
            for official_id, channel in dict.fromkeys(people.leaders)
            if (official_id, channel) not in existing
        ]
        enqueue(conn, rows, clock.now())  # another process may plan the same week at the same moment: once
    return len(rows)
