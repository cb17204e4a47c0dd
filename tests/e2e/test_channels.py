"""The same scenarios through Telegram and Zalo, over real HTTP to fake servers on 127.0.0.1,
so that neither channel falls behind; then what only Zalo needs (one update per poll, webhooks of two
shapes, repeated deliveries, ok:false, 2,000-character messages)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select
from telegram import Update

from bot.channels.telegram import TelegramChannel, build_application
from bot.channels.zalo import SECRET_HEADER, ZaloChannel, ZaloClient, zalo_webhook_server
from bot.conversation.core import Conversation
from bot.conversation.texts import Message
from scheduler.clock import LOCAL_TZ, FixedClock
from scheduler.outbox.dispatcher import Dispatcher
from scheduler.outbox.planner import plan
from scheduler.outbox.ratelimit import RateLimiter
from scheduler.outbox.ticker import Ticker
from scheduler.register.importer import import_register, load_register
from scheduler.register.invites import create_invite
from scheduler.register.links import find_official_id
from scheduler.register.models import ASSIGNMENTS
from tests import fake_telegram, fake_zalo
from tests.conftest import REGISTER, assignment_id
from tests.e2e.conftest import settle


class Phone:
    """One person's phone on one channel: type, press the n-th button, read the last answer."""

    def __init__(self, kind: str, channel: Any, api: Any, chat: str) -> None:
        self.kind, self.channel, self.api, self.chat = kind, channel, api, chat

    def inbox(self) -> list[dict[str, Any]]:
        return self.api.messages_to(self.chat if self.kind == "zalo" else int(self.chat))

    def last(self) -> str:
        box = self.inbox()
        return box[-1]["text"] if box else ""

    async def say(self, text: str, reply_to_last: bool = False) -> str:
        if self.kind == "zalo":
            await self.channel.handle_event(self.api.text_event(self.chat, text))
        else:
            reply_to = self.inbox()[-1]["message_id"] if reply_to_last and self.inbox() else None
            update = self.api.text_update(int(self.chat), text, reply_to)
            await self.channel.application.process_update(Update.de_json(update, self.channel.application.bot))
        await settle(self.channel)
        return self.last()

    async def press(self, number: int) -> str:
        """The n-th button of the last message (Telegram), or its number typed (Zalo)."""
        if self.kind == "zalo":
            return await self.say(str(number))
        message = self.inbox()[-1]
        markup = message.get("reply_markup") or {}
        buttons = [b for row in markup.get("inline_keyboard", []) for b in row]
        data = buttons[number - 1]["callback_data"]
        update = self.api.button_update(int(self.chat), data, message["message_id"])
        await self.channel.application.process_update(Update.de_json(update, self.channel.application.bot))
        await settle(self.channel)
        return self.last()


def sends_at_once(engine: Engine, clock: FixedClock, channel: Any) -> Any:
    """As in `nhacviec run`: what an answer enqueues for others leaves at once through the one dispatcher."""
    limiter = RateLimiter(per_second=1000, per_chat_second=1000)
    channel.enqueued = Ticker(
        engine, Dispatcher(engine, {channel.channel: channel}, clock, limiter=limiter), clock
    ).nudge
    return channel


class World:
    def __init__(self, kind: str, engine: Engine, clock: FixedClock, channel: Any, api: Any) -> None:
        self.kind, self.engine, self.clock, self.channel, self.api = kind, engine, clock, channel, api

    async def phone(self, code: str, chat: str) -> Phone:
        phone = Phone(self.kind, self.channel, self.api, chat)
        invite = create_invite(self.engine, find_official_id(self.engine, code), self.clock)
        text = f"/start {invite}" if self.kind == "telegram" else invite  # on Zalo, the bare code is enough
        assert "Đã liên kết" in await phone.say(text)
        return phone

    async def morning(self, day: date) -> None:
        self.clock.set(datetime(day.year, day.month, day.day, 7, 31, tzinfo=LOCAL_TZ))
        plan(self.engine, self.clock)
        limiter = RateLimiter(per_second=1000, per_chat_second=1000)
        dispatcher = Dispatcher(
            self.engine, {self.kind: self.channel}, self.clock, limiter=limiter, quick_retry_base=0.01
        )
        await dispatcher.run_once()

    def assignment(self, task: str, unit: str) -> int:
        return assignment_id(self.engine, task, unit)

    def state(self, assignment: int) -> tuple[str, date]:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(ASSIGNMENTS.c.status, ASSIGNMENTS.c.due).where(ASSIGNMENTS.c.id == assignment)
            ).one()
        return row[0], row[1]


