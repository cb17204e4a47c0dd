"""A province's morning: planned back to back within one tick, and sent as one message a person."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date, datetime, time

import pytest
from sqlalchemy import Engine, select

from scheduler.clock import LOCAL_TZ, FixedClock
from scheduler.outbox.dispatcher import Dispatcher
from scheduler.outbox.notify import LoggingNotifier
from scheduler.outbox.planner import deliver_by, plan_all
from scheduler.outbox.policy import ReminderPolicy
from scheduler.outbox.ticker import Ticker
from scheduler.register.models import ASSIGNMENTS, REMINDERS, ReminderState
from tests.integration.test_reminders import unlimited


def test_one_tick_plans_every_piece_of_the_morning_and_sends_it(
    linked: Engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bot started at 07:31 before a big morning does not wait one tick a piece: the first tick writes
    all the pieces (each its own transaction) and sends; each person still gets one message."""
    import scheduler.outbox.planner as planner

    monkeypatch.setattr(planner, "ROWS_PER_TICK", 3)
    clock.set(datetime(2022, 4, 29, 7, 31, tzinfo=LOCAL_TZ))  # the CBCC conference's day-before-holiday reminder
    notifier = LoggingNotifier("console")
    ticker = Ticker(linked, Dispatcher(linked, {"console": notifier}, clock, limiter=unlimited()), clock)
    planned, sent = asyncio.run(ticker.tick())
    assert planned.deferred == 0 and planned.planned > 3  # more than one piece, all in this tick
    assert sent.messages == len(notifier.delivered) > 1
    people = Counter(d.official_name for d in notifier.delivered)
    assert set(people.values()) == {1}
    with linked.connect() as conn:
        states = set(conn.execute(select(REMINDERS.c.state)).scalars())
    assert states == {ReminderState.sent.value}


def test_a_big_morning_starts_early_enough_to_be_delivered_by_the_set_time_soonest_deadline_first(
    linked: Engine, clock: FixedClock
) -> None:
    """At 2 people a minute (a stand-in for 50,000 at 28 a second) the morning starts before 07:30 and its
    last digest is due at 07:30 at the latest; never inside the quiet hours; soonest deadlines go first."""
    clock.set(datetime(2022, 4, 29, 0, 1, tzinfo=LOCAL_TZ))
    plan_all(linked, clock)
    with linked.begin() as conn:
        moved = deliver_by(conn, date(2022, 4, 29), ReminderPolicy(), pace=2 / 60)
        rows = conn.execute(
            select(REMINDERS.c.official_id, REMINDERS.c.send_after, ASSIGNMENTS.c.due).join(
                ASSIGNMENTS, ASSIGNMENTS.c.id == REMINDERS.c.assignment_id
            )
        ).all()
    assert moved > 2
    starts = {official: at for official, at, _due in rows}
    soonest = {official: min(d for o, _a, d in rows if o == official) for official, _a, _d in rows}
    local = [at.astimezone(LOCAL_TZ).time() for at in starts.values()]
    assert min(local) >= time(7, 0) and max(local) <= time(7, 30)
    assert min(local) <= time(7, 27)  # 7 people at 2 a minute: from 07:26:30
    order = sorted(starts, key=lambda o: starts[o])
    assert [soonest[o] for o in order] == sorted(soonest[o] for o in order)  # soonest deadline first


def test_a_small_morning_keeps_its_set_time(linked: Engine, clock: FixedClock) -> None:
    clock.set(datetime(2022, 4, 29, 0, 1, tzinfo=LOCAL_TZ))
    plan_all(linked, clock)
    with linked.connect() as conn:
        times = set(conn.execute(select(REMINDERS.c.send_after)).scalars())
    assert {t.astimezone(LOCAL_TZ).time() for t in times} == {time(7, 30)}
