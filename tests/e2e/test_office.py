"""The office runs it from the chat, over real HTTP against the fake Bot API: the keeper's files, /moi, /sodangky,
/loi, /giaoviec, and a unit's group chat."""

from __future__ import annotations

import dataclasses
import io
import re
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import docx
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from PIL import Image
from sqlalchemy import Engine, func, select
from telegram import Update
from telegram.ext import Application

from bot.channels.telegram import TelegramChannel, build_application
from bot.conversation.core import Conversation
from bot.conversation.keeper import qr_png
from scheduler.clock import LOCAL_TZ, FixedClock
from scheduler.register.importer import import_register, load_register
from scheduler.register.models import ASSIGNMENTS, CHATS, EVENTS, OFFICIALS, TASKS
from scheduler.register.tables import write_xlsx
from tests.conftest import REGISTER, ROOT
from tests.e2e.test_telegram import keyboard, link, morning, press, say, status_of
from tests.fake_telegram import TOKEN, FakeBotApi

KEEPER, LEADER, UNION, ACCOUNTANT, HEAD, RESIDENT, STRANGER = 9001, 9002, 9004, 9005, 9006, 9007, 9999
GROUP, SUPERGROUP = -4001, -1004001
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CONCLUSION = ROOT / "data" / "ket-luan-so-ket-quy-1-2022-thi-tran-thuong-xuan.txt"


async def send_file(
    channel: TelegramChannel, api: FakeBotApi, chat: int, filename: str, content: bytes, mime: str = XLSX
) -> list[dict[str, Any]]:
    """A person sends a file; returns what the bot answered in that chat."""
    before = len(api.messages_to(chat))
    update = Update.de_json(api.document_update(chat, filename, content, mime), channel.application.bot)
    await channel.application.process_update(update)
    return api.messages_to(chat)[before:]


async def in_group(
    channel: TelegramChannel, api: FakeBotApi, sender: int, text: str, reply_to: int | None = None
) -> str:
    """Someone writes in the unit's group; returns the bot's last answer in the group."""
    before = len(api.messages_to(GROUP))
    update = Update.de_json(api.text_update(GROUP, text, reply_to, "group", sender), channel.application.bot)
    await channel.application.process_update(update)
    answers = api.messages_to(GROUP)[before:]
    return answers[-1]["text"] if answers else ""


async def tell(channel: TelegramChannel, update: dict[str, Any]) -> None:
    await channel.application.process_update(Update.de_json(update, channel.application.bot))


def thuong_xuan_excel() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "so.xlsx"
        write_xlsx(load_register(REGISTER), path)
        return path.read_bytes()


def snapshot(engine: Engine) -> tuple[Any, ...]:
    with engine.connect() as conn:
        tasks = conn.execute(select(TASKS.c.code, TASKS.c.due, TASKS.c.lead).order_by(TASKS.c.code)).all()
        assignments = conn.execute(select(func.count()).select_from(ASSIGNMENTS)).scalar_one()
        events = conn.execute(select(func.count()).select_from(EVENTS)).scalar_one()
    return tuple(tasks), assignments, events


# --- the keeper's files ----------------------------------------------------------------------------


async def test_keeper_sends_the_thuong_xuan_excel_and_its_tasks_are_imported(engine, clock, api) -> None:
    register = load_register(REGISTER)
    import_register(engine, dataclasses.replace(register, tasks=[]), clock)  # units and people, no tasks yet
    application: Application = build_application(TOKEN, api.base_url)
    await application.initialize()
    channel = TelegramChannel(application, Conversation(engine, clock, application.bot.username))
    try:
        await link(channel, api, engine, clock, "van-phong-du", KEEPER)
        [answer] = await send_file(channel, api, KEEPER, "So nhac viec Thuong Xuan.xlsx", thuong_xuan_excel())
    finally:
        await application.shutdown()
    assert answer["text"].startswith("✅ Đã nhập So nhac viec Thuong Xuan.xlsx")
    assert f"Nhiệm vụ: thêm {len(register.tasks)}, sửa 0" in answer["text"]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(TASKS)).scalar_one() == len(register.tasks)
    assert len(api.downloads) == 1  # fetched through getFile and the file URL


