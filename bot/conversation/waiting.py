"""Questions the bot is waiting on in a chat, and the answers to them."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import delete, insert, select

from bot.conversation.base import Base
from bot.conversation.incoming import Incoming
from bot.conversation.replies import Extend, Unclear, parse_reply
from bot.conversation.texts import Message
from scheduler.clock import local_today
from scheduler.register.access import Person
from scheduler.register.models import (
    CHAT_STATES,
)


class Waiting(Base):
    """One waiting question per chat, stored in the database."""

    def _answer(self, msg: Incoming, person: Person, waiting: tuple[str, dict[str, Any]], text: str) -> list[Message]:
        kind, data = waiting
        if kind == "pick":
            number = re.fullmatch(r"#?(\d+)", text.strip())
            if number:
                chosen = int(number[1])
                candidates = data.get("candidates", [])
                if chosen not in candidates and 1 <= chosen <= len(candidates):
                    chosen = candidates[chosen - 1]  # a numbered choice
                return self._act_on_pick(msg, person, chosen, data)
        if kind == "progress_percent":
            match = re.fullmatch(r"(\d{1,3})\s*%?\s*(.*)", text.strip(), re.S)
            if match:
                return self._progress(msg, person, data["id"], int(match[1]), match[2].strip())
            return [Message("Hãy gõ một số phần trăm, vd. 60 (hoặc /huy).")]
        if kind == "extend_date":
            reply = parse_reply(f"gia hạn {text}", local_today(self.clock))
            if isinstance(reply, Extend):
                return self._request_extension(msg, person, data["id"], reply.due, reply.reason)
            return [
                Message(
                    f"Chưa đọc được ngày: {reply.why if isinstance(reply, Unclear) else ''}. "
                    'Vd. "15/6 vì chưa đủ kinh phí" (hoặc /huy).'
                )
            ]
        if kind == "extend_reason" and text.strip():
            return self._request_extension(msg, person, data["id"], date.fromisoformat(data["due"]), text.strip())
        self._clear_waiting(msg)
        return self._reply(msg, person, text)

    # --- chat state ----------------------------------------------------------------------------

    def _waiting(self, msg: Incoming) -> tuple[str, dict[str, Any]] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(CHAT_STATES.c.waiting_for, CHAT_STATES.c.data).where(
                    CHAT_STATES.c.channel == msg.channel, CHAT_STATES.c.chat_id == msg.chat_id
                )
            ).first()
        return (row[0], dict(row[1])) if row else None

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