@pytest.fixture(params=["telegram", "zalo"])
async def world(request: pytest.FixtureRequest, engine: Engine, clock: FixedClock) -> AsyncIterator[World]:
    import_register(engine, load_register(REGISTER), clock)
    if request.param == "telegram":
        with fake_telegram.FakeBotApi() as api:
            application = build_application(fake_telegram.TOKEN, api.base_url)
            await application.initialize()
            channel = sends_at_once(engine, clock, TelegramChannel(application, Conversation(engine, clock)))
            yield World("telegram", engine, clock, channel, api)
            await application.shutdown()
    else:
        with fake_zalo.FakeZaloApi() as api:
            client = ZaloClient(fake_zalo.TOKEN, api.base_url)
            zalo = sends_at_once(engine, clock, ZaloChannel(client, Conversation(engine, clock)))
            yield World("zalo", engine, clock, zalo, api)
            await client.close()


async def test_scenario_reminder_then_xong_closes_the_task(world: World) -> None:
    land = await world.phone("cong-chuc-dia-chinh", "7003")
    await world.morning(date(2022, 4, 22))
    reminder = land.last()
    assert "Hoàn thành rà soát các loại đất" in reminder and "còn 8 ngày" in reminder
    if world.kind == "zalo":
        assert "Trả lời: xong · đang làm 50% · gia hạn 15/6 vì …" in reminder  # typed answers, no buttons
    answer = await land.say("xong", reply_to_last=True)  # on Zalo there is no reply-to: the last reminder counts
    assert answer.startswith("✅ Đã ghi nhận: #")
    assert world.state(world.assignment("Q2-13", "to-ra-soat-dat"))[0] == "done"


async def test_scenario_xong_with_an_id_after_a_digest(world: World) -> None:
    union = await world.phone("ct-cong-doan", "7004")
    await world.morning(date(2022, 4, 22))
    target = world.assignment("Q2-05", "cong-doan")
    if world.kind == "zalo":
        assert f"Trả lời: xong {world.assignment('Q2-04', 'cong-doan')} · đang làm" in union.last()
    assert "Đã ghi nhận" in await union.say(f"xong {target}")
    assert world.state(target)[0] == "done"
    assert world.state(world.assignment("Q2-04", "cong-doan"))[0] == "open"


async def test_scenario_plain_xong_after_a_digest_asks_which_then_a_choice_closes_it(world: World) -> None:
    union = await world.phone("ct-cong-doan", "7004")
    await world.morning(date(2022, 4, 22))
    question = await union.say("xong", reply_to_last=True)
    assert question.startswith("Việc nào ạ?")
    if world.kind == "zalo":
        assert "Trả lời bằng số:\n1. #" in question
    assert "Đã ghi nhận" in await union.press(2)
    with world.engine.connect() as conn:
        done = conn.execute(select(ASSIGNMENTS.c.id).where(ASSIGNMENTS.c.status == "done")).scalars().all()
    assert len(done) == 1


async def test_scenario_leader_overdue_and_member_refused(world: World) -> None:
    leader = await world.phone("bi-thu", "7002")
    land = await world.phone("cong-chuc-dia-chinh", "7003")
    world.clock.set(datetime(2022, 5, 2, 8, 0, tzinfo=LOCAL_TZ))
    answer = await leader.say("/quahan")
    assert answer.startswith("⏰ Quá hạn ngày 02/05/2022: 13 việc ở 10 đơn vị")
    other = world.assignment("Q2-05", "cong-doan")
    assert "chỉ cập nhật được việc của đơn vị mình" in await land.say(f"xong {other}")
    assert world.state(other)[0] == "open"


async def test_scenario_extension_needs_a_leader(world: World) -> None:
    leader = await world.phone("bi-thu", "7002")
    land = await world.phone("cong-chuc-dia-chinh", "7003")
    await world.morning(date(2022, 4, 27))
    target = world.assignment("Q2-13", "to-ra-soat-dat")
    assert "Đã gửi đề nghị" in await land.say("xin gia hạn đến 15/5 vì chưa đủ kinh phí", reply_to_last=True)
    assert world.state(target) == ("open", date(2022, 4, 30))
    assert "xin đến 15/05/2022" in leader.last()
    assert "Đã đồng ý gia hạn" in await leader.press(1)
    assert world.state(target) == ("open", date(2022, 5, 15))
    assert "đã đồng ý gia hạn" in land.last()


async def test_scenario_unlinked_chat_learns_nothing(world: World) -> None:
    stranger = Phone(world.kind, world.channel, world.api, "7999")
    for text in ("/viec", "xong", "/quahan"):
        assert "chưa được liên kết" in await stranger.say(text)


# --- what only Zalo needs ----------------------------------------------------------------------