async def test_a_broken_excel_names_both_problems_and_writes_nothing(telegram, api, engine, clock) -> None:
    await link(telegram, api, engine, clock, "van-phong-du", KEEPER)
    workbook = load_workbook(io.BytesIO(thuong_xuan_excel()))
    sheet = workbook["Nhiệm vụ"]
    headings = [c.value for c in sheet[1]]
    sheet.cell(7, headings.index("Hạn (ngày)") + 1).value = "31/04/2022"  # no such day
    sheet.cell(9, headings.index("Chủ trì") + 1).value = "cong-doan-phuong"  # no such unit
    broken = io.BytesIO()
    workbook.save(broken)
    before = snapshot(engine)
    [answer] = await send_file(telegram, api, KEEPER, "so-sua.xlsx", broken.getvalue())
    text = answer["text"]
    assert text.startswith("❌ Chưa nhập so-sua.xlsx: có 2 chỗ cần sửa. Chưa ghi gì vào sổ.")
    due, lead = (get_column_letter(headings.index(name) + 1) for name in ("Hạn (ngày)", "Chủ trì"))
    assert f"• Trang «Nhiệm vụ», dòng 7, cột {due} (Hạn (ngày)): ngày '31/04/2022' không có thật" in text
    unknown = "đơn vị hoặc nhóm 'cong-doan-phuong' chưa có trong sổ"
    assert f"• Trang «Nhiệm vụ», dòng 9, cột {lead} (Chủ trì): {unknown}" in text
    assert snapshot(engine) == before


async def test_a_member_sending_a_file_is_refused_and_it_is_not_even_downloaded(telegram, api, engine, clock) -> None:
    await link(telegram, api, engine, clock, "ke-toan", ACCOUNTANT)
    before = snapshot(engine)
    [answer] = await send_file(telegram, api, ACCOUNTANT, "so.xlsx", thuong_xuan_excel())
    assert answer["text"].startswith("Xin lỗi, việc gửi tệp cho bot dành cho Văn phòng Đảng ủy")
    assert api.downloads == [] and "getFile" not in api.calls
    assert snapshot(engine) == before


@pytest.mark.parametrize(
    ("filename", "content", "expected"),
    [
        ("anh.jpg", b"\xff\xd8\xff", "không phải loại bot đọc được"),  # a photo sent as a file
        ("so.xlsx", b"not a zip at all", "không phải tệp Excel thật"),  # renamed to .xlsx
        ("lon.txt", b"a" * (10 * 1024 * 1024 + 1), "quá giới hạn 10 MB"),  # too large
    ],
)
async def test_files_are_type_and_size_checked_before_they_are_read(
    telegram, api, engine, clock, filename, content, expected
) -> None:
    await link(telegram, api, engine, clock, "van-phong-du", KEEPER)
    [answer] = await send_file(telegram, api, KEEPER, filename, content, "application/octet-stream")
    assert answer["text"].startswith("Không nhận tệp") and expected in answer["text"]


