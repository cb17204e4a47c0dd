"""End to end over real HTTP: python-telegram-bot's Application against a fake Bot API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from datetime import date, datetime
from typing import Any

import httpx
from icalendar import Calendar
from PIL import Image
from sqlalchemy import Engine, select
from telegram import Update

from bot.app import RedactingFormatter
from bot.channels.telegram import SECRET_HEADER, TelegramChannel, webhook_server
from scheduler.clock import LOCAL_TZ, FixedClock
from scheduler.outbox.dispatcher import Dispatcher
from scheduler.outbox.planner import plan
from scheduler.outbox.ratelimit import RateLimiter
from scheduler.register.invites import create_invite
from scheduler.register.links import find_official_id
from scheduler.register.models import ASSIGNMENTS, CHATS, EVENTS, REMINDERS, TASKS
from scheduler.reporting.weekly import plan_weekly
from tests.conftest import assignment_id
from tests.e2e.conftest import settle
from tests.fake_telegram import TOKEN, FakeBotApi

# chat ids of the people in these stories
KEEPER, LEADER, LAND, UNION, STRANGER = 9001, 9002, 9003, 9004, 9999


# `api` and `telegram` (a fake Bot API and PTB talking to it) come from tests/e2e/conftest.py


async def say(channel: TelegramChannel, api: FakeBotApi, chat: int, text: str, reply_to: int | None = None) -> str:
    """A person types; returns the text of the bot's last answer to that chat."""
    before = len(api.messages_to(chat))
    update = Update.de_json(api.text_update(chat, text, reply_to), channel.application.bot)
    await channel.application.process_update(update)
    await settle(channel)
    answers = api.messages_to(chat)[before:]
    return (answers[-1].get("text") or answers[-1].get("caption", "")) if answers else ""


async def press(channel: TelegramChannel, api: FakeBotApi, chat: int, data: str, message_id: int) -> str:
    before = len(api.messages_to(chat))
    update = Update.de_json(api.button_update(chat, data, message_id), channel.application.bot)
    await channel.application.process_update(update)
    await settle(channel)
    answers = api.messages_to(chat)[before:]
    return (answers[-1].get("text") or answers[-1].get("caption", "")) if answers else ""


async def link(
    channel: TelegramChannel, api: FakeBotApi, engine: Engine, clock: FixedClock, code: str, chat: int
) -> None:
    invite = create_invite(engine, find_official_id(engine, code), clock)
    answer = await say(channel, api, chat, f"/start {invite}")
    assert "Đã liên kết" in answer


def status_of(engine: Engine, assignment: int) -> tuple[str, date]:
    with engine.connect() as conn:
        row = conn.execute(select(ASSIGNMENTS.c.status, ASSIGNMENTS.c.due).where(ASSIGNMENTS.c.id == assignment)).one()
    return row[0], row[1]


async def morning(engine: Engine, clock: FixedClock, channel: TelegramChannel, day: date) -> None:
    clock.set(datetime(day.year, day.month, day.day, 7, 31, tzinfo=LOCAL_TZ))
    plan(engine, clock)
    limiter = RateLimiter(per_second=1000, per_chat_second=1000)
    await Dispatcher(engine, {"telegram": channel}, clock, limiter=limiter, quick_retry_base=0.01).run_once()


def keyboard(message: dict[str, Any]) -> list[list[dict[str, str]]]:
    markup = message.get("reply_markup") or {}
    if isinstance(markup, str):
        markup = json.loads(markup)
    return markup.get("inline_keyboard", [])


async def test_invite_link_then_reminder_with_buttons_then_xong(telegram, api, engine, clock) -> None:
    await link(telegram, api, engine, clock, "cong-chuc-dia-chinh", LAND)
    await morning(engine, clock, telegram, date(2022, 4, 22))
    reminder = api.messages_to(LAND)[-1]
    assert "Hoàn thành rà soát các loại đất" in reminder["text"] and "còn 8 ngày" in reminder["text"]
    labels = [b["text"] for row in keyboard(reminder) for b in row]
    assert labels == ["✅ Xong", "⏳ Đang làm", "📅 Xin gia hạn", "⏰ Nhắc lại sau"]
    clock.set(datetime(2022, 4, 22, 9, 14, tzinfo=LOCAL_TZ))
    answer = await say(telegram, api, LAND, "xong", reply_to=reminder["message_id"])
    assert answer.startswith("✅ Đã ghi nhận: #") and "hoàn thành lúc 09:14 ngày 22/04/2022" in answer
    target = assignment_id(engine, "Q2-13", "to-ra-soat-dat")
    assert status_of(engine, target)[0] == "done"
    with engine.connect() as conn:
        event = conn.execute(select(EVENTS).where(EVENTS.c.assignment_id == target)).mappings().one()
    assert (event["channel"], event["new_status"]) == ("telegram", "done")  # with the channel and message id
    assert event["message_id"] is not None


