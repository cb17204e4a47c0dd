"""Files a keeper sends the bot: a register to import, or a conclusion to draft a register from.

Every check that needs no content comes first (its kind by name, its size as the channel states it), so
that a file refused is never downloaded; the content is then checked for what its name claims before a
reader opens it. The import is the CLI's: all or nothing.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from scheduler.clock import Clock, local_today
from scheduler.register.file import Problem, RegisterError
from scheduler.register.importer import ImportReport, import_register, load_register, read_register

if TYPE_CHECKING:
    from scheduler.drafting.extraction import Draft

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # far above any register or conclusion; Telegram lets bots fetch 20 MB
REGISTER_SUFFIXES = (".xlsx", ".yaml", ".yml")
DOCUMENT_SUFFIXES = (".docx", ".pdf", ".txt")
_ZIP = b"PK\x03\x04"  # .xlsx and .docx are zip files


class UploadError(ValueError):
    """A file refused before it is read; the message says why and what to send instead."""


def kind_of(filename: str) -> str:
    """"register" (import it) or "document" (draft from it), by the file's name; UploadError otherwise."""
    suffix = Path(filename).suffix.lower()
    if suffix in REGISTER_SUFFIXES:
        return "register"
    if suffix in DOCUMENT_SUFFIXES:
        return "document"
    raise UploadError(
        f"tệp {filename!r} không phải loại bot đọc được. Gửi sổ nhắc việc dạng .xlsx (hoặc .yaml) để nhập sổ, "
        "hoặc văn bản kết luận .docx, .pdf, .txt để bot soạn bản nháp."
    )


def check_size(filename: str, size: int | None) -> None:
    """Refuse an empty or too large file (by the size the channel states, or by the bytes received)."""
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise UploadError(
            f"tệp {filename!r} nặng {size / 1_048_576:.1f} MB, quá giới hạn {MAX_UPLOAD_BYTES // 1_048_576} MB. "
            "Hãy bỏ bớt trang tính hoặc hình ảnh thừa rồi gửi lại."
        )
    if size == 0:
        raise UploadError(f"tệp {filename!r} rỗng, không có gì để đọc.")


def check_content(filename: str, data: bytes) -> None:
    """The bytes are what the name says: a zip for .xlsx/.docx, a PDF for .pdf, text for the others."""
    check_size(filename, len(data))
    suffix = Path(filename).suffix.lower()
    if suffix in (".xlsx", ".docx") and not data.startswith(_ZIP):
        kind = "Excel" if suffix == ".xlsx" else "Word"
        raise UploadError(
            f"tệp {filename!r} không phải tệp {kind} thật. Hãy mở nó bằng {kind} và lưu lại dạng {suffix}."
        )
    if suffix == ".pdf" and not data.startswith(b"%PDF"):
        raise UploadError(f"tệp {filename!r} không phải tệp PDF thật. Hãy xuất lại văn bản ra PDF.")
    if suffix in (".yaml", ".yml", ".txt") and b"\x00" in data[:8192]:
        raise UploadError(f"tệp {filename!r} là tệp nhị phân, không phải chữ. Hãy gửi đúng tệp {suffix}.")


def _safe_name(filename: str) -> str:
    stem = re.sub(r"[^\w.-]+", "_", Path(filename).stem).strip("._") or "tep"
    return f"{stem[:80]}{Path(filename).suffix.lower()}"


def _with_file(filename: str, data: bytes) -> tuple[tempfile.TemporaryDirectory[str], Path]:
    folder = tempfile.TemporaryDirectory(prefix="nhacviec-upload-")
    path = Path(folder.name) / _safe_name(filename)
    path.write_bytes(data)
    return folder, path


def import_upload(engine: Engine, filename: str, data: bytes, clock: Clock, actor: str) -> ImportReport:
    """Check the whole register file, then write all of it (or nothing): `RegisterError` lists every problem."""
    check_content(filename, data)
    folder, path = _with_file(filename, data)
    with folder:
        try:
            register = load_register(path)
        except UnicodeDecodeError:
            raise RegisterError([Problem(filename, "không phải chữ UTF-8; hãy lưu lại tệp với mã hóa UTF-8")]) from None
    return import_register(engine, register, clock, actor=actor)


@dataclass(frozen=True)
class DraftWorkbook:
    """A register drafted from a document, as a workbook to review, with what the machine found."""

    filename: str
    data: bytes
    draft: Draft

    @property
    def to_review(self) -> int:
        return sum(1 for t in self.draft.tasks if t.review)


def draft_upload(engine: Engine, filename: str, data: bytes, clock: Clock) -> DraftWorkbook:
    """Read a conclusion and draft its tasks against the units in the database; DocumentError if unreadable."""
    from scheduler.drafting.documents import DocumentError, read_document
    from scheduler.drafting.drafts import write_draft_xlsx
    from scheduler.drafting.extraction import extract

    check_content(filename, data)
    folder, path = _with_file(filename, data)
    with folder:
        text = read_document(path)
        register = read_register(engine)
        if not register.units:
            raise DocumentError("sổ chưa có đơn vị nào: hãy nhập sổ (danh sách đơn vị, cán bộ) trước khi gửi văn bản")
        draft = extract(text, register, None, source=filename)
        name = f"ban-nhap-{_safe_name(Path(filename).stem + '.xlsx')}"
        written = Path(folder.name) / name
        write_draft_xlsx(draft, register, written)  # the workbook of `nhacviec extract -o draft.xlsx`
        return DraftWorkbook(name, written.read_bytes(), draft)


def register_workbook(engine: Engine, clock: Clock) -> tuple[str, bytes]:
    """The register as it is now, as an Excel workbook the keeper can edit and send back."""
    from scheduler.register.tables import write_xlsx

    name = f"so-nhac-viec-{local_today(clock):%Y-%m-%d}.xlsx"
    with tempfile.TemporaryDirectory(prefix="nhacviec-export-") as folder:
        path = Path(folder) / name
        write_xlsx(read_register(engine), path)
        return name, path.read_bytes()
