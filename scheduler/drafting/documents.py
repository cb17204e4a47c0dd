"""Reading a conclusion, plan or directive into clean text: plain text, .docx and text-based .pdf.

What the extractor needs is paragraphs of Unicode (NFC) text with single spaces. Whatever cannot give
that — an empty file, a binary one, a scanned PDF without a text layer — gets a message that says what
to do, never a traceback.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from pathlib import Path

MAX_BYTES = 50 * 1024 * 1024
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u3000]+")
_COLUMN_GAP = re.compile(r"(?<=\S)[ \u00a0]{4,}(?=\S)")
_LETTERHEAD_LINES = 15


class DocumentError(ValueError):
    """A document that cannot be read as text; the message names the file and what to do."""


def clean_text(text: str) -> str:
    """NFC, one kind of line break, single spaces, no blank-only lines doubled.

    In the letterhead (the first lines), a wide gap parts two columns ("Số: 63/HTS        Hà Nội, ngày …"):
    each column becomes a line of its own, so the dateline and the issuer are read apart.
    """
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", ""))
    raw = text.split("\n")
    raw = [part for line in raw[:_LETTERHEAD_LINES] for part in _COLUMN_GAP.split(line)] + raw[_LETTERHEAD_LINES:]
    lines = [_SPACES.sub(" ", line).strip() for line in raw]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _read_docx(path: Path) -> str:
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentError(f"{path}: không mở được tệp .docx ({exc}); hãy lưu lại bằng Word dạng .docx") from None
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n\n".join(parts)


def _read_pdf(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise DocumentError(f"{path}: không đọc được tệp PDF ({exc})") from None
    text = "\n".join(pages)
    if not text.strip():
        raise DocumentError(
            f"{path}: PDF không có lớp chữ (có lẽ là bản quét, {len(pages)} trang). "
            "Hãy nhận dạng chữ (OCR) trước, hoặc dùng bản .docx/.txt của văn bản"
        )
    return join_wrapped_lines(text)


def join_wrapped_lines(text: str) -> str:
    """A PDF breaks paragraphs into lines: a line that fills the width goes on in the next one.

    A paragraph's last line is shorter, and so are titles and headings ("1. Đối với Văn phòng Đảng ủy"):
    they stay lines of their own.
    """
    lines = [line.rstrip() for line in text.split("\n")]
    width = max((len(line) for line in lines), default=0)
    out: list[str] = []
    last_full = False
    for line in lines:
        previous = out[-1] if out else ""
        wrapped = previous and last_full
        if wrapped and line.strip():
            out[-1] = f"{previous} {line.strip()}"
        else:
            out.append(line)
        last_full = len(line) >= 0.8 * width
    return "\n".join(out)


def _read_text(path: Path, data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise DocumentError(f"{path}: đây là tệp nhị phân, không phải văn bản; hãy dùng .txt (UTF-8), .docx hoặc .pdf")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DocumentError(
            f"{path}:{line}: không phải chữ UTF-8 (byte {data[exc.start]:#04x}); "
            "hãy lưu lại văn bản với mã hóa UTF-8 (Unicode)"
        ) from None


def read_document(path: Path) -> str:
    """The text of a .txt, .docx or .pdf file, cleaned; `DocumentError` when there is none to read."""
    if not path.is_file():
        raise DocumentError(f"{path}: không có tệp này")
    size = path.stat().st_size
    if size == 0:
        raise DocumentError(f"{path}: tệp rỗng, không có gì để đọc")
    if size > MAX_BYTES:
        raise DocumentError(f"{path}: tệp {size / 1e6:.0f} MB quá lớn (tối đa {MAX_BYTES // 1_000_000} MB)")
    with path.open("rb") as handle:
        head = handle.read(8)
    suffix = path.suffix.lower()
    if suffix == ".docx" or (head.startswith(b"PK") and suffix not in (".txt", ".pdf")):
        text = _read_docx(path)
    elif suffix == ".pdf" or head.startswith(b"%PDF"):
        text = _read_pdf(path)
    else:
        text = _read_text(path, path.read_bytes())
    cleaned = clean_text(text)
    if not cleaned:
        raise DocumentError(f"{path}: văn bản không có chữ nào")
    return cleaned
