"""Extension requests and the leaders' decisions on them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.conversation import texts
from bot.conversation.base import MAX_ID, Base
from bot.conversation.incoming import Incoming
from bot.conversation.texts import Button, Message
from scheduler.register.access import Person
from scheduler.register.changes import (
    ExtensionError,
    decide_extension,
    request_extension,
)
from scheduler.register.models import (
    CHATS,
    MEMBERS,
    OFFICIALS,
    Role,
)
from scheduler.register.queries import (
    assignment_row,
    unit_of,
)


class Extensions(Base):
    """Asking for more time; leaders approve or refuse."""

    def _request_extension(
        self, msg: Incoming, person: Person, assignment_id: int, due: date, reason: str
    ) -> list[Message]:
        row = self._visible(person, assignment_id, acting=True)
        if isinstance(row, Message):
            return [row]
        try:
            request_id = request_extension(
                self.engine, assignment_id, person.id, due, reason, self.clock, msg.channel, msg.chat_id
            )
        except ExtensionError as exc:
            return [Message(f"Chưa gửi được đề nghị: {exc}.")]
        self._clear_waiting(msg)
        out = [
            Message(
                f"📨 Đã gửi đề nghị gia hạn #{row.id} {texts.short(row.title, 60)} đến {texts.day(due)} "
                f"(lý do: {texts.reason_text(reason)}) tới lãnh đạo. "
                f"Hạn vẫn là {texts.day(row.due)} cho đến khi được đồng ý."
            )
        ]
        ask = (
            f"📅 Đề nghị gia hạn từ {person.name} ({row.unit_name}):\n#{row.id} {texts.short(row.title)}\n"
            f"Hạn hiện tại {texts.day(row.due)} → xin đến {texts.day(due)}\nLý do: {texts.reason_text(reason)}"
        )
        buttons = [[Button("👍 Đồng ý", f"ok:{request_id}"), Button("👎 Từ chối", f"no:{request_id}")]]
        for channel, chat_id in self._leader_chats(unit_of(self.engine, assignment_id), person.id):
            text = (
                ask
                if texts.CAPABILITIES.get(channel, texts.TELEGRAM).buttons
                else (f"{ask}\nTrả lời: đồng ý {request_id} · từ chối {request_id}")
            )
            out.append(Message(text, buttons, channel=channel, chat_id=chat_id))
        return out

    def _leader_chats(self, unit_id: int | None, exclude: int) -> list[tuple[str, str]]:
        with self.engine.connect() as conn:
            leaders = (
                conn.execute(
                    select(OFFICIALS.c.id)
                    .join(MEMBERS, MEMBERS.c.official_id == OFFICIALS.c.id)
                    .where(MEMBERS.c.unit_id == unit_id, OFFICIALS.c.role == Role.leader.value)
                )
                .scalars()
                .all()
            )
            if not leaders:
                leaders = (
                    conn.execute(select(OFFICIALS.c.id).where(OFFICIALS.c.role == Role.leader.value)).scalars().all()
                )
            chats = conn.execute(
                select(CHATS.c.channel, CHATS.c.chat_id).where(
                    CHATS.c.official_id.in_([i for i in leaders if i != exclude]), CHATS.c.active.is_(True)
                )
            ).all()
        return [(c, i) for c, i in chats]

    def _decide(self, msg: Incoming, person: Person, request_id: int, approve: bool) -> list[Message]:
        if not person.decides_extensions:
            return [Message("Xin lỗi, chỉ lãnh đạo mới quyết định gia hạn.")]
        if not 1 <= request_id <= MAX_ID:
            return [Message(f"Không ghi được: không có yêu cầu gia hạn số {request_id}.")]
        try:
            decision = decide_extension(
                self.engine, request_id, person.id, approve, self.clock, msg.channel, msg.message_id
            )
        except ExtensionError as exc:
            return [Message(f"Không ghi được: {exc}.")]
        row = assignment_row(self.engine, decision.assignment_id)
        assert row is not None
        if approve:
            mine = f"✅ Đã đồng ý gia hạn #{row.id} đến {texts.day(decision.new_due)}."
            theirs = (
                f"✅ Lãnh đạo ({person.name}) đã đồng ý gia hạn #{row.id} {texts.short(row.title, 60)} "
                f"đến {texts.day(decision.new_due)}."
            )
        else:
            mine = f"Đã từ chối đề nghị gia hạn #{row.id}; hạn giữ nguyên {texts.day(decision.old_due)}."
            theirs = (
                f"❌ Lãnh đạo ({person.name}) chưa đồng ý gia hạn #{row.id} {texts.short(row.title, 60)}; "
                f"hạn vẫn là {texts.day(decision.old_due)}."
            )
        out = [Message(mine)]
        if decision.chat_id:
            out.append(Message(theirs, channel=decision.channel, chat_id=decision.chat_id))
        return out
