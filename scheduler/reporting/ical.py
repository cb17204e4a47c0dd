"""A unit's open deadlines as an iCalendar file a phone calendar imports (RFC 5545, `icalendar` package).

One all-day event per open assignment on its due date, with an alarm the morning before. The UID is
stable, so importing a newer file updates the events instead of doubling them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from icalendar import Alarm, Calendar, Event
from sqlalchemy import Engine, select

from scheduler.register.models import ACTIVE_STATUSES, ASSIGNMENTS, TASKS, UNITS

PRODID = "-//nhacviec//Nhắc việc//VI"
# The alarm rings at 08:00 the day before an all-day event (which starts at midnight).
ALARM_BEFORE = timedelta(hours=16)


def unit_calendar(engine: Engine, unit_ids: Sequence[int], now: datetime, title: str = "") -> bytes:
    """The .ics bytes of every open assignment of these units, soonest first."""
    query = (
        select(
            ASSIGNMENTS.c.id,
            ASSIGNMENTS.c.due,
            ASSIGNMENTS.c.original_due,
            ASSIGNMENTS.c.status,
            ASSIGNMENTS.c.percent,
            TASKS.c.code,
            TASKS.c.title,
            TASKS.c.deadline_text,
            TASKS.c.quote,
            UNITS.c.name,
        )
        .join(TASKS, TASKS.c.id == ASSIGNMENTS.c.task_id)
        .join(UNITS, UNITS.c.id == ASSIGNMENTS.c.unit_id)
        .where(ASSIGNMENTS.c.unit_id.in_(list(unit_ids)), ASSIGNMENTS.c.status.in_(ACTIVE_STATUSES))
        .order_by(ASSIGNMENTS.c.due, ASSIGNMENTS.c.id)
    )
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", title or "Nhắc việc")
    calendar.add("x-wr-timezone", "Asia/Ho_Chi_Minh")
    with engine.connect() as conn:
        for a_id, due, original, _status, percent, code, task_title, deadline_text, quote, unit in conn.execute(query):
            event = Event()
            event.add("uid", f"assignment-{a_id}@nhacviec")
            event.add("dtstamp", now)
            event.add("dtstart", due)
            event.add("dtend", due + timedelta(days=1))
            event.add("summary", f"Hạn: {task_title}")
            lines = [f"Việc số {a_id} ({code}) — {unit}", f"Thời hạn giao: {deadline_text or f'{due:%d/%m/%Y}'}"]
            if due != original:
                lines.append(f"Đã gia hạn từ {original:%d/%m/%Y}")
            if percent:
                lines.append(f"Tiến độ: {percent}%")
            if quote:
                lines.append(f"Trích: “{quote}”")
            lines.append(f"Khi xong, nhắn cho bot: xong {a_id}")
            event.add("description", "\n".join(lines))
            event.add("categories", [unit])
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"Ngày mai đến hạn: {task_title}")
            alarm.add("trigger", -ALARM_BEFORE)
            event.add_component(alarm)
            calendar.add_component(event)
    return calendar.to_ical()
