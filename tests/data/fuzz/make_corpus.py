"""Writes our corpus of malformed register files (YAML, .xlsx, CSV folders) beside this script.

Run `python tests/data/fuzz/make_corpus.py` to write the small files that are committed; the large ones (a
zip bomb, a 40 MB YAML, a 25-million-character title, a CSV field over 131,072 characters, links to
/dev/zero) are built by `build_large` at test time. Every case must be refused by `nhacviec import` with exit
code 2, a message that names the file and the place, and no change to the database.
"""

from __future__ import annotations

import copy
import csv
import io
import os
import shutil
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from scheduler.register.tables import CSV_FILES, tables_from_dict, write_sheets  # noqa: E402
from scheduler.register.yaml_format import dump_mapping  # noqa: E402

Data = dict[str, Any]


def base() -> Data:
    """The Thường Xuân register (its first six tasks) as the import format's dictionary."""
    data = dict(yaml.safe_load((ROOT / "data" / "register.yaml").read_text(encoding="utf-8")))
    data["tasks"] = data["tasks"][:6]
    return data


def _task(data: Data, i: int = 0) -> Data:
    return dict(data["tasks"][i])


def _set(section: str, index: int, **values: Any) -> Callable[[Data], None]:
    def edit(data: Data) -> None:
        record = dict(data[section][index])
        for key, value in values.items():
            if value is _DROP:
                record.pop(key, None)
            else:
                record[key] = value
        data[section][index] = record

    return edit


_DROP = object()

# semantic faults, written in every format: (name, edit of the register's dictionary)
SEMANTIC: list[tuple[str, Callable[[Data], None]]] = [
    ("duplicate-unit-code", lambda d: d["units"].__setitem__(1, {**d["units"][1], "code": d["units"][0]["code"]})),
    ("duplicate-task-code", lambda d: d["tasks"].__setitem__(1, {**d["tasks"][1], "code": d["tasks"][0]["code"]})),
    ("unknown-lead", _set("tasks", 0, lead=["khong-co-don-vi-nay"])),
    ("unknown-role", _set("officials", 0, role="superuser")),
    ("official-unknown-unit", _set("officials", 0, units=["khong-co"])),
    ("impossible-due", _set("tasks", 0, due="2022-02-31", deadline=_DROP)),
    ("month-13", _set("tasks", 0, due="2022-13-45", deadline=_DROP)),
    ("unknown-phrase", _set("tasks", 0, deadline="khi nào rảnh thì làm", due=_DROP)),
    ("due-contradicts", _set("tasks", 0, deadline="trong tháng 5/2022", due="2022-05-30")),
    ("code-with-spaces", _set("units", 0, code="mã có dấu cách")),
    ("missing-title", _set("tasks", 0, title=_DROP)),
    ("missing-lead", _set("tasks", 0, lead=_DROP)),
    ("bad-rrule", _set("tasks", 0, rrule="FREQ=SOMETIMES", deadline=_DROP, due=_DROP)),
    ("review-left", _set("tasks", 0, review=["thời hạn chưa rõ"])),
    ("confidence-5", _set("tasks", 0, confidence=5)),
    ("ongoing-maybe", _set("tasks", 0, ongoing="có lẽ")),
    ("title-11000-chars", _set("tasks", 0, title="Nhiệm vụ " + "x" * 11_000)),
    ("quote-20000-chars", _set("tasks", 0, quote="Trích " * 4_000)),
    ("control-char-in-title", _set("tasks", 0, title="Tổ chức\x07 Đại hội")),
    ("control-char-in-alias", _set("units", 0, aliases=["UBND\x1b[31m"])),
    ("bad-send-at", lambda d: d.__setitem__("reminders", {"send_at": "99:99"})),
    ("negative-before-days", lambda d: d.__setitem__("reminders", {"before_days": [-1]})),
    ("huge-before-days", lambda d: d.__setitem__("reminders", {"before_days": [10**30]})),
    ("source-date-year-0", lambda d: d.__setitem__("source_date", "0000-01-01")),
    ("group-without-units", lambda d: d["groups"].append({"code": "nhom-trong", "name": "Nhóm trống"})),
    ("unknown-field", _set("tasks", 0, deadlin="trong tháng 5/2022")),
    ("empty-register", lambda d: [d.pop(k) for k in ("groups", "units", "officials", "tasks")]),
]