async def test_pressing_done_on_a_digest_closes_that_task_only(telegram, api, engine, clock) -> None:
    await link(telegram, api, engine, clock, "ct-cong-doan", UNION)
    await morning(engine, clock, telegram, date(2022, 4, 22))
    digest = api.messages_to(UNION)[-1]
    rows = keyboard(digest)
    assert len(rows) == 4  # four tasks, one row of buttons each
    done_button = rows[1][0]
    assert done_button["text"].startswith("✅ Xong #")
    answer = await press(telegram, api, UNION, done_button["callback_data"], digest["message_id"])
    assert "Đã ghi nhận" in answer
    closed = int(done_button["callback_data"].split(":")[1])
    assert status_of(engine, closed)[0] == "done"
    assert "answerCallbackQuery" in api.calls  # every press is answered
    with engine.connect() as conn:
        still_open = conn.execute(select(ASSIGNMENTS.c.id).where(ASSIGNMENTS.c.status == "done")).scalars().all()
    assert still_open == [closed]


async def test_plain_xong_to_a_digest_asks_which_task(telegram, api, engine, clock) -> None:
    await link(telegram, api, engine, clock, "ct-cong-doan", UNION)
    await morning(engine, clock, telegram, date(2022, 4, 22))
    digest = api.messages_to(UNION)[-1]
    answer = await say(telegram, api, UNION, "đã xong rồi ạ", reply_to=digest["message_id"])
    assert answer.startswith("Việc nào ạ?")
    question = api.messages_to(UNION)[-1]
    pick = keyboard(question)[2][0]["callback_data"]
    assert "Đã ghi nhận" in await press(telegram, api, UNION, pick, question["message_id"])
    assert status_of(engine, int(pick.split(":")[1]))[0] == "done"


async def test_leader_overdue_on_2_may_lists_open_past_due_tasks_grouped_by_unit(telegram, api, engine, clock) -> None:
    await link(telegram, api, engine, clock, "bi-thu", LEADER)
    clock.set(datetime(2022, 5, 2, 8, 0, tzinfo=LOCAL_TZ))
    answer = await say(telegram, api, LEADER, "/quahan")
    assert answer.startswith("⏰ Quá hạn ngày 02/05/2022: 13 việc ở 10 đơn vị")
    assert "▪ Công đoàn cơ quan thị trấn (4 việc)" in answer
    with engine.connect() as conn:
        overdue_ids = (
            conn.execute(
                select(ASSIGNMENTS.c.id)
                .join(TASKS, TASKS.c.id == ASSIGNMENTS.c.task_id)
                # a past flag ceremony nobody confirmed is "not reported", never overdue
                .where(ASSIGNMENTS.c.due < date(2022, 5, 2), ASSIGNMENTS.c.status == "open", TASKS.c.kind != "event")
            )
            .scalars()
            .all()
        )
    assert all(f"#{i} " in answer for i in overdue_ids)
    assert answer.count("#") == len(overdue_ids)


async def test_report_arrives_as_a_photo_with_its_summary_and_lich_as_an_ics_document(
    telegram, api, engine, clock
) -> None:
    await link(telegram, api, engine, clock, "bi-thu", LEADER)
    await link(telegram, api, engine, clock, "ct-cong-doan", UNION)
    clock.set(datetime(2022, 5, 2, 8, 0, tzinfo=LOCAL_TZ))
    await say(telegram, api, LEADER, "/baocao 2022-Q2")
    photo = api.messages_to(LEADER)[-1]
    assert photo["method"] == "sendPhoto" and photo["photo"].startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(photo["photo"])).size == (1200, 800)
    assert photo["caption"].startswith("📊 Tiến độ nhiệm vụ quý 2/2022, tính đến 02/05/2022")
    await say(telegram, api, UNION, "/lich")
    document = api.messages_to(UNION)[-1]
    assert document["method"] == "sendDocument" and document["document_filename"] == "nhac-viec.ics"
    assert len(list(Calendar.from_ical(document["document"]).walk("VEVENT"))) == 5
    assert (await say(telegram, api, UNION, "/baocao")).startswith("Xin lỗi, /baocao dành cho lãnh đạo")


