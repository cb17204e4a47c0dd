"""A province's morning: planned back to back within one tick, and sent as one message a person."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime

import pytest
from sqlalchemy import Engine, select

from scheduler.clock import LOCAL_TZ, FixedClock
from scheduler.outbox.dispatcher import Dispatcher
from scheduler.outbox.notify import LoggingNotifier
from scheduler.outbox.ticker import Ticker
from scheduler.register.models import REMINDERS, ReminderState
from tests.integration.test_reminders import linked, unlimited

__all__ = ["linked"]  # the fixture, used by name


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
