"""The register as tables: an Excel workbook (one sheet per kind) or a folder of CSV files.

Both use the same Vietnamese sheet names and column headings, so a keeper can move between them.
Errors point at a cell: `Nhiệm vụ!C7` in Excel, `nhiem-vu.csv:7: Thời hạn` in CSV.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from scheduler.cells import csv_escape, csv_unescape, risky, set_text
from scheduler.register.file import Problem, RawRegister, Register, RegisterError
from scheduler.register.limits import MAX_COLUMNS, MAX_FOLDER_BYTES, MAX_ROWS, check_xlsx, read_bytes
from scheduler.register.yaml_format import decode_utf8, register_to_dict

META_SHEET = "Thông tin"
SHEETS: dict[str, str] = {"groups": "Nhóm", "units": "Đơn vị", "officials": "Cán bộ", "tasks": "Nhiệm vụ"}
CSV_FILES: dict[str, str] = {
    "Nhóm": "nhom.csv",
    "Đơn vị": "don-vi.csv",
    "Cán bộ": "can-bo.csv",
    "Nhiệm vụ": "nhiem-vu.csv",
    META_SHEET: "thong-tin.csv",
}
HEADINGS: dict[str, dict[str, str]] = {
    "groups": {"code": "Mã", "name": "Tên nhóm", "aliases": "Tên khác", "bot": "Bot"},
    "units": {
        "code": "Mã",
        "name": "Tên đơn vị",
        "kind": "Loại",
        "aliases": "Tên khác",
        "groups": "Thuộc nhóm",
        "bot": "Bot",
    },
    "officials": {"code": "Mã", "name": "Họ và tên", "title": "Chức vụ", "role": "Vai trò", "units": "Đơn vị"},
    "tasks": {
        "code": "Mã",
        "title": "Nhiệm vụ",
        "quote": "Trích văn bản",
        "source_doc": "Văn bản",
        "source_date": "Ngày văn bản",
        "deadline": "Thời hạn",
        "due": "Hạn (ngày)",
        "rrule": "Lặp lại (RRULE)",
        "kind": "Loại",
        "lead": "Chủ trì",
        "coordinating": "Phối hợp",
        "note": "Ghi chú",
        "reminders": "Lịch nhắc riêng",
        "ongoing": "Thường xuyên",
    },
}
# A drafted task also carries what the machine was unsure of; the import refuses it until "Cần xem lại" is empty.
DRAFT_HEADINGS: dict[str, str] = {"review": "Cần xem lại", "confidence": "Độ tin cậy"}
META_KEYS = {"title": "Tên sổ", "source_doc": "Văn bản nguồn", "source_date": "Ngày văn bản", "reminders": "Lịch nhắc"}
META_HEADINGS = ("Mục", "Giá trị")
_YAML_FIELDS = {"reminders"}

Sheets = dict[str, list[list[Any]]]
# place(sheet, row number (1-based), column number (1-based), heading) → "Nhiệm vụ!C7"
Place = Callable[[str, int, int, str], str]


def _xlsx_place(source: str) -> Place:
    def place(sheet: str, row: int, col: int, heading: str) -> str:
        from openpyxl.utils import get_column_letter

        return f"{source}: {sheet}!{get_column_letter(col)}{row}" + (f" ({heading})" if heading else "")

    return place


def _csv_place(source: str) -> Place:
    def place(sheet: str, row: int, _col: int, heading: str) -> str:
        return f"{source}/{CSV_FILES.get(sheet, sheet)}:{row}" + (f": {heading}" if heading else "")

    return place


_FIELD_WORDS = re.compile(r"\b(xóa |bỏ )?trường (\w+)|\b(\w+): true\b|\bghi (\w+)\b")


def table_words(section: str | None, message: str) -> str:
    """A message in a workbook's or CSV's words: its columns («Hạn (ngày)»), not the YAML fields (due)."""
    headings = {**HEADINGS.get(section or "tasks", {}), **DRAFT_HEADINGS}

    def column(match: re.Match[str]) -> str:
        verb, field, flag, written = match.groups()
        if field in headings:
            return {"xóa ": "xóa chữ trong ô ", "bỏ ": "để trống ô "}.get(verb or "", "cột ") + f"«{headings[field]}»"
        if flag in headings:
            return f"«{headings[flag]}» = có"
        if written in headings:
            return f"ghi «{headings[written]}»"
        return match[0]

    return _FIELD_WORDS.sub(column, message)


def _rows_to_raw(sheets: Sheets, place: Place, source: str, problems: list[Problem]) -> RawRegister:
    known = list(SHEETS.values()) + [META_SHEET]
    for sheet in sheets:
        if sheet not in known:
            close = difflib.get_close_matches(sheet, known, n=1, cutoff=0.4)
            hint = f"; có phải {close[0]!r}? Hãy đặt lại đúng tên" if close else ""
            problems.append(
                Problem(f"{source}: {sheet}", f"trang tính lạ {sheet!r}{hint} (các trang: {', '.join(known)})")
            )
    positions: dict[str, list[int]] = {}
    columns: dict[str, dict[str, int]] = {}
    sections: dict[str, list[dict[str, Any]]] = {}
    for section, sheet in SHEETS.items():
        rows = sheets.get(sheet)
        if rows is None:
            continue
        heading_to_field = {h: f for f, h in HEADINGS[section].items()}
        if section == "tasks":
            heading_to_field |= {h: f for f, h in DRAFT_HEADINGS.items()}
        header = [str(c).strip() if c is not None else "" for c in (rows[0] if rows else [])]
        fields: list[str | None] = []
        for col, heading in enumerate(header, start=1):
            if not heading:
                fields.append(None)
                continue
            fieldname = heading_to_field.get(heading)
            if fieldname is None:
                close = difflib.get_close_matches(heading, list(heading_to_field), n=1, cutoff=0.5)
                hint = f"; có phải {close[0]!r}?" if close else ""
                problems.append(
                    Problem(
                        place(sheet, 1, col, heading),
                        f"tiêu đề cột lạ {heading!r}{hint} (các cột: {', '.join(heading_to_field)})",
                    )
                )
            fields.append(fieldname)
        columns[section] = {f: i + 1 for i, f in enumerate(fields) if f}
        records: list[dict[str, Any]] = []
        rownums: list[int] = []
        for rownum, row in enumerate(rows[1:], start=2):
            if all(c is None or (isinstance(c, str) and not c.strip()) for c in row):
                continue
            record: dict[str, Any] = {}
            for col, value in enumerate(row, start=1):
                fieldname = fields[col - 1] if col - 1 < len(fields) else None
                if fieldname is None or value is None or (isinstance(value, str) and not value.strip()):
                    continue
                if fieldname in _YAML_FIELDS and isinstance(value, str):
                    try:
                        value = yaml.safe_load(value)
                    except yaml.YAMLError:
                        problems.append(
                            Problem(
                                place(sheet, rownum, col, HEADINGS[section][fieldname]),
                                "không đọc được; viết dạng {before_days: [3, 1]}",
                            )
                        )
                        continue
                record[fieldname] = value
            records.append(record)
            rownums.append(rownum)
        sections[section] = records
        positions[section] = rownums

    meta: dict[str, Any] = {}
    meta_rows: dict[str, int] = {}
    key_to_field = {h: f for f, h in META_KEYS.items()}
    for rownum, row in enumerate(sheets.get(META_SHEET, [])[1:], start=2):
        if not row or row[0] in (None, ""):
            continue
        key = str(row[0]).strip()
        fieldname = key_to_field.get(key)
        if fieldname is None:
            problems.append(
                Problem(
                    place(META_SHEET, rownum, 1, META_HEADINGS[0]),
                    f"mục lạ {key!r} (các mục: {', '.join(key_to_field)})",
                )
            )
            continue
        value = row[1] if len(row) > 1 else None
        if fieldname in _YAML_FIELDS and isinstance(value, str):
            try:
                value = yaml.safe_load(value)
            except yaml.YAMLError:
                problems.append(Problem(place(META_SHEET, rownum, 2, META_HEADINGS[1]), "không đọc được lịch nhắc"))
                continue
        meta[fieldname] = value
        meta_rows[fieldname] = rownum
    if problems:
        raise RegisterError(problems)

    def locate(section: str | None, index: int | None, fieldname: str | None) -> str:
        if section is None:
            return place(META_SHEET, meta_rows.get(fieldname or "", 1), 2, META_HEADINGS[1])
        sheet = SHEETS[section]
        row = positions[section][index] if index is not None else 1
        known = {**HEADINGS[section], **DRAFT_HEADINGS} if section == "tasks" else HEADINGS[section]
        heading = known.get(fieldname or "", "")
        col = columns[section].get(fieldname or "", 1)
        return place(sheet, row, col, heading)

    return RawRegister(meta=meta, sections=sections, locate=locate, words=table_words)


def _missing(sheets: Sheets, names: dict[str, str], source: str, kind: str) -> list[Problem]:
    """Every sheet (or CSV file) the format has must be there: one left out would silently import nothing."""
    return [
        Problem(f"{source}: {name}", f"thiếu {kind} {name!r}; xuất một sổ (nhacviec export) để xem đủ các {kind}")
        for sheet, name in names.items()
        if sheet not in sheets
    ]


def read_xlsx(path: Path) -> RawRegister:
    """Read a workbook with one sheet per kind (Đơn vị, Nhóm, Cán bộ, Nhiệm vụ, Thông tin)."""
    check_xlsx(path)
    name = path.name
    sheets: Sheets = {}
    from openpyxl import load_workbook  # only when a workbook is read: `nhacviec extract` starts faster

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            for ws in workbook.worksheets:
                rows: list[list[Any]] = []
                for row in ws.iter_rows(max_col=MAX_COLUMNS, values_only=True):
                    rows.append(list(row))
                    if len(rows) > MAX_ROWS + 1:
                        raise RegisterError(
                            [Problem(f"{name}: {ws.title}", f"hơn {MAX_ROWS:,} dòng, quá giới hạn; hãy tách sổ")]
                        )
                sheets[ws.title] = rows
        finally:
            workbook.close()
    except RegisterError:
        raise
    except Exception as exc:  # openpyxl raises whatever a broken part makes it raise: say so, never a traceback
        raise RegisterError(
            [
                Problem(
                    name,
                    f"không đọc được tệp Excel ({type(exc).__name__}: {str(exc)[:200]}); "
                    "hãy mở tệp trong Excel hoặc LibreOffice và lưu lại dạng .xlsx",
                )
            ]
        ) from None
    problems = _missing(sheets, {s: s for s in [META_SHEET, *SHEETS.values()]}, name, "trang tính")
    return _rows_to_raw(sheets, _xlsx_place(name), name, problems)


def _delimiter(text: str) -> str:
    """Excel in a Vietnamese (or most European) locale saves "CSV" with semicolons: read those as written."""
    header = text.split("\n", 1)[0]
    return ";" if ";" in header and "," not in header else ","


def read_csv_folder(folder: Path) -> RawRegister:
    """Read a folder of CSV files named as `export --format csv` writes them."""
    sheets: Sheets = {}
    by_file = {v: k for k, v in CSV_FILES.items()}
    source = folder.name or str(folder)
    total = 0
    for path in sorted(folder.glob("*.csv")):
        name = f"{source}/{path.name}"
        data = read_bytes(path, name)
        total += len(data)
        if total > MAX_FOLDER_BYTES:
            raise RegisterError([Problem(source, f"các tệp CSV lớn quá giới hạn {MAX_FOLDER_BYTES // 2**20} MB")])
        text = decode_utf8(data, name)
        reader = csv.reader(io.StringIO(text), strict=True, delimiter=_delimiter(text))
        rows: list[list[Any]] = []
        try:
            for row in reader:
                rows.append([csv_unescape(v) for v in row[:MAX_COLUMNS]])
        except csv.Error as exc:
            reason = "một ô quá dài" if "field larger" in str(exc) else f"sai dạng CSV ({exc})"
            raise RegisterError(
                [
                    Problem(
                        f"{name}:{reader.line_num}",
                        f"{reason}; hãy mở tệp bằng Excel hoặc LibreOffice, sửa dòng này và lưu lại dạng CSV UTF-8",
                    )
                ]
            ) from None
        sheets[by_file.get(path.name, path.stem)] = rows
    if not sheets:
        raise RegisterError([Problem(source, f"thư mục không có tệp CSV nào của sổ ({', '.join(CSV_FILES.values())})")])
    files = {sheet: CSV_FILES[sheet] for sheet in [META_SHEET, *SHEETS.values()]}
    return _rows_to_raw(sheets, _csv_place(source), source, _missing(sheets, files, source, "tệp"))


# --- writing ---------------------------------------------------------------------------------------


def _cell(value: Any, fieldname: str) -> Any:
    if value is True:
        return "có"
    if isinstance(value, list):
        return ("\n" if fieldname == "review" else ", ").join(str(v) for v in value)
    if fieldname in _YAML_FIELDS and value is not None:
        return yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, sort_keys=False).strip()
    return value


def register_tables(reg: Register) -> Sheets:
    """The register as rows per sheet, headings first."""
    return tables_from_dict(register_to_dict(reg))


def tables_from_dict(data: dict[str, Any], task_headings: dict[str, str] | None = None) -> Sheets:
    """Rows per sheet from the register in the import format; `task_headings` may add (draft) task columns."""
    sheets: Sheets = {META_SHEET: [list(META_HEADINGS)]}
    for fieldname, label in META_KEYS.items():
        if fieldname in data:
            sheets[META_SHEET].append([label, _cell(data[fieldname], fieldname)])
    for section, sheet in SHEETS.items():
        headings = task_headings if section == "tasks" and task_headings else HEADINGS[section]
        rows: list[list[Any]] = [list(headings.values())]
        for record in data.get(section) or []:
            rows.append([_cell(record.get(f), f) for f in headings])
        sheets[sheet] = rows
    return sheets


def write_xlsx(reg: Register, path: Path) -> None:
    """A workbook a keeper can edit and import again."""
    write_sheets(register_tables(reg), path)


def write_sheets(sheets: Sheets, path: Path, flag: str | None = None) -> None:
    """Write rows per sheet; a row whose `flag` column (by heading) is filled is shaded for the keeper's eye."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    marked = PatternFill("solid", fgColor="FFF2CC")
    for sheet, rows in sheets.items():
        ws = workbook.create_sheet(sheet)
        for rownum, row in enumerate(rows, start=1):
            ws.append(row)
            for col, value in enumerate(row, start=1):
                if risky(value):
                    set_text(ws.cell(row=rownum, column=col), value)
        for cell in ws[1]:
            cell.font = bold
            cell.fill = fill
        ws.freeze_panes = "A2"
        for col in range(1, len(rows[0]) + 1):
            width = max(
                (len(str(r[col - 1])) for r in rows[:200] if col - 1 < len(r) and r[col - 1] is not None), default=8
            )
            ws.column_dimensions[get_column_letter(col)].width = min(max(width + 2, 8), 60)
        flag_col = rows[0].index(flag) if flag in rows[0] else None
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, date | datetime):
                    cell.number_format = "DD/MM/YYYY"
                elif isinstance(cell.value, str) and (len(cell.value) > 60 or "\n" in cell.value):
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
            if flag_col is not None and row[flag_col].value:
                for cell in row:
                    cell.fill = marked
    workbook.save(path)


def write_csv_folder(reg: Register, folder: Path) -> list[Path]:
    """One UTF-8 CSV per sheet (with a BOM so that Excel shows Vietnamese correctly)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for sheet, rows in register_tables(reg).items():
        path = folder / CSV_FILES[sheet]
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            for row in rows:
                writer.writerow(
                    ["" if v is None else (v.isoformat() if isinstance(v, date) else csv_escape(v)) for v in row]
                )
        written.append(path)
    return written
