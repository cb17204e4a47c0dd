"""The Excel report an office prints: the task table in status colours, and the per-unit statistics.

Written in openpyxl's write-only mode, row by row, so a province-scale quarter stays small in memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from scheduler.stats import BUCKET_LABELS, ReportLine, Statistics

# Light fills that print well, one per state, in the colours of the chart.
FILLS = {
    "done_on_time": "C8E6C9",  # green
    "done_late": "FFE0B2",  # orange
    "in_progress": "BBDEFB",  # blue
    "overdue": "FFCDD2",  # red
    "not_started": "E0E0E0",  # grey
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
)
# Widths in characters: at least the heading, at most this, long text wraps.
MAX_WIDTH = {"Nhiệm vụ": 60, "Đơn vị phối hợp": 36, "Ghi chú": 45, "Đơn vị chủ trì": 32, "Đơn vị": 36}
HEADER_ROW = 3
THIN = Side(style="thin", color="9E9E9E")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
WRAP = Alignment(wrap_text=True, vertical="top")


def _cell(
    sheet: WriteOnlyWorksheet,
    value: object,
    fill: str | None = None,
    bold: bool = False,
    number_format: str | None = None,
) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.border = BORDER
    cell.alignment = WRAP
    if fill:
        cell.fill = PatternFill("solid", fgColor=fill)
    if bold:
        cell.font = Font(bold=True)
    if number_format:
        cell.number_format = number_format
    return cell


def _header(sheet: WriteOnlyWorksheet, title: str, headings: tuple[str, ...], widths: list[int]) -> None:
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    heading = WriteOnlyCell(sheet, value=title)
    heading.font = Font(bold=True, size=14)
    sheet.append([heading])
    sheet.append([])
    cells = []
    for text in headings:
        cell = WriteOnlyCell(sheet, value=text)
        cell.fill, cell.font, cell.border = HEADER_FILL, HEADER_FONT, BORDER
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        cells.append(cell)
    sheet.append(cells)


def _width(heading: str, longest: int) -> int:
    return max(len(heading) + 2, min(longest + 2, MAX_WIDTH.get(heading, 20)))


def _status_text(line: ReportLine) -> str:
    text = BUCKET_LABELS[line.bucket]
    if line.bucket == "in_progress" and line.percent:
        text += f" ({line.percent}%)"
    return text


def _deadline(line: ReportLine) -> str:
    text = f"{line.due:%d/%m/%Y}"
    if line.due != line.original_due:
        text += f" (gia hạn; hạn gốc {line.original_due:%d/%m/%Y})"
    return text


def _row(line: ReportLine) -> tuple[str, str, str, str, str, str, str]:
    note = "; ".join(p for p in (line.note, f"Thời hạn giao: {line.deadline_text}" if line.deadline_text else "") if p)
    return (
        f"{line.title} ({line.task_code})",
        line.unit_name,
        ", ".join(line.coordinating),
        _deadline(line),
        _status_text(line),
        f"{line.done_on:%d/%m/%Y}" if line.done_on else "",
        note,
    )


def write_report(path: Path, stats: Statistics, lines: Iterable[ReportLine]) -> int:
    """Write the two sheets; returns the number of task rows. The file appears only once complete."""
    rows = [(line.bucket, _row(line)) for line in lines]
    workbook = Workbook(write_only=True)
    title = f"BÁO CÁO TIẾN ĐỘ THỰC HIỆN NHIỆM VỤ {stats.period.label.upper()} — tính đến ngày {stats.today:%d/%m/%Y}"

    tasks = workbook.create_sheet("Nhiệm vụ")
    longest = [max((len(r[i]) for _b, r in rows), default=0) for i in range(7)]
    widths = [6] + [_width(h, n) for h, n in zip(TASK_HEADINGS[1:], longest, strict=True)]
    _header(tasks, title, TASK_HEADINGS, widths)
    for number, (bucket, row) in enumerate(rows, start=1):
        cells = [_cell(tasks, number)] + [_cell(tasks, value) for value in row]
        cells[5] = _cell(tasks, row[4], fill=FILLS[bucket], bold=bucket == "overdue")
        tasks.append(cells)

    summary = workbook.create_sheet("Thống kê")
    name_width = _width("Đơn vị", max((len(u.unit_name) for u in stats.units), default=0))
    _header(summary, title, STATS_HEADINGS, [6, name_width] + [12] * 8)
    for number, unit in enumerate([*stats.units, stats.total], start=1):
        is_total = unit is stats.total
        values = (
            unit.assigned,
            unit.done_on_time,
            unit.done_late,
            unit.in_progress,
            unit.not_started,
            unit.overdue,
            unit.extended,
        )
        cells = [_cell(summary, "" if is_total else number), _cell(summary, unit.unit_name, bold=is_total)]
        cells += [_cell(summary, v, bold=is_total) for v in values]
        cells[7] = _cell(summary, unit.overdue, fill=FILLS["overdue"] if unit.overdue else None, bold=True)
        cells.append(_cell(summary, unit.on_time_rate, bold=is_total, number_format="0%"))
        summary.append(cells)

    partial = path.with_name(path.name + ".part")
    workbook.save(partial)
    partial.replace(path)
    return len(rows)
