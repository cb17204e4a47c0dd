"""Plain-text tables for the terminal: Vietnamese headings, overdue in red, due within 3 days in yellow."""

from __future__ import annotations

import os
import sys
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any, TextIO

from scheduler.register.queries import AssignmentRow, UnitOverdue
from scheduler.register.state import STATE_LABELS, State, days_text
from scheduler.workdays import is_working_day

RED = "\033[31m"
YELLOW = "\033[33m"
RESET = "\033[0m"
TITLE_WIDTH = 60


def use_color(mode: str, stream: TextIO | None = None) -> bool:
    """`always`, `never`, or `auto`: colour a terminal unless NO_COLOR is set.

    The stream is looked up when asked (not bound at import): sys.stdout may have been replaced since.
    """
    if mode == "always":
        return True
    if mode == "never" or os.environ.get("NO_COLOR"):
        return False
    return (stream or sys.stdout).isatty()


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _render(headings: Sequence[str], rows: list[list[str]], colors: list[str], color: bool) -> str:
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headings)]
    lines = [
        "  ".join(h.ljust(w) for h, w in zip(headings, widths, strict=True)).rstrip(),
        "  ".join("─" * w for w in widths),
    ]
    for row, tint in zip(rows, colors, strict=True):
        line = "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        lines.append(f"{tint}{line}{RESET}" if color and tint else line)
    return "\n".join(lines)


def assignment_table(items: list[AssignmentRow], today: date, color: bool) -> str:
    """One line per assignment: id, task, unit, due date, days left, state."""
    if not items:
        return "Không có nhiệm vụ nào."  # the caller adds a hint when the register itself is empty
    headings = ("ID", "Mã NV", "Nhiệm vụ", "Đơn vị", "Hạn", "Còn lại", "Tình trạng")
    rows: list[list[str]] = []
    colors: list[str] = []
    for item in items:
        state = item.state(today)
        label = STATE_LABELS[state]
        if state == State.in_progress and item.percent:
            label = f"{label} {item.percent}%"
        if item.due != item.original_due:
            label += f" (gia hạn từ {item.original_due:%d/%m})"
        active = state in (State.open, State.in_progress, State.overdue)
        rows.append(
            [
                str(item.id),
                item.task_code,
                _cut(item.title, TITLE_WIDTH),
                _cut(item.unit_name, 32),
                f"{item.due:%d/%m/%Y}",
                days_text(item.due, today) if active else "",
                label,
            ]
        )
        if state == State.overdue:
            colors.append(RED)
        elif active and (item.due - today).days <= 3:
            colors.append(YELLOW)
        else:
            colors.append("")
    return _render(headings, rows, colors, color)


def summary_table(items: list[UnitOverdue], today: date, color: bool) -> str:
    """Per unit: how many overdue, and the oldest."""
    if not items:
        return "Không có đơn vị nào quá hạn."
    headings = ("Đơn vị", "Số việc quá hạn", "Quá hạn lâu nhất")
    rows = [
        [_cut(i.unit_name, 40), str(i.count), f"{i.oldest_due:%d/%m/%Y} ({days_text(i.oldest_due, today)})"]
        for i in items
    ]
    return _render(headings, rows, [RED] * len(rows), color)


def render_preview(rows: list[dict[str, Any]], today: date) -> str:
    """`remind --dry-run`: per person, the tasks today's message would hold (rows of planner.dry_run)."""
    if not rows:
        if not is_working_day(today):
            return f"Hôm nay ({today:%d/%m/%Y}) là ngày nghỉ: không gửi lời nhắc nào."
        return f"Hôm nay ({today:%d/%m/%Y}) không có lời nhắc nào cần gửi."
    people: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        people[(row["official_name"], row["channel"])].append(row)
    lines = [f"Lời nhắc ngày {today:%d/%m/%Y} — {len(people)} người, {len(rows)} việc:"]
    for (name, channel), items in sorted(people.items()):
        lines.append(f"\n{name} ({channel}):")
        for row in sorted(items, key=lambda r: (r["due"], r["assignment_id"])):
            lines.append(
                f"  #{row['assignment_id']} {row['code']} {_cut(row['title'], 50)} — {row['unit_name']} — "
                f"hạn {row['due']:%d/%m/%Y} ({days_text(row['due'], today)}) "
                f"[{KIND_LABELS.get(row['kind'], row['kind'])}]"
            )
    return "\n".join(lines)


KIND_LABELS = {
    "before_7d": "trước 7 ngày",
    "before_3d": "trước 3 ngày",
    "before_1d": "trước 1 ngày",
    "due_today": "đến hạn",
    "overdue": "quá hạn",
    "escalation": "báo lãnh đạo",
    "snooze": "nhắc lại",
}