async def test_a_conclusion_docx_comes_back_as_a_draft_workbook_that_imports_once_reviewed(
    telegram, api, engine, clock
) -> None:
    await link(telegram, api, engine, clock, "van-phong-du", KEEPER)
    document = docx.Document()
    for paragraph in CONCLUSION.read_text(encoding="utf-8").split("\n"):
        document.add_paragraph(paragraph)
    source = io.BytesIO()
    document.save(source)
    [draft] = await send_file(telegram, api, KEEPER, "ket-luan-quy-1.docx", source.getvalue(), DOCX)
    assert draft["method"] == "sendDocument" and draft["document_filename"] == "ban-nhap-ket-luan-quy-1.xlsx"
    assert draft["caption"].startswith("📝 Bản nháp từ ket-luan-quy-1.docx (ngày văn bản 07/04/2022)")
    # sent back as it came, the draft is refused: every task still to review is named
    refused = "\n".join(m["text"] for m in await send_file(telegram, api, KEEPER, "ban-nhap.xlsx", draft["document"]))
    assert "Chưa ghi gì vào sổ" in refused and "cột B (Cần xem lại): bản nháp còn" in refused  # several messages
    workbook = load_workbook(io.BytesIO(draft["document"]))
    sheet = workbook["Nhiệm vụ"]
    headings = [c.value for c in sheet[1]]
    review, lead = headings.index("Cần xem lại"), headings.index("Chủ trì")
    register = load_register(REGISTER)
    known = {u.code for u in register.units} | {g.code for g in register.groups}
    for row in sheet.iter_rows(min_row=2):  # the keeper decides: a body outside the register goes to the Đảng ủy
        row[review].value = None
        leads = [c.strip() for c in str(row[lead].value or "").split(",") if c.strip()]
        row[lead].value = ", ".join(c if c in known else "dang-uy" for c in leads) or "dang-uy"
    reviewed = io.BytesIO()
    workbook.save(reviewed)
    tasks_before = snapshot(engine)[0]
    [imported] = await send_file(telegram, api, KEEPER, "ban-nhap-da-xem.xlsx", reviewed.getvalue())
    assert imported["text"].startswith("✅ Đã nhập ban-nhap-da-xem.xlsx")
    assert len(snapshot(engine)[0]) > len(tasks_before)


# --- invites, the register, what failed ------------------------------------------------------------


async def test_moi_gives_a_single_use_invite_with_its_link_and_qr_code(telegram, api, engine, clock) -> None:
    await link(telegram, api, engine, clock, "van-phong-du", KEEPER)
    await say(telegram, api, KEEPER, "/moi Bùi Thị K")
    photo = api.messages_to(KEEPER)[-1]
    assert photo["method"] == "sendPhoto"
    link_url = re.search(r"https://t\.me/nhacviec_test_bot\?start=(\S+)", photo["caption"])
    assert link_url is not None
    assert photo["photo"] == qr_png(link_url[0])  # the picture is the QR code of that very link
    assert Image.open(io.BytesIO(photo["photo"])).format == "PNG"
    assert "Đã liên kết" in await say(telegram, api, UNION, f"/start {link_url[1]}")
    assert "đã được dùng" in await say(telegram, api, STRANGER, f"/start {link_url[1]}")  # single use
    assert (await say(telegram, api, UNION, "/moi ke-toan")).startswith("Xin lỗi, /moi dành cho Văn phòng")


async def test_sodangky_sends_the_register_as_excel(telegram, api, engine, clock) -> None:
    await link(telegram, api, engine, clock, "van-phong-du", KEEPER)
    await say(telegram, api, KEEPER, "/sodangky")
    sent = api.messages_to(KEEPER)[-1]
    assert sent["method"] == "sendDocument" and sent["document_filename"] == "so-nhac-viec-2022-04-08.xlsx"
    workbook = load_workbook(io.BytesIO(sent["document"]))
    assert {"Đơn vị", "Cán bộ", "Nhiệm vụ"} <= set(workbook.sheetnames)
    assert workbook["Nhiệm vụ"].max_row - 1 == len(load_register(REGISTER).tasks)


async def test_loi_lists_failed_deliveries_and_unlinked_chats(telegram, api, engine, clock) -> None:
    await link(telegram, api, engine, clock, "van-phong-du", KEEPER)
    await link(telegram, api, engine, clock, "cong-chuc-dia-chinh", 9003)
    assert (await say(telegram, api, KEEPER, "/loi")).startswith("👤 Chưa liên kết chat")
    api.fail_next(1, 403)  # the first morning message finds the bot blocked
    await morning(engine, clock, telegram, date(2022, 4, 22))
    before = len(api.messages_to(KEEPER))
    await say(telegram, api, KEEPER, "/loi")
    answer, *rest = [m.get("text", "") for m in api.messages_to(KEEPER)[before:]]  # the answer leaves first
    # the admins' notice, enqueued by the failed morning, goes out with the outbox pass the answer nudges
    assert [t for t in rest if t.startswith("⚠️ Không gửi được lời nhắc tới Vũ Thị G (telegram)")]
    assert answer.startswith("❗ Tin không gửi được (1), mới nhất trước:")
    assert "Vũ Thị G (cong-chuc-dia-chinh), telegram: bot" in answer and "🔌 Chat đã ngắt liên kết (1)" in answer