async def test_monday_digest_reaches_a_leader_as_one_photo_message(telegram, api, engine, clock) -> None:
    await link(telegram, api, engine, clock, "bi-thu", LEADER)
    clock.set(datetime(2022, 4, 12, 7, 31, tzinfo=LOCAL_TZ))  # Monday 11/4 was a holiday
    limiter = RateLimiter(per_second=1000, per_chat_second=1000)
    dispatcher = Dispatcher(engine, {"telegram": telegram}, clock, limiter=limiter)
    assert plan_weekly(engine, clock) == 1
    assert (await dispatcher.run_once()).others_sent == 1
    assert plan_weekly(engine, clock) == 0
    assert (await dispatcher.run_once()).others_sent == 0
    [digest] = [m for m in api.messages_to(LEADER) if m["method"] == "sendPhoto"]
    assert digest["caption"].startswith("📅 Báo cáo đầu tuần gửi đồng chí Nguyễn Văn A — tuần 11/04–17/04/2022")
    assert Image.open(io.BytesIO(digest["photo"])).size == (1200, 800)


async def test_member_cannot_close_another_units_task_and_nothing_changes(telegram, api, engine, clock) -> None:
    await link(telegram, api, engine, clock, "cong-chuc-dia-chinh", LAND)
    other = assignment_id(engine, "Q2-05", "cong-doan")
    answer = await say(telegram, api, LAND, f"/xong {other}")
    assert answer.startswith("Xin lỗi, việc #") and "chỉ cập nhật được việc của đơn vị mình" in answer
    assert status_of(engine, other)[0] == "open"
    with engine.connect() as conn:
        assert conn.execute(select(EVENTS.c.id)).first() is None


async def test_unlinked_chat_learns_nothing_about_any_task(telegram, api, engine, clock) -> None:
    for text in ("/viec", "/quahan", "xong", "/lichsu 1", "/start sai-ma-moi-12345"):
        answer = await say(telegram, api, STRANGER, text)
        assert "#" not in answer and "Công đoàn" not in answer and "hạn" not in answer.replace("hạn 7 ngày", "")
    assert all(
        "chưa được liên kết" in m["text"] or "Không liên kết được" in m["text"] for m in api.messages_to(STRANGER)
    )


async def test_extension_moves_the_due_date_only_after_a_leader_approves(telegram, api, engine, clock) -> None:
    await link(telegram, api, engine, clock, "cong-chuc-dia-chinh", LAND)
    await link(telegram, api, engine, clock, "bi-thu", LEADER)
    await morning(engine, clock, telegram, date(2022, 4, 27))
    reminder = api.messages_to(LAND)[-1]
    target = assignment_id(engine, "Q2-13", "to-ra-soat-dat")
    answer = await say(telegram, api, LAND, "xin gia hạn đến 15/5 vì chưa đủ kinh phí", reply_to=reminder["message_id"])
    assert "Đã gửi đề nghị gia hạn" in answer
    assert status_of(engine, target) == ("open", date(2022, 4, 30))  # not yet
    ask = api.messages_to(LEADER)[-1]
    assert "xin đến 15/05/2022" in ask["text"] and "chưa đủ kinh phí" in ask["text"]
    approve = keyboard(ask)[0][0]
    assert approve["text"] == "👍 Đồng ý"
    assert "Đã đồng ý gia hạn" in await press(telegram, api, LEADER, approve["callback_data"], ask["message_id"])
    assert status_of(engine, target) == ("open", date(2022, 5, 15))
    with engine.connect() as conn:
        original = conn.execute(select(ASSIGNMENTS.c.original_due).where(ASSIGNMENTS.c.id == target)).scalar_one()
    assert original == date(2022, 4, 30)  # kept for statistics
    assert "đã đồng ý gia hạn" in api.messages_to(LAND)[-1]["text"]
    again = await press(telegram, api, LEADER, approve["callback_data"], ask["message_id"])
    assert "đã được quyết định" in again  # decided once


async def test_a_member_cannot_approve_an_extension(telegram, api, engine, clock) -> None:
    await link(telegram, api, engine, clock, "cong-chuc-dia-chinh", LAND)
    await say(telegram, api, LAND, f"/giahan {assignment_id(engine, 'Q2-13', 'to-ra-soat-dat')} 15/5 vì mưa bão")
    assert "chỉ lãnh đạo" in await press(telegram, api, LAND, "ok:1", 1)


async def test_webhook_with_a_wrong_secret_gets_403_and_changes_nothing(telegram, api, engine, clock) -> None:
    await link(telegram, api, engine, clock, "cong-chuc-dia-chinh", LAND)
    application = telegram.application
    await application.start()
    server = webhook_server(application, "the-right-secret-0123456789")
    server.listen(0, "127.0.0.1")
    port = next(iter(server._sockets.values())).getsockname()[1]
    target = assignment_id(engine, "Q2-13", "to-ra-soat-dat")
    body = api.text_update(LAND, f"/xong {target}")
    try:
        async with httpx.AsyncClient() as client:
            url = f"http://127.0.0.1:{port}/telegram"
            wrong = await client.post(url, json=body, headers={SECRET_HEADER: "not-the-secret"})
            missing = await client.post(url, json=body)
            assert (wrong.status_code, missing.status_code) == (403, 403)
            assert status_of(engine, target)[0] == "open"
            right = await client.post(url, json=body, headers={SECRET_HEADER: "the-right-secret-0123456789"})
            assert right.status_code == 200
            for _ in range(100):
                if status_of(engine, target)[0] == "done":
                    break
                await asyncio.sleep(0.05)
        assert status_of(engine, target)[0] == "done"
    finally:
        server.stop()
        await application.stop()


