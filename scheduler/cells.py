"""Spreadsheet cells that are never formulas (OWASP's advice on CSV injection), shared by every export.

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is what Excel and LibreOffice run
as a formula (`=HYPERLINK(…)`, `-2+3`, `@SUM(…)`). In an `.xlsx` such text is written as a string cell
with Excel's quote prefix, so it shows and re-imports exactly as typed; in a CSV file it gets a leading
`'`, which the register import takes off again (as it does the `'` that escapes a leading `'`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # openpyxl loads in half a second: only the code that writes a workbook needs it
    from openpyxl.cell.cell import Cell

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def risky(value: Any) -> bool:
    """A string a spreadsheet would run as a formula."""
    return isinstance(value, str) and value.startswith(TRIGGERS)


def set_text(cell: Cell, value: Any) -> None:
    """Put a value in an xlsx cell; a string stays a string, whatever it begins with."""
    cell.value = value
    if risky(value) or (isinstance(value, str) and cell.data_type == "f"):
        cell.data_type = "s"
        cell.quotePrefix = True


def csv_escape(value: Any) -> Any:
    """A CSV field that no spreadsheet runs; `csv_unescape` gives the value back."""
    if isinstance(value, str) and (risky(value) or value.startswith("'")):
        return "'" + value
    return value


def csv_unescape(value: str) -> str:
    """Undo `csv_escape`: a `'` before a formula character or before another `'` is taken off."""
    if value.startswith("'") and value[1:2] and (value[1:].startswith(TRIGGERS) or value[1] == "'"):
        return value[1:]
    return value
