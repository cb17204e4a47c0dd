"""How big a register file may be, checked before it is read, so that no file can exhaust time or memory.

The limits are several times a province's register (3,000 units, 15,000 officials, 100,000 tasks: 18 MB
of YAML) and are stated in the README. Every refusal names the file and says what to do.
"""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

from scheduler.register.file import Problem, RawRegister, RegisterError

MAX_FILE_BYTES = 32 * 1024 * 1024  # a YAML file, an .xlsx file, each CSV file
MAX_FOLDER_BYTES = 64 * 1024 * 1024  # all the CSV files of a folder together
MAX_ROWS = 200_000  # entries of one section (rows of one sheet or CSV file)
MAX_FIELD_CHARS = 10_000  # characters of one field (cell)
MAX_ZIP_MEMBERS = 1_000  # files inside an .xlsx
MAX_UNCOMPRESSED = 128 * 1024 * 1024  # all of an .xlsx's members, uncompressed
MAX_MEMBER = 64 * 1024 * 1024  # one member, uncompressed
MAX_RATIO = 100  # uncompressed ÷ compressed, for a member over 1 MB
MAX_COLUMNS = 30  # columns read from a sheet


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MB"


def regular_file(path: Path, name: str | None = None, limit: int = MAX_FILE_BYTES) -> int:
    """The size of `path` if it is a regular file within the limit; otherwise a problem naming it."""
    name = name or path.name
    try:
        info = path.stat()
    except OSError as exc:
        raise RegisterError(
            [Problem(name, f"không đọc được tệp ({exc.strerror}); kiểm tra đường dẫn và quyền")]
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise RegisterError(
            [
                Problem(
                    name,
                    "không phải một tệp thường (thiết bị, ống dẫn…); hãy chỉ ra tệp sổ .yaml, .xlsx hoặc thư mục CSV",
                )
            ]
        )
    if info.st_size > limit:
        raise RegisterError(
            [
                Problem(
                    name,
                    f"tệp lớn {_mb(info.st_size)}, quá giới hạn {_mb(limit)}; "
                    "hãy tách sổ thành nhiều tệp hoặc bỏ bớt phần không cần",
                )
            ]
        )
    return info.st_size


def read_bytes(path: Path, name: str | None = None, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file within the limit (read no further than the limit, should it grow)."""
    size = regular_file(path, name, limit)
    with path.open("rb") as handle:
        data = handle.read(min(size, limit) + 1)  # a file still growing is cut at the limit, not followed
    if len(data) > limit:
        raise RegisterError([Problem(name or path.name, f"tệp lớn quá giới hạn {_mb(limit)}")])
    return data


def check_xlsx(path: Path) -> None:
    """An .xlsx is a zip: refuse a broken one, and one whose contents would expand past the limits."""
    name = path.name
    regular_file(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise RegisterError(
            [
                Problem(
                    name,
                    f"không phải tệp Excel .xlsx đọc được ({type(exc).__name__}); "
                    "hãy mở tệp trong Excel hoặc LibreOffice và lưu lại dạng .xlsx",
                )
            ]
        ) from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise RegisterError([Problem(name, f"tệp Excel chứa {len(members)} tệp con, quá giới hạn {MAX_ZIP_MEMBERS}")])
    total = 0
    for member in members:
        total += member.file_size
        big = member.file_size > 1024 * 1024
        if member.file_size > MAX_MEMBER or (big and member.file_size > MAX_RATIO * max(member.compress_size, 1)):
            raise RegisterError(
                [
                    Problem(
                        f"{name}: {member.filename}",
                        f"phần này giải nén ra {_mb(member.file_size)} (từ {member.compress_size:,} byte), "
                        f"quá giới hạn ({_mb(MAX_MEMBER)}, nén tối đa {MAX_RATIO} lần); "
                        "tệp có thể hỏng hoặc độc hại: hãy lưu lại sổ từ Excel",
                    )
                ]
            )
    if total > MAX_UNCOMPRESSED:
        raise RegisterError(
            [Problem(name, f"tệp Excel giải nén ra {_mb(total)}, quá giới hạn {_mb(MAX_UNCOMPRESSED)}; hãy tách sổ")]
        )


def size_problems(raw: RawRegister) -> list[Problem]:
    """Sections with too many entries and fields too long, each with its place."""
    problems: list[Problem] = []
    for key, value in raw.meta.items():
        if isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
            problems.append(Problem(raw.locate(None, None, str(key)), _too_long(len(value))))
    for section, records in raw.sections.items():
        if len(records) > MAX_ROWS:
            problems.append(
                Problem(
                    raw.locate(section, None, None),
                    f"{len(records):,} mục, quá giới hạn {MAX_ROWS:,}; hãy tách sổ thành nhiều tệp",
                )
            )
            continue
        for index, record in enumerate(records):
            if not isinstance(record, dict):
                continue
            for field, value in record.items():
                items = value if isinstance(value, list) else [value]
                longest = max((len(v) for v in items if isinstance(v, str)), default=0)
                if longest > MAX_FIELD_CHARS:
                    problems.append(Problem(raw.locate(section, index, str(field)), _too_long(longest)))
    return problems


def _too_long(length: int) -> str:
    return (
        f"dài {length:,} ký tự, quá giới hạn {MAX_FIELD_CHARS:,}; "
        "hãy rút gọn (trích dẫn dài để ở văn bản gốc, ghi số hiệu văn bản)"
    )