async def test_429_and_502_for_a_while_every_reminder_still_arrives_once(telegram, api, engine, clock) -> None:
    chats = {"cong-chuc-dia-chinh": LAND, "ct-cong-doan": UNION, "bi-thu": LEADER}
    for code, chat in chats.items():
        await link(telegram, api, engine, clock, code, chat)
    api.fail_next(2, 502)
    api.fail_next(1, 429, retry_after=1)
    api.fail_next(1, 502)
    await morning(engine, clock, telegram, date(2022, 4, 22))
    for chat in (LAND, UNION):
        reminders = [m for m in api.messages_to(chat) if "Việc cần chú ý" in m["text"]]
        assert len(reminders) == 1
    with engine.connect() as conn:
        states = conn.execute(select(REMINDERS.c.state)).scalars().all()
    assert states and set(states) == {"sent"}


async def test_blocked_bot_unlinks_the_chat_and_tells_the_keeper(telegram, api, engine, clock) -> None:
    await link(telegram, api, engine, clock, "cong-chuc-dia-chinh", LAND)
    await link(telegram, api, engine, clock, "van-phong-du", KEEPER)
    api.fail_next(1, 403)
    await morning(engine, clock, telegram, date(2022, 4, 22))
    with engine.connect() as conn:
        active = dict(conn.execute(select(CHATS.c.chat_id, CHATS.c.active)).all())
    assert active[str(LAND)] is False and active[str(KEEPER)] is True
    await morning(engine, clock, telegram, date(2022, 4, 22))  # the notice goes out on the next tick
    notice = api.messages_to(KEEPER)[-1]["text"]
    assert "Không gửi được lời nhắc tới Vũ Thị G" in notice and "bị chặn" in notice


async def test_long_answers_are_split_at_4096_characters(telegram, api, engine, clock) -> None:
    from bot.conversation.texts import Message

    await telegram.send(str(LEADER), Message("\n".join(f"dòng số {i} " + "x" * 80 for i in range(100))))
    parts = api.messages_to(LEADER)
    assert len(parts) == 3 and all(len(p["text"]) <= 4096 for p in parts)


async def test_command_menu_is_registered_in_vietnamese(telegram, api) -> None:
    await telegram.register_commands()
    assert "setMyCommands" in api.calls


def test_the_token_never_reaches_a_log_not_even_in_a_traceback() -> None:
    logger = logging.getLogger("nhacviec.test")
    handler = logging.Handler()
    records: list[str] = []
    handler.setFormatter(RedactingFormatter([TOKEN], "%(message)s"))
    handler.emit = lambda record: records.append(handler.format(record))  # type: ignore[method-assign]
    logger.addHandler(handler)
    try:
        logger.warning("POST https://api.telegram.org/bot%s/sendMessage failed", TOKEN)
        try:
            raise RuntimeError(f"The token `{TOKEN}` was rejected by the server.")
        except RuntimeError:
            logger.exception("start-up failed")
    finally:
        logger.removeHandler(handler)
    assert records[0] == "POST https://api.telegram.org/bot***/sendMessage failed"
    assert "Traceback" in records[1] and "The token `***` was rejected" in records[1]
    assert not any(TOKEN in r for r in records)


async def test_a_group_that_became_a_supergroup_is_followed_to_its_new_id(telegram, api, engine, clock) -> None:
    await link(telegram, api, engine, clock, "cong-chuc-dia-chinh", LAND)
    api.fail_next(1, 400, migrate_to=-1009003)
    await morning(engine, clock, telegram, date(2022, 4, 22))
    assert [m["text"][:2] for m in api.messages_to(-1009003)] == ["☀️"]
    with engine.connect() as conn:
        assert conn.execute(select(CHATS.c.chat_id)).scalar_one() == "-1009003"


async def test_long_polling_answers_updates_from_get_updates(telegram, api) -> None:
    application = telegram.application
    api.updates.append(api.text_update(STRANGER, "/help"))
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0.05)
    try:
        for _ in range(100):
            if api.messages_to(STRANGER):
                break
            await asyncio.sleep(0.05)
    finally:
        await application.updater.stop()
        await application.stop()
    assert "chưa được liên kết" in api.messages_to(STRANGER)[0]["text"]
    assert "getUpdates" in api.calls and "deleteWebhook" in api.calls