@pytest.fixture
async def zalo(engine: Engine, clock: FixedClock) -> AsyncIterator[tuple[ZaloChannel, fake_zalo.FakeZaloApi]]:
    import_register(engine, load_register(REGISTER), clock)
    with fake_zalo.FakeZaloApi() as api:
        client = ZaloClient(fake_zalo.TOKEN, api.base_url)
        yield ZaloChannel(client, Conversation(engine, clock)), api
        await client.close()


async def test_polling_takes_one_update_per_call_and_treats_408_as_empty(zalo) -> None:
    channel, api = zalo
    api.updates.extend([api.text_event("8001", "/help"), api.text_event("8002", "/help")])
    stop = asyncio.Event()
    task = asyncio.create_task(channel.poll(stop, timeout=1))
    for _ in range(100):
        if api.messages_to("8001") and api.messages_to("8002"):
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert "chưa được liên kết" in api.messages_to("8001")[0]["text"]
    assert "chưa được liên kết" in api.messages_to("8002")[0]["text"]


async def test_a_repeated_delivery_is_applied_once(zalo, engine, clock) -> None:
    channel, api = zalo
    invite = create_invite(engine, find_official_id(engine, "cong-chuc-dia-chinh"), clock)
    await channel.handle_event(api.text_event("8003", f"/start {invite}"))
    target = World("zalo", engine, clock, channel, api).assignment("Q2-13", "to-ra-soat-dat")
    event = api.text_event("8003", f"xong {target}", message_id="same-id")
    await channel.handle_event(event)
    await channel.handle_event(event)  # Zalo delivered it twice
    confirmations = [m for m in api.messages_to("8003") if "Đã ghi nhận" in m["text"]]
    assert len(confirmations) == 1


async def test_webhook_accepts_both_shapes_and_refuses_a_wrong_secret(zalo, engine, clock) -> None:
    channel, api = zalo
    server = zalo_webhook_server(channel, "zalo-secret-123456")
    server.listen(0, "127.0.0.1")
    port = next(iter(server._sockets.values())).getsockname()[1]
    url = f"http://127.0.0.1:{port}/zalo"
    invite = create_invite(engine, find_official_id(engine, "cong-chuc-dia-chinh"), clock)
    target = World("zalo", engine, clock, channel, api).assignment("Q2-13", "to-ra-soat-dat")
    try:
        async with httpx.AsyncClient() as http:
            wrong = await http.post(
                url, json=api.text_event("8004", f"/start {invite}"), headers={SECRET_HEADER: "wrong"}
            )
            assert wrong.status_code == 403 and api.messages_to("8004") == []
            good = {SECRET_HEADER: "zalo-secret-123456"}
            unwrapped = await http.post(url, json=api.text_event("8004", f"/start {invite}"), headers=good)
            wrapped = await http.post(
                url, json={"ok": True, "result": api.text_event("8004", f"xong {target}")}, headers=good
            )
            assert (unwrapped.status_code, wrapped.status_code) == (200, 200)
    finally:
        server.stop()
    assert "Đã liên kết" in api.messages_to("8004")[0]["text"]
    assert World("zalo", engine, clock, channel, api).state(target)[0] == "done"


async def test_a_2500_character_answer_is_split_in_two(zalo) -> None:
    channel, api = zalo
    await channel.send("8005", Message("\n".join(f"dòng {i:03d} " + "x" * 40 for i in range(50))))
    parts = api.messages_to("8005")
    assert len(parts) == 2 and all(len(p["text"]) <= 2000 for p in parts)
    assert sum(len(p["text"]) for p in parts) + 1 == len("\n".join(f"dòng {i:03d} " + "x" * 40 for i in range(50)))


async def test_429_5xx_and_ok_false_are_retried_and_each_reminder_arrives_once(zalo, engine, clock) -> None:
    channel, api = zalo
    world = World("zalo", engine, clock, channel, api)
    land = await world.phone("cong-chuc-dia-chinh", "8006")
    union = await world.phone("ct-cong-doan", "8007")
    api.fail_next(1, 429)
    api.fail_next(1, 502)
    api.fail_next(1, 500, ok_false=True)  # HTTP 200 carrying ok: false
    await world.morning(date(2022, 4, 22))
    for phone in (land, union):
        assert len([m for m in phone.inbox() if "Việc cần chú ý" in m["text"]]) == 1


async def test_a_bad_token_stops_polling_with_a_clear_log_line(caplog: pytest.LogCaptureFixture) -> None:
    with fake_zalo.FakeZaloApi() as api:
        client = ZaloClient("wrong-token", api.base_url)
        channel = ZaloChannel(client, Conversation(None, FixedClock(datetime(2022, 4, 8, tzinfo=LOCAL_TZ))))  # type: ignore[arg-type]
        await asyncio.wait_for(channel.poll(asyncio.Event(), timeout=1), 5)
        await client.close()
    assert "token was refused (401)" in caplog.text
