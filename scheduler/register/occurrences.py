"""A routine's occurrences, on its schedule: whether or not the previous one was closed.

A recurring task gives each of its lead units one assignment per occurrence. Occurrences are written as
the days come, never further ahead than their first reminder needs (the day seen, or the day its earliest
"before" reminder goes out), so an open-ended rule makes no rows in advance beyond a few. Days off are
applied by the grammar (`routine_days`): an event is skipped on a day off, a deadline moves to the
working day before. Writing them twice writes them once (the occurrence's unique key, insert or ignore),
so every tick of every process may call this; once a day is done (and until the next import or a new
policy) a tick only reads one memo row. After a long stop only the last `CATCH_UP` days are filled in: a
register imported years after its document does not wake up with years of past occurrences.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select, update

from scheduler.db import upsert
from scheduler.deadlines import routine_days
from scheduler.outbox.policy import ReminderPolicy
from scheduler.register.models import ASSIGNMENTS, META, TASKS, UNITS, TaskKind, open_assignment

log = logging.getLogger(__name__)

CATCH_UP = timedelta(days=92)  # a quarter: a stop that long still leaves the quarter's report whole
_AHEAD = 14  # days: longer than any run of days off, over which a "before" reminder moves back
MEMO_KEY = "occurrences"  # the day (and policy) whose occurrences are all written; an import clears it


def first_reminder(policy: ReminderPolicy, due: date) -> date:
    """The day the earliest reminder of an occurrence due on `due` goes out (the day itself if none)."""
    found = policy.occasions(due, due)
    return found[0].day if found else due


def add_occurrences(conn: Connection, today: date, now: datetime, policy: ReminderPolicy) -> int:
    """Write the occurrences every recurring task's lead units should have by `today`; returns how many."""
    stamp = {"day": today.isoformat(), "policy": repr(policy)}
    if conn.execute(select(META.c.value).where(META.c.key == MEMO_KEY)).scalar() == stamp:
        return 0  # the same day, the same register and rules: nothing new can be due
    written = _add(conn, today, now, policy)
    if conn.execute(update(META).where(META.c.key == MEMO_KEY).values(value=stamp)).rowcount == 0:
        memo = upsert(conn, META).values(key=MEMO_KEY, value=stamp)
        conn.execute(memo.on_conflict_do_nothing(index_elements=["key"]))
    return written


def _add(conn: Connection, today: date, now: datetime, policy: ReminderPolicy) -> int:
    tasks = conn.execute(
        select(TASKS.c.id, TASKS.c.rrule, TASKS.c.source_date, TASKS.c.kind, TASKS.c.lead, TASKS.c.reminders).where(
            TASKS.c.rrule.is_not(None)
        )
    ).all()
    if not tasks:
        return 0
    latest: dict[tuple[int, int], date] = {
        (task_id, unit_id): last
        for task_id, unit_id, last in conn.execute(
            select(ASSIGNMENTS.c.task_id, ASSIGNMENTS.c.unit_id, func.max(ASSIGNMENTS.c.original_due))
            .where(ASSIGNMENTS.c.task_id.in_([t.id for t in tasks]))
            .group_by(ASSIGNMENTS.c.task_id, ASSIGNMENTS.c.unit_id)
        )
    }
    units_of = _lead_units(conn)
    earliest = today - CATCH_UP
    rows: list[dict[str, Any]] = []
    for task_id, rule, source_date, kind, lead, reminders in tasks:
        event = kind == TaskKind.event.value
        task_policy = policy.for_task(event, reminders or None)
        ahead = max((*task_policy.before_days, 0)) + _AHEAD
        dtstart = source_date or earliest
        for unit_id in sorted({u for ref in lead or () for u in units_of.get(ref, ())}):
            last = latest.get((task_id, unit_id))
            first = max(last + timedelta(days=1) if last else dtstart, dtstart, earliest)
            if first > today + timedelta(days=ahead):
                continue
            for day in routine_days(rule, dtstart, first, today + timedelta(days=ahead), event):
                if day <= today or first_reminder(task_policy, day) <= today:
                    rows.append(open_assignment(task_id, unit_id, day, now))
    if rows:
        _insert_or_ignore(conn, rows)
        log.info("recurring tasks: %d occurrences written for %s", len(rows), today.isoformat())
    return len(rows)


def _lead_units(conn: Connection) -> dict[str, list[int]]:
    """Each unit or group code a task's `lead` may name, with the ids of the units it stands for."""
    found: dict[str, list[int]] = defaultdict(list)
    for unit_id, code, groups in conn.execute(select(UNITS.c.id, UNITS.c.code, UNITS.c.groups)):
        found[code].append(unit_id)
        for group in groups or ():
            found[group].append(unit_id)
    return found


def _insert_or_ignore(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Two processes (or two ticks) writing the same occurrence write it once."""
    statement = upsert(conn, ASSIGNMENTS).on_conflict_do_nothing(index_elements=["task_id", "unit_id", "original_due"])
    for start in range(0, len(rows), 5000):
        conn.execute(statement, rows[start : start + 5000])
