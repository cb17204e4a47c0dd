"""The conversation core: takes an incoming message, returns what to send. It knows no channel.

Telegram, Zalo and the console are thin adapters around `Conversation.handle`, so every command works
the same everywhere and is tested once. An unknown chat sees nothing but how to link itself; a member
changes only their own units' assignments; every refusal says why; every change is a StatusEvent.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from bot.conversation import texts
from bot.conversation.assigning import Assigning
from bot.conversation.buttons import Buttons
from bot.conversation.extensions import Extensions
from bot.conversation.groups import UNLINKED_IN_GROUP, Groups
from bot.conversation.incoming import Incoming
from bot.conversation.keeper import Keeper
from bot.conversation.lists import Lists
from bot.conversation.preferences import Preferences
from bot.conversation.report_commands import ReportCommands
from bot.conversation.status_updates import StatusUpdates
from bot.conversation.texts import Message
from bot.conversation.waiting import Waiting
from scheduler.register.access import Person
from scheduler.register.changes import (
    AssignmentNotFoundError,
)

__all__ = ["COMMANDS", "Conversation", "Incoming"]

log = logging.getLogger("nhacviec.core")
_LONG_NUMBER = re.compile(r"\d{13,}")

ALIASES = {
    "viec": "tasks",
    "quahan": "overdue",
    "sapden": "upcoming",
    "xong": "done",
    "tiendo": "progress",
    "giahan": "extend",
    "lichsu": "history",
    "baocao": "report",
    "lich": "calendar",
    "huy": "cancel",
    "trogiup": "help",
    "caidat": "settings",
    "nghiphep": "leave",
    "toila": "whoami",
    "kenh": "channel",
    "duyet": "approvals",
    "pending": "approvals",
    "moi": "invite",
    "sodangky": "register_file",
    "loi": "failures",
    "giaoviec": "assign",
    "nhanrieng": "private_too",
}
COMMANDS = {  # the command menu, in Vietnamese
    "viec": "Việc của đơn vị tôi",
    "sapden": "Việc sắp đến hạn",
    "quahan": "Việc đã quá hạn",
    "xong": "Báo xong: /xong <số> [ghi chú]",
    "tiendo": "Báo tiến độ: /tiendo <số> <phần trăm>",
    "giahan": "Xin gia hạn: /giahan <số> <ngày> <lý do>",
    "lichsu": "Lịch sử một việc: /lichsu <số>",
    "baocao": "Biểu đồ tiến độ theo đơn vị (lãnh đạo)",
    "duyet": "Đề nghị gia hạn đang chờ (lãnh đạo)",
    "lich": "Tệp lịch các hạn việc cho điện thoại",
    "caidat": "Cài đặt: giờ nhận tin, nghỉ phép",
    "huy": "Hủy câu hỏi đang chờ",
    "kenh": "Chọn kênh nhận nhắc: telegram, zalo, cả hai",
    "giaoviec": "Giao việc: /giaoviec <đơn vị>: <việc> <hạn> (lãnh đạo)",
    "nhanrieng": "Nhận cả tin riêng khi đơn vị có nhóm chat",
    "moi": "Mã mời liên kết chat (Văn phòng)",
    "sodangky": "Sổ nhắc việc dạng Excel (Văn phòng)",
    "loi": "Tin gửi lỗi, chat chưa liên kết (Văn phòng)",
    "help": "Hướng dẫn",
}


class Conversation(
    Groups, Lists, StatusUpdates, Extensions, ReportCommands, Preferences, Keeper, Assigning, Buttons, Waiting
):
    """The bot's brain, shared by every channel: routes a message to its area."""

    # --- entry point ---------------------------------------------------------------------------

    def handle(self, msg: Incoming) -> list[Message]:
        """Everything to send in answer to one incoming message."""
        try:
            return self._handle(msg)
        except AssignmentNotFoundError as exc:
            return [Message(f"Không tìm thấy: {exc}.")]

    def _handle(self, msg: Incoming) -> list[Message]:
        text = msg.text.strip()
        command, args = _split_command(text)
        person = self._person(msg)
        if command == "start":
            return self._start(msg, args, person)
        if person is None:
            if command is None and re.fullmatch(r"[A-Za-z0-9_-]{12,40}", text):  # Zalo: just the code
                return self._start(msg, text, None)
            return [Message(UNLINKED_IN_GROUP if msg.is_group else texts.UNLINKED)]
        if msg.document is not None:
            return self.document(msg, person)
        if _LONG_NUMBER.search(text):  # no id, percent or day has that many digits (and int() refuses 4,300)
            return [
                Message("Số này dài quá: số của một việc có nhiều nhất 10 chữ số. Gõ /viec để xem số của các việc.")
            ]
        if msg.button:
            return self._button(msg, person, msg.button)
        if command is not None:
            return self._command(msg, person, command, args)
        waiting = self._waiting(msg)
        if waiting is not None:
            return self._answer(msg, person, waiting, text)
        return self._reply(msg, person, text)

    def _command(self, msg: Incoming, person: Person, command: str, args: str) -> list[Message]:
        handlers: dict[str, Callable[[Incoming, Person, str], list[Message]]] = {
            "help": lambda m, p, a: [Message(texts.HELP)],
            "whoami": self.whoami,
            "tasks": self.tasks,
            "overdue": self.overdue,
            "upcoming": self.upcoming,
            "done": self.done,
            "progress": self.progress,
            "extend": self.extend,
            "history": self.history,
            "report": self.report,
            "calendar": self.calendar,
            "cancel": self.cancel,
            "settings": self.settings,
            "leave": self.leave,
            "channel": self.channel,
            "approvals": self.approvals,
            "invite": self.invite,
            "register_file": self.register_file,
            "failures": self.failures,
            "assign": self.assign,
            "private_too": self.private_too,
        }
        handler = handlers.get(ALIASES.get(command, command))
        if handler is None:
            return [Message(texts.unknown_command(command, [*ALIASES, *handlers]))]
        return handler(msg, person, args)


def _split_command(text: str) -> tuple[str | None, str]:
    if not text.startswith("/"):
        return None, text
    head, _, rest = text[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    return name, rest.strip()
