"""`nhacviec demo`: the Thường Xuân register in a fresh SQLite file, the clock on 8 April 2022, and the
console as the phone. A newcomer sees the morning reminders and answers them, with no token at all."""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import Engine, select

from bot.channels.console import CHANNEL, ConsoleChannel
from bot.conversation.core import Conversation, Incoming
from bot.conversation.texts import Message
from scheduler.clock import LOCAL_TZ, FixedClock, local_now
from scheduler.db import make_engine
from scheduler.outbox.dispatcher import Dispatcher
from scheduler.outbox.planner import plan
from scheduler.outbox.ratelimit import RateLimiter
from scheduler.register.importer import import_register, load_register
from scheduler.register.links import UnknownOfficialError, find_official_id, link_chat
from scheduler.register.models import META, OFFICIALS
from scheduler.reporting.weekly import plan_weekly
from scheduler.workdays import is_working_day


def register_path() -> Path:
    """The Thường Xuân register: NHACVIEC_REGISTER, ./data/register.yaml, or the one beside the source."""
    for candidate in (os.environ.get("NHACVIEC_REGISTER"), "data/register.yaml"):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return Path(__file__).resolve().parent.parent / "data" / "register.yaml"


MORNING = time(7, 31)
DEFAULT_PHONE = "chanh-vp-ubnd"  # the Thường Xuân office's chief keeps the register
INTRO = """Nhắc việc — bản chạy thử trên sổ «{title}».
Đồng hồ đứng ở ngày {today}; đang xem điện thoại của đồng chí {name}.
Gõ như trên điện thoại: "xong", "đang làm 50%", "xin gia hạn đến 15/6 vì …", /viec, /quahan, /help.
Gõ số để bấm nút. Lệnh của bản chạy thử: /as <tên hoặc mã cán bộ> · /day +1 (sang ngày) · /people · /quit"""


def chat_of(code: str) -> str:
    return f"console:{code}"


