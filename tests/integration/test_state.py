"""One definition of state: the Python answer and the SQL answer agree, and every view tells the same story."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, insert, select

from bot.cli import main
from scheduler.clock import LOCAL_TZ, FixedClock
from scheduler.register.changes import Actor, change_status
from scheduler.register.importer import import_register, load_register
from scheduler.register.models import ASSIGNMENTS, TASKS, UNITS, Status, TaskKind
from scheduler.register.queries import overdue, tasks
from scheduler.register.state import State, in_state, state_case, state_of
from scheduler.reporting.stats import parse_period, report_lines, statistics
from tests.conftest import REGISTER, assignment_id

BASE = date(2022, 4, 1)


@st.composite
def histories(draw: st.DrawFn) -> list[dict[str, object]]:
    """Assignments with random facts: deadlines, extensions, closings around local midnight, progress."""
    rows = []
    for _ in range(draw(st.integers(1, 12))):
        original = BASE + timedelta(days=draw(st.integers(0, 20)))
        due = original + timedelta(days=draw(st.sampled_from([0, 0, 0, 3, 10])))
        status = draw(st.sampled_from(list(Status)))
        done_at = None
        if status == Status.done and draw(st.integers(0, 9)):  # a few closed rows carry no time
            near = draw(st.booleans())  # often around the deadline itself, where on time and late part
            day = (
                due + timedelta(days=draw(st.integers(-1, 1)))
                if near
                else BASE + timedelta(days=draw(st.integers(-2, 30)))
            )
            # hours 0–23 local, so that UTC and local days differ for closings before 07:00
            moment = datetime.combine(day, time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 59]))), LOCAL_TZ)
            done_at = moment.astimezone(UTC)
        percent = draw(st.sampled_from([0, 0, 40, 100])) if status != Status.open else draw(st.sampled_from([0, 20]))
        rows.append(
            {
                "status": status.value,
                "percent": percent,
                "due": due,
                "original_due": original,
                "done_at": done_at,
                "event": draw(st.booleans()),
            }
        )
    return rows


@pytest.fixture
def two_tasks(engine: Engine) -> tuple[Engine, dict[bool, int], list[int]]:
    """Units and two tasks, a deadline and an event, to hang random assignments on (one unit per row)."""
    with engine.begin() as conn:
        units = [
            conn.execute(
                insert(UNITS).values(code=f"u{n}", name=f"Đơn vị {n}", kind="", aliases=[], groups=[])
            ).inserted_primary_key[0]
            for n in range(12)
        ]
        ids = {}
        for event in (False, True):
            kind = TaskKind.event if event else TaskKind.deadline
            ids[event] = conn.execute(
                insert(TASKS).values(code=f"t-{kind}", title=kind.value, kind=kind.value, lead=[], coordinating=[])
            ).inserted_primary_key[0]
    return engine, ids, units


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories(), seen=st.integers(-3, 40))
def test_python_and_sql_agree_on_every_state(
    two_tasks: tuple[Engine, dict[bool, int], list[int]], history: list[dict[str, object]], seen: int
) -> None:
    engine, task_ids, units = two_tasks
    today = BASE + timedelta(days=seen)
    with engine.begin() as conn:
        conn.execute(delete(ASSIGNMENTS))
        for n, row in enumerate(history):
            facts = {k: v for k, v in row.items() if k != "event"}
            conn.execute(
                insert(ASSIGNMENTS).values(
                    **facts, task_id=task_ids[bool(row["event"])], unit_id=units[n], note="", id=n + 1
                )
            )
        query = (
            select(ASSIGNMENTS.c.id, state_case(today))
            .join(TASKS, TASKS.c.id == ASSIGNMENTS.c.task_id)
            .order_by(ASSIGNMENTS.c.id)
        )
        in_sql = dict(conn.execute(query).all())
        members = {
            state: set(
                conn.execute(
                    select(ASSIGNMENTS.c.id)
                    .join(TASKS, TASKS.c.id == ASSIGNMENTS.c.task_id)
                    .where(in_state(state, today))
                ).scalars()
            )
            for state in State
        }
    for n, row in enumerate(history):
        expected = state_of(
            str(row["status"]),
            row["due"],  # type: ignore[arg-type]
            row["done_at"],  # type: ignore[arg-type]
            today,
            int(row["percent"]),  # type: ignore[call-overload]
            bool(row["event"]),
        )
        assert in_sql[n + 1] == expected.value, (row, today)
        assert {s for s, ids in members.items() if n + 1 in ids} == {expected}, (row, today)


# --- the example of the issue: due 30/4/2022, closed 10/5, seen on 2/5 --------------------------------


@pytest.fixture
def closed_on_10_may(engine: Engine, clock: FixedClock) -> tuple[Engine, int]:
    """The register, with Q2-12 (tiêm phòng đợt 1, due 30/4) of kp-tien-son-1 closed on 10/5/2022."""
    import_register(engine, load_register(REGISTER), clock)
    target = assignment_id(engine, "Q2-12", "kp-tien-son-1")
    later = FixedClock(datetime(2022, 5, 10, 9, 0, tzinfo=LOCAL_TZ))
    change_status(engine, target, Status.done, Actor(name="test"), later)
    return engine, target


def test_a_task_closed_after_the_day_seen_is_overdue_everywhere(
    closed_on_10_may: tuple[Engine, int], capsys: pytest.CaptureFixture[str]
) -> None:
    engine, target = closed_on_10_may
    seen = date(2022, 5, 2)
    url = engine.url.render_as_string(hide_password=False)
    assert target in {r.id for r in overdue(engine, seen)}
    assert target in {r.id for r in tasks(engine, seen, state="overdue")}
    row = next(r for r in tasks(engine, seen, state="all") if r.id == target)
    assert row.state(seen) == State.overdue
    line = next(line for line in report_lines(engine, parse_period("2022-Q2"), seen) if line.assignment_id == target)
    assert line.bucket == "overdue"
    assert main(["--database", url, "overdue", "--today", "2022-05-02", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert target in {r["id"] for r in listed}
    assert main(["--database", url, "report", "--period", "2022-Q2", "--today", "2022-05-02", "--format", "json"]) == 0
    reported = json.loads(capsys.readouterr().out)
    stats = statistics(engine, parse_period("2022-Q2"), seen)
    assert reported["total"]["overdue"] == stats.total.overdue == len(listed)
    # and seen after the closing it is done late, in every view
    after = date(2022, 5, 11)
    assert target not in {r.id for r in overdue(engine, after)}
    assert next(r for r in tasks(engine, after, state="all") if r.id == target).state(after) == State.done_late
    assert target in {r.id for r in tasks(engine, after, state="done_late")}