# --- /giaoviec -----------------------------------------------------------------------------------------


async def test_giaoviec_from_a_leader_creates_a_task_the_next_mornings_reminders_carry(
    telegram, api, engine, clock
) -> None:
    await link(telegram, api, engine, clock, "bi-thu", LEADER)
    await link(telegram, api, engine, clock, "ct-cong-doan", UNION)
    answer = await say(telegram, api, LEADER, "/giaoviec Công đoàn: tổ chức hội nghị CBCC trước 16/4")
    assert answer.startswith("Tôi hiểu như sau:\n• Việc: Tổ chức hội nghị CBCC\n• Đơn vị: Công đoàn cơ quan thị trấn")
    assert "• Hạn: thứ Sáu 15/04/2022 («trước 16/4»)" in answer
    question = api.messages_to(LEADER)[-1]
    assert [b["text"] for row in keyboard(question) for b in row] == ["✅ Giao việc", "✖ Thôi"]
    done = await press(telegram, api, LEADER, "ga", question["message_id"])
    assert done.startswith("✅ Đã giao việc GV-20220408-1: Tổ chức hội nghị CBCC — hạn 15/04/2022.")
    with engine.connect() as conn:
        task = conn.execute(select(TASKS).where(TASKS.c.code == "GV-20220408-1")).mappings().one()
        event = conn.execute(select(EVENTS).where(EVENTS.c.kind == "assigned")).mappings().one()
    assert task["quote"] == "Công đoàn: tổ chức hội nghị CBCC trước 16/4" and task["lead"] == ["cong-doan"]
    assert "Nguyễn Văn A" in task["source_doc"] and event["actor"] == "Nguyễn Văn A"
    assert event["channel"] == "telegram" and event["message_id"] is not None
    await morning(engine, clock, telegram, date(2022, 4, 12))  # Monday 11/4 is a holiday
    reminder = api.messages_to(UNION)[-1]
    assert "Tổ chức hội nghị CBCC" in reminder["text"] and "hạn thứ Sáu 15/04/2022" in reminder["text"]


async def test_giaoviec_as_a_short_dialog_and_for_a_group_of_units(telegram, api, engine, clock) -> None:
    await link(telegram, api, engine, clock, "van-phong-du", KEEPER)
    assert (await say(telegram, api, KEEPER, "/giaoviec")).startswith("Giao việc cho đơn vị nào")
    answer = await say(telegram, api, KEEPER, "các chi bộ: nộp báo cáo sơ kết quý chậm nhất 15/5")
    assert "• Đơn vị: Các chi bộ trực thuộc — 7 đơn vị" in answer
    done = await press(telegram, api, KEEPER, "ga", api.messages_to(KEEPER)[-1]["message_id"])
    assert "7 đơn vị nhận" in done
    assert (await say(telegram, api, KEEPER, "/giaoviec Công đoàn: họp")).startswith("Chưa giao được: chưa thấy hạn")


async def test_giaoviec_from_a_member_is_refused(telegram, api, engine, clock) -> None:
    await link(telegram, api, engine, clock, "ct-cong-doan", UNION)
    before = snapshot(engine)
    answer = await say(telegram, api, UNION, "/giaoviec Công đoàn: tổ chức hội nghị CBCC trước 30/6")
    assert answer.startswith("Xin lỗi, /giaoviec dành cho lãnh đạo và Văn phòng Đảng ủy")
    assert snapshot(engine) == before


# --- a unit's group chat -------------------------------------------------------------------------------


