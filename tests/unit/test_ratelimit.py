"""Telegram's limits are kept before sending, counting each message from its start until its answer."""

from __future__ import annotations

import asyncio
import random
import time

from scheduler.outbox.ratelimit import RateLimiter


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def limiter(clock: FakeTime, margin: float = 0.0) -> RateLimiter:
    return RateLimiter(monotonic=clock.monotonic, sleep=clock.sleep, margin=margin)


def test_the_31st_message_starts_a_second_after_the_answer_to_the_first() -> None:
    """Whatever the network does, the server cannot see 31 arrivals in one second: an arrival lies between a
    request's start and its answer, and the 31st starts a second after the first one's answer."""
    clock = FakeTime()
    rate = limiter(clock, margin=0.005)
    sends: list[tuple[float, float]] = []
    durations = random.Random(7)

    async def run() -> None:
        for chat in range(200):
            async with rate.sending(f"chat-{chat}"):
                start = clock.now
                clock.now += durations.uniform(0.002, 0.120)  # some requests are slow
            sends.append((start, clock.now))

    asyncio.run(run())
    assert all(sends[i + 30][0] >= sends[i][1] + 1.0 for i in range(len(sends) - 30))
    assert min(b[0] - a[0] for a, b in zip(sends, sends[1:], strict=False)) >= 0.9 / 30 - 1e-9  # evenly paced


def test_fast_answers_keep_the_rate_close_to_30_a_second() -> None:
    clock = FakeTime()
    rate = limiter(clock, margin=0.005)

    async def run() -> None:
        for chat in range(600):
            async with rate.sending(f"chat-{chat}"):
                clock.now += 0.004

    asyncio.run(run())
    assert 600 / clock.now >= 29.0


def test_one_message_a_second_to_one_chat_and_20_a_minute_to_a_group() -> None:
    clock = FakeTime()
    rate = limiter(clock)
    private: list[tuple[float, float]] = []
    group: list[float] = []

    async def run() -> None:
        for _ in range(3):
            async with rate.sending("person"):
                start = clock.now
                clock.now += 0.25
            private.append((start, clock.now))
        for _ in range(21):
            await rate.acquire("group", is_group=True)
            group.append(clock.now)

    asyncio.run(run())
    assert [round(b[0] - a[1], 6) for a, b in zip(private, private[1:], strict=False)] == [1.0, 1.0]
    assert group[20] - group[0] >= 60.0


def test_a_pause_holds_everyone_for_retry_after() -> None:
    clock = FakeTime()
    rate = limiter(clock)
    rate.pause(7)
    asyncio.run(rate.acquire("anyone"))
    assert abs(clock.now - 7.0) < 1e-9


def test_an_answer_takes_the_next_slot_before_waiting_reminders() -> None:
    """Twenty reminders queue for the budget; an answer that comes after them goes out next, not last."""
    clock = FakeTime()

    async def sleep(seconds: float) -> None:  # time moves, and the other tasks get their turn
        clock.now += seconds
        await asyncio.sleep(0)

    rate = RateLimiter(per_second=2, monotonic=clock.monotonic, sleep=sleep, margin=0.0)
    order: list[str] = []

    async def send(name: str, urgent: bool) -> None:
        async with rate.sending(name, urgent=urgent):
            order.append(name)

    async def run() -> None:
        reminders = [asyncio.create_task(send(f"reminder-{i}", False)) for i in range(20)]
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        answer = asyncio.create_task(send("answer", True))
        await asyncio.gather(answer, *reminders)

    asyncio.run(run())
    assert order.index("answer") <= 3
    assert len(order) == 21


def test_a_429_for_one_chat_delays_that_chat_and_no_other() -> None:
    clock = FakeTime()
    rate = limiter(clock)
    for chat in range(9):  # answers going through, one 429 among them
        rate.answered(f"chat-{chat}")
    assert rate.refused("slow-chat", 5.0) is False
    asyncio.run(rate.acquire("someone-else"))
    assert clock.now < 0.1  # the others go on at once
    asyncio.run(rate.acquire("slow-chat"))
    assert clock.now == 5.0  # that chat waited its retry_after
    assert rate.floods == 0


def test_ten_percent_of_answers_429_at_random_never_pause_everyone() -> None:
    clock = FakeTime()
    rate = limiter(clock)
    draws = random.Random(11)
    for number in range(3_000):
        chat = f"chat-{number}"
        if draws.random() < 0.10:
            assert rate.refused(chat, 1.0) is False
        else:
            rate.answered(chat)
    assert rate.floods == 0


def test_most_answers_429_for_several_chats_means_the_bot_is_over_its_limit() -> None:
    clock = FakeTime()
    rate = limiter(clock)
    flooded = [rate.refused(f"chat-{n}", 3.0) for n in range(6)]
    assert flooded == [False] * 5 + [True]  # the sixth refusal in a row, from six chats: the bot's limit
    asyncio.run(rate.acquire("anyone"))
    assert clock.now == 3.0  # everyone waited …
    start = clock.now

    async def burst() -> None:
        for n in range(30):
            await rate.acquire(f"after-{n}")

    asyncio.run(burst())
    assert clock.now - start <= 30 / 30 + 1e-6  # … then the full pace at once: 30 in the next second


def test_a_channel_that_knows_the_limit_is_the_bots_pauses_everyone_at_once() -> None:
    clock = FakeTime()
    rate = limiter(clock)
    assert rate.refused("chat-1", 2.0, bot_wide=True) is True
    asyncio.run(rate.acquire("chat-2"))
    assert clock.now == 2.0


def test_sends_in_flight_together_still_keep_the_window() -> None:
    """Real time, many sends at once: each waits for the answers that free its place."""
    rate = RateLimiter(per_second=10, per_chat_second=1)
    sends: list[tuple[float, float]] = []

    async def one(chat: int) -> None:
        async with rate.sending(f"chat-{chat}"):
            start = time.monotonic()
            await asyncio.sleep(0.02)
        sends.append((start, time.monotonic()))

    async def run() -> None:
        await asyncio.gather(*(one(chat) for chat in range(25)))

    asyncio.run(run())
    sends.sort()
    assert all(sends[i + 10][0] >= sends[i][1] + 1.0 for i in range(len(sends) - 10))
