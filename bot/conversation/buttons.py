"""Button presses: the callback data codec and what each button does."""

from __future__ import annotations

import re

from bot.conversation.base import MAX_ID, Base
from bot.conversation.incoming import Incoming
from bot.conversation.texts import Button, Message
from scheduler.register.access import Person


class Buttons(Base):
    """Every button press is answered."""

    def _button(self, msg: Incoming, person: Person, data: str) -> list[Message]:
        if data in ("ga", "gn"):  # /giaoviec: assign as understood, or drop it
            return self._assign_decision(msg, person, data == "ga")
        if data in ("cf:1", "cf:2"):  # a confirmation's two buttons answer as the typed 1 or 2 would
            waiting = self._waiting(msg)
            if waiting is None or waiting[0] not in ("confirm", "relink"):
                return [Message("Câu hỏi này đã hết hạn hoặc đã được trả lời; tôi không ghi gì.")]
            return self._answer(msg, person, waiting, data[-1])
        match = re.fullmatch(r"(d|p|e|s|s2|sm|ok|no|nr|dv|k)(?::([0-9]{1,12}))?(?::([0-9]{1,3}))?", data)
        if not match or match[2] is None or not 1 <= int(match[2]) <= MAX_ID:
            return [Message("Nút này không còn dùng được. Gõ /viec để xem việc.")]
        action, number = match[1], int(match[2])
        if action == "d":
            return self._close(msg, person, number, "")
        if action == "p":
            row = self._visible(person, number, acting=True)
            if isinstance(row, Message):
                return [row]
            self._set_waiting(msg, "progress_percent", {"id": number})
            return [
                Message(
                    f'Việc #{number} đã làm được bao nhiêu phần trăm? (vd. 60, hoặc "60 đã họp chi ủy"; /huy để thôi)',
                    [[Button(f"{p}%", f"k:{number}:{p}") for p in (25, 50, 75, 100)]],
                )
            ]
        if action == "e":
            row = self._visible(person, number, acting=True)
            if isinstance(row, Message):
                return [row]
            self._set_waiting(msg, "extend_date", {"id": number})
            return [
                Message(f'Xin gia hạn #{number} đến ngày nào, vì sao? (vd. "15/6 vì chưa đủ kinh phí"; /huy để thôi)')
            ]
        if action == "s":
            return [
                Message(
                    f"Nhắc lại việc #{number} khi nào?",
                    [[Button("Sau 2 giờ", f"s2:{number}"), Button("Sáng mai", f"sm:{number}")]],
                )
            ]
        if action in ("s2", "sm"):
            return self._snooze(msg, person, number, "2h" if action == "s2" else "am")
        if action in ("ok", "no"):
            return self._decide(msg, person, number, action == "ok")
        if action == "nr":  # refuse without a reason
            self._clear_waiting(msg)
            return self._decide(msg, person, number, False, "")
        if action == "dv":  # a page of the leaders' desk
            if not person.decides_extensions:
                return [Message("Xin lỗi, chỉ lãnh đạo mới xem các đề nghị gia hạn.")]
            return [self._desk(number)]
        waiting = self._waiting(msg) or ("", {})
        if match[3] is not None:  # a percent button
            return self._progress(msg, person, number, int(match[3]), "")
        return self._act_on_pick(msg, person, number, waiting[1])
