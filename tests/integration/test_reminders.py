"""Reminders arrive exactly once, on working days, one message per person per morning."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import Engine, select, update

from scheduler.clock import LOCAL_TZ, FixedClock
from scheduler.outbox.dispatcher import Dispatcher
from scheduler.outbox.notify import Delivery, LoggingNotifier
from scheduler.outbox.planner import plan
from scheduler.outbox.policy import ReminderPolicy
from scheduler.outbox.ratelimit import RateLimiter
from scheduler.register.changes import Actor, change_status
from scheduler.register.importer import import_register, load_register
from scheduler.register.links import find_official_id, link_chat
from scheduler.register.models import ASSIGNMENTS, OFFICIALS, REMINDERS, TASKS, ReminderState, Status
from scheduler.workdays import is_working_day
from tests.conftest import REGISTER, assignment_id

Sent = tuple[date, str, str, str, str]  # (day, official, task, unit, kind)


def unlimited() -> RateLimiter:
    return RateLimiter(per_second=10**6, per_chat_second=10**6, per_group_minute=10**6)


def flatten(deliveries: list[Delivery]) -> list[Sent]:
    return [(d.today, d.official_name, i.task_code, i.unit_name, i.kind) for d in deliveries for i in d.items]


def simulate(
    engine: Engine,
    clock: FixedClock,
    start: date,
    end: date,
    *,
    ticks: tuple[time, ...] = (time(7, 31), time(12, 0), time(22, 0)),
    down: Callable[[date], bool] = lambda _d: False,
    each_morning: Callable[[date], None] = lambda _d: None,
) -> LoggingNotifier:
    """Step the clock day by day; a new dispatcher each day, as after a restart; no ticks on `down` days."""
    notifier = LoggingNotifier("console")

    async def run() -> None:
        day = start
        while day <= end:
            each_morning(day)
            if not down(day):
                dispatcher = Dispatcher(engine, {"console": notifier}, clock, limiter=unlimited())
                for at in ticks:
                    clock.set(datetime.combine(day, at, tzinfo=LOCAL_TZ))
                    plan(engine, clock)
                    await dispatcher.run_once()
            day += timedelta(days=1)

    asyncio.run(run())
    return notifier


def test_cbcc_conference_due_on_a_holiday_is_reminded_the_working_day_before(linked: Engine, clock: FixedClock) -> None:
    notifier = simulate(linked, clock, date(2022, 4, 8), date(2022, 5, 20))
    cbcc = [
        (day, kind)
        for day, who, task, _unit, kind in flatten(notifier.delivered)
        if task == "Q2-05" and who == "Bùi Thị K"
    ]
    # Due Saturday 30/4 (a holiday, with 1/5 and the observed 2/5, 3/5 off too):
    assert cbcc == [
        (date(2022, 4, 22), "before_7d"),  # 23/4 is a Saturday: the Friday before
        (date(2022, 4, 27), "before_3d"),
        (date(2022, 4, 29), "due_today"),  # before_1d and the day itself share Friday 29/4: one reminder
        (date(2022, 5, 4), "overdue"),  # first working day after the deadline
        (date(2022, 5, 6), "overdue"),  # then every 2 working days
        (date(2022, 5, 10), "overdue"),
        (date(2022, 5, 12), "overdue"),
        (date(2022, 5, 16), "overdue"),
        (date(2022, 5, 18), "overdue"),
        (date(2022, 5, 20), "overdue"),
    ]
    with linked.connect() as conn:  # the date itself stays as the register wrote it
        due = conn.execute(
            select(ASSIGNMENTS.c.due).join(TASKS, TASKS.c.id == ASSIGNMENTS.c.task_id).where(TASKS.c.code == "Q2-05")
        ).scalars()
        assert set(due) == {date(2022, 4, 30)}


def test_chi_bo_congress_reminders_for_every_chi_bo(linked: Engine, clock: FixedClock) -> None:
    notifier = simulate(linked, clock, date(2022, 5, 20), date(2022, 6, 2))
    sent = [
        (day, kind)
        for day, who, task, unit, kind in flatten(notifier.delivered)
        if task == "Q2-02" and unit == "Chi bộ Công an thị trấn" and who == "Mai Văn P"
    ]
    assert sent == [
        (date(2022, 5, 24), "before_7d"),
        (date(2022, 5, 27), "before_3d"),  # 28/5 is a Saturday
        (date(2022, 5, 30), "before_1d"),
        (date(2022, 5, 31), "due_today"),
        (date(2022, 6, 1), "overdue"),
    ]


def test_days_off_send_nothing_and_each_person_gets_one_message_a_morning(linked: Engine, clock: FixedClock) -> None:
    notifier = simulate(linked, clock, date(2022, 4, 8), date(2022, 7, 15))
    days = {d.today for d in notifier.delivered}
    assert days and all(is_working_day(day) for day in days)
    assert not days & {date(2022, 4, 30), date(2022, 5, 1), date(2022, 5, 2), date(2022, 5, 3), date(2022, 4, 11)}
    per_morning = Counter((d.today, d.official_id) for d in notifier.delivered)
    assert max(per_morning.values()) == 1  # three ticks a day, still one message
    sent = flatten(notifier.delivered)
    assert len(sent) == len(set(sent))  # never the same reminder twice
    for delivery in notifier.delivered:
        assert [i.due for i in delivery.items] == sorted(i.due for i in delivery.items)  # soonest first


def test_after_the_third_overdue_reminder_the_leaders_are_told(linked: Engine, clock: FixedClock) -> None:
    notifier = simulate(linked, clock, date(2022, 4, 8), date(2022, 5, 13))
    escalations = {
        (day, who)
        for day, who, task, unit, kind in flatten(notifier.delivered)
        if task == "Q2-05" and kind == "escalation"
    }
    # Công đoàn has no leader of its own: every leader hears of it, on the 4th overdue day (12/5), once.
    assert escalations == {
        (date(2022, 5, 12), "Nguyễn Văn A"),
        (date(2022, 5, 12), "Trần Thị B"),
        (date(2022, 5, 12), "Lê Văn C"),
    }
    ubnd = {
        (day, who)
        for day, who, task, _u, kind in flatten(notifier.delivered)
        if task == "Q2-17" and kind == "escalation"
    }
    assert ubnd == set()  # the Monday flag ceremony is an event: reminded, never chased nor escalated


def test_a_task_done_gets_no_more_reminders_and_its_waiting_rows_are_dropped(linked: Engine, clock: FixedClock) -> None:
    target = assignment_id(linked, "Q2-05", "cong-doan")

    def close_on_the_6th(day: date) -> None:
        if day == date(2022, 5, 6):
            clock.set(datetime(2022, 5, 6, 7, 0, tzinfo=LOCAL_TZ))
            plan(linked, clock)  # the morning's row is already waiting …
            change_status(linked, target, Status.done, Actor("Bùi Thị K"), clock)  # … when the task is closed

    notifier = simulate(linked, clock, date(2022, 5, 4), date(2022, 5, 31), each_morning=close_on_the_6th)
    days = [day for day, _w, task, _u, _k in flatten(notifier.delivered) if task == "Q2-05"]
    assert days == [date(2022, 5, 4)]
    with linked.connect() as conn:
        states = conn.execute(select(REMINDERS.c.state).where(REMINDERS.c.assignment_id == target)).scalars().all()
    assert sorted(states) == ["sent", "skipped"]


def test_downtime_sends_what_was_missed_once_as_the_latest_kind(linked: Engine, clock: FixedClock) -> None:
    continuous = simulate(linked, clock, date(2022, 4, 8), date(2022, 5, 20))

    def outage(day: date) -> bool:
        return date(2022, 4, 21) <= day <= date(2022, 4, 28)

    linked_again = linked
    with linked_again.begin() as conn:
        conn.execute(REMINDERS.delete())
    interrupted = simulate(linked, clock, date(2022, 4, 8), date(2022, 5, 20), down=outage)
    cbcc = [
        (day, kind)
        for day, who, task, _u, kind in flatten(interrupted.delivered)
        if task == "Q2-05" and who == "Bùi Thị K"
    ]
    assert cbcc[:2] == [(date(2022, 4, 29), "due_today"), (date(2022, 5, 4), "overdue")]  # nothing stale
    after = {s for s in flatten(continuous.delivered) if s[0] > date(2022, 4, 29)}
    assert after == {s for s in flatten(interrupted.delivered) if s[0] > date(2022, 4, 29)}


def test_restart_after_a_crash_mid_send_repeats_at_most_that_message(linked: Engine, clock: FixedClock) -> None:
    clock.set(datetime(2022, 4, 22, 7, 31, tzinfo=LOCAL_TZ))
    plan(linked, clock)
    crashed = Dispatcher(linked, {"console": LoggingNotifier()}, clock, limiter=unlimited())
    claim = crashed.claim_next()  # claimed, then the process dies before sending
    assert claim is not None
    notifier = LoggingNotifier()
    restarted = Dispatcher(linked, {"console": notifier}, clock, limiter=unlimited())
    asyncio.run(restarted.run_once())  # its owner is gone: the restart sends it at once, not minutes later
    assert [d.official_id for d in notifier.delivered].count(claim.official_id) == 1
    with linked.connect() as conn:
        waiting = conn.execute(
            select(REMINDERS.c.id).where(
                REMINDERS.c.state.in_((ReminderState.planned.value, ReminderState.sending.value))
            )
        ).all()
    assert waiting == []


def test_nothing_goes_out_in_the_quiet_hours(linked: Engine, clock: FixedClock) -> None:
    notifier = LoggingNotifier()
    dispatcher = Dispatcher(linked, {"console": notifier}, clock, limiter=unlimited())
    clock.set(datetime(2022, 4, 22, 22, 15, tzinfo=LOCAL_TZ))  # the bot starts late in the evening
    plan(linked, clock)
    asyncio.run(dispatcher.run_once())
    assert notifier.delivered == []
    clock.set(datetime(2022, 4, 22, 6, 59, tzinfo=LOCAL_TZ) + timedelta(days=3))  # Monday before 07:00
    asyncio.run(dispatcher.run_once())
    assert notifier.delivered == []
    clock.set(datetime(2022, 4, 25, 7, 0, tzinfo=LOCAL_TZ))
    asyncio.run(dispatcher.run_once())
    assert notifier.delivered and {d.today for d in notifier.delivered} == {date(2022, 4, 25)}


def test_register_can_change_the_reminder_days(engine: Engine, clock: FixedClock, tmp_path) -> None:
    text = REGISTER.read_text(encoding="utf-8").replace(
        "source_date: 2022-04-07\n", "source_date: 2022-04-07\nreminders:\n  before_days: [2]\n  send_at: '08:00'\n", 1
    )
    path = tmp_path / "register.yaml"
    path.write_text(text, encoding="utf-8")
    import_register(engine, load_register(path), clock)
    with engine.connect() as conn:
        official = conn.execute(select(OFFICIALS.c.id).where(OFFICIALS.c.code == "ct-cong-doan")).scalar_one()
    link_chat(engine, official, "console", "k", clock)
    notifier = simulate(engine, clock, date(2022, 4, 20), date(2022, 4, 29), ticks=(time(7, 45), time(8, 1)))
    days = sorted({day for day, _w, task, _u, _k in flatten(notifier.delivered) if task == "Q2-05"})
    assert days == [date(2022, 4, 28), date(2022, 4, 29)]  # 2 days before, and the (moved) due day
    with engine.connect() as conn:
        first = (
            conn.execute(select(REMINDERS.c.sent_at).where(REMINDERS.c.state == "sent").order_by(REMINDERS.c.sent_at))
            .scalars()
            .first()
        )
    assert first is not None and first.astimezone(LOCAL_TZ).time() == time(8, 1)  # not at 07:45


def test_bad_reminder_settings_are_refused_with_their_place(tmp_path, capsys) -> None:
    from bot.cli import main

    text = REGISTER.read_text(encoding="utf-8").replace(
        "source_date: 2022-04-07\n", "source_date: 2022-04-07\nreminders:\n  send_at: '22:30'\n", 1
    )
    path = tmp_path / "register.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["import", "--check", str(path)]) == 2
    line = text[: text.index("  send_at: '22:30'")].count("\n") + 1
    err = capsys.readouterr().err
    assert f"register.yaml:{line}: reminders: reminders.send_at: giờ gửi nằm trong giờ yên lặng" in err


def test_unlinked_chat_rows_fail_and_do_not_block_others(linked: Engine, clock: FixedClock) -> None:
    clock.set(datetime(2022, 4, 22, 7, 31, tzinfo=LOCAL_TZ))
    plan(linked, clock)
    with linked.begin() as conn:
        conn.execute(
            update(REMINDERS.metadata.tables["chat_link"])
            .where(REMINDERS.metadata.tables["chat_link"].c.chat_id == "chat-ct-cong-doan")
            .values(active=False)
        )
    notifier = LoggingNotifier()
    report = asyncio.run(Dispatcher(linked, {"console": notifier}, clock, limiter=unlimited()).run_once())
    assert report.failed == 4 and report.messages == len(notifier.delivered) > 0


def test_policy_defaults_match_the_design() -> None:
    policy = ReminderPolicy()
    kinds = [(o.kind, o.day) for o in policy.occasions(date(2022, 5, 31), date(2022, 6, 10))]
    assert kinds[:5] == [
        ("before_7d", date(2022, 5, 24)),
        ("before_3d", date(2022, 5, 27)),
        ("before_1d", date(2022, 5, 30)),
        ("due_today", date(2022, 5, 31)),
        ("overdue", date(2022, 6, 1)),
    ]
    assert policy.is_quiet(time(21, 0)) and policy.is_quiet(time(6, 59)) and not policy.is_quiet(time(7, 30))


def test_a_task_can_have_its_own_reminder_days(engine: Engine, clock: FixedClock, tmp_path) -> None:
    text = REGISTER.read_text(encoding="utf-8").replace(
        "    lead: [to-ra-soat-dat]\n",
        "    lead: [to-ra-soat-dat]\n    reminders: {before_days: [10], overdue_every: 0}\n",
        1,
    )
    path = tmp_path / "register.yaml"
    path.write_text(text, encoding="utf-8")
    import_register(engine, load_register(path), clock)
    link_chat(engine, find_official_id(engine, "cong-chuc-dia-chinh"), "console", "g", clock)
    link_chat(engine, find_official_id(engine, "ct-cong-doan"), "console", "k", clock)
    notifier = simulate(engine, clock, date(2022, 4, 18), date(2022, 5, 10), ticks=(time(7, 31),))
    land = sorted({(day, kind) for day, who, task, _u, kind in flatten(notifier.delivered) if task == "Q2-13"})
    assert land == [(date(2022, 4, 20), "before_10d"), (date(2022, 4, 29), "due_today")]  # no overdue ones
    union = {day for day, _w, task, _u, _k in flatten(notifier.delivered) if task == "Q2-05"}
    assert date(2022, 4, 22) in union and date(2022, 5, 4) in union  # the others keep the defaults


def test_a_morning_planned_in_pieces_still_gives_each_person_one_message(
    linked: Engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A province's morning is written a few thousand rows a tick; meanwhile nothing goes out, so that
    nobody gets their morning in two halves. Here the pieces are 3 rows, on the busy 29 April."""
    import scheduler.outbox.planner as planner

    monkeypatch.setattr(planner, "ROWS_PER_TICK", 3)
    notifier = LoggingNotifier("console")
    dispatcher = Dispatcher(linked, {"console": notifier}, clock, limiter=unlimited())
    clock.set(datetime(2022, 4, 29, 7, 31, tzinfo=LOCAL_TZ))  # the CBCC conference's day-before-holiday reminder
    ticks = 0
    while True:
        report = plan(linked, clock)
        ticks += 1
        asyncio.run(dispatcher.run_once())
        if report.deferred:
            assert notifier.delivered == []  # the morning is not complete yet: hold it
        else:
            break
    assert ticks >= 3
    assert plan(linked, clock).planned == 0  # the next tick finds everything there and writes nothing
    asyncio.run(dispatcher.run_once())
    people = Counter(d.official_name for d in notifier.delivered)
    assert people and set(people.values()) == {1}  # one message each
    with linked.connect() as conn:
        rows = conn.execute(select(REMINDERS.c.official_id, REMINDERS.c.state)).all()
    assert len(rows) == sum(len(d.items) for d in notifier.delivered) > 3
    assert {state for _o, state in rows} == {ReminderState.sent.value}
