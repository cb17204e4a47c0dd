"""Lists of tasks: mine, overdue, upcoming, and one task's history."""

from __future__ import annotations

import re
from typing import Any

from bot.conversation import texts
from bot.conversation.base import Base, number_and_rest
from bot.conversation.incoming import Incoming
from bot.conversation.texts import Message
from scheduler.clock import local_today
from scheduler.register.access import Person
from scheduler.register.changes import (
    history,
)
from scheduler.register.queries import (
    overdue,
    overdue_summary,
    tasks,
    upcoming,
)


class Lists(Base):
    """/viec, /quahan, /sapden, /lichsu."""

    def tasks(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """My units' open tasks, soonest first."""
        today = local_today(self.clock)
        rows = tasks(self.engine, today, unit_ids=person.unit_ids)
        return [Message(texts.task_list(rows, today, f"📋 Việc của đơn vị đồng chí ({len(rows)} việc chưa xong):"))]

    def overdue(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """Overdue: leaders see every unit, grouped (summarised when long); members their own units."""
        today = local_today(self.clock)
        scope = None if person.sees_everything else person.unit_ids
        unit_id = self._unit_arg(args) if args and person.sees_everything else None
        if args and person.sees_everything and unit_id is None:
            return [Message(f"Không tìm thấy đơn vị {args!r}. Gõ tên hoặc mã đơn vị, vd. /quahan ubnd")]
        if scope is None and unit_id is None:
            summary = overdue_summary(self.engine, today)
            total = sum(u.count for u in summary)
            if total > texts.LIST_LIMIT:
                return [Message(texts.overdue_summary(summary, today))]
        rows = overdue(self.engine, today, unit_id=unit_id, unit_ids=scope)
        units = len({r.unit_name for r in rows})
        title = f"⏰ Quá hạn ngày {texts.day(today)}: {len(rows)} việc ở {units} đơn vị"
        return [Message(texts.task_list(rows, today, title, group_by_unit=True))]

    def upcoming(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """Due in the next days (7 unless given)."""
        today = local_today(self.clock)
        if args.strip() and not re.fullmatch(r"[0-9]{1,3}", args.strip()):
            return [Message("Số ngày phải là một số từ 1 đến 366, vd. /sapden 14 (mặc định 7 ngày).")]
        days = max(int(args.strip() or 7), 1)
        scope = None if person.sees_everything else person.unit_ids
        rows = upcoming(self.engine, today, min(days, 366), unit_ids=scope)
        return [
            Message(
                texts.task_list(
                    rows,
                    today,
                    f"📅 Đến hạn trong {days} ngày tới ({len(rows)} việc):",
                    group_by_unit=person.sees_everything,
                )
            )
        ]

    def history(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """/lichsu <số>"""
        number, _ = number_and_rest(args)
        if number is None:
            return [Message("Cách dùng: /lichsu <số việc>")]
        row = self._visible(person, number)
        if isinstance(row, Message):
            return [row]
        lines = [f"🗂 Lịch sử #{row.id} {texts.short(row.title, 70)} — {row.unit_name}"]
        for line in history(self.engine, number):
            lines.append(f"• {texts.moment(line.at)} — {line.who or 'hệ thống'}: {_describe(line)}")
        if len(lines) == 1:
            lines.append("Chưa có thay đổi nào.")
        return [Message("\n".join(lines))]


def _describe(line: Any) -> str:
    labels = {"open": "chưa làm", "in_progress": "đang làm", "done": "xong", "cancelled": "hủy"}
    if line.kind == "status":
        pct = f" {line.percent}%" if line.new_status == "in_progress" and line.percent is not None else ""
        text = f"{labels.get(line.old_status, line.old_status)} → {labels.get(line.new_status, line.new_status)}{pct}"
    elif line.kind == "deadline_changed":
        text = f"đổi hạn trong sổ {texts.day(line.old_due)} → {texts.day(line.new_due)}"
    elif line.kind == "extension_requested":
        text = f"xin gia hạn đến {texts.day(line.new_due)}"
    elif line.kind == "extension_approved":
        text = f"lãnh đạo đồng ý gia hạn {texts.day(line.old_due)} → {texts.day(line.new_due)}"
    elif line.kind == "extension_refused":
        text = "lãnh đạo chưa đồng ý gia hạn"
    else:
        text = line.kind
    via = f" qua {texts.channel_name(line.channel)}" if line.channel else ""
    note = f" — {line.note}" if line.note else ""
    return f"{text}{via}{note}"
