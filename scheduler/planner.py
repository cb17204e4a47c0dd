"""The planner: from assignments, the policy and today, write the reminders that are due into the outbox.

Planning twice plans once (a unique key per assignment × official × kind × day × channel). Only the
latest occasion of each assignment is planned, so after downtime what was missed goes out once; older
rows still waiting are marked skipped. A closed assignment's waiting rows are skipped too.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, String, Table, and_, cast, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import aliased

from scheduler.clock import Clock, at_local, local_today, to_utc
from scheduler.deadlines import next_occurrence
from scheduler.models import (
    ACTIVE_STATUSES,
    ASSIGNMENTS,
    CHATS,
    MEMBERS,
    META,
    OFFICIALS,
    REMINDERS,
    SETTINGS,
    TASKS,
    ReminderState,
    Role,
    Status,
    open_assignment,
)
from scheduler.policy import ESCALATION, OVERDUE, ReminderPolicy

UNLINKED = "chưa liên kết"


@dataclass
class PlanReport:
    occurrences_added: int = 0
    planned: int = 0
    skipped: int = 0


def register_policy(conn: Connection, base: ReminderPolicy | None = None) -> ReminderPolicy:
    """The default policy with the register's `reminders:` section applied."""
    settings = conn.execute(select(META.c.value).where(META.c.key == "reminders")).scalar()
    return (base or ReminderPolicy()).with_settings(settings if isinstance(settings, dict) else None)


def advance_recurrences(conn: Connection, now: datetime, task_id: int | None = None) -> int:
    """Give each recurring task (or just `task_id`) its next occurrence once the current one is closed."""
    recurring = select(TASKS.c.id).where(TASKS.c.rrule.is_not(None))
    if task_id is not None:
        recurring = recurring.where(TASKS.c.id == task_id)
    task_ids = conn.execute(recurring).scalars().all()
    if not task_ids:
        return 0
    latest = (
        select(ASSIGNMENTS.c.task_id, ASSIGNMENTS.c.unit_id, func.max(ASSIGNMENTS.c.original_due).label("last"))
        .where(ASSIGNMENTS.c.task_id.in_(task_ids))
        .group_by(ASSIGNMENTS.c.task_id, ASSIGNMENTS.c.unit_id)
        .subquery()
    )
    rows = conn.execute(
        select(
            ASSIGNMENTS.c.task_id, ASSIGNMENTS.c.unit_id, ASSIGNMENTS.c.original_due, TASKS.c.rrule, TASKS.c.source_date
        )
        .join(
            latest,
            and_(
                latest.c.task_id == ASSIGNMENTS.c.task_id,
                latest.c.unit_id == ASSIGNMENTS.c.unit_id,
                latest.c.last == ASSIGNMENTS.c.original_due,
            ),
        )
        .join(TASKS, TASKS.c.id == ASSIGNMENTS.c.task_id)
        .where(ASSIGNMENTS.c.status.in_((Status.done.value, Status.cancelled.value)))
    ).all()
    new_rows = []
    for task_id, unit_id, last_due, rule, source_date in rows:
        following = next_occurrence(rule, source_date or last_due, last_due + timedelta(days=1))
        if following is not None:
            new_rows.append(open_assignment(task_id, unit_id, following, now))
    if new_rows:
        conn.execute(insert(ASSIGNMENTS), new_rows)
    return len(new_rows)


@dataclass
class Recipients:
    """Who hears about a unit: its linked officials (minus those on leave), and the leaders."""

    by_unit: dict[int, list[tuple[int, str]]]
    leaders_by_unit: dict[int, list[tuple[int, str]]]
    leaders: list[tuple[int, str]]
    on_leave_units: set[int]
    digest_at: dict[int, time]

    def for_unit(self, unit_id: int) -> list[tuple[int, str]]:
        """The unit's officials; while all of them are on leave, its leaders, so no unit goes silent."""
        people = self.by_unit.get(unit_id)
        if people:
            return people
        if unit_id in self.on_leave_units:
            return self.leaders_by_unit.get(unit_id) or self.leaders
        return []


