"""Answers to the chat that spoke share the token's one budget with the reminders, go first, and survive a 429;
on PostgreSQL the budget holds across processes (two limiters on one table stand for two processes)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import Engine
from telegram import Update
from telegram.ext import Application

from bot.channels.telegram import TelegramChannel, build_application
from bot.conversation.core import Conversation
from scheduler.clock import FixedClock
from scheduler.outbox.ratelimit import RateLimiter
from scheduler.outbox.shared_limit import SharedRateLimiter, bucket_for
from scheduler.register.importer import import_register, load_register
from tests.conftest import REGISTER
from tests.fake_telegram import TOKEN, FakeBotApi


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as server:
        yield server


async def channel_with(engine: Engine, clock: FixedClock, api: FakeBotApi, limiter: RateLimiter) -> TelegramChannel:
    application: Application = build_application(TOKEN, api.base_url)
    await application.initialize()
    return TelegramChannel(application, Conversation(engine, clock, application.bot.username), limiter=limiter)


@pytest.fixture
async def loaded(engine: Engine, clock: FixedClock) -> AsyncIterator[Engine]:
    import_register(engine, load_register(REGISTER), clock)
    yield engine


def counted_at_once(sends: list[tuple[float, float]], window: float = 1.0) -> int:
    """The most sends counted together, each from its start until `window` after its answer."""
    return max(sum(1 for s, d in sends if s <= start < d + window) for start, _ in sends)


async def test_an_answer_hit_by_a_429_is_sent_again_after_retry_after(loaded, clock, api) -> None:
    channel = await channel_with(loaded, clock, api, RateLimiter())
    api.fail_next(1, 429, retry_after=1)
    started = time.monotonic()
    update = Update.de_json(api.text_update(4242, "/start"), channel.application.bot)
    await channel.application.process_update(update)
    answers = api.messages_to(4242)
    assert len(answers) == 1 and answers[0]["text"]  # not dropped
    assert time.monotonic() - started >= 1.0  # after the retry_after Telegram gave
    await channel.application.shutdown()


async def test_answers_wait_for_the_budget_they_share_with_the_reminders(loaded, clock, api) -> None:
    limiter = RateLimiter(per_second=3)
    channel = await channel_with(loaded, clock, api, limiter)
    sends: list[tuple[float, float]] = []

    async def reminder(chat: str) -> None:  # what the dispatcher does with the same limiter
        async with limiter.sending(chat):
            start = time.monotonic()
            await asyncio.sleep(0.01)
        sends.append((start, time.monotonic()))

    updates = [Update.de_json(api.text_update(5000 + i, "/start"), channel.application.bot) for i in range(3)]
    await asyncio.gather(
        *(reminder(f"r{i}") for i in range(3)), *(channel.application.process_update(u) for u in updates)
    )
    arrivals = sorted(m["at"] for m in api.sent) + sorted(s for s, _d in sends)
    assert len(api.sent) == 3
    assert max(sum(1 for t in arrivals if a <= t < a + 1.0) for a in arrivals) <= 3
    await channel.application.shutdown()


def test_two_processes_on_one_postgresql_share_one_budget(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the shared limiter is for several processes, which only PostgreSQL serves")
    bucket = bucket_for("telegram", TOKEN)
    first, second = (SharedRateLimiter(engine, bucket, per_second=5) for _ in range(2))
    sends: list[tuple[float, float]] = []

    async def one(limiter: RateLimiter, chat: int) -> None:
        async with limiter.sending(f"chat-{chat}"):
            start = time.monotonic()
            await asyncio.sleep(0.02)
            answered = time.monotonic()  # the answer's moment, before the limiter records it in the database
        sends.append((start, answered))

    async def run() -> None:
        await asyncio.gather(*(one(first if i % 2 else second, i) for i in range(12)))

    asyncio.run(run())
    assert len(sends) == 12
    assert counted_at_once(sends) <= 5  # each limiter alone would allow 5, together 10
    assert max(s for s, _ in sends) - min(s for s, _ in sends) >= 1.0