# fields the sheets have no column for (a drafted task's; a misspelt key)
YAML_ONLY = {"review-left", "confidence-5", "unknown-field"}

# faults only a YAML file can have: (name, file text)
YAML_TEXTS: list[tuple[str, bytes]] = [
    ("empty", b""),
    ("comment-only", b"# s\xe1\xbb\x95 nh\xe1\xba\xafc vi\xe1\xbb\x87c\n# (tr\xe1\xbb\x91ng)\n"),
    ("title-only", "title: Sổ mới\nsource_date: 2022-04-07\n".encode()),
    ("empty-sections", b"groups: []\nunits: []\nofficials: []\ntasks: []\n"),
    ("null-sections", b"units:\ntasks:\n"),
    ("top-level-list", b"- units\n- tasks\n"),
    ("top-level-scalar", b"just some text\n"),
    ("top-level-number", b"42\n"),
    ("nul-bytes", b"units:\n  - {code: a\x00b, name: x}\n"),
    ("latin-1", "units:\n  - {code: ubnd, name: Ủy ban}\n".encode().replace("Ủ".encode(), b"\xdb")),
    ("utf-16", "units:\n  - {code: ubnd, name: UBND}\n".encode("utf-16")),
    ("tab-indent", b"units:\n\t- {code: ubnd, name: UBND}\n"),
    ("unclosed-quote", b'units:\n  - {code: "ubnd, name: UBND}\n'),
    ("unclosed-bracket", b"units:\n  - {code: ubnd, name: UBND\n"),
    ("python-tag", b"units: !!python/object/apply:os.system ['echo hi']\n"),
    ("python-name-tag", b"title: !!python/name:os.system\n"),
    ("binary-bad", b"title: !!binary '***'\n"),
    ("int-bad", b"title: !!int abc\n"),
    ("float-bad", b"title: !!float x1\n"),
    ("timestamp-bad", b"source_date: !!timestamp 2022-99-99\n"),
    ("deep-nesting", b"units: " + b"[" * 5000 + b"]" * 5000 + b"\n"),
    ("deep-mapping", b"units:\n" + b"".join(b"  " * i + b"a:\n" for i in range(1, 300))),
    ("duplicate-top-key", b"units: []\nunits: []\ntasks: []\n"),
    ("integer-top-key", b"1: x\nunits: []\n"),
    ("integer-field-key", b"units:\n  - {code: ubnd, name: UBND, 7: x}\ntasks: []\n"),
    ("complex-key", b"? [a, b]\n: x\nunits: []\n"),
    ("units-a-number", b"units: 5\ntasks: []\n"),
    ("unit-a-string", b"units:\n  - ubnd\ntasks: []\n"),
    ("unit-a-list", b"units:\n  - [ubnd, UBND]\ntasks: []\n"),
    ("null-entries", b"units:\n  -\n  -\ntasks:\n  -\n"),
    ("title-a-mapping", b"title: {a: 1}\nunits:\n  - {code: ubnd, name: UBND}\n"),
    ("lead-a-mapping", b"units:\n  - {code: ubnd, name: U}\ntasks:\n  - {code: T, title: t, lead: {a: 1}}\n"),
    ("due-a-list", b"units:\n  - {code: ubnd, name: U}\ntasks:\n  - {code: T, title: t, lead: [ubnd], due: [1]}\n"),
    ("due-nan", b"units:\n  - {code: ubnd, name: U}\ntasks:\n  - {code: T, title: t, lead: [ubnd], due: .nan}\n"),
    ("due-int", b"units:\n  - {code: ubnd, name: U}\ntasks:\n  - {code: T, title: t, lead: [ubnd], due: 20220531}\n"),
    ("reminders-a-string", b"reminders: abc\nunits:\n  - {code: ubnd, name: U}\n"),
    ("undefined-alias", b"units:\n  - *nothing\n"),
    (
        "alias-bomb",
        b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        b"units: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
    ),
    ("two-documents", b"units: []\n---\ntasks: []\n"),
    ("bom-then-garbage", b"\xef\xbb\xbf\xff\xfe\x00garbage"),
    ("escaped-control-char", b'units:\n  - {code: ubnd, name: "U\\x07BND"}\n'),
    ("raw-control-char", b"units:\n  - {code: ubnd, name: U\x07BND}\n"),
    ("binary-garbage", bytes(range(256)) * 4),
    ("only-dashes", b"---\n...\n"),
]