def recipients(conn: Connection, today: date, include_unlinked: bool = False) -> Recipients:
    links = conn.execute(select(CHATS.c.official_id, CHATS.c.channel).where(CHATS.c.active.is_(True)).distinct()).all()
    channels: dict[int, list[str]] = defaultdict(list)
    for official_id, channel in links:
        channels[official_id].append(channel)
    roles = dict(conn.execute(select(OFFICIALS.c.id, OFFICIALS.c.role)).all())
    if include_unlinked:
        for official_id in roles:
            channels.setdefault(official_id, [UNLINKED])
    settings = conn.execute(
        select(SETTINGS.c.official_id, SETTINGS.c.muted_until, SETTINGS.c.digest_at, SETTINGS.c.channels)
    ).all()
    on_leave = {o for o, muted, _, _ in settings if muted is not None and muted >= today}
    digest_at = {o: at for o, _, at, _ in settings if at is not None}
    for official_id, _, _, preferred in settings:  # /kenh: where an official linked twice wants reminders
        if preferred and any(c == preferred for c in channels.get(official_id, ())):
            channels[official_id] = [preferred]
    found = Recipients(defaultdict(list), defaultdict(list), [], set(), digest_at)
    for official_id, unit_id in conn.execute(select(MEMBERS.c.official_id, MEMBERS.c.unit_id)):
        if official_id in on_leave:
            found.on_leave_units.add(unit_id)
            continue
        for channel in channels.get(official_id, ()):
            found.by_unit[unit_id].append((official_id, channel))
            if roles.get(official_id) == Role.leader.value:
                found.leaders_by_unit[unit_id].append((official_id, channel))
    found.leaders = [
        (o, c)
        for o, chans in channels.items()
        if roles.get(o) == Role.leader.value and o not in on_leave
        for c in chans
    ]
    return found


def candidates(
    conn: Connection, today: date, policy: ReminderPolicy, include_unlinked: bool = False
) -> list[dict[str, Any]]:
    """The outbox rows today's occasions call for (before removing those already planned)."""
    people = recipients(conn, today, include_unlinked)
    if not people.by_unit and not people.leaders:
        return []
    overrides = {
        task_id: policy.with_settings(settings)
        for task_id, settings in conn.execute(
            select(TASKS.c.id, TASKS.c.reminders).where(TASKS.c.reminders.is_not(None))
        )
        if settings
    }
    # Dates come back as ISO text and are parsed once per distinct value: 100,000 rows, a few hundred days.
    query = select(
        ASSIGNMENTS.c.id, ASSIGNMENTS.c.unit_id, cast(ASSIGNMENTS.c.due, String), ASSIGNMENTS.c.task_id
    ).where(ASSIGNMENTS.c.status.in_(ACTIVE_STATUSES))
    days: dict[str, date] = {}
    rows: list[dict[str, Any]] = []
    send_times: dict[tuple[date, time], datetime] = {}
    for assignment_id, unit_id, due_text, task_id in conn.execute(query).all():
        due = days.get(due_text) or days.setdefault(due_text, date.fromisoformat(due_text[:10]))
        unit_people = people.for_unit(unit_id)
        escalating_to = people.leaders_by_unit.get(unit_id) or people.leaders
        if not unit_people and not escalating_to:
            continue
        task_policy = overrides.get(task_id, policy)
        occasion = task_policy.latest(due, today)
        if occasion is None:
            continue
        unit_kind = OVERDUE if occasion.kind == ESCALATION else occasion.kind
        targets = [(o, c, unit_kind) for o, c in unit_people]
        if occasion.kind == ESCALATION:
            targets += [(o, c, ESCALATION) for o, c in escalating_to]
        for official_id, channel, kind in targets:
            at = people.digest_at.get(official_id, task_policy.send_at)
            key = (occasion.day, at)
            send_after = send_times.get(key) or send_times.setdefault(key, to_utc(at_local(occasion.day, at)))
            rows.append(
                {
                    "assignment_id": assignment_id,
                    "official_id": official_id,
                    "channel": channel,
                    "kind": kind,
                    "planned_for": occasion.day,
                    "send_after": send_after,
                }
            )
    return rows