class Demo:
    """The demo session: a register, a clock, a console; driven line by line."""

    def __init__(self, engine: Engine, clock: FixedClock, console: ConsoleChannel, as_code: str) -> None:
        self.engine = engine
        self.clock = clock
        self.console = console
        self.conversation = Conversation(engine, clock)
        self.dispatcher = Dispatcher(
            engine, {CHANNEL: console}, clock, limiter=RateLimiter(per_second=1000, per_chat_second=1000)
        )
        self.code = as_code
        self.console.watching = chat_of(as_code)

    @classmethod
    def create(
        cls,
        folder: Path,
        today: date,
        as_name: str | None,
        write: Callable[[str], None] = print,
        files: Path | None = None,
    ) -> Demo:
        clock = FixedClock(datetime.combine(today, MORNING, tzinfo=LOCAL_TZ))
        engine = make_engine(f"sqlite:///{folder / 'demo.sqlite3'}")
        import_register(engine, load_register(register_path()), clock)
        with engine.connect() as conn:
            officials = conn.execute(select(OFFICIALS.c.id, OFFICIALS.c.code)).all()
        for official_id, code in officials:  # in the demo everyone is linked; real chats use invites
            link_chat(engine, official_id, CHANNEL, chat_of(code), clock)
        code = cls._code(engine, as_name or cls._first_phone(engine))
        return cls(engine, clock, ConsoleChannel(write, files_dir=files or folder / "files"), code)

    @staticmethod
    def _first_phone(engine: Engine) -> str:
        """Whose phone the demo opens on: the Thường Xuân office's chief, else the register's first keeper (or
        first official), so that another register (NHACVIEC_REGISTER) starts too."""
        with engine.connect() as conn:
            codes = conn.execute(select(OFFICIALS.c.code, OFFICIALS.c.role).order_by(OFFICIALS.c.id)).all()
        if not codes:
            raise UnknownOfficialError("sổ của bản chạy thử chưa có cán bộ nào (mục officials / «Cán bộ»)")
        if any(code == DEFAULT_PHONE for code, _ in codes):
            return DEFAULT_PHONE
        return next((code for code, role in codes if role == "admin"), codes[0][0])

    def title(self) -> str:
        with self.engine.connect() as conn:
            return str(conn.execute(select(META.c.value).where(META.c.key == "title")).scalar() or "sổ nhiệm vụ")

    @staticmethod
    def _code(engine: Engine, name: str) -> str:
        official_id = find_official_id(engine, name)
        with engine.connect() as conn:
            return str(conn.execute(select(OFFICIALS.c.code).where(OFFICIALS.c.id == official_id)).scalar_one())

    def name(self) -> str:
        with self.engine.connect() as conn:
            return str(conn.execute(select(OFFICIALS.c.name).where(OFFICIALS.c.code == self.code)).scalar_one())

    def tick(self) -> None:
        """The morning tick: plan, then deliver into the console chats."""
        plan(self.engine, self.clock)
        plan_weekly(self.engine, self.clock)
        asyncio.run(self.dispatcher.run_once())

    def morning(self) -> None:
        today = local_now(self.clock).date()
        note = "" if is_working_day(today) else " (ngày nghỉ: không gửi lời nhắc)"
        self.console.write(f"\n═══ {today:%d/%m/%Y}, 07:31{note} ═══")
        self.tick()

    def handle_line(self, line: str) -> bool:
        """One typed line; False when the user wants to leave."""
        text = line.strip()
        if not text:
            return True
        if text in ("/quit", "/thoat", "/exit"):
            return False
        if text == "/as":
            self.console.write(
                f"Đang xem điện thoại của đồng chí {self.name()}. Gõ /as <tên hoặc mã cán bộ> để đổi, "
                "vd. /as bi-thu; /people liệt kê mọi người."
            )
            return True
        if text.startswith("/as "):
            return self._switch(text[4:].strip())
        if text == "/people":
            self._people()
            return True
        if re.fullmatch(r"/day\s*", text) or (text.startswith("/day") and not re.fullmatch(r"/day\s*\+?\d{1,3}", text)):
            today = local_now(self.clock).date()
            self.console.write(
                f"Hôm nay trong bản chạy thử là {today:%d/%m/%Y}. Gõ /day +N để sang N ngày sau "
                "(mỗi sáng làm việc, lời nhắc của ngày đó được gửi), vd. /day +1 hoặc /day +14."
            )
            return True
        day = re.fullmatch(r"/day\s*\+?(\d{1,3})", text)
        if day:
            for _ in range(int(day[1])):
                now = local_now(self.clock)
                self.clock.set(datetime.combine(now.date() + timedelta(days=1), MORNING, tzinfo=LOCAL_TZ))
                self.morning()
            return True
        chat = chat_of(self.code)
        button = None
        reply_to = None
        if re.fullmatch(r"\d{1,2}", text):
            shown = self.console.last_with_buttons(chat)
            if shown and 1 <= int(text) <= len(shown.buttons):
                button = shown.buttons[int(text) - 1].data
        if button is None:
            last = self.console.last_reminder(chat)
            reply_to = last.message_id if last else None
        self.clock.advance(timedelta(minutes=1))
        answers = self.conversation.handle(
            Incoming(CHANNEL, chat, text="" if button else text, button=button, reply_to=reply_to)
        )
        self._route(answers, chat)
        return True

    def _route(self, answers: list[Message], chat: str) -> None:
        """The answers to the chat that spoke, then what the answer enqueued for others (through the outbox)."""
        for message in answers:
            self.console.show(chat, message)
        before = {target: len(shown) for target, shown in self.console.inbox.items()}
        asyncio.run(self.dispatcher.run_once())
        for target, shown in list(self.console.inbox.items()):
            if target != chat and len(shown) > before.get(target, 0):
                self.console.write(f"(đã gửi một tin tới {target.removeprefix('console:')}; gõ /as để xem)")

    def _switch(self, who: str) -> bool:
        try:
            self.code = self._code(self.engine, who)
        except UnknownOfficialError as exc:
            self.console.write(f"Lỗi: {exc}. Gõ /people để xem danh sách.")
            return True
        chat = chat_of(self.code)
        self.console.watching = chat
        self.console.write(f"\n— Đang xem điện thoại của đồng chí {self.name()} —")
        for shown in self.console.inbox[chat][-3:]:
            self.console.write(self.console.render(shown))
        return True

    def _people(self) -> None:
        with self.engine.connect() as conn:
            rows = conn.execute(select(OFFICIALS.c.code, OFFICIALS.c.name, OFFICIALS.c.title)).all()
        for code, name, title in rows:
            self.console.write(f"  {code:<22} {name:<16} {title}")


def run_demo(
    today: date, as_name: str | None, read: Callable[[str], str] = input, write: Callable[[str], None] = print
) -> int:
    """The interactive loop; ends on /quit or at the end of input."""
    with tempfile.TemporaryDirectory(prefix="nhacviec-demo-") as folder:
        files = Path(os.environ.get("NHACVIEC_DATA_DIR", "data")) / "demo-files"
        demo = Demo.create(Path(folder), today, as_name, write, files)
        write(INTRO.format(title=demo.title(), today=f"{today:%d/%m/%Y}", name=demo.name()))
        demo.morning()
        while True:
            try:
                line = read(f"\n{demo.name()} › ")
            except (EOFError, KeyboardInterrupt):
                write("")
                break
            if not demo.handle_line(line):
                break
        demo.engine.dispose()
    return 0
