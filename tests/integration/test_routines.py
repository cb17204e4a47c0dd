"""Routines: a recurring task's occurrences come on their schedule, closed or not.

An event (the Monday flag ceremony) is reminded the day before and on the morning, skipped on a day off,
and counted "not reported" when nobody confirms it; a recurring deadline that falls on a day off moves to
the working day before and is chased like any deadline. The real planner and dispatcher, on SQLite and
PostgreSQL, day after day.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from bot.cli import main
from bot.conversation.report_texts import weekly_text
from scheduler.clock import LOCAL_TZ, FixedClock
from scheduler.outbox.planner import plan
from scheduler.register.changes import Actor, change_status
from scheduler.register.file import RegisterError
from scheduler.register.importer import import_register, load_register, read_register
from scheduler.register.links import find_official_id, link_chat
from scheduler.register.models import ASSIGNMENTS, TASKS, Status
from scheduler.register.queries import overdue
from scheduler.register.state import State, state_of
from scheduler.register.yaml_format import dump_yaml
from scheduler.reporting.stats import parse_period, report_lines, statistics
from scheduler.reporting.weekly import weekly_report
from tests.conftest import REGISTER
from tests.integration.test_reminders import flatten, simulate

# Mondays of Q2/2022 that are working days: 11/4 (Hùng Kings, observed) and 2/5 (observed) are not.
CEREMONIES = [
    date(2022, 4, 18),
    date(2022, 4, 25),
    date(2022, 5, 9),
    date(2022, 5, 16),
    date(2022, 5, 23),
    date(2022, 5, 30),
    date(2022, 6, 6),
    date(2022, 6, 13),
    date(2022, 6, 20),
    date(2022, 6, 27),
]


def occurrences(engine: Engine, task: str) -> list[tuple[date, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(ASSIGNMENTS.c.due, ASSIGNMENTS.c.status)
            .join(TASKS, TASKS.c.id == ASSIGNMENTS.c.task_id)
            .where(TASKS.c.code == task)
            .order_by(ASSIGNMENTS.c.due)
        ).all()
    return [(due, status) for due, status in rows]


def occurrence_id(engine: Engine, task: str, due: date) -> int:
    """The id of the occurrence of a recurring task due on that day (there is exactly one)."""
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(ASSIGNMENTS.c.id)
                .join(TASKS, TASKS.c.id == ASSIGNMENTS.c.task_id)
                .where(TASKS.c.code == task, ASSIGNMENTS.c.due == due)
            ).scalar_one()
        )


def plan_every_morning(engine: Engine, clock: FixedClock, start: date, end: date) -> None:
    day = start
    while day <= end:
        clock.set(datetime.combine(day, time(7, 31), tzinfo=LOCAL_TZ))
        plan(engine, clock)
        day += timedelta(days=1)


def test_the_monday_flag_ceremony_is_reminded_every_monday_though_nobody_closes_one(
    linked: Engine, clock: FixedClock
) -> None:
    notifier = simulate(linked, clock, date(2022, 4, 8), date(2022, 5, 10))
    heard = sorted(
        {
            (day, kind)
            for day, who, task, _unit, kind in flatten(notifier.delivered)
            if task == "Q2-17" and who == "Lê Văn C"
        }
    )
    assert heard == [
        (date(2022, 4, 15), "before_1d"),  # Sunday 17/4 is off: the Friday before
        (date(2022, 4, 18), "due_today"),
        (date(2022, 4, 22), "before_1d"),
        (date(2022, 4, 25), "due_today"),  # the 18/4 one was never confirmed: this one comes all the same
        (date(2022, 5, 6), "before_1d"),
        (date(2022, 5, 9), "due_today"),  # 2/5 (observed holiday) had no ceremony, and nobody heard of one
    ]
    # no occurrence on the holidays, none nagged as overdue or escalated to the leaders
    assert occurrences(linked, "Q2-17") == [(d, "open") for d in CEREMONIES[:3]]
    assert not [i for i in flatten(notifier.delivered) if i[2] == "Q2-17" and i[4] in ("overdue", "escalation")]
    assert "Q2-17" not in {row.task_code for row in overdue(linked, date(2022, 5, 10))}


def test_q2_statistics_count_the_unconfirmed_ceremonies_as_not_reported(engine: Engine, clock: FixedClock) -> None:
    import_register(engine, load_register(REGISTER), clock)
    plan_every_morning(engine, clock, date(2022, 4, 8), date(2022, 6, 30))
    assert [d for d, _status in occurrences(engine, "Q2-17") if d <= date(2022, 6, 30)] == CEREMONIES
    q2 = parse_period("2022-Q2")
    stats = statistics(engine, q2, date(2022, 7, 1))
    ubnd = next(u for u in stats.units if u.unit_code == "ubnd")
    assert stats.total.not_reported == ubnd.not_reported == 10  # every Monday ceremony, none confirmed
    lines = [line for line in report_lines(engine, q2, date(2022, 7, 1)) if line.task_code == "Q2-17"]
    assert [(line.due, line.bucket) for line in lines] == [(d, "not_reported") for d in CEREMONIES]
    assert "Q2-17" not in {row.task_code for row in overdue(engine, date(2022, 7, 1))}


def test_confirming_a_ceremony_makes_it_done_and_leaves_the_next_ones_alone(linked: Engine, clock: FixedClock) -> None:
    plan_every_morning(linked, clock, date(2022, 4, 8), date(2022, 5, 3))
    before = occurrences(linked, "Q2-17")
    first = occurrence_id(linked, "Q2-17", date(2022, 4, 18))
    clock.set(datetime(2022, 5, 3, 9, 0, tzinfo=LOCAL_TZ))  # confirmed two weeks late
    change_status(linked, first, Status.done, Actor("Hoàng Văn E"), clock)
    plan(linked, clock)
    after = occurrences(linked, "Q2-17")
    assert [d for d, _ in after] == [d for d, _ in before] == CEREMONIES[:2]  # nothing new, nothing overdue
    assert after[0][1] == "done" and after[1][1] == "open"
    assert state_of("done", date(2022, 4, 18), clock.now(), date(2022, 5, 3), event=True) == State.done_on_time


def _with_a_monthly_report(tmp_path: Path) -> Path:
    """The register with one more task: Công đoàn reports before the 20th of every month."""
    text = REGISTER.read_text(encoding="utf-8") + (
        "  - code: Q2-90\n"
        "    title: Báo cáo tình hình hoạt động Công đoàn hằng tháng\n"
        "    deadline: trước ngày 20 hằng tháng\n"
        "    lead: [cong-doan]\n"
    )
    path = tmp_path / "register.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_monthly_deadline_on_a_sunday_moves_to_the_friday_and_a_late_close_creates_nothing_overdue(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    import_register(engine, load_register(_with_a_monthly_report(tmp_path)), clock)
    link_chat(engine, find_official_id(engine, "ct-cong-doan"), "console", "k", clock)
    with engine.connect() as conn:
        assert conn.execute(select(TASKS.c.kind).where(TASKS.c.code == "Q2-90")).scalar_one() == "deadline"

    def close_may_late(day: date) -> None:
        if day == date(2022, 5, 25):  # the 19/5 report, six days late
            may = occurrence_id(engine, "Q2-90", date(2022, 5, 19))
            before = occurrences(engine, "Q2-90")
            clock.set(datetime(2022, 5, 25, 7, 0, tzinfo=LOCAL_TZ))
            change_status(engine, may, Status.done, Actor("Bùi Thị K"), clock)
            plan(engine, clock)
            assert [d for d, _ in occurrences(engine, "Q2-90")] == [d for d, _ in before]  # nothing born overdue

    notifier = simulate(
        engine, clock, date(2022, 4, 8), date(2022, 6, 21), ticks=(time(7, 31),), each_morning=close_may_late
    )
    # 19/6/2022 is a Sunday: the June report is due Friday 17/6 (Saturday is off too)
    assert [d for d, _ in occurrences(engine, "Q2-90")] == [date(2022, 4, 19), date(2022, 5, 19), date(2022, 6, 17)]
    june = [(d.today, i.kind) for d in notifier.delivered for i in d.items if i.due == date(2022, 6, 17)]
    assert june[:4] == [
        (date(2022, 6, 10), "before_7d"),
        (date(2022, 6, 14), "before_3d"),
        (date(2022, 6, 16), "before_1d"),
        (date(2022, 6, 17), "due_today"),
    ]
    assert (date(2022, 6, 20), "overdue") in june  # June's not met: chased from the Monday after, like any deadline
    # April's is never closed: it is chased every 2 working days, over the 30/4–3/5 holidays
    april = [(d.today, i.kind) for d in notifier.delivered for i in d.items if i.due == date(2022, 4, 19)]
    assert april[:10] == [
        (date(2022, 4, 12), "before_7d"),
        (date(2022, 4, 15), "before_3d"),  # 16/4 is a Saturday
        (date(2022, 4, 18), "before_1d"),
        (date(2022, 4, 19), "due_today"),
        (date(2022, 4, 20), "overdue"),
        (date(2022, 4, 22), "overdue"),
        (date(2022, 4, 26), "overdue"),
        (date(2022, 4, 28), "overdue"),
        (date(2022, 5, 4), "overdue"),
        (date(2022, 5, 6), "overdue"),
    ]
    # May's first reminder was a week before its day, never an "overdue" born on the day it appeared
    may = [(d.today, i.kind) for d in notifier.delivered for i in d.items if i.due == date(2022, 5, 19)]
    assert may[0] == (date(2022, 5, 12), "before_7d")
    with engine.connect() as conn:
        statuses = dict(
            conn.execute(
                select(ASSIGNMENTS.c.due, ASSIGNMENTS.c.status)
                .join(TASKS, TASKS.c.id == ASSIGNMENTS.c.task_id)
                .where(TASKS.c.code == "Q2-90")
            ).all()
        )
    assert statuses == {date(2022, 4, 19): "open", date(2022, 5, 19): "done", date(2022, 6, 17): "open"}


def _register_with(tmp_path: Path, old: str, new: str) -> Path:
    text = REGISTER.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path = tmp_path / "register.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


FLAG_RULE = "    rrule: FREQ=WEEKLY;BYDAY=MO\n"


def test_the_register_may_say_a_routine_is_a_deadline_and_the_export_keeps_it(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    path = _register_with(tmp_path, FLAG_RULE, FLAG_RULE + "    kind: thời hạn\n")  # the keeper overrides the phrase
    import_register(engine, load_register(path), clock)
    with engine.connect() as conn:
        assert conn.execute(select(TASKS.c.kind).where(TASKS.c.code == "Q2-17")).scalar_one() == "deadline"
    exported = read_register(engine)
    flag = next(t for t in exported.tasks if t.code == "Q2-17")
    assert flag.kind == "deadline" and "kind: deadline" in dump_yaml(exported)
    again = tmp_path / "again.yaml"
    again.write_text(dump_yaml(exported), encoding="utf-8")
    assert not import_register(engine, load_register(again), clock).changed  # the export reads back the same
    ceremony = next(t for t in load_register(REGISTER).tasks if t.code == "Q2-17")
    assert ceremony.kind == "event" and "kind: event" not in dump_yaml(load_register(REGISTER))  # the phrase says it


def test_an_unknown_kind_is_refused_with_its_place(tmp_path: Path) -> None:
    path = _register_with(tmp_path, FLAG_RULE, FLAG_RULE + "    kind: họp\n")
    with pytest.raises(RegisterError) as refused:
        load_register(path)
    [problem] = refused.value.problems
    assert "tasks[" in problem.where and ".kind" in problem.where and "register.yaml:" in problem.where
    assert "loại 'họp' không có; ghi event" in problem.message


def test_the_monday_digest_counts_the_unconfirmed_ceremony_apart_from_the_overdue(
    engine: Engine, clock: FixedClock
) -> None:
    import_register(engine, load_register(REGISTER), clock)
    plan_every_morning(engine, clock, date(2022, 4, 8), date(2022, 4, 25))
    text = weekly_text(weekly_report(engine, date(2022, 4, 25), with_chart=False), "Nguyễn Văn A")
    assert "Quá hạn: 0 việc" in text  # the 18/4 ceremony nobody confirmed is not overdue …
    assert "Việc định kỳ chưa báo cáo (quý 2/2022): 1" in text  # … it is counted as not reported
    assert "Giao ban, chào cờ sáng thứ 2 hằng tuần — UBND thị trấn, hạn" in text  # this week's, on 25/4


def test_the_cli_lists_the_routines_not_reported(
    engine: Engine, clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    import_register(engine, load_register(REGISTER), clock)
    plan_every_morning(engine, clock, date(2022, 4, 8), date(2022, 5, 10))
    url = engine.url.render_as_string(hide_password=False)
    argv = ["--database", url, "tasks", "--status", "not_reported", "--today", "2022-05-10", "--json"]
    assert main(argv) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["task"], r["unit"], r["due"], r["state"]) for r in rows] == [
        ("Q2-17", "ubnd", "2022-04-18", "not_reported"),
        ("Q2-17", "ubnd", "2022-04-25", "not_reported"),
        ("Q2-17", "ubnd", "2022-05-09", "not_reported"),
    ]
