"""The shared limiter books each start in its table: the booked starts keep the pace however long a booking
takes, a start never comes before its booking or before the window has room, and a booking whose send never
starts frees its place. Two limiters on one table stand for two processes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, text

from scheduler.outbox import shared_limit
from scheduler.outbox.shared_limit import SharedRateLimiter, bucket_for, room_in
from tests.e2e.test_answers_share_the_budget import counted_at_once


def test_a_window_has_room_once_enough_answered_sends_have_left_it() -> None:
    assert room_in(0, [], 30) == 0.0
    assert room_in(29, [], 30) == 0.0
    assert room_in(30, [], 30) is None  # all in flight: nobody knows when the first answer comes
    assert room_in(28, [0.4, 0.2], 30) == 0.2  # one of the two answered must leave: the earlier
    assert room_in(27, [0.4, 0.2], 30) == 0.0
    assert room_in(0, [0.3, 0.1, 0.2], 3) == 0.1
    assert room_in(1, [0.3, 0.1, 0.2], 3) == 0.2
    assert room_in(0, [0.5], 1) == 0.5  # a chat: its one message of the second leaves in half a second


def postgres_only(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the shared limiter is for several processes, which only PostgreSQL serves")


def slowed(limiter: SharedRateLimiter, seconds: float) -> None:
    """Every booking takes `seconds` more after its transaction, as on a busy machine."""
    book: Callable[..., Any] = limiter._reserve

    def slow(*args: Any) -> Any:
        booked = book(*args)
        time.sleep(seconds)
        return booked

    limiter._reserve = slow  # type: ignore[method-assign]


def test_slow_bookings_do_not_slow_the_pace(engine: Engine) -> None:
    """Each booking takes 12 ms more; two processes still start 25 sends on the 30-a-second timeline
    (asking "is there room now?" made every interval a booking longer: 24 × 42 ms and more)."""
    postgres_only(engine)
    bucket = bucket_for("telegram", "333333:pace")
    limiters = [SharedRateLimiter(engine, bucket) for _ in range(2)]
    for limiter in limiters:
        slowed(limiter, 0.012)
    starts: list[float] = []

    async def one(limiter: SharedRateLimiter, chat: int) -> None:
        async with limiter.sending(f"chat-{chat}"):
            starts.append(time.monotonic())
            await asyncio.sleep(0.005)

    async def run() -> None:
        await asyncio.gather(*(one(limiters[i % 2], i) for i in range(25)))

    asyncio.run(run())
    assert len(starts) == 25
    assert max(starts) - min(starts) <= 24 * 0.9 / 30 + 0.15


def test_a_start_waits_for_its_booking_and_for_the_window(engine: Engine) -> None:
    """5 a second over two processes, answers in 20 ms: whatever was booked ahead, never 6 counted at once,
    and one chat's second message a second after the first one's answer."""
    postgres_only(engine)
    bucket = bucket_for("telegram", "444444:window")
    first, second = (SharedRateLimiter(engine, bucket, per_second=5) for _ in range(2))
    sends: list[tuple[float, float]] = []
    chat: list[tuple[float, float]] = []

    async def one(limiter: SharedRateLimiter, name: str, into: list[tuple[float, float]]) -> None:
        async with limiter.sending(name):
            start = time.monotonic()
            await asyncio.sleep(0.02)
            answered = time.monotonic()
        into.append((start, answered))

    async def run() -> None:
        others = [one(first if i % 2 else second, f"chat-{i}", sends) for i in range(12)]
        same = [one(first, "chat-same", chat), one(second, "chat-same", chat)]
        await asyncio.gather(*others, *same)

    asyncio.run(run())
    assert counted_at_once(sends + chat) <= 5
    (a_start, a_done), (b_start, _b_done) = sorted(chat)
    assert b_start >= a_done + 1.0


def test_a_booking_whose_send_never_starts_frees_its_place(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cancelled while it waits for its booked start (the dispatcher stopping), a booking leaves the table:
    it would otherwise count as a send in flight for `IN_FLIGHT_LIMIT` seconds."""
    postgres_only(engine)
    monkeypatch.setattr(shared_limit, "AHEAD", 5.0)  # book the next start a whole interval ahead
    bucket = bucket_for("telegram", "555555:cancel")
    limiter = SharedRateLimiter(engine, bucket, per_second=2)

    async def run() -> None:
        async with limiter.sending("chat-1"):
            pass
        waiting = asyncio.create_task(limiter.acquire("chat-2"))  # booked 0.45 s after the first start
        await asyncio.sleep(0.3)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM send_slot WHERE done_at IS NULL")).scalar_one() == 1
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting

    asyncio.run(run())
    with engine.connect() as conn:
        assert conn.execute(text("SELECT chat_id FROM send_slot")).scalars().all() == ["chat-1"]
