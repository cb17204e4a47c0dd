"""The leaders' view in chat: the chart and the calendar file."""

from __future__ import annotations

from sqlalchemy import select

from bot.conversation import texts
from bot.conversation.base import Base
from bot.conversation.incoming import Incoming
from bot.conversation.report_texts import report_message
from bot.conversation.texts import Message
from scheduler.clock import local_today
from scheduler.register.access import Person
from scheduler.register.models import (
    UNITS,
)
from scheduler.reporting.stats import PeriodError, parse_period, period_containing, statistics


class ReportCommands(Base):
    """/baocao and /lich."""

    def report(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """/report [period]: the chart per unit, worst first, and a short summary (leaders only)."""
        if not person.sees_everything:
            return [Message("Xin lỗi, /baocao dành cho lãnh đạo. Đồng chí có thể xem việc của đơn vị mình bằng /viec.")]
        today = local_today(self.clock)
        try:
            period = parse_period(args) if args.strip() else period_containing(today)
        except PeriodError as exc:
            return [Message(f"Chưa hiểu: {exc}.")]
        stats = statistics(self.engine, period, today)
        return [report_message(stats, self._caps(msg))]

    def calendar(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """/lich [unit]: the unit's open deadlines as an .ics file for the phone's calendar."""
        unit_ids: list[int] = sorted(person.unit_ids)
        if args.strip():
            unit_id = self._unit_arg(args)
            if unit_id is None:
                return [Message(f"Không tìm thấy đơn vị “{args.strip()}”.")]
            if not person.may_act_on(unit_id):
                return [Message("Xin lỗi, đồng chí chỉ lấy được lịch của đơn vị mình.")]
            unit_ids = [unit_id]
        if not unit_ids:
            return [Message("Đồng chí chưa thuộc đơn vị nào. Gõ /lich <tên đơn vị> để lấy lịch của một đơn vị.")]
        if not self._caps(msg).files:
            return [
                Message("Kênh này không gửi được tệp lịch. Xin dùng Telegram, hoặc nhờ Văn phòng xuất: nhacviec ical.")
            ]
        with self.engine.connect() as conn:
            names = list(conn.execute(select(UNITS.c.name).where(UNITS.c.id.in_(unit_ids))).scalars())
        from scheduler.reporting.ical import unit_calendar  # icalendar only for /lich

        data = unit_calendar(self.engine, unit_ids, self.clock.now(), f"Hạn việc — {', '.join(names)}")
        count = data.count(b"BEGIN:VEVENT")
        text = (
            f"📆 Lịch hạn việc của {', '.join(names)}: {count} việc chưa xong. "
            "Mở tệp này trên điện thoại để thêm vào lịch; mỗi việc có lời nhắc 8 giờ sáng hôm trước."
        )
        return [Message(text, attachment=texts.Attachment("nhac-viec.ics", data))]
