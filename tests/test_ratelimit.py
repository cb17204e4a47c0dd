"""Telegram's limits are kept before sending, on a fake monotonic clock."""

from __future__ import annotations

import asyncio

from scheduler.ratelimit import RateLimiter


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def limiter(clock: FakeTime, margin: float = 0.0) -> RateLimiter:
    return RateLimiter(monotonic=clock.monotonic, sleep=clock.sleep, margin=margin)


def test_at_most_30_messages_in_any_second() -> None:
    clock = FakeTime()
    rate = limiter(clock, margin=0.05)  # as in production: 30 per 1.05 s, evenly paced
    stamps = []

    async def run() -> None:
        for chat in range(95):
            await rate.acquire(f"chat-{chat}")
            stamps.append(clock.now)

    asyncio.run(run())
    assert all(sum(1 for t in stamps if start <= t < start + 1.0) <= 30 for start in stamps)
    assert 3.0 <= stamps[-1] <= 3.4  # 95 messages need a little over three seconds
    assert min(b - a for a, b in zip(stamps, stamps[1:], strict=False)) >= 0.034  # no bursts


def test_one_message_a_second_to_one_chat_and_20_a_minute_to_a_group() -> None:
    clock = FakeTime()
    rate = limiter(clock)
    private, group = [], []

    async def run() -> None:
        for _ in range(3):
            await rate.acquire("person")
            private.append(clock.now)
        for _ in range(21):
            await rate.acquire("group", is_group=True)
            group.append(clock.now)

    asyncio.run(run())
    assert [b - a for a, b in zip(private, private[1:], strict=False)] == [1.0, 1.0]
    assert group[20] - group[0] >= 60.0


def test_a_429_pauses_everyone_for_retry_after() -> None:
    clock = FakeTime()
    rate = limiter(clock)
    rate.pause(7)
    asyncio.run(rate.acquire("anyone"))
    assert clock.now == 7.0
