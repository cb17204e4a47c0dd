"""Linking a chat to an official with an invite code, and who the chat speaks for."""

from __future__ import annotations

from sqlalchemy import select

from bot.conversation import texts
from bot.conversation.base import Base
from bot.conversation.incoming import Incoming
from bot.conversation.texts import Button, Message
from scheduler.register.access import Person, load_person
from scheduler.register.bots import bot_of_channel, bot_of_official, channel_kind
from scheduler.register.invites import InviteError, check_invite, redeem_digest
from scheduler.register.models import ROLE_NAMES, UNITS


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
        elsewhere = self._own_bot_elsewhere(msg, official_id, code)
        if elsewhere is not None:
            return [elsewhere]
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

    def _own_bot_elsewhere(self, msg: Incoming, official_id: int, code: str) -> Message | None:
        """A code sent to another Telegram bot than the one of the official's unit: where to send it (the
        code stays unused), so that the reminders come from the unit's own bot and keep its limits."""
        if channel_kind(msg.channel) != "telegram":
            return None
        with self.engine.connect() as conn:
            own = bot_of_official(conn, official_id)
        username = self.bot_usernames.get(own)
        if own == bot_of_channel(msg.channel) or not username:  # not running here: link where it came
            return None
        return Message(
            f"Đơn vị của đồng chí nhận lời nhắc qua bot riêng @{username}. Hãy gửi mã mời tới bot đó "
            f"(mã vẫn dùng được): https://t.me/{username}?start={code}"
        )

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
        role = {r.value: name for r, name in ROLE_NAMES.items()}
        return [
            Message(
                f"Đồng chí {person.name} — {person.title}\nVai trò: {role.get(person.role, person.role)}\n"
                f"Đơn vị: {', '.join(names) or '(chưa có)'}"
            )
        ]
