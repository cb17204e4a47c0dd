"""The Excel report an office prints: the task table in status colours, and the per-unit statistics.

Written with XlsxWriter in constant-memory mode, row by row: at province scale (100,000 task rows) it
writes in less than half the time openpyxl's write-only mode took, and the file reads back with openpyxl.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import xlsxwriter

from scheduler.reporting.stats import BUCKET_LABELS, ReportLine, Statistics

# Light fills that print well, one per state, in the colours of the chart.
FILLS = {
    "done_on_time": "#C8E6C9",  # green
    "done_late": "#FFE0B2",  # orange
    "in_progress": "#BBDEFB",  # blue
    "overdue": "#FFCDD2",  # red
    "not_started": "#E0E0E0",  # grey
    "not_reported": "#EFEBE9",  # pale brown
}
TASK_HEADINGS = (
    "STT",
    "Nhiệm vụ",
    "Đơn vị chủ trì",
    "Đơn vị phối hợp",
    "Thời hạn",
    "Tình trạng",
    "Ngày hoàn thành",
    "Ghi chú",
)
STATS_HEADINGS = (
    "STT",
    "Đơn vị",
    "Được giao",
    "Xong đúng hạn",
    "Xong trễ hạn",
    "Đang làm, trong hạn",
    "Chưa bắt đầu",
    "Quá hạn",
    "Gia hạn",
    "Tỉ lệ đúng hạn",
    "Chưa báo cáo",
)
# Widths in characters: at least the heading, at most this, long text wraps.
MAX_WIDTH = {"Nhiệm vụ": 60, "Đơn vị phối hợp": 36, "Ghi chú": 45, "Đơn vị chủ trì": 32, "Đơn vị": 36}
DATE_FORMAT = "dd/mm/yyyy"
STATUS_WIDTH = max(len(label) for label in BUCKET_LABELS.values()) + len(" (99%)") + 2
HEADER_ROW = 2  # zero-based: the title, an empty row, then the headings on the third row
CELL = {"border": 1, "border_color": "#9E9E9E", "text_wrap": True, "valign": "top"}


class _Formats:
    """The workbook's formats, made once: the plain cell, bold, one per state, percent, heading, title."""

    def __init__(self, book: Any) -> None:
        self.plain = book.add_format(CELL)
        self.bold = book.add_format({**CELL, "bold": True})
        self.state = {b: book.add_format({**CELL, "bg_color": c, "bold": b == "overdue"}) for b, c in FILLS.items()}
        # real dates, so that a keeper can sort and filter them, shown the Vietnamese way
        self.date = book.add_format({**CELL, "num_format": DATE_FORMAT, "align": "left"})
        self.percent = book.add_format({**CELL, "num_format": "0%"})
        self.percent_bold = book.add_format({**CELL, "num_format": "0%", "bold": True})
        heading = {"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F4E78", "align": "center", "valign": "vcenter"}
        self.heading = book.add_format({**CELL, **heading})
        self.title = book.add_format({"bold": True, "font_size": 14})


def _header(sheet: Any, formats: _Formats, title: str, headings: tuple[str, ...], widths: list[int]) -> None:
    for column, width in enumerate(widths):
        sheet.set_column(column, column, width)
    sheet.freeze_panes(HEADER_ROW + 1, 0)
    sheet.repeat_rows(HEADER_ROW)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.write_string(0, 0, title, formats.title)
    for column, text in enumerate(headings):
        sheet.write_string(HEADER_ROW, column, text, formats.heading)


def _width(heading: str, longest: int) -> int:
    return max(len(heading) + 2, min(longest + 2, MAX_WIDTH.get(heading, 20)))


def _status_text(line: ReportLine) -> str:
    text = BUCKET_LABELS[line.bucket]
    if line.bucket == "in_progress" and line.percent:
        text += f" ({line.percent}%)"
    return text


def _row(line: ReportLine) -> tuple[str, str, str, date, str, date | None, str]:
    extended = f"Đã gia hạn; hạn gốc {line.original_due:%d/%m/%Y}" if line.due != line.original_due else ""
    given = f"Thời hạn giao: {line.deadline_text}" if line.deadline_text else ""
    note = "; ".join(p for p in (extended, line.note, given) if p)
    return (
        f"{line.title} ({line.task_code})",
        line.unit_name,
        ", ".join(line.coordinating),
        line.due,
        _status_text(line),
        line.done_on,
        note,
    )


def _shown_length(value: object) -> int:
    return 10 if isinstance(value, date) else len(str(value or ""))


def write_report(path: Path, stats: Statistics, lines: Iterable[ReportLine]) -> int:
    """Write the two sheets; returns the number of task rows. The file appears only once complete."""
    rows = [(line.bucket, _row(line)) for line in lines]
    partial = path.with_name(f".{path.name}.part")
    book = xlsxwriter.Workbook(str(partial), {"constant_memory": True})
    formats = _Formats(book)
    title = f"BÁO CÁO TIẾN ĐỘ THỰC HIỆN NHIỆM VỤ {stats.period.label.upper()} — tính đến ngày {stats.today:%d/%m/%Y}"

    tasks = book.add_worksheet("Nhiệm vụ")
    longest = [max((_shown_length(r[i]) for _b, r in rows), default=0) for i in range(7)]
    widths = [6] + [_width(h, n) for h, n in zip(TASK_HEADINGS[1:], longest, strict=True)]
    widths[5] = STATUS_WIDTH  # every state fits on one line, whatever this report happens to hold
    _header(tasks, formats, title, TASK_HEADINGS, widths)
    for number, (bucket, row) in enumerate(rows, start=1):
        at = HEADER_ROW + number
        tasks.write_number(at, 0, number, formats.plain)
        for column, value in enumerate(row, start=1):
            style = formats.state[bucket] if column == 5 else formats.plain
            if isinstance(value, date):
                tasks.write_datetime(at, column, value, formats.date)  # a date: XlsxWriter writes it as a date serial
            elif value:
                tasks.write_string(at, column, value, style)
            else:
                tasks.write_blank(at, column, None, style)

    summary = book.add_worksheet("Thống kê")
    name_width = _width("Đơn vị", max((len(u.unit_name) for u in stats.units), default=0))
    _header(summary, formats, title, STATS_HEADINGS, [6, name_width] + [12] * 9)
    for number, unit in enumerate([*stats.units, stats.total], start=1):
        at = HEADER_ROW + number
        is_total = unit is stats.total
        style = formats.bold if is_total else formats.plain
        counts = (unit.assigned, unit.done_on_time, unit.done_late, unit.in_progress, unit.not_started)
        summary.write(at, 0, "" if is_total else number, style)
        summary.write_string(at, 1, unit.unit_name, style)
        for column, count in enumerate(counts, start=2):
            summary.write_number(at, column, count, style)
        summary.write_number(at, 7, unit.overdue, formats.state["overdue"] if unit.overdue else formats.bold)
        summary.write_number(at, 8, unit.extended, style)
        rate = unit.on_time_rate
        summary.write(at, 9, "" if rate is None else rate, formats.percent_bold if is_total else formats.percent)
        summary.write_number(at, 10, unit.not_reported, style)
    book.close()
    partial.replace(path)
    return len(rows)