# faults of the workbook itself: (name, edit of a valid export's bytes or of its workbook)
XLSX_BYTES: list[tuple[str, Callable[[bytes], bytes]]] = [
    ("zero-bytes", lambda b: b""),
    ("text-renamed", lambda b: "Mã,Tên đơn vị\nubnd,UBND\n".encode()),
    ("truncated-half", lambda b: b[: len(b) // 2]),
    ("truncated-end", lambda b: b[:-30]),
    ("first-kilobyte", lambda b: b[:1024]),
    ("flipped-bytes", lambda b: b[:2000] + bytes(x ^ 0xFF for x in b[2000:2400]) + b[2400:]),
    ("zip-of-nothing", lambda b: _zip({"hello.txt": b"hi"})),
    ("empty-zip", lambda b: _zip({})),
    ("content-types-garbage", lambda b: _rezip(b, {"[Content_Types].xml": b"<garbage"})),
    ("workbook-garbage", lambda b: _rezip(b, {"xl/workbook.xml": b"\x00\x01not xml"})),
    ("sheet-garbage", lambda b: _rezip(b, {"xl/worksheets/sheet5.xml": b"<worksheet><sheetData><row"})),
    ("sheet-missing", lambda b: _rezip(b, {"xl/worksheets/sheet5.xml": None})),
    ("styles-garbage", lambda b: _rezip(b, {"xl/styles.xml": b"<styleSheet><<<"})),
    ("workbook-missing", lambda b: _rezip(b, {"xl/workbook.xml": None})),
    ("many-members", lambda b: _zip({f"x/{i}.xml": b"" for i in range(1_500)})),
    ("huge-dimension", lambda b: _rezip(b, {"xl/worksheets/sheet5.xml": _FAR_ROW})),
]

_FAR_ROW = (
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:XFD1048576"/>'
    b'<sheetData><row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData></worksheet>'
)

# faults of a workbook's sheets: (name, edit of the sheets before writing)
Sheets = dict[str, list[list[Any]]]


def _cell(sheet: str, row: int, heading: str, value: Any) -> Callable[[Sheets], None]:
    def edit(sheets: Sheets) -> None:
        col = sheets[sheet][0].index(heading)
        sheets[sheet][row][col] = value

    return edit


SHEET_EDITS: list[tuple[str, Callable[[Sheets], None]]] = [
    ("missing-tasks-sheet", lambda s: s.pop("Nhiệm vụ")),
    ("missing-info-sheet", lambda s: s.pop("Thông tin")),
    ("missing-units-sheet", lambda s: s.pop("Đơn vị")),
    ("renamed-sheet", lambda s: s.__setitem__("Nhiem vu", s.pop("Nhiệm vụ"))),
    ("extra-sheet", lambda s: s.__setitem__("Ghi chú", [["x"]])),
    ("unknown-heading", lambda s: s["Nhiệm vụ"][0].__setitem__(1, "Tên việc")),
    ("headers-only", lambda s: [rows.__delitem__(slice(1, None)) for rows in s.values()]),
    ("no-rows-at-all", lambda s: [rows.clear() for rows in s.values()]),
    ("info-unknown-key", lambda s: s["Thông tin"].append(["Người lập", "x"])),
    ("reminders-not-yaml", lambda s: s["Thông tin"].append(["Lịch nhắc", "{before_days: [3, 1"])),
    ("error-value-in-due", _cell("Nhiệm vụ", 1, "Hạn (ngày)", "#REF!")),
    ("number-in-lead", _cell("Nhiệm vụ", 1, "Chủ trì", 12345)),
    ("bool-in-title", _cell("Nhiệm vụ", 1, "Nhiệm vụ", True)),
    ("task-reminders-garbage", _cell("Nhiệm vụ", 1, "Lịch nhắc riêng", "[[[")),
]


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _rezip(original: bytes, changes: dict[str, bytes | None]) -> bytes:
    """A copy of a zip with some members replaced (or left out, for None)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in changes:
                if changes[info.filename] is not None:
                    dst.writestr(info.filename, changes[info.filename])  # type: ignore[arg-type]
            else:
                dst.writestr(info, src.read(info.filename))
    return out.getvalue()


def _sheets(data: Data) -> Sheets:
    return tables_from_dict(data)


def _write_xlsx(sheets: Sheets, path: Path) -> None:
    if not sheets:
        sheets = {"Trống": [[]]}
    write_sheets({k: (v or [[]]) for k, v in sheets.items()}, path)


def _write_csv(sheets: Sheets, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for sheet, rows in sheets.items():
        name = CSV_FILES.get(sheet, f"{sheet}.csv")
        with (folder / name).open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            for row in rows:
                writer.writerow(["" if v is None else v for v in row])


CSV_EDITS: list[tuple[str, Callable[[Path], None]]] = [
    ("empty-folder", lambda f: [p.unlink() for p in f.glob("*.csv")]),
    ("missing-tasks-file", lambda f: (f / "nhiem-vu.csv").unlink()),
    ("missing-info-file", lambda f: (f / "thong-tin.csv").unlink()),
    ("missing-groups-file", lambda f: (f / "nhom.csv").unlink()),
    ("headers-only", lambda f: [_keep_lines(p, 1) for p in f.glob("*.csv")]),
    ("zero-byte-files", lambda f: [p.write_bytes(b"") for p in f.glob("*.csv")]),
    ("nul-byte", lambda f: _append(f / "don-vi.csv", b"ubnd2,UB\x00ND,,,\r\n")),
    ("latin-1", lambda f: _append(f / "don-vi.csv", b"ubnd2,\xday ban,,,\r\n")),
    ("unknown-file", lambda f: (f / "ghi-chu.csv").write_text("a,b\n1,2\n", encoding="utf-8")),
    ("unknown-heading", lambda f: _replace(f / "nhiem-vu.csv", "Thời hạn".encode(), "Hạn chót".encode())),
    ("unterminated-quote", lambda f: _append(f / "don-vi.csv", b'ubnd2,"UBND\r\n')),
    ("csv-is-a-folder", lambda f: ((f / "nhiem-vu.csv").unlink(), (f / "nhiem-vu.csv").mkdir())),
    ("utf-16", lambda f: _recode(f / "nhiem-vu.csv", "utf-16")),
    ("control-char", lambda f: _append(f / "don-vi.csv", b"ubnd2,UB\x07ND,,,\r\n")),
]


def _keep_lines(path: Path, count: int) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:count]))


def _append(path: Path, data: bytes) -> None:
    path.write_bytes(path.read_bytes() + data)


def _replace(path: Path, old: bytes, new: bytes) -> None:
    path.write_bytes(path.read_bytes().replace(old, new))


def _recode(path: Path, encoding: str) -> None:
    path.write_bytes(path.read_text(encoding="utf-8-sig").encode(encoding))


def build_small(dest: Path = HERE) -> int:
    """Write the committed corpus; returns how many cases."""
    for kind in ("yaml", "xlsx", "csv"):
        shutil.rmtree(dest / kind, ignore_errors=True)
        (dest / kind).mkdir(parents=True)
    count = 0
    for name, edit in SEMANTIC:
        data = copy.deepcopy(base())
        edit(data)
        (dest / "yaml" / f"{name}.yaml").write_text(dump_mapping(data), encoding="utf-8")
        count += 1
        if name in YAML_ONLY:
            continue
        if not name.startswith("control-char"):  # a workbook cannot hold control characters at all
            _write_xlsx(_sheets(data), dest / "xlsx" / f"{name}.xlsx")
            count += 1
        _write_csv(_sheets(data), dest / "csv" / name)
        count += 1
    for name, text in YAML_TEXTS:
        (dest / "yaml" / f"{name}.yaml").write_bytes(text)
        count += 1
    valid = dest / "valid.xlsx"
    _write_xlsx(_sheets(base()), valid)
    good = valid.read_bytes()
    valid.unlink()
    for name, change in XLSX_BYTES:
        (dest / "xlsx" / f"{name}.xlsx").write_bytes(change(good))
        count += 1
    for name, sheet_edit in SHEET_EDITS:
        sheets = _sheets(base())
        sheet_edit(sheets)
        _write_xlsx(sheets, dest / "xlsx" / f"{name}.xlsx")
        count += 1
    for name, folder_edit in CSV_EDITS:
        folder = dest / "csv" / name
        _write_csv(_sheets(base()), folder)
        folder_edit(folder)
        (folder / ".keep").touch()  # an empty folder still reaches git
        count += 1
    return count


def build_large(dest: Path) -> dict[str, Path]:
    """The cases too big to commit, written under `dest` (a temporary folder): name → path."""
    dest.mkdir(parents=True, exist_ok=True)
    cases: dict[str, Path] = {}
    bomb = dest / "zip-bomb.xlsx"
    zip_bomb(bomb)
    cases["zip-bomb.xlsx"] = bomb
    big_yaml = dest / "forty-mb.yaml"
    with big_yaml.open("w", encoding="utf-8") as handle:
        handle.write("units:\n")
        line = "  - {code: u%06d, name: Đơn vị số %d có tên dài để tệp lớn hơn}\n"
        i = 0
        while handle.tell() < 40 * 1024 * 1024:
            handle.write(line % (i, i))
            i += 1
    cases["forty-mb.yaml"] = big_yaml
    long_title = dest / "long-title.yaml"
    long_title.write_text(
        "units:\n  - {code: ubnd, name: UBND}\ntasks:\n  - code: T1\n    title: "
        + "x" * 25_000_000
        + "\n    lead: [ubnd]\n    due: 2022-05-31\n",
        encoding="utf-8",
    )
    cases["long-title.yaml"] = long_title
    for name in ("dev-zero.yaml", "dev-zero.xlsx"):
        link = dest / name
        link.symlink_to("/dev/zero")
        cases[name] = link
    fifo = dest / "fifo.yaml"
    os.mkfifo(fifo)
    cases["fifo.yaml"] = fifo
    folder = dest / "csv-long-field"
    _write_csv(_sheets(base()), folder)
    _append(folder / "don-vi.csv", b'ubnd2,"' + b"x" * 200_000 + b'",,,\r\n')
    cases["csv-long-field"] = folder
    folder = dest / "csv-dev-zero"
    _write_csv(_sheets(base()), folder)
    (folder / "nhiem-vu.csv").unlink()
    (folder / "nhiem-vu.csv").symlink_to("/dev/zero")
    cases["csv-dev-zero"] = folder
    return cases


def zip_bomb(path: Path, size: int = 1024**3, block: int = 16 * 1024 * 1024) -> None:
    """A 1 MB zip whose one member inflates to `size` bytes (1 GB) of spaces, with a true CRC.

    One block is deflated once and repeated (each piece ends with a full flush, so the pieces join), so
    building it costs a CRC over `size` bytes, not compressing them.
    """
    piece = b" " * block
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = deflate.compress(piece) + deflate.flush(zlib.Z_FULL_FLUSH)
    end = zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    count = size // block
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(piece, crc)
    compressed = len(chunk) * count + len(end)
    name = b"xl/worksheets/sheet1.xml"
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, compressed, size, len(name), 0)
    central = struct.pack(
        "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, compressed, size, len(name), 0, 0, 0, 0, 0, 0
    )
    with path.open("wb") as out:
        out.write(local + name)
        for _ in range(count):
            out.write(chunk)
        out.write(end)
        offset = out.tell()
        out.write(central + name)
        out.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(central) + len(name), offset, 0))


if __name__ == "__main__":
    print(f"{build_small()} cases written under {HERE}")
