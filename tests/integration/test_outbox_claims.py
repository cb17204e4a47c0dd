"""The outbox's transitions, each against the real database: a claim with its owner and lease, finish,
retry, the sweep of a dead owner's rows, a lease that runs out, claimers side by side, a graceful stop."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select, update

from scheduler.clock import LOCAL_TZ, FixedClock
from scheduler.outbox.dispatcher import HEARTBEAT_DEAD, Claim, Dispatcher, DispatchReport
from scheduler.outbox.notify import Delivery, DeliveryError, LoggingNotifier
from scheduler.outbox.planner import plan
from scheduler.outbox.ratelimit import RateLimiter
from scheduler.outbox.ticker import Ticker
from scheduler.register.models import REMINDERS, WORKERS, ReminderState

MORNING = datetime(2022, 4, 22, 7, 31, tzinfo=LOCAL_TZ)  # a working day with reminders for many


def unlimited() -> RateLimiter:
    return RateLimiter(per_second=10**6, per_chat_second=10**6, per_group_minute=10**6)


@pytest.fixture
def morning(linked: Engine, clock: FixedClock) -> Engine:
    """The Thường Xuân register, everyone linked on the console, the morning of 22/04/2022 planned."""
    clock.set(MORNING)
    assert plan(linked, clock).planned > 0
    return linked


def dispatcher(engine: Engine, clock: FixedClock, notifier: object | None = None, **kwargs: object) -> Dispatcher:
    return Dispatcher(engine, {"console": notifier or LoggingNotifier()}, clock, limiter=unlimited(), **kwargs)  # type: ignore[arg-type]


def rows(engine: Engine, ids: tuple[int, ...]) -> list[dict[str, object]]:
    with engine.connect() as conn:
        found = conn.execute(select(REMINDERS).where(REMINDERS.c.id.in_(ids)).order_by(REMINDERS.c.id)).mappings()
        return [dict(r) for r in found]


def states(engine: Engine) -> Counter[str]:
    with engine.connect() as conn:
        return Counter(dict(conn.execute(select(REMINDERS.c.state, func.count()).group_by(REMINDERS.c.state)).all()))


def test_a_claim_takes_all_of_one_persons_rows_with_its_owner_and_a_lease(morning: Engine, clock: FixedClock) -> None:
    one = dispatcher(morning, clock, lease=timedelta(minutes=2))
    claim = one.claim_next()
    assert claim is not None
    held = rows(morning, claim.ids)
    assert {r["state"] for r in held} == {ReminderState.sending.value}
    assert {r["claimed_by"] for r in held} == {one.worker_id}
    assert {r["lease_until"] for r in held} == {clock.now() + timedelta(minutes=2)}
    with morning.connect() as conn:  # nothing of that person is left waiting: one message a morning
        left = conn.execute(
            select(func.count()).where(
                REMINDERS.c.official_id == claim.official_id, REMINDERS.c.state == ReminderState.planned.value
            )
        ).scalar_one()
    assert left == 0


def test_finish_marks_sent_with_the_message_id_and_drops_the_lease(morning: Engine, clock: FixedClock) -> None:
    one = dispatcher(morning, clock)
    claim = one.claim_next()
    assert claim is not None
    asyncio.run(one.send(claim, DispatchReport()))
    held = rows(morning, claim.ids)
    assert {r["state"] for r in held} == {ReminderState.sent.value}
    assert {r["message_id"] for r in held} == {"log-1"}
    assert {r["lease_until"] for r in held} == {None}


class Failing:
    """A channel that answers every send with a transient error (a 502, say)."""

    channel = "console"

    async def deliver(self, delivery: Delivery) -> str:
        raise DeliveryError("502 Bad Gateway")


def test_a_transient_failure_goes_back_to_planned_for_a_later_attempt(morning: Engine, clock: FixedClock) -> None:
    one = Dispatcher(morning, {"console": Failing()}, clock, limiter=unlimited(), quick_retry_base=0.001)  # type: ignore[dict-item]
    claim = one.claim_next()
    assert claim is not None
    report = DispatchReport()
    asyncio.run(one.send(claim, report))
    held = rows(morning, claim.ids)
    assert {r["state"] for r in held} == {ReminderState.planned.value}
    assert {r["attempts"] for r in held} == {1}
    assert all(r["next_attempt_at"] > clock.now() for r in held)  # type: ignore[operator]
    assert {r["last_error"] for r in held} == {"502 Bad Gateway"}
    assert report.retried == 5 and report.failed == 0


def test_a_new_process_sends_a_dead_owners_rows_at_once(morning: Engine, clock: FixedClock) -> None:
    """SQLite: every `sending` row at start-up (one process per file); PostgreSQL: the owner's heartbeat
    stopped (here it never beat)."""
    crashed = dispatcher(morning, clock)
    crashed.heartbeat()
    claim = crashed.claim_next()
    assert claim is not None
    clock.advance(HEARTBEAT_DEAD + timedelta(seconds=1))  # seconds, not the lease's minutes
    notifier = LoggingNotifier()
    report = asyncio.run(dispatcher(morning, clock, notifier).run_once())
    assert report.swept == len(claim.ids)
    assert [d.official_id for d in notifier.delivered].count(claim.official_id) == 1
    assert states(morning)[ReminderState.sending.value] == 0


def test_a_live_owners_rows_are_left_alone(morning: Engine, clock: FixedClock) -> None:
    """Its heartbeat goes on: after the start-up sweep, another sweep does not take its rows."""
    other = dispatcher(morning, clock)
    asyncio.run(other.run_once())  # its start-up sweep is behind it
    owner = dispatcher(morning, clock)
    owner.heartbeat()
    with morning.begin() as conn:  # the morning again, for the owner to claim
        conn.execute(update(REMINDERS).values(state=ReminderState.planned.value))
    claim = owner.claim_next()
    assert claim is not None
    clock.advance(timedelta(seconds=10))
    owner.heartbeat()
    assert other.sweep() == 0
    assert {r["state"] for r in rows(morning, claim.ids)} == {ReminderState.sending.value}


def test_a_lease_that_runs_out_is_swept_even_while_its_owner_lives(morning: Engine, clock: FixedClock) -> None:
    owner = dispatcher(morning, clock, lease=timedelta(minutes=1))
    owner.heartbeat()
    claim = owner.claim_next()
    assert claim is not None
    sweeper = dispatcher(morning, clock)
    sweeper._started = True  # past its start-up sweep
    assert sweeper.sweep() == 0
    clock.advance(timedelta(minutes=1, seconds=1))
    owner.heartbeat()
    assert sweeper.sweep() == len(claim.ids)
    assert {r["state"] for r in rows(morning, claim.ids)} == {ReminderState.planned.value}


def test_a_result_for_rows_another_process_took_meanwhile_changes_nothing(morning: Engine, clock: FixedClock) -> None:
    first = dispatcher(morning, clock, lease=timedelta(minutes=1))
    claim = first.claim_next()
    assert claim is not None
    clock.advance(timedelta(minutes=2))  # the lease ran out, the rows were swept and claimed again
    second = dispatcher(morning, clock)
    second.sweep()
    again = second.claim_next()
    assert again is not None and again.ids == claim.ids
    first._finish(claim, ReminderState.planned, error="late")
    assert {r["claimed_by"] for r in rows(morning, claim.ids)} == {second.worker_id}
    assert {r["state"] for r in rows(morning, claim.ids)} == {ReminderState.sending.value}


class Slow:
    """A channel whose every answer takes a while, counting what it delivered."""

    channel = "console"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.delivered: list[int] = []

    async def deliver(self, delivery: Delivery) -> str:
        await asyncio.sleep(self.seconds)
        self.delivered.append(delivery.official_id)
        return f"slow-{len(self.delivered)}"


def test_a_graceful_stop_finishes_the_sends_in_flight_and_leaves_nothing_in_sending(
    morning: Engine, clock: FixedClock
) -> None:
    channel = Slow(0.5)
    one = Dispatcher(morning, {"console": channel}, clock, limiter=unlimited(), concurrency=2)  # type: ignore[dict-item]
    ticker = Ticker(morning, one, clock, interval_seconds=3600, grace=10)

    async def run() -> int:
        ticker.start()
        for _ in range(200):
            if one.in_flight == 2:
                break
            await asyncio.sleep(0.01)
        return await ticker.stop()  # what SIGTERM does

    assert asyncio.run(run()) == 0
    left = states(morning)
    assert left[ReminderState.sending.value] == 0
    assert left[ReminderState.planned.value] > 0  # no new rows were taken
    with morning.connect() as conn:
        sent = conn.execute(
            select(REMINDERS.c.official_id).where(REMINDERS.c.state == ReminderState.sent.value).distinct()
        ).scalars()
        assert sorted(sent) == sorted(channel.delivered)  # every send in flight was recorded
        assert conn.execute(select(func.count()).select_from(WORKERS)).scalar_one() == 0  # it said goodbye
    assert len(channel.delivered) == len(set(channel.delivered)) >= 2


def test_a_stop_that_outlives_the_grace_gives_the_rows_back(morning: Engine, clock: FixedClock) -> None:
    channel = Slow(5.0)
    one = Dispatcher(morning, {"console": channel}, clock, limiter=unlimited(), concurrency=1)  # type: ignore[dict-item]
    ticker = Ticker(morning, one, clock, interval_seconds=3600, grace=0.3)

    async def run() -> int:
        ticker.start()
        for _ in range(200):
            if one.in_flight:
                break
            await asyncio.sleep(0.01)
        return await ticker.stop()

    assert asyncio.run(run()) > 0
    assert states(morning)[ReminderState.sending.value] == 0


def test_claimers_side_by_side_never_share_a_person_nor_deadlock(morning: Engine, clock: FixedClock) -> None:
    """Four threads claim at once (on PostgreSQL: row locks, skipped, and a person's advisory lock)."""
    claims: list[Claim] = []
    errors: list[BaseException] = []

    def claimer() -> None:
        mine = dispatcher(morning, clock)
        try:
            while (claim := mine.claim_next()) is not None:
                claims.append(claim)
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=claimer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    people = Counter((c.official_id, c.channel) for c in claims)
    assert set(people.values()) == {1}  # each person claimed once, all of their rows together
    ids = [i for c in claims for i in c.ids]
    assert len(ids) == len(set(ids))
    assert states(morning) == Counter({ReminderState.sending.value: len(ids)})


def test_people_claimed_in_a_batch_but_not_sent_when_told_to_stop_wait_again_uncounted(
    morning: Engine, clock: FixedClock
) -> None:
    class StoppedWhileClaiming(Dispatcher):
        def claim_batch(self, on: str | None = None, limit: int = 8) -> list[tuple[Claim, Delivery | str]]:
            taken = super().claim_batch(on, limit)
            self.request_stop()  # SIGTERM while the claim ran: these were claimed, none sent
            return taken

    notifier = LoggingNotifier()
    stopped = StoppedWhileClaiming(morning, {"console": notifier}, clock, limiter=unlimited(), claim_batch_size=3)
    asyncio.run(stopped.run_once())
    assert notifier.delivered == [] and states(morning)["sending"] == 0
    with morning.connect() as conn:
        assert conn.execute(select(func.max(REMINDERS.c.attempts))).scalar_one() == 0
        assert conn.execute(select(func.count()).where(REMINDERS.c.claimed_by.is_not(None))).scalar_one() == 0
    report = asyncio.run(dispatcher(morning, clock, notifier).run_once())  # the next process sends them all
    assert report.messages > 3 and states(morning)["planned"] == 0
