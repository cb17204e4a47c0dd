"""The leaders' Monday digest: this week's deadlines, everything overdue, what changed, and the chart.

It goes out at 07:30 (or the leader's own morning time) on the first working day of each week — Monday,
or Tuesday when Monday is a holiday such as Hùng Kings' day observed on 11/04/2022. Like reminders it
lives in an outbox table (`leader_digest`, one row per leader × channel × week), so a restart neither
loses nor repeats it; after downtime the week's digest goes out once, up to two days late, never stale.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, select, update

from scheduler.clock import Clock, at_local, local_now, local_today, to_utc
from scheduler.outbox.dispatcher import Dispatcher, backoff, ours
from scheduler.outbox.notify import Delivery, DeliveryError
from scheduler.outbox.planner import insert_ignoring_duplicates, recipients
from scheduler.register.models import ASSIGNMENTS, CHATS, DIGESTS, EVENTS, OFFICIALS, TASKS, UNITS, ReminderState, Role
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
    """Write this week's digest rows for every leader with a chat, once the digest day has come."""
    today = local_today(clock)
    monday = week_of(today)
    day = digest_day(monday)
    if not day <= today <= day + CATCH_UP or week_of(day) != monday:
        return 0
    with engine.begin() as conn:
        people = recipients(conn, today)
        existing = set(
            conn.execute(select(DIGESTS.c.official_id, DIGESTS.c.channel).where(DIGESTS.c.week_of == monday)).all()
        )
        rows = [
            {
                "official_id": official_id,
                "channel": channel,
                "week_of": monday,
                "send_after": to_utc(at_local(day, people.digest_at.get(official_id, DIGEST_TIME))),
                "state": ReminderState.planned.value,
                "attempts": 0,
                "last_error": "",
            }
            for official_id, channel in dict.fromkeys(people.leaders)
            if (official_id, channel) not in existing
        ]
        if rows:  # another process may plan the same week at the same moment
            insert_ignoring_duplicates(conn, DIGESTS, rows)
    return len(rows)


@dataclass
class WeeklySendReport:
    sent: int = 0
    failed: int = 0
    retried: int = 0


class WeeklySender:
    """Sends the planned digests through the dispatcher's channels, keeping its rate limits."""

    def __init__(self, engine: Engine, dispatcher: Dispatcher, clock: Clock, max_attempts: int = 5) -> None:
        self.engine = engine
        self.dispatcher = dispatcher
        self.clock = clock
        self.max_attempts = max_attempts

    def claim(self) -> list[tuple[int, int, str, int]]:
        """Take every due row (planned → sending); a crash mid-send leaves it for `sweep`."""
        now = self.clock.now()
        with self.engine.begin() as conn:
            ids = (
                conn.execute(
                    select(DIGESTS.c.id).where(self.dispatcher.due(now, DIGESTS)).with_for_update(skip_locked=True)
                )
                .scalars()
                .all()
            )
            if not ids:
                return []
            claimed = conn.execute(
                update(DIGESTS)
                .where(DIGESTS.c.id.in_(ids), self.dispatcher.due(now, DIGESTS))
                .values(self.dispatcher.claimed(now, DIGESTS))
                .returning(DIGESTS.c.id, DIGESTS.c.official_id, DIGESTS.c.channel, DIGESTS.c.attempts)
            ).all()
        return [tuple(row) for row in claimed]  # type: ignore[misc]

    def _finish(self, row_id: int, values: dict[str, Any]) -> None:
        outcome = ReminderState(values["state"])
        with self.engine.begin() as conn:
            conn.execute(
                update(DIGESTS)
                .where(DIGESTS.c.id == row_id, ours(DIGESTS, self.dispatcher.worker_id, outcome))
                .values({**values, "lease_until": None})
            )

    def _delivery(self, official_id: int, channel: str, report: WeeklyReport) -> Delivery | None:
        with self.engine.connect() as conn:
            link = conn.execute(
                select(CHATS.c.chat_id, CHATS.c.is_group)
                .where(CHATS.c.official_id == official_id, CHATS.c.channel == channel, CHATS.c.active.is_(True))
                .order_by(CHATS.c.id)
            ).first()
            person = conn.execute(
                select(OFFICIALS.c.name, OFFICIALS.c.role).where(OFFICIALS.c.id == official_id)
            ).first()
        if link is None or person is None or person.role != Role.leader.value:
            return None
        return Delivery(
            channel=channel,
            chat_id=link.chat_id,
            official_id=official_id,
            official_name=person.name,
            today=report.today,
            is_group=bool(link.is_group),
            weekly=report,
        )

    async def _send(self, row: tuple[int, int, str, int], report: WeeklyReport, result: WeeklySendReport) -> None:
        row_id, official_id, channel, attempts = row
        delivery = await asyncio.to_thread(self._delivery, official_id, channel, report)
        if delivery is None:
            await asyncio.to_thread(
                self._finish,
                row_id,
                {"state": ReminderState.failed.value, "last_error": "không còn là lãnh đạo có chat"},
            )
            result.failed += 1
            return
        limiter = self.dispatcher.limiter_of(channel)  # the token of the bot the leader's chat is on
        try:
            async with limiter.sending(delivery.chat_id, delivery.is_group):
                message_id = await self.dispatcher.notifiers[channel].deliver(delivery)
        except DeliveryError as error:
            result.retried += 1
            if error.retry_after:
                limiter.refused(delivery.chat_id, error.retry_after, bot_wide=error.pause_all)
            give_up = error.permanent or attempts >= self.max_attempts
            wait = max(error.retry_after or 0.0, backoff(attempts))
            values: dict[str, Any] = {"last_error": error.reason[:500]}
            if give_up:
                values["state"] = ReminderState.failed.value
                result.failed += 1
            else:
                values.update(
                    state=ReminderState.planned.value, next_attempt_at=self.clock.now() + timedelta(seconds=wait)
                )
            await asyncio.to_thread(self._finish, row_id, values)
            return
        sent = {
            "state": ReminderState.sent.value,
            "sent_at": self.clock.now(),
            "chat_id": delivery.chat_id,
            "message_id": message_id,
            "last_error": "",
        }
        await asyncio.to_thread(self._finish, row_id, sent)
        result.sent += 1

    async def run_once(self) -> WeeklySendReport:
        """Plan this week's digests, then send those that are due (on working days, outside quiet hours)."""
        result = WeeklySendReport()
        await asyncio.to_thread(self.dispatcher.sweep, DIGESTS)
        await asyncio.to_thread(plan_weekly, self.engine, self.clock)
        if self.dispatcher.stopping or not await asyncio.to_thread(self.dispatcher.may_send_now):
            return result
        rows = await asyncio.to_thread(self.claim)
        if not rows:
            return result
        report = await asyncio.to_thread(weekly_report, self.engine, local_now(self.clock).date())
        await asyncio.gather(*(self._send(row, report, result) for row in rows))
        return result
