"""Fixtures of the Telegram stories: a fake Bot API on 127.0.0.1 and PTB's application talking to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import Engine
from telegram.ext import Application

from bot.channels.telegram import TelegramChannel, build_application
from bot.channels.zalo import ZaloChannel
from bot.conversation.core import Conversation
from scheduler.clock import FixedClock
from scheduler.outbox.dispatcher import Dispatcher
from scheduler.outbox.ratelimit import RateLimiter
from scheduler.outbox.ticker import Ticker
from scheduler.register.importer import import_register, load_register
from tests.conftest import REGISTER
from tests.fake_telegram import TOKEN, FakeBotApi


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as server:
        yield server


@pytest.fixture
async def telegram(engine: Engine, clock: FixedClock, api: FakeBotApi) -> AsyncIterator[TelegramChannel]:
    import_register(engine, load_register(REGISTER), clock)
    application: Application = build_application(TOKEN, api.base_url)
    await application.initialize()
    channel = TelegramChannel(application, Conversation(engine, clock, application.bot.username))
    # as in `nhacviec run`: what an answer enqueues for others goes out at once through the one dispatcher
    limiter = RateLimiter(per_second=1000, per_chat_second=1000)
    channel.enqueued = Ticker(engine, Dispatcher(engine, {"telegram": channel}, clock, limiter=limiter), clock).nudge
    yield channel
    await application.shutdown()


async def settle(channel: TelegramChannel | ZaloChannel) -> None:
    """Wait until what the channel's last answer enqueued has been sent (the nudged dispatcher pass)."""
    ticker = getattr(channel.enqueued, "__self__", None)
    if isinstance(ticker, Ticker):
        await ticker.settled()
