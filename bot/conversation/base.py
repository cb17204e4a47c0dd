"""What every area of the conversation shares: the store, the clock, who speaks, what they may see."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import Engine, insert, select, update

from bot.conversation import texts
from bot.conversation.incoming import Incoming
from bot.conversation.texts import CAPABILITIES, CONSOLE, Capabilities, Message
from scheduler.clock import Clock
from scheduler.register.access import Person, load_person
from scheduler.register.bots import channel_kind
from scheduler.register.changes import (
    Actor,
)
from scheduler.register.links import officials_of_chat
from scheduler.register.models import (
    SETTINGS,
)
from scheduler.register.queries import (
    AssignmentRow,
    UnknownUnitError,
    assignment_row,
    find_unit_id,
    unit_of,
)

MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL: a bigger number typed is simply no task


class Base:
    """The state and helpers of a conversation; the areas (linking, lists, status updates…) build on it."""

    def __init__(self, engine: Engine, clock: Clock, bot_username: str = "nhacviec_bot") -> None:
        self.engine = engine
        self.clock = clock
        self.bot_username = bot_username
        # every Telegram bot running: name ("" the default) → @username; an invite links to the official's own
        self.bot_usernames: dict[str, str] = {}
        # what each channel can show; a channel may widen its own (Zalo sends files once it can serve them)
        self.capabilities: dict[str, Capabilities] = dict(CAPABILITIES)

    def _caps(self, msg: Incoming) -> Capabilities:
        return self.capabilities.get(msg.channel) or self.capabilities.get(channel_kind(msg.channel), CONSOLE)

    def _person(self, msg: Incoming) -> Person | None:
        ids = officials_of_chat(self.engine, msg.channel, msg.chat_id)
        return load_person(self.engine, ids[0]) if ids else None

    def _visible(self, person: Person, assignment_id: int, acting: bool = False) -> AssignmentRow | Message:
        if not 1 <= assignment_id <= MAX_ID:  # a typed number the database's integer ids cannot hold
            return Message(f"Không có việc số {texts.short(str(assignment_id), 15)}. Gõ /viec để xem số của các việc.")
        row = assignment_row(self.engine, assignment_id)
        unit_id = unit_of(self.engine, assignment_id)
        if row is None or unit_id is None:
            return Message(f"Không có việc số {assignment_id}. Gõ /viec để xem số của các việc.")
        if not person.may_act_on(unit_id):  # says neither the task nor its unit: they are not this person's to see
            verb = "cập nhật" if acting else "xem"
            return Message(
                f"Xin lỗi, việc #{assignment_id} không thuộc đơn vị của đồng chí. Đồng chí chỉ {verb} được việc "
                "của đơn vị mình (gõ /viec để xem); nếu cần, hãy báo lãnh đạo hoặc Văn phòng Đảng ủy."
            )
        return row

    def _actor(self, msg: Incoming, person: Person) -> Actor:
        return Actor(person.name, person.id, msg.channel, msg.message_id)

    def _setting(self, official_id: int) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(select(SETTINGS).where(SETTINGS.c.official_id == official_id)).mappings().first()
        return dict(row) if row else {}

    def _save_setting(self, official_id: int, **values: Any) -> None:
        with self.engine.begin() as conn:
            exists = conn.execute(select(SETTINGS.c.official_id).where(SETTINGS.c.official_id == official_id)).scalar()
            if exists is None:
                conn.execute(insert(SETTINGS).values(official_id=official_id, language="vi", **values))
            else:
                conn.execute(update(SETTINGS).where(SETTINGS.c.official_id == official_id).values(**values))

    def _unit_arg(self, text: str) -> int | None:
        try:
            return find_unit_id(self.engine, text)
        except UnknownUnitError:
            return None

    # Implemented by the area mixins; declared here so that each area may call the others.
    def _start(self, msg: Incoming, code: str, person: Person | None) -> list[Message]:
        raise NotImplementedError

    def _linked(self, msg: Incoming, digest: str, replace: bool) -> list[Message]:
        raise NotImplementedError

    def _close(self, msg: Incoming, person: Person, assignment_id: int, note: str) -> list[Message]:
        raise NotImplementedError

    def _progress(
        self, msg: Incoming, person: Person, assignment_id: int, percent: int | None, note: str
    ) -> list[Message]:
        raise NotImplementedError

    def _request_extension(
        self, msg: Incoming, person: Person, assignment_id: int, due: date, reason: str
    ) -> list[Message]:
        raise NotImplementedError

    def _decide(
        self, msg: Incoming, person: Person, request_id: int, approve: bool, reason: str | None = None
    ) -> list[Message]:
        raise NotImplementedError

    def _desk(self, page: int) -> Message:
        raise NotImplementedError

    def _snooze(self, msg: Incoming, person: Person, assignment_id: int, when: str) -> list[Message]:
        raise NotImplementedError

    def _reply(self, msg: Incoming, person: Person, text: str) -> list[Message]:
        raise NotImplementedError

    def _ask_which(
        self, msg: Incoming, person: Person, data: dict[str, Any], candidates: list[int] | None = None
    ) -> list[Message]:
        raise NotImplementedError

    def _act_on_pick(self, msg: Incoming, person: Person, assignment_id: int, data: dict[str, Any]) -> list[Message]:
        raise NotImplementedError

    def _answer(self, msg: Incoming, person: Person, waiting: tuple[str, dict[str, Any]], text: str) -> list[Message]:
        raise NotImplementedError

    def _waiting(self, msg: Incoming) -> tuple[str, dict[str, Any]] | None:
        raise NotImplementedError

    def _set_waiting(self, msg: Incoming, kind: str, data: dict[str, Any]) -> None:
        raise NotImplementedError

    def _clear_waiting(self, msg: Incoming) -> bool:
        raise NotImplementedError

    def _button(self, msg: Incoming, person: Person, data: str) -> list[Message]:
        raise NotImplementedError

    def _assign_answer(
        self, msg: Incoming, person: Person, kind: str, data: dict[str, Any], text: str
    ) -> list[Message]:
        raise NotImplementedError

    def _assign_decision(self, msg: Incoming, person: Person, confirmed: bool) -> list[Message]:
        raise NotImplementedError

    def _confirmed(self, msg: Incoming, person: Person, data: dict[str, Any]) -> list[Message]:
        raise NotImplementedError

    def _refuse(self, msg: Incoming, person: Person, request_id: int, reason: str) -> list[Message]:
        raise NotImplementedError


def number_and_rest(args: str) -> tuple[int | None, str]:
    match = re.fullmatch(r"#?([0-9]{1,12})\s*(.*)", args.strip(), re.S)
    return (int(match[1]), match[2].strip()) if match else (None, args.strip())
