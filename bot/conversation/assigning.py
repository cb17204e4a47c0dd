"""/giaoviec: a leader (or the office) assigns work on the spot, in one message or a short dialog.

The bot reads the unit and the deadline, shows what it understood, and writes the task only on one tap
(or a typed "đồng ý" where there are no buttons).
"""

from __future__ import annotations

from typing import Any

from bot.conversation import texts
from bot.conversation.base import Base
from bot.conversation.incoming import Incoming
from bot.conversation.texts import Button, Message
from scheduler.clock import local_today
from scheduler.register.access import Person
from scheduler.register.adhoc import EXAMPLE, AdhocError, AdhocTask, create_adhoc, read_adhoc
from scheduler.register.models import Role

CONFIRM, DROP = "ga", "gn"  # callback data of the two buttons
YES = ("đồng ý", "dong y", "ok", "có", "co", "giao", "được", "duoc", "yes")


class Assigning(Base):
    """/giaoviec and its confirmation."""

    def assign(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """/giaoviec <đơn vị>: <việc> <hạn> — or /giaoviec alone, then the line."""
        if person.role not in (Role.leader.value, Role.admin.value):
            return [
                Message(
                    "Xin lỗi, /giaoviec dành cho lãnh đạo và Văn phòng Đảng ủy. Đồng chí có thể đề nghị lãnh đạo "
                    "giao việc, hoặc báo tiến độ việc của đơn vị mình bằng /viec."
                )
            ]
        if not args.strip():
            self._set_waiting(msg, "assign_text", {})
            return [
                Message(f"Giao việc cho đơn vị nào, việc gì, hạn khi nào? Gõ một câu, {EXAMPLE[4:]} (/huy để thôi)")
            ]
        return self._understood(msg, args)

    def _understood(self, msg: Incoming, text: str) -> list[Message]:
        try:
            task = read_adhoc(self.engine, text, local_today(self.clock))
        except AdhocError as exc:
            self._set_waiting(msg, "assign_text", {})
            return [Message(f"Chưa giao được: {exc}\nGõ lại cả câu (hoặc /huy).")]
        self._set_waiting(msg, "assign_confirm", task.to_json())
        units = task.unit_names
        who = units[0] if len(units) == 1 else f"{task.lead_name} — {len(units)} đơn vị: {', '.join(units)}"
        lines = [
            "Tôi hiểu như sau:",
            f"• Việc: {task.title}",
            f"• Đơn vị: {who}",
            f"• Hạn: {texts.day_with_weekday(task.due)} («{task.deadline_text}»)",
        ]
        if self._caps(msg).buttons:
            lines.append("Bấm «Giao việc» để ghi vào sổ.")
            buttons = [[Button("✅ Giao việc", CONFIRM), Button("✖ Thôi", DROP)]]
            return [Message("\n".join(lines), buttons)]
        lines.append('Gõ "đồng ý" để ghi vào sổ, hoặc /huy để thôi.')
        return [Message("\n".join(lines))]

    def _assign_answer(
        self, msg: Incoming, person: Person, kind: str, data: dict[str, Any], text: str
    ) -> list[Message]:
        """The next message of the dialog: the line itself, or the confirmation typed."""
        if kind == "assign_text":
            return self.assign(msg, person, text)
        if text.strip().lower() in YES:
            return self._assign_decision(msg, person, True)
        self._clear_waiting(msg)
        return self._reply(msg, person, text)

    def _assign_decision(self, msg: Incoming, person: Person, confirmed: bool) -> list[Message]:
        waiting = self._waiting(msg)
        if waiting is None or waiting[0] != "assign_confirm":
            return [Message("Câu hỏi giao việc này đã hết hạn hoặc đã được trả lời; chưa giao gì. Gõ /giaoviec lại.")]
        self._clear_waiting(msg)
        if not confirmed:
            return [Message("Đã thôi, chưa giao việc nào.")]
        if person.role not in (Role.leader.value, Role.admin.value):
            return [Message("Xin lỗi, chỉ lãnh đạo và Văn phòng Đảng ủy giao việc được.")]
        task = AdhocTask.from_json(waiting[1])
        code, ids = create_adhoc(self.engine, task, self._actor(msg, person), person.title, self.clock)
        numbers = ", ".join(f"#{i}" for i in ids)
        return [
            Message(
                f"✅ Đã giao việc {code}: {texts.short(task.title, 80)} — hạn {texts.day(task.due)}.\n"
                f"{len(ids)} đơn vị nhận ({numbers}); bot sẽ nhắc như các việc khác."
            )
        ]
