"""Questions the bot is waiting on in a chat, and the answers to them.

A question never sticks: it expires after a few minutes, and a message that says something of its own
("xong 10", "xin gia hạn 12 đến 15/5") is handled as new, with the old question dropped and said so.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, insert, select

from bot.conversation.base import Base
from bot.conversation.incoming import Incoming
from bot.conversation.replies import read_reply
from bot.conversation.texts import Message
from scheduler.clock import local_today
from scheduler.deadlines import DeadlineError, parse_extension_date
from scheduler.folding import fold
from scheduler.register.access import Person
from scheduler.register.models import (
    CHAT_STATES,
)
from scheduler.register.queries import assignment_row

QUESTION_LIFETIME = timedelta(minutes=10)
DROPPED = "(Tôi bỏ câu hỏi trước và hiểu tin này như một tin mới.)"
_YES = {"1", "dung", "dung roi", "co", "ok", "yes", "y", "uh", "u", "vang", "da", "dong y", "chuan", "ghi di"}
_NO = {"2", "khong", "ko", "k", "no", "n", "sai", "thoi", "bo qua", "huy", "khong phai"}


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s#%/]", " ", fold(text.strip().lower())).split())


def _names_tasks(text: str) -> bool:
    return any(intent.tasks for intent in read_reply(text).intents)


class Waiting(Base):
    """One waiting question per chat, stored in the database."""

    def _answer(self, msg: Incoming, person: Person, waiting: tuple[str, dict[str, Any]], text: str) -> list[Message]:
        kind, data = waiting
        if kind.startswith("assign_"):  # /giaoviec's dialog
            return self._assign_answer(msg, person, kind, data, text)
        plain = _plain(text)
        if kind == "pick":
            candidates = [int(c) for c in data.get("candidates", [])]
            number = re.fullmatch(r"(\d{1,3})", plain)
            if number and 1 <= int(number[1]) <= len(candidates):
                return self._act_on_pick(msg, person, candidates[int(number[1]) - 1], data)  # a numbered choice
            named = re.fullmatch(r"(?:#|viec |vc |nhiem vu |task )(?:so )?(\d{1,12})", plain)
            if named and int(named[1]) in candidates:
                return self._act_on_pick(msg, person, int(named[1]), data)
            if number:
                return [Message(f"Hãy gõ số thứ tự từ 1 đến {len(candidates)} (hoặc /huy).")]
        elif kind == "confirm":
            if plain in _YES or plain.startswith(("dung", "1 ")):
                self._clear_waiting(msg)
                return self._confirmed(msg, person, data)
            if plain in _NO or plain.startswith(("khong", "2 ")):
                self._clear_waiting(msg)
                return [Message("Vâng, tôi không ghi gì. Đồng chí có thể báo lại, vd. “xong 12”.")]
        elif kind == "relink":
            if plain in _YES or plain.startswith(("doi", "1 ")):
                self._clear_waiting(msg)
                return self._linked(msg, str(data["digest"]), replace=True)
            if plain in _NO or plain.startswith(("giu", "2 ")):
                self._clear_waiting(msg)
                return [Message(f"Vâng, chat này vẫn liên kết với đồng chí {person.name}; mã mời chưa bị dùng.")]
            return [Message("Hãy trả lời 1 (đổi sang người của mã mời) hoặc 2 (giữ nguyên), hoặc /huy để thôi.")]
        elif kind == "progress_percent":
            match = re.fullmatch(r"(\d{1,3})\s*%?\s*(.*)", text.strip(), re.S)
            if match:
                return self._progress(msg, person, data["id"], int(match[1]), match[2].strip())
        elif kind == "extend_date":
            answer = self._extension_answer(msg, person, data, text)
            if answer is not None:
                return answer
        elif kind == "extend_reason" and text.strip() and not _names_tasks(text):
            return self._request_extension(msg, person, data["id"], date.fromisoformat(data["due"]), text.strip())
        elif kind == "refuse_reason":
            if plain in ("bo qua", "khong", "ko", "-", "khong co"):
                return self._refuse(msg, person, int(data["request"]), "")
            if not _names_tasks(text):  # a reason is free text; only "xong 12" and the like are new messages
                return self._refuse(msg, person, int(data["request"]), text.strip())
        # not an answer: a message of its own is handled as new, and the old question is dropped
        reading = read_reply(text)
        if reading.intents or reading.question:
            self._clear_waiting(msg)
            return [Message(DROPPED), *self._reply(msg, person, text)]
        return [Message(_HINTS.get(kind, "Tôi đang chờ câu trả lời cho câu hỏi trên (gõ /huy để thôi)."))]

    def _extension_answer(self, msg: Incoming, person: Person, data: dict[str, Any], text: str) -> list[Message] | None:
        """'15/5', 'thêm 10 ngày', '15/5 vì …' answering 'until when?'."""
        row = assignment_row(self.engine, int(data["id"]))
        if row is None:
            return None
        today = local_today(self.clock)
        reading = read_reply(f"xin gia hạn {text}")
        intent = reading.intents[0] if len(reading.intents) == 1 and not reading.intents[0].tasks else None
        if intent is None or intent.action != "extend" or not intent.when:
            return None
        try:
            due = parse_extension_date(intent.when, today, row.due)
        except DeadlineError:
            return None
        if due <= row.due:
            return [
                Message(f"Ngày xin gia hạn phải sau hạn hiện tại {row.due:%d/%m/%Y}. Đến ngày nào ạ? (/huy để thôi)")
            ]
        return self._request_extension(msg, person, row.id, due, intent.reason or data.get("reason", ""))

    # --- chat state ----------------------------------------------------------------------------

    def _waiting(self, msg: Incoming) -> tuple[str, dict[str, Any]] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(CHAT_STATES.c.waiting_for, CHAT_STATES.c.data, CHAT_STATES.c.updated_at).where(
                    CHAT_STATES.c.channel == msg.channel, CHAT_STATES.c.chat_id == msg.chat_id
                )
            ).first()
        if row is None:
            return None
        if row[2] is not None and row[2] < self.clock.now() - QUESTION_LIFETIME:
            self._clear_waiting(msg)  # expired: the message is read as a new one
            return None
        return (row[0], dict(row[1]))

    def _set_waiting(self, msg: Incoming, kind: str, data: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                delete(CHAT_STATES).where(CHAT_STATES.c.channel == msg.channel, CHAT_STATES.c.chat_id == msg.chat_id)
            )
            conn.execute(
                insert(CHAT_STATES).values(
                    channel=msg.channel, chat_id=msg.chat_id, waiting_for=kind, data=data, updated_at=self.clock.now()
                )
            )

    def _clear_waiting(self, msg: Incoming) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(
                delete(CHAT_STATES).where(CHAT_STATES.c.channel == msg.channel, CHAT_STATES.c.chat_id == msg.chat_id)
            )
        return bool(result.rowcount)


_HINTS = {
    "pick": "Hãy gõ số thứ tự của việc trong danh sách trên (vd. 1), hoặc /huy để thôi.",
    "confirm": "Hãy trả lời 1 (đúng, ghi vào sổ) hoặc 2 (không), hoặc /huy để thôi.",
    "progress_percent": "Hãy gõ một số phần trăm, vd. 60 (hoặc /huy).",
    "extend_date": 'Đến ngày nào ạ? Vd. "15/6 vì chưa đủ kinh phí", "thêm 10 ngày" (hoặc /huy).',
    "extend_reason": "Vì lý do gì ạ? (hoặc /huy)",
    "refuse_reason": "Lý do từ chối là gì? Gõ lý do, hoặc “bỏ qua” để từ chối không ghi lý do (/huy để thôi).",
}
