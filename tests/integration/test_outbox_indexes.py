"""Every search of the outbox by the planner and the dispatcher is answered from an index, on both databases.

The outbox here is a month of history (sent) and one morning waiting: a statement that scanned the table
would read the whole month every tick. The plans are the databases' own (SQLite's EXPLAIN QUERY PLAN,
PostgreSQL's EXPLAIN after ANALYZE).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from sqlalchemy import Engine, insert, select, text

from scheduler.clock import LOCAL_TZ, FixedClock, to_utc
from scheduler.outbox.dispatcher import Dispatcher
from scheduler.outbox.explain import query_plan
from scheduler.outbox.notify import LoggingNotifier
from scheduler.outbox.planner import outbox_statements
from scheduler.register.models import ASSIGNMENTS, OFFICIALS, REMINDERS, TASKS, UNITS

TODAY = date(2022, 4, 22)
NOW = datetime.combine(TODAY, time(7, 31), tzinfo=LOCAL_TZ)
PEOPLE, DAYS, ASSIGNED = 600, 31, 50


def a_month_of_outbox(engine: Engine) -> None:
    with engine.begin() as conn:
        unit = conn.execute(insert(UNITS).values(code="u", name="Đơn vị", kind="", aliases=[], groups=[]))
        task = conn.execute(insert(TASKS).values(code="t", title="Việc", lead=[], coordinating=[]))
        unit_id, task_id = unit.inserted_primary_key[0], task.inserted_primary_key[0]
        conn.execute(
            insert(ASSIGNMENTS),
            [
                {
                    "id": a + 1,
                    "task_id": task_id,
                    "unit_id": unit_id,
                    "status": "open",
                    "percent": 0,
                    "note": "",
                    "due": TODAY + timedelta(days=a),
                    "original_due": TODAY + timedelta(days=a),
                }
                for a in range(ASSIGNED)
            ],
        )
        conn.execute(
            insert(OFFICIALS),
            [
                {"id": i + 1, "code": f"o{i}", "name": f"Cán bộ {i}", "title": "", "role": "member"}
                for i in range(PEOPLE)
            ],
        )
        for back in range(DAYS):
            day = TODAY - timedelta(days=back)
            conn.execute(
                insert(REMINDERS),
                [
                    {
                        "assignment_id": i % ASSIGNED + 1,
                        "official_id": i + 1,
                        "channel": "telegram",
                        "kind": "overdue",
                        "planned_for": day,
                        "send_after": to_utc(datetime.combine(day, time(7, 30), tzinfo=LOCAL_TZ)),
                        "state": "planned" if back == 0 else "sent",
                        "attempts": 0,
                        "last_error": "",
                        "note": "",
                    }
                    for i in range(PEOPLE)
                ],
            )
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))


def full_scans(engine: Engine, steps: list[str]) -> list[str]:
    """The steps that read a whole outbox table (or a whole index of it)."""
    pattern = r"^SCAN reminder\b" if engine.dialect.name == "sqlite" else r"Seq Scan on reminder\b"
    return [s for s in steps if re.search(pattern, s.strip().removeprefix("->").strip())]


def test_every_search_of_the_outbox_by_the_planner_reads_an_index(engine: Engine) -> None:
    a_month_of_outbox(engine)
    statements = outbox_statements(TODAY)
    assert len(statements) == 7
    with engine.connect() as conn:
        for name, statement in statements.items():
            steps = query_plan(conn, statement)
            assert not full_scans(engine, steps), f"{name}:\n" + "\n".join(steps)
        day_rows = "\n".join(query_plan(conn, statements["comparison: the rows of today's occasions' days"]))
    assert "ix_reminder_day" in day_rows, day_rows


def test_the_dispatchers_searches_of_the_outbox_read_an_index(engine: Engine) -> None:
    a_month_of_outbox(engine)
    dispatcher = Dispatcher(engine, {"telegram": LoggingNotifier("telegram")}, FixedClock(NOW))
    due_person = select(REMINDERS.c.id).where(
        dispatcher.due(NOW), REMINDERS.c.official_id == 7, REMINDERS.c.channel == "telegram"
    )
    with engine.connect() as conn:
        for statement in (dispatcher.pick(NOW), select(REMINDERS.c.id).where(dispatcher.due(NOW)), due_person):
            steps = query_plan(conn, statement)
            assert not full_scans(engine, steps), "\n".join(steps)
