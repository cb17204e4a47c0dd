"""Officials' status changes: done, progress, and their replies in words."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from bot.conversation import texts
from bot.conversation.base import Base, number_and_rest
from bot.conversation.incoming import Incoming
from bot.conversation.replies import Done, Extend, Progress, Unclear, parse_reply
from bot.conversation.texts import Button, Message
from scheduler.clock import local_today
from scheduler.register.access import Person
from scheduler.register.changes import (
    change_status,
)
from scheduler.register.models import (
    ASSIGNMENTS,
    REMINDERS,
    ReminderState,
    Status,
)
from scheduler.register.queries import (
    assignment_row,
    tasks,
    unit_of,
)

RECENT_REMINDER = timedelta(days=3)  # a plain reply refers to the last reminder if it is this recent


class StatusUpdates(Base):
    """/xong, /tiendo, /giahan and plain replies to reminders."""

    def done(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """/xong <số> [ghi chú]"""
        number, rest = number_and_rest(args)
        if number is None:
            return self._ask_which(msg, person, {"action": "done", "note": args})
        return self._close(msg, person, number, rest)

    def progress(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """/tiendo <số> <phần trăm> [ghi chú]"""
        match = re.fullmatch(r"#?(\d+)\s+(\d{1,3})\s*%?\s*(.*)", args.strip(), re.S)
        if not match:
            return [Message("Cách dùng: /tiendo <số việc> <phần trăm> [ghi chú], vd. /tiendo 12 60 đã họp chi ủy")]
        return self._progress(msg, person, int(match[1]), int(match[2]), match[3].strip())

    def extend(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """/giahan <số> <ngày> <lý do>"""
        number, rest = number_and_rest(args)
        if number is None or not rest:
            return [Message("Cách dùng: /giahan <số việc> <ngày> <lý do>, vd. /giahan 12 15/6 vì chưa đủ kinh phí")]
        reply = parse_reply(f"gia hạn {rest}", local_today(self.clock))
        if not isinstance(reply, Extend):
            return [Message(f"Chưa ghi gì: {reply.why if isinstance(reply, Unclear) else ''}")]
        return self._request_extension(msg, person, number, reply.due, reply.reason)

    def _close(self, msg: Incoming, person: Person, assignment_id: int, note: str) -> list[Message]:
        row = self._visible(person, assignment_id, acting=True)
        if isinstance(row, Message):
            return [row]
        if row.status == Status.done:
            return [
                Message(
                    f"Việc #{row.id} đã được ghi là xong từ trước ({texts.moment(row.done_at)})."
                    if row.done_at
                    else f"Việc #{row.id} đã xong từ trước."
                )
            ]
        if row.status == Status.cancelled:
            return [Message(f"Việc #{row.id} đã bị hủy, không cần báo cáo.")]
        event = change_status(self.engine, assignment_id, Status.done, self._actor(msg, person), self.clock, note=note)
        self._clear_waiting(msg)
        late = " (trễ hạn)" if local_today(self.clock) > row.due else ""
        return [
            Message(
                f"✅ Đã ghi nhận: #{row.id} {texts.short(row.title, 80)} — {row.unit_name} — hoàn thành "
                f"lúc {texts.moment(event.at)}{late}."
            )
        ]

    def _progress(self, msg: Incoming, person: Person, assignment_id: int, percent: int, note: str) -> list[Message]:
        if not 0 <= percent <= 100:
            return [Message("Tiến độ phải từ 0 đến 100%.")]
        row = self._visible(person, assignment_id, acting=True)
        if isinstance(row, Message):
            return [row]
        if row.status not in (Status.open, Status.in_progress):
            return [Message(f"Việc #{row.id} đã {'xong' if row.status == Status.done else 'hủy'}, không ghi tiến độ.")]
        if percent == 100:
            return self._close(msg, person, assignment_id, note)
        change_status(
            self.engine,
            assignment_id,
            Status.in_progress,
            self._actor(msg, person),
            self.clock,
            percent=percent,
            note=note,
        )
        self._clear_waiting(msg)
        return [
            Message(
                f"⏳ Đã ghi nhận: #{row.id} {texts.short(row.title, 80)} — đang làm {percent}%"
                f"{' (' + note + ')' if note else ''}, lúc {texts.moment(self.clock.now())}."
            )
        ]

    def _reply(self, msg: Incoming, person: Person, text: str) -> list[Message]:
        today = local_today(self.clock)
        decision = re.fullmatch(r"(đồng ý|dong y|từ chối|tu choi)\s+#?(\d+)", text.strip().lower())
        if decision:
            return self._decide(msg, person, int(decision[2]), decision[1] in ("đồng ý", "dong y"))
        reply = parse_reply(text, today)
        if isinstance(reply, Unclear):
            why = f" ({reply.why})" if reply.why else ""
            return [Message(f"{texts.UNCLEAR}{why}")]
        if reply.assignment_id is not None:
            return self._apply(msg, person, reply.assignment_id, reply)
        candidates = self._replied_tasks(msg, person)
        if len(candidates) == 1:
            return self._apply(msg, person, candidates[0], reply)
        return self._ask_which(msg, person, _reply_data(reply), candidates)

    def _apply(
        self, msg: Incoming, person: Person, assignment_id: int, reply: Done | Progress | Extend
    ) -> list[Message]:
        if isinstance(reply, Done):
            return self._close(msg, person, assignment_id, reply.note)
        if isinstance(reply, Progress):
            return self._progress(msg, person, assignment_id, reply.percent, reply.note)
        return self._request_extension(msg, person, assignment_id, reply.due, reply.reason)

    def _replied_tasks(self, msg: Incoming, person: Person) -> list[int]:
        """The open tasks of the reminder replied to, or of the last reminder in this chat."""
        with self.engine.connect() as conn:
            query = select(REMINDERS.c.assignment_id).join(ASSIGNMENTS, ASSIGNMENTS.c.id == REMINDERS.c.assignment_id)
            query = query.where(
                REMINDERS.c.channel == msg.channel,
                REMINDERS.c.chat_id == msg.chat_id,
                REMINDERS.c.state == ReminderState.sent.value,
                ASSIGNMENTS.c.status.in_((Status.open.value, Status.in_progress.value)),
            )
            if msg.reply_to:
                ids = conn.execute(query.where(REMINDERS.c.message_id == msg.reply_to)).scalars().all()
            else:
                last = conn.execute(
                    select(REMINDERS.c.message_id, REMINDERS.c.sent_at)
                    .where(
                        REMINDERS.c.channel == msg.channel,
                        REMINDERS.c.chat_id == msg.chat_id,
                        REMINDERS.c.state == ReminderState.sent.value,
                    )
                    .order_by(REMINDERS.c.sent_at.desc())
                ).first()
                if last is None or last.sent_at < self.clock.now() - RECENT_REMINDER:
                    return []
                ids = conn.execute(query.where(REMINDERS.c.message_id == last.message_id)).scalars().all()
        allowed = [i for i in dict.fromkeys(ids) if person.may_act_on(unit_of(self.engine, i) or -1)]
        return allowed

    def _ask_which(
        self, msg: Incoming, person: Person, data: dict[str, Any], candidates: list[int] | None = None
    ) -> list[Message]:
        if candidates is None:
            candidates = self._replied_tasks(msg, person)
        if not candidates:
            today = local_today(self.clock)
            candidates = [r.id for r in tasks(self.engine, today, unit_ids=person.unit_ids)][:10]
        if not candidates:
            return [Message("Đơn vị của đồng chí không còn việc nào đang mở.")]
        self._set_waiting(msg, "pick", {**data, "candidates": candidates})
        rows = [assignment_row(self.engine, i) for i in candidates[:10]]
        lines = ["Việc nào ạ? Bấm nút hoặc gõ số việc (/huy để thôi):"]
        lines += [f"#{r.id} {texts.short(r.title, 70)} — {r.unit_name}" for r in rows if r]
        buttons = [[Button(f"#{r.id} {texts.short(r.title, 30)}", f"k:{r.id}")] for r in rows if r]
        return [Message("\n".join(lines), buttons)]

    def _act_on_pick(self, msg: Incoming, person: Person, assignment_id: int, data: dict[str, Any]) -> list[Message]:
        action = data.get("action", "done")
        if action == "progress":
            return self._progress(msg, person, assignment_id, int(data.get("percent", 0)), data.get("note", ""))
        if action == "extend":
            return self._request_extension(
                msg, person, assignment_id, date.fromisoformat(data["due"]), data.get("reason", "")
            )
        return self._close(msg, person, assignment_id, data.get("note", ""))


def _reply_data(reply: Done | Progress | Extend) -> dict[str, Any]:
    if isinstance(reply, Done):
        return {"action": "done", "note": reply.note}
    if isinstance(reply, Progress):
        return {"action": "progress", "percent": reply.percent, "note": reply.note}
    return {"action": "extend", "due": reply.due.isoformat(), "reason": reply.reason}
