"""What leaders read: the report summary beside the chart, the terminal table, and the Monday digest."""

from __future__ import annotations

from datetime import timedelta

from bot.conversation.texts import Attachment, Capabilities, Message, day, day_with_weekday, short, task_ref
from scheduler.clock import LOCAL_TZ
from scheduler.outbox.notify import Delivery
from scheduler.register.state import days_text
from scheduler.reporting.chart import TOP_UNITS, stacked_chart
from scheduler.reporting.stats import Statistics, UnitStats, period_containing
from scheduler.reporting.weekly import Change, WeeklyReport

WORST_LINES = 5  # units named in the text under the chart
WEEK_ITEMS = 8
CHANGE_ITEMS = 8
NO_FILES = "(Kênh này không gửi được hình; xem biểu đồ trên Telegram hoặc bằng lệnh nhacviec report --format png.)"


def rate_text(unit: UnitStats) -> str:
    rate = unit.on_time_rate
    return "chưa có việc đến hạn" if rate is None else f"{rate:.0%} ({unit.done_on_time} trên {unit.due_so_far} việc)"


def totals_line(unit: UnitStats) -> str:
    return (
        f"Được giao {unit.assigned}: ✅ đúng hạn {unit.done_on_time} · 🟠 trễ hạn {unit.done_late} · "
        f"🔵 đang làm {unit.in_progress} · ⚪ chưa bắt đầu {unit.not_started} · 🔴 quá hạn {unit.overdue}"
        + (f" · ▫️ chưa báo cáo {unit.not_reported}" if unit.not_reported else "")
        + (f" · 📅 gia hạn {unit.extended}" if unit.extended else "")
    )


def report_summary(stats: Statistics, top: int = TOP_UNITS) -> str:
    """The short text under the chart: totals, the on-time rate, the worst units, and the rest counted."""
    total = stats.total
    lines = [
        f"📊 Tiến độ nhiệm vụ {stats.period.label}, tính đến {day(stats.today)}",
        totals_line(total),
        f"Tỉ lệ đúng hạn: {rate_text(total)}",
    ]
    previous = period_containing(stats.period.first - timedelta(days=1)).key
    if not stats.units:
        lines.append(f"Không có nhiệm vụ nào có hạn trong kỳ này. Kỳ trước: /baocao {previous}")
        return "\n".join(lines)
    behind = [u for u in stats.units[:WORST_LINES] if u.overdue or u.done_late]
    lines.append("Chậm nhất:" if behind else "Chưa đơn vị nào chậm hạn.")
    for number, unit in enumerate(behind, start=1):
        lines.append(
            f"{number}. {unit.unit_name} — quá hạn {unit.overdue} trên {unit.assigned} việc, đúng hạn {rate_text(unit)}"
        )
    rest = stats.units[top:]
    if rest:
        lines.append(
            f"Biểu đồ: {top} đơn vị chậm nhất. {len(rest)} đơn vị còn lại: được giao {sum(u.assigned for u in rest)}, "
            f"quá hạn {sum(u.overdue for u in rest)}, xong đúng hạn {sum(u.done_on_time for u in rest)}."
        )
    first = stats.period.first
    lines.append(f"Kỳ khác: /baocao {previous} · /baocao {first:%Y-%m} · /baocao {first.year}")
    return "\n".join(lines)


def report_message(stats: Statistics, caps: Capabilities) -> Message:
    """/report: the chart with the summary as its caption, or the summary alone where pictures cannot go."""
    text = report_summary(stats)
    if not caps.files:
        return Message(f"{text}\n{NO_FILES}")
    chart = stacked_chart(stats)
    return Message(text, attachment=Attachment(f"bao-cao-{stats.period.key}.png", chart.png, is_photo=True))


def report_table(stats: Statistics) -> str:
    """The terminal form of a report: one line per unit, worst first, and the total."""
    headings: tuple[str, ...] = ("Đơn vị", "Giao", "Đúng hạn", "Trễ hạn", "Đang làm", "Chưa bắt đầu", "Quá hạn")
    routines = stats.total.not_reported > 0  # the column shows only when some routine went unconfirmed
    headings += ("Chưa báo cáo", "Gia hạn", "Tỉ lệ") if routines else ("Gia hạn", "Tỉ lệ")
    rows = []
    for unit in [*stats.units, stats.total]:
        rate = "—" if unit.on_time_rate is None else f"{unit.on_time_rate:.0%}"
        counts: tuple[int, ...] = (unit.done_on_time, unit.done_late, unit.in_progress, unit.not_started, unit.overdue)
        counts += (unit.not_reported, unit.extended) if routines else (unit.extended,)
        rows.append([short(unit.unit_name, 40), str(unit.assigned), *map(str, counts), rate])
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headings)]
    lines = [
        f"Tiến độ nhiệm vụ {stats.period.label} ({day(stats.period.first)}–{day(stats.period.last)}), "
        f"tính đến {day(stats.today)}",
        "  ".join(h.ljust(w) for h, w in zip(headings, widths, strict=True)),
        "  ".join("─" * w for w in widths),
    ]
    for number, row in enumerate(rows):
        if number == len(rows) - 1:
            lines.append("  ".join("─" * w for w in widths))
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


