"""A person's own settings: morning time, leave, channel, snoozing a reminder, cancelling a question."""

from __future__ import annotations

import re
from datetime import time, timedelta

from sqlalchemy import select

from bot.conversation import texts
from bot.conversation.base import Base
from bot.conversation.incoming import Incoming
from bot.conversation.texts import Message
from scheduler.clock import at_local, local_now, local_today, to_utc
from scheduler.deadlines import DeadlineError, parse_deadline
from scheduler.outbox.queue import SNOOZE, Remind, enqueue
from scheduler.register.access import Person
from scheduler.register.bots import channel_kind
from scheduler.register.models import (
    CHATS,
)
from scheduler.workdays import next_working_day


class Preferences(Base):
    """/caidat, /nghiphep, /kenh, /huy and snooze buttons."""

    def cancel(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """/huy — forget the question the bot is waiting on."""
        had = self._clear_waiting(msg)
        return [Message("Đã hủy câu hỏi đang chờ." if had else "Không có câu hỏi nào đang chờ.")]

    def settings(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """/caidat [giờ HH:MM] — show or change the morning time."""
        match = re.fullmatch(r"(?:giờ|gio)\s+([0-9]{1,2})[:h]([0-9]{2})", args.strip().lower())
        if match:
            if int(match[1]) > 23 or int(match[2]) > 59:
                return [Message(f"Không có giờ {match[1]}:{match[2]}; hãy viết giờ:phút, vd. /caidat giờ 06:45.")]
            at = time(int(match[1]), int(match[2]))
            if not time(7, 0) <= at < time(21, 0):
                return [Message("Giờ nhận tin phải từ 07:00 đến trước 21:00.")]
            self._save_setting(person.id, digest_at=at)
            return [Message(f"Đã đổi giờ nhận tin buổi sáng thành {at:%H:%M}.")]
        setting = self._setting(person.id)
        digest = setting.get("digest_at") or time(7, 30)
        muted = setting.get("muted_until")
        leave = f"nghỉ phép đến {texts.day(muted)}" if muted and muted >= local_today(self.clock) else "không"
        return [
            Message(
                f"⚙️ Cài đặt của đồng chí {person.name}:\n• Giờ nhận tin: {digest:%H:%M} "
                "(đổi: /caidat giờ 06:45)\n"
                f"• Nghỉ phép: {leave} (đặt: /nghiphep đến 20/5; hủy: /nghiphep hủy)\n• Ngôn ngữ: tiếng Việt"
            )
        ]

    def leave(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """/nghiphep đến 20/5 — mute my reminders; my unit's other officials receive them meanwhile."""
        words = args.strip().lower()
        if words in ("hủy", "huy", "thôi"):
            self._save_setting(person.id, muted_until=None)
            return [Message("Đã hủy nghỉ phép: đồng chí nhận lời nhắc trở lại từ sáng mai.")]
        phrase = re.sub(r"^(?:đến|tới|den)\s+", "", words)
        today = local_today(self.clock)
        try:
            until = parse_deadline(phrase, today).due
        except DeadlineError as exc:
            return [Message(f"Chưa ghi: {exc.reason}. Cách dùng: /nghiphep đến 20/5")]
        if until is None or until < today:
            return [Message("Ngày kết thúc nghỉ phép phải từ hôm nay trở đi, vd. /nghiphep đến 20/5")]
        self._save_setting(person.id, muted_until=until)
        return [
            Message(
                f"Đã ghi nghỉ phép đến hết {texts.day(until)}. Trong thời gian này, lời nhắc của đơn vị "
                "sẽ gửi cho các cán bộ khác của đơn vị (hoặc lãnh đạo nếu đơn vị không còn ai)."
            )
        ]

    def channel(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """/kenh telegram|zalo|ca-hai — where reminders go when linked on both."""
        choice = args.strip().lower().replace(" ", "-")
        wanted = {"telegram": "telegram", "zalo": "zalo", "ca-hai": "", "cả-hai": "", "both": ""}.get(choice)
        with self.engine.connect() as conn:
            linked = sorted(
                set(
                    conn.execute(
                        select(CHATS.c.channel).where(CHATS.c.official_id == person.id, CHATS.c.active.is_(True))
                    ).scalars()
                )
            )
        if wanted is None:
            chosen = self._setting(person.id).get("channels")
            current = texts.channel_name(chosen) if chosen else "cả hai"
            names = ", ".join(texts.channel_name(c) for c in linked)
            return [
                Message(
                    f"Đang nhận lời nhắc qua: {current} (đã liên kết: {names}).\n"
                    "Đổi: /kenh telegram · /kenh zalo · /kenh ca-hai"
                )
            ]
        if wanted and wanted not in {channel_kind(c) for c in linked}:  # any of the Telegram bots is Telegram
            name = texts.channel_name(wanted)
            return [Message(f"Đồng chí chưa liên kết {name}. Hãy gửi mã mời tới bot trên {name} trước.")]
        self._save_setting(person.id, channels=wanted)
        where = texts.channel_name(wanted) if wanted else "mọi kênh đã liên kết"
        return [Message(f"Từ nay lời nhắc gửi qua {where}.")]

    def _snooze(self, msg: Incoming, person: Person, assignment_id: int, when: str) -> list[Message]:
        row = self._visible(person, assignment_id, acting=True)
        if isinstance(row, Message):
            return [row]
        now = local_now(self.clock)
        if when == "2h":
            at = now + timedelta(hours=2)
            if at.time() >= time(21, 0) or at.date() != now.date():
                when = "am"
        if when == "am":
            next_day = next_working_day(now.date() + timedelta(days=1))
            at = at_local(next_day, self._setting(person.id).get("digest_at") or time(7, 30))
        with self.engine.begin() as conn:
            remind = Remind(assignment_id, person.id, msg.channel, SNOOZE, at.date(), to_utc(at))
            enqueue(conn, [remind], self.clock.now())
        return [Message(f"⏰ Sẽ nhắc lại #{row.id} lúc {at:%H:%M} ngày {at:%d/%m/%Y}.")]