def insert_ignoring_duplicates(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows, skipping those whose unique key is already there (SQLite and PostgreSQL)."""
    if not rows:
        return
    if conn.dialect.name == "sqlite":
        _sqlite_insert_or_ignore(conn, table, rows)
        return
    statement = pg_insert(table).on_conflict_do_nothing()
    for start in range(0, len(rows), 5000):
        conn.execute(statement, rows[start : start + 5000])


def _sqlite_insert_or_ignore(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """The first tick of a morning writes 100,000 rows: straight to the driver's executemany.

    Each value goes through its column's own bind processor (so dates and UTC datetimes are stored
    exactly as the ORM stores them), once per distinct value: a morning has a handful of days and times.
    """
    given = list(rows[0])
    defaults = {  # what Core would fill in for a column the rows leave out (e.g. note = "")
        c.name: c.default.arg
        for c in table.columns
        if c.name not in given and c.default is not None and getattr(c.default, "is_scalar", False)
    }
    columns = given + list(defaults)
    rows = [{**defaults, **row} for row in rows] if defaults else rows
    processors = [table.c[name].type.bind_processor(conn.dialect) for name in columns]
    memo: list[dict[Any, Any]] = [{} for _ in columns]

    def value(index: int, raw: Any) -> Any:
        process = processors[index]
        if process is None or raw is None:
            return raw
        seen = memo[index]
        if raw not in seen:
            seen[raw] = process(raw)
        return seen[raw]

    sql = (
        f"INSERT OR IGNORE INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    conn.exec_driver_sql(sql, [tuple(value(i, row[name]) for i, name in enumerate(columns)) for row in rows])


def plan(engine: Engine, clock: Clock, policy: ReminderPolicy | None = None) -> PlanReport:
    """One planning pass; safe to run every minute and from several processes."""
    report = PlanReport()
    now = clock.now()
    today = local_today(clock)
    with engine.begin() as conn:
        report.occurrences_added = advance_recurrences(conn, now)
        active_policy = register_policy(conn, policy)
        wanted = candidates(conn, today, active_policy)
        if wanted:
            since = min(r["planned_for"] for r in wanted)  # no candidate key is older than this
            existing = {
                tuple(row)
                for row in conn.execute(
                    select(
                        REMINDERS.c.assignment_id,
                        REMINDERS.c.official_id,
                        REMINDERS.c.kind,
                        cast(REMINDERS.c.planned_for, String),
                        REMINDERS.c.channel,
                    ).where(REMINDERS.c.planned_for >= since)
                ).all()
            }
            fresh = [
                r
                for r in wanted
                if (r["assignment_id"], r["official_id"], r["kind"], r["planned_for"].isoformat(), r["channel"])
                not in existing
            ]
            for row in fresh:
                row.update(state=ReminderState.planned.value, attempts=0, last_error="")
            if fresh:
                insert_ignoring_duplicates(conn, REMINDERS, fresh)
            report.planned = len(fresh)
        report.skipped = _skip_stale(conn)
    return report


def preview(engine: Engine, clock: Clock) -> list[dict[str, Any]]:
    """What today's plan would send, for everyone (linked or not), without writing anything."""
    with engine.connect() as conn:
        wanted = candidates(conn, local_today(clock), register_policy(conn), include_unlinked=True)
        if not wanted:
            return []
        sent = set(
            tuple(row)
            for row in conn.execute(
                select(
                    REMINDERS.c.assignment_id, REMINDERS.c.official_id, REMINDERS.c.kind, REMINDERS.c.planned_for
                ).where(
                    REMINDERS.c.planned_for >= min(r["planned_for"] for r in wanted),
                    REMINDERS.c.state.in_((ReminderState.sent.value, ReminderState.sending.value)),
                )
            )
        )
    return [r for r in wanted if (r["assignment_id"], r["official_id"], r["kind"], r["planned_for"]) not in sent]


def _skip_stale(conn: Connection) -> int:
    """Waiting rows of closed assignments, and rows a newer occasion of the same assignment replaced."""
    closed = (
        update(REMINDERS)
        .where(
            REMINDERS.c.state == ReminderState.planned.value,
            REMINDERS.c.assignment_id.in_(
                select(ASSIGNMENTS.c.id).where(ASSIGNMENTS.c.status.not_in(ACTIVE_STATUSES)).scalar_subquery()
            ),
        )
        .values(state=ReminderState.skipped.value, last_error="việc đã xong hoặc đã hủy")
    )
    count = conn.execute(closed).rowcount or 0
    newer = aliased(REMINDERS)
    superseded = (
        update(REMINDERS)
        .where(
            REMINDERS.c.state == ReminderState.planned.value,
            select(newer.c.id)
            .where(
                newer.c.assignment_id == REMINDERS.c.assignment_id,
                newer.c.official_id == REMINDERS.c.official_id,
                newer.c.channel == REMINDERS.c.channel,
                newer.c.planned_for > REMINDERS.c.planned_for,
            )
            .exists(),
        )
        .values(state=ReminderState.skipped.value, last_error="đã có lời nhắc mới hơn")
    )
    count += conn.execute(superseded).rowcount or 0
    return count