STATUS_WORDS = {"open": "chưa làm", "in_progress": "đang làm", "done": "xong", "cancelled": "hủy"}


def _change_line(change: Change) -> str:
    when = f"{change.at.astimezone(LOCAL_TZ):%d/%m}"
    if change.kind == "status" and change.new_status == "done":
        what = "✅ xong"
    elif change.kind == "status" and change.new_status == "in_progress":
        what = f"🔵 đang làm {change.percent or 0}%"
    elif change.kind == "status":
        what = f"chuyển sang {STATUS_WORDS.get(change.new_status or '', change.new_status)}"
    elif change.kind == "extension_approved" and change.new_due:
        what = f"📅 gia hạn đến {day(change.new_due)}"
    else:
        what = f"đổi hạn → {day(change.new_due) if change.new_due else '?'}"
    return f"• {task_ref(change.assignment_id, change.task_code)} {change.unit_name}: {what} ({when})"


def weekly_text(report: WeeklyReport, name: str) -> str:
    """The Monday digest's words: deadlines this week, overdue by unit, changes since last Monday."""
    sunday = report.week_of + timedelta(days=6)
    lines = [
        f"📅 Báo cáo đầu tuần gửi đồng chí {name} — tuần {report.week_of:%d/%m}–{sunday:%d/%m/%Y}",
        f"\nĐến hạn trong tuần: {len(report.due_this_week)} việc",
    ]
    for row in report.due_this_week[:WEEK_ITEMS]:
        lines.append(
            f"• {task_ref(row.id, row.task_code)} {short(row.title, 60)} — {row.unit_name}, "
            f"hạn {day_with_weekday(row.due)}"
        )
    if len(report.due_this_week) > WEEK_ITEMS:
        lines.append(f"… và {len(report.due_this_week) - WEEK_ITEMS} việc nữa (/sapden).")
    lines.append(f"\nQuá hạn: {report.overdue_total} việc ở {len(report.overdue)} đơn vị")
    for unit in report.overdue[:5]:
        lines.append(f"• {unit.unit_name}: {unit.count}, lâu nhất {days_text(unit.oldest_due, report.today)}")
    if len(report.overdue) > 5:
        lines.append(f"… và {len(report.overdue) - 5} đơn vị khác (/quahan).")
    if report.stats.total.not_reported:  # routines held (or not) with nobody confirming: counted, not chased
        lines.append(f"Việc định kỳ chưa báo cáo ({report.stats.period.label}): {report.stats.total.not_reported}")
    done = sum(1 for c in report.changes if c.kind == "status" and c.new_status == "done")
    extended = sum(1 for c in report.changes if c.kind == "extension_approved")
    lines.append(
        f"\nThay đổi từ {day(report.since)}: {len(report.changes)} ({done} việc xong, {extended} gia hạn)"
        if report.changes
        else f"\nKhông có thay đổi nào từ {day(report.since)}."
    )
    for change in report.changes[-CHANGE_ITEMS:]:
        lines.append(_change_line(change))
    if len(report.changes) > CHANGE_ITEMS:
        lines.append(f"… và {len(report.changes) - CHANGE_ITEMS} thay đổi trước đó.")
    lines.append(f"\nTiến độ {report.stats.period.label}: đúng hạn {rate_text(report.stats.total)}")
    return "\n".join(lines)


def weekly_message(delivery: Delivery, caps: Capabilities) -> Message:
    """The Monday digest for one leader: one message with the chart where the channel takes pictures."""
    assert delivery.weekly is not None
    report = delivery.weekly
    text = weekly_text(report, delivery.official_name)
    if not caps.files or not report.chart:
        return Message(text if caps.files else f"{text}\n{NO_FILES}")
    photo = Attachment(f"tuan-{report.week_of:%Y-%m-%d}.png", report.chart, is_photo=True)
    return Message(text, attachment=photo)
