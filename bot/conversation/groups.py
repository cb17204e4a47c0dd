"""A unit's group chat: linked by the unit's head with `/start <code>` in the group, reminders once a morning
to the group, and each message in the group taken as its sender's own (with their own rights)."""

from __future__ import annotations

from bot.conversation.base import Base
from bot.conversation.incoming import Incoming
from bot.conversation.linking import Linking
from bot.conversation.texts import Message
from scheduler.register.access import Person, load_person
from scheduler.register.invites import InviteError, invite_official, redeem_invite
from scheduler.register.links import officials_of_chat
from scheduler.register.unit_chats import chat_gone, chat_moved, is_group_recipient, unit_of_recipient

UNLINKED_IN_GROUP = (
    "Đồng chí chưa liên kết với sổ nhắc việc nên bot chưa ghi gì. Hãy nhắn riêng cho bot /start <mã mời> "
    "(mã do Văn phòng Đảng ủy cấp), rồi trả lời lại trong nhóm."
)


class Groups(Linking, Base):
    """Who speaks in a group, linking a unit's group, and the group's life (left, migrated)."""

    def _person(self, msg: Incoming) -> Person | None:
        if not msg.is_group:
            return super()._person(msg)
        if msg.sender_id is None:
            return None
        for official_id in officials_of_chat(self.engine, msg.channel, msg.sender_id):  # the sender's own chat
            person = load_person(self.engine, official_id)
            if person is not None and not is_group_recipient(person.code):
                return person
        return None

    def _start(self, msg: Incoming, code: str, person: Person | None) -> list[Message]:
        official_id = invite_official(self.engine, code) if code else None
        group_unit = unit_of_recipient(self.engine, official_id) if official_id is not None else None
        if group_unit is None:
            if msg.is_group and official_id is not None:
                return [
                    Message("Mã này để liên kết chat riêng của một cán bộ: hãy nhắn riêng cho bot, đừng gõ trong nhóm.")
                ]
            return super()._start(msg, code, person)
        unit_id, unit_name = group_unit
        if not msg.is_group:
            return [
                Message(
                    f"Mã này để liên kết nhóm chat của {unit_name}: thêm bot vào nhóm rồi gõ /start <mã> trong nhóm."
                )
            ]
        if person is None or not (person.sees_everything or unit_id in person.unit_ids):
            return [
                Message(
                    f"Chỉ cán bộ của {unit_name} đã liên kết chat riêng với bot mới liên kết được nhóm này. "
                    "Đồng chí hãy nhắn riêng cho bot /start <mã mời của mình> trước."
                )
            ]
        try:
            redeem_invite(self.engine, code, msg.channel, msg.chat_id, self.clock, is_group=True)
        except InviteError as exc:
            return [Message(f"Không liên kết được: {exc}")]
        return [
            Message(
                f"✅ Đã liên kết nhóm này với {unit_name} (do đồng chí {person.name}). Từ nay lời nhắc của đơn vị "
                "gửi một lần vào nhóm, thay cho tin riêng. Ai trả lời trong nhóm thì được ghi đúng tên người đó; "
                "ai muốn nhận cả tin riêng thì nhắn riêng cho bot: /nhanrieng bat"
            )
        ]

    def private_too(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """/nhanrieng bat|tat: private reminders as well as the unit's group chat."""
        choice = args.strip().lower()
        if choice not in ("bat", "bật", "tat", "tắt"):
            now = "đang bật" if self._setting(person.id).get("private_too") else "đang tắt"
            return [
                Message(
                    f"Nhận cả tin nhắc riêng khi đơn vị đã có nhóm chat: {now}. Gõ /nhanrieng bat hoặc /nhanrieng tat."
                )
            ]
        on = choice in ("bat", "bật")
        self._save_setting(person.id, private_too=on)
        if on:
            return [Message("Đã bật: đồng chí nhận lời nhắc riêng, cùng với tin gửi vào nhóm của đơn vị.")]
        return [Message("Đã tắt: lời nhắc của đơn vị chỉ gửi vào nhóm chat của đơn vị.")]

    def chat_moved(self, channel: str, old: str, new: str) -> None:
        """The group became a supergroup with a new id (Telegram's migrate_to_chat_id)."""
        chat_moved(self.engine, channel, old, new)

    def chat_gone(self, channel: str, chat_id: str) -> None:
        """The bot left or was removed from the chat: no more reminders there until it is linked again."""
        chat_gone(self.engine, channel, chat_id)
