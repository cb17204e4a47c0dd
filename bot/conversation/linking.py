"""Linking a chat to an official with an invite code, and who the chat speaks for."""

from __future__ import annotations

from sqlalchemy import select

from bot.conversation import texts
from bot.conversation.base import Base
from bot.conversation.incoming import Incoming
from bot.conversation.texts import Button, Message
from scheduler.register.access import Person, load_person
from scheduler.register.invites import InviteError, check_invite, redeem_digest
from scheduler.register.models import (
    UNITS,
)


class Linking(Base):
    """/start <code> and /toila."""

    def _start(self, msg: Incoming, code: str, person: Person | None) -> list[Message]:
        if not code:
            if person is not None:
                return [Message(f"Chào đồng chí {person.name}. Chat này đã được liên kết.\n\n{texts.HELP}")]
            return [Message(texts.UNLINKED)]
        try:
            digest, official_id = check_invite(self.engine, code, msg.channel, msg.chat_id, self.clock)
        except InviteError as exc:
            return [Message(f"Không liên kết được: {exc}")]
        if person is not None and official_id != person.id:  # the chat would change hands: ask first
            other = load_person(self.engine, official_id)
            assert other is not None
            self._set_waiting(msg, "relink", {"digest": digest, "official": official_id})
            return [
                Message(
                    f"Chat này đang liên kết với đồng chí {person.name}. Mã mời này là của đồng chí {other.name} "
                    f"({other.title}). Đổi chat này sang đồng chí {other.name}?\n"
                    f"1. Đổi: từ nay chat này là của đồng chí {other.name}\n2. Không: giữ nguyên",
                    [[Button("1. Đổi", "cf:1"), Button("2. Giữ nguyên", "cf:2")]],
                )
            ]
        return self._linked(msg, digest, replace=False)

    def _linked(self, msg: Incoming, digest: str, replace: bool) -> list[Message]:
        try:
            official_id = redeem_digest(
                self.engine, digest, msg.channel, msg.chat_id, self.clock, msg.is_group, replace=replace
            )
        except InviteError as exc:
            return [Message(f"Không liên kết được: {exc}")]
        linked = load_person(self.engine, official_id)
        assert linked is not None
        return [
            Message(
                f"✅ Đã liên kết chat này với đồng chí {linked.name} ({linked.title}). "
                f"Từ nay đồng chí sẽ nhận lời nhắc hạn tại đây.\n\n{texts.HELP}"
            )
        ]

    def whoami(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """Who the chat speaks for, and which units."""
        with self.engine.connect() as conn:
            names = list(conn.execute(select(UNITS.c.name).where(UNITS.c.id.in_(person.unit_ids))).scalars())
        role = {"member": "cán bộ", "head": "phụ trách đơn vị", "leader": "lãnh đạo", "admin": "quản trị sổ"}
        return [
            Message(
                f"Đồng chí {person.name} — {person.title}\nVai trò: {role.get(person.role, person.role)}\n"
                f"Đơn vị: {', '.join(names) or '(chưa có)'}"
            )
        ]