async def _linked_group(telegram: TelegramChannel, api: FakeBotApi, engine: Engine, clock: FixedClock) -> None:
    """Khu phố Tiến Sơn 1: its head and one resident linked privately, then the head links the unit's group."""
    await link(telegram, api, engine, clock, "van-phong-du", KEEPER)
    await link(telegram, api, engine, clock, "bt-cb-tien-son-1", HEAD)
    await link(telegram, api, engine, clock, "truong-kp-tien-son-1", RESIDENT)
    await say(telegram, api, KEEPER, "/moi Khu phố Tiến Sơn 1")
    code = re.search(r"/start (\S+)", api.messages_to(KEEPER)[-1]["caption"])
    assert code is not None
    assert "đã liên kết chat riêng" in await in_group(telegram, api, STRANGER, f"/start {code[1]}")  # not the head
    answer = await in_group(telegram, api, HEAD, f"/start {code[1]}")
    assert answer.startswith("✅ Đã liên kết nhóm này với Khu phố Tiến Sơn 1 (do đồng chí Cao Thị U)")


def _reminders(api: FakeBotApi, chat: int) -> list[dict[str, Any]]:
    return [m for m in api.messages_to(chat) if m["text"].startswith("☀️")]


async def test_a_linked_group_gets_the_units_reminder_once_a_morning_instead_of_its_members(
    telegram, api, engine, clock
) -> None:
    await _linked_group(telegram, api, engine, clock)
    await morning(engine, clock, telegram, date(2022, 4, 22))
    assert len(_reminders(api, GROUP)) == 1
    assert _reminders(api, RESIDENT) == []  # the resident's only unit reminds the group
    assert "Khu phố Tiến Sơn 1" in _reminders(api, GROUP)[0]["text"]
    await morning(engine, clock, telegram, date(2022, 4, 22))  # the same morning again: nothing new
    assert len(_reminders(api, GROUP)) == 1
    assert "Đã bật" in await say(telegram, api, RESIDENT, "/nhanrieng bat")
    await morning(engine, clock, telegram, date(2022, 4, 27))
    assert len(_reminders(api, GROUP)) == 2 and len(_reminders(api, RESIDENT)) == 1  # asked for both


async def test_xong_in_the_group_is_recorded_under_the_member_who_wrote_it(telegram, api, engine, clock) -> None:
    await _linked_group(telegram, api, engine, clock)
    await morning(engine, clock, telegram, date(2022, 4, 22))
    [reminder] = _reminders(api, GROUP)
    first = int(keyboard(reminder)[0][0]["callback_data"].split(":")[1])
    answer = await in_group(telegram, api, STRANGER, f"xong {first}", reply_to=reminder["message_id"])
    assert answer.startswith("Đồng chí chưa liên kết với sổ nhắc việc nên bot chưa ghi gì")
    assert status_of(engine, first)[0] == "open"
    clock.set(datetime(2022, 4, 22, 9, 30, tzinfo=LOCAL_TZ))
    answer = await in_group(telegram, api, RESIDENT, f"xong {first}", reply_to=reminder["message_id"])
    assert answer.startswith(f"✅ Đã ghi nhận: #{first}")
    assert status_of(engine, first)[0] == "done"
    with engine.connect() as conn:
        event = conn.execute(select(EVENTS).where(EVENTS.c.assignment_id == first)).mappings().one()
        resident = conn.execute(select(OFFICIALS.c.id).where(OFFICIALS.c.code == "truong-kp-tien-son-1")).scalar()
    assert (event["actor"], event["actor_official_id"]) == ("Phùng Văn Z", resident)


async def test_a_group_that_removes_the_bot_or_becomes_a_supergroup(telegram, api, engine, clock) -> None:
    await _linked_group(telegram, api, engine, clock)
    await tell(telegram, api.migrate_update(GROUP, SUPERGROUP))
    await morning(engine, clock, telegram, date(2022, 4, 22))
    assert len(_reminders(api, SUPERGROUP)) == 1 and _reminders(api, GROUP) == []
    await tell(telegram, api.membership_update(SUPERGROUP, "kicked", "supergroup"))
    with engine.connect() as conn:
        active = conn.execute(select(CHATS.c.active).where(CHATS.c.chat_id == str(SUPERGROUP))).scalar_one()
    assert active is False
    await morning(engine, clock, telegram, date(2022, 4, 27))
    assert len(_reminders(api, SUPERGROUP)) == 1  # nothing more to a group the bot is no longer in
    assert len(_reminders(api, RESIDENT)) == 1  # its members are reminded privately again
