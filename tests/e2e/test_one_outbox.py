"""One outbox for every message: what a channel this process does not run waits for a process that runs it.

Two "processes" share one database (SQLite and PostgreSQL): one runs only Telegram, the other only Zalo,
each with its own dispatcher, over real HTTP to the fake Bot API and the fake Zalo API on 127.0.0.1.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from telegram import Update

from bot.channels.telegram import TelegramChannel, build_application
from bot.channels.zalo import ZaloChannel, ZaloClient
from bot.conversation.core import Conversation
from scheduler.clock import LOCAL_TZ, FixedClock
from scheduler.outbox.dispatcher import Dispatcher
from scheduler.outbox.queue import EXTENSION_DECISION, EXTENSION_REQUEST, NOTICE, WEEKLY
from scheduler.outbox.ratelimit import RateLimiter
from scheduler.outbox.ticker import Ticker
from scheduler.register.importer import import_register, load_register
from scheduler.register.links import find_official_id, link_chat
from scheduler.register.models import ASSIGNMENTS, CHATS, MESSAGES
from scheduler.reporting.weekly import plan_weekly
from tests import fake_telegram, fake_zalo
from tests.conftest import REGISTER, assignment_id
from tests.e2e.conftest import settle

LAND = 7003  # the land officer, on Telegram
LEADER_ZALO = "z-bi-thu"  # the Bí thư, linked on Zalo only


@dataclass
class Process:
    """A `nhacviec run` with one channel: its channel, and its ticker (whose nudge sends what answers enqueue)."""

    channel: TelegramChannel | ZaloChannel
    ticker: Ticker

    @property
    def dispatcher(self) -> Dispatcher:
        return self.ticker.dispatcher


def process(engine: Engine, clock: FixedClock, channel: TelegramChannel | ZaloChannel) -> Process:
    limiter = RateLimiter(per_second=1000, per_chat_second=1000)
    ticker = Ticker(engine, Dispatcher(engine, {channel.channel: channel}, clock, limiter=limiter), clock)
    channel.enqueued = ticker.nudge
    return Process(channel, ticker)


@dataclass
class Town:
    engine: Engine
    clock: FixedClock
    telegram: Process
    telegram_api: fake_telegram.FakeBotApi
    zalo_api: fake_zalo.FakeZaloApi
    zalo_client: ZaloClient


@pytest.fixture
async def town(engine: Engine) -> AsyncIterator[Town]:
    clock = FixedClock(datetime(2022, 4, 27, 9, 0, tzinfo=LOCAL_TZ))
    import_register(engine, load_register(REGISTER), clock)
    link_chat(engine, find_official_id(engine, "cong-chuc-dia-chinh"), "telegram", str(LAND), clock)
    link_chat(engine, find_official_id(engine, "bi-thu"), "zalo", LEADER_ZALO, clock)
    with fake_telegram.FakeBotApi() as telegram_api, fake_zalo.FakeZaloApi() as zalo_api:
        application = build_application(fake_telegram.TOKEN, telegram_api.base_url)
        await application.initialize()
        client = ZaloClient(fake_zalo.TOKEN, zalo_api.base_url)
        telegram = process(engine, clock, TelegramChannel(application, Conversation(engine, clock)))
        yield Town(engine, clock, telegram, telegram_api, zalo_api, client)
        await client.close()
        await application.shutdown()


async def land_says(town: Town, text: str) -> str:
    channel = town.telegram.channel
    assert isinstance(channel, TelegramChannel)
    update = Update.de_json(town.telegram_api.text_update(LAND, text), channel.application.bot)
    await channel.application.process_update(update)
    await settle(channel)
    return str(town.telegram_api.messages_to(LAND)[-1]["text"])


def states(engine: Engine, kind: str) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(MESSAGES.c.state).where(MESSAGES.c.kind == kind)).scalars())


async def test_a_request_to_a_leader_on_zalo_waits_while_only_telegram_runs_then_zalo_delivers_it(
    town: Town, caplog: pytest.LogCaptureFixture
) -> None:
    target = assignment_id(town.engine, "Q2-13", "to-ra-soat-dat")
    with caplog.at_level(logging.WARNING, logger="nhacviec.dispatcher"):
        answer = await land_says(town, f"xin gia hạn {target} đến 15/5 vì chưa đủ kinh phí")
        assert "Đã gửi đề nghị gia hạn" in answer
        # the Telegram process cannot send it: it waits (not failed, not dropped), said once in the log
        for _ in range(3):
            await town.telegram.dispatcher.run_once()
        assert states(town.engine, EXTENSION_REQUEST) == ["planned"]
        assert town.zalo_api.messages_to(LEADER_ZALO) == []
    waiting = [r for r in caplog.records if "waits for a process running the zalo channel" in r.getMessage()]
    assert len(waiting) == 1 and waiting[0].levelname == "WARNING"

    # a process that runs Zalo starts: its first pass delivers the request, with typed answers (no buttons)
    zalo = process(town.engine, town.clock, ZaloChannel(town.zalo_client, Conversation(town.engine, town.clock)))
    assert (await zalo.dispatcher.run_once()).others_sent == 1
    [ask] = town.zalo_api.messages_to(LEADER_ZALO)
    with town.engine.connect() as conn:
        request = conn.execute(select(MESSAGES.c.key).where(MESSAGES.c.kind == EXTENSION_REQUEST)).scalar_one()
    number = request.split(":")[0]
    assert "xin đến 15/05/2022" in ask["text"] and f"Trả lời: đồng ý {number}" in ask["text"]
    assert states(town.engine, EXTENSION_REQUEST) == ["sent"]

    # the leader approves on Zalo; the decision for the Telegram chat waits for the Telegram process
    await zalo.channel.handle_event(town.zalo_api.text_event(LEADER_ZALO, f"đồng ý {number}"))  # type: ignore[union-attr]
    await settle(zalo.channel)
    assert "Đã đồng ý gia hạn" in town.zalo_api.messages_to(LEADER_ZALO)[-1]["text"]
    assert states(town.engine, EXTENSION_DECISION) == ["planned"]
    await town.telegram.dispatcher.run_once()
    assert "đã đồng ý gia hạn" in town.telegram_api.messages_to(LAND)[-1]["text"]
    assert states(town.engine, EXTENSION_DECISION) == ["sent"]
    with town.engine.connect() as conn:
        due = conn.execute(select(ASSIGNMENTS.c.due).where(ASSIGNMENTS.c.id == target)).scalar_one()
    assert due.isoformat() == "2022-05-15"


# --- the Monday digest goes the way of every message: chat migration, unlink, the admins told ----------

KEEPER, LEADER = 9001, 9002


async def monday(engine: Engine, clock: FixedClock, telegram: TelegramChannel) -> Dispatcher:
    link_chat(engine, find_official_id(engine, "van-phong-du"), "telegram", str(KEEPER), clock)
    link_chat(engine, find_official_id(engine, "bi-thu"), "telegram", str(LEADER), clock)
    clock.set(datetime(2022, 4, 18, 7, 31, tzinfo=LOCAL_TZ))
    assert plan_weekly(engine, clock) == 1
    limiter = RateLimiter(per_second=1000, per_chat_second=1000)
    return Dispatcher(engine, {"telegram": telegram}, clock, limiter=limiter, quick_retry_base=0.01)


async def test_the_monday_digest_follows_a_migrated_chat(telegram, api, engine, clock) -> None:
    dispatcher = await monday(engine, clock, telegram)
    api.fail_next(1, 400, migrate_to=-1009002)
    assert (await dispatcher.run_once()).others_sent == 1
    [digest] = [m for m in api.messages_to(-1009002) if m["method"] == "sendPhoto"]
    assert digest["caption"].startswith("📅 Báo cáo đầu tuần gửi đồng chí Nguyễn Văn A — tuần 18/04–24/04/2022")
    with engine.connect() as conn:
        chats = set(conn.execute(select(CHATS.c.chat_id).where(CHATS.c.channel == "telegram")).scalars())
    assert str(LEADER) not in chats and "-1009002" in chats
    assert states(engine, WEEKLY) == ["sent"]


async def test_a_monday_digest_to_a_blocked_chat_unlinks_it_and_tells_the_admins(telegram, api, engine, clock) -> None:
    dispatcher = await monday(engine, clock, telegram)
    api.fail_next(1, 403, description="Forbidden: bot was blocked by the user")
    await dispatcher.run_once()
    assert states(engine, WEEKLY) == ["failed"]
    with engine.connect() as conn:
        active = conn.execute(select(CHATS.c.active).where(CHATS.c.chat_id == str(LEADER))).scalar_one()
    assert active is False
    await dispatcher.run_once()  # the notice is an outbox row like any other
    [notice] = api.messages_to(KEEPER)
    assert notice["text"].startswith("⚠️ Không gửi được bản tổng hợp đầu tuần tới Nguyễn Văn A (telegram)")
    assert "blocked" in notice["text"]
    assert states(engine, NOTICE) == ["sent"]
    await dispatcher.run_once()
    assert len(api.messages_to(KEEPER)) == 1  # told once


async def test_a_monday_digest_that_keeps_failing_is_retried_then_the_admins_are_told(
    telegram, api, engine, clock
) -> None:
    dispatcher = await monday(engine, clock, telegram)
    api.fail_method("sendPhoto", 100, 502, "Bad Gateway")
    for _ in range(dispatcher.max_attempts):
        await dispatcher.run_once()
        clock.advance(timedelta(minutes=30))  # past the back-off
    assert states(engine, WEEKLY) == ["failed"]
    with engine.connect() as conn:
        active = conn.execute(select(CHATS.c.active).where(CHATS.c.chat_id == str(LEADER))).scalar_one()
    assert active is True  # a transient failure never unlinks
    await dispatcher.run_once()
    assert any("bản tổng hợp đầu tuần" in m["text"] for m in api.messages_to(KEEPER))
