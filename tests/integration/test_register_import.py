"""Importing the register: all or nothing, idempotent, round-tripping through YAML, Excel and CSV."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import Engine, select

from bot.cli import main
from scheduler.clock import FixedClock
from scheduler.db import make_engine
from scheduler.register.file import RegisterError
from scheduler.register.importer import import_register, load_register, read_register
from scheduler.register.models import ASSIGNMENTS, EVENTS, META, TASKS, UNITS, SQLModel
from tests.conftest import REGISTER


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to prove that a failed import left the database as it was."""
    with engine.connect() as conn:
        return {
            table.name: sorted(tuple(map(repr, row)) for row in conn.execute(select(table)))
            for table in SQLModel.metadata.sorted_tables
        }


def imported(engine: Engine, clock: FixedClock) -> Engine:
    import_register(engine, load_register(REGISTER), clock)
    return engine


def assignments_of(engine: Engine, task_code: str) -> dict[str, dict[str, Any]]:
    query = (
        select(UNITS.c.code, ASSIGNMENTS)
        .join(UNITS, UNITS.c.id == ASSIGNMENTS.c.unit_id)
        .join(TASKS, TASKS.c.id == ASSIGNMENTS.c.task_id)
        .where(TASKS.c.code == task_code)
    )
    with engine.connect() as conn:
        return {row["code"]: dict(row) for row in conn.execute(query).mappings()}


# --- the Thường Xuân register --------------------------------------------------------------------


def test_thuong_xuan_register_gives_one_assignment_per_chi_bo(engine: Engine, clock: FixedClock) -> None:
    report = import_register(engine, load_register(REGISTER), clock)
    assert report.tasks_added >= 15
    congresses = assignments_of(engine, "Q2-02")  # "các chi bộ trực thuộc … hoàn thành trong tháng 5/2022"
    assert set(congresses) == {
        "cb-co-quan",
        "cb-tien-son-1",
        "cb-xuan-minh",
        "cb-cong-an",
        "cb-quan-su",
        "cb-truong-hoc",
        "cb-tram-y-te",
    }
    assert {a["due"] for a in congresses.values()} == {date(2022, 5, 31)}
    assert {a["status"] for a in congresses.values()} == {"open"}


def test_every_register_task_keeps_its_quote_and_verbatim_deadline() -> None:
    reg = load_register(REGISTER)
    source = (REGISTER.parent / "ket-luan-so-ket-quy-1-2022-thi-tran-thuong-xuan.txt").read_text(encoding="utf-8")
    for task in reg.tasks:
        assert task.quote and task.deadline_text, task.code
        assert task.deadline_text in source, task.code  # the phrase is the document's own words
        assert reg.first_due(task) is not None, task.code


def test_recurring_tasks_start_with_their_first_occurrence(engine: Engine, clock: FixedClock) -> None:
    imported(engine, clock)
    flag = assignments_of(engine, "Q2-17")  # "chào cờ sáng thứ 2 hằng tuần"
    assert [a["due"] for a in flag.values()] == [date(2022, 4, 18)]  # Monday 11/4 was a holiday: no ceremony
    vaccination = assignments_of(engine, "Q2-12")
    # a recurring deadline on a day off (Saturday 30/4, a holiday) moves to the working day before
    assert {a["due"] for a in vaccination.values()} == {date(2022, 4, 29)}


def test_reimporting_the_same_file_changes_nothing(engine: Engine, clock: FixedClock) -> None:
    imported(engine, clock)
    before = snapshot(engine)
    clock.set(clock.now().replace(day=20))
    report = import_register(engine, load_register(REGISTER), clock)
    assert not report.changed
    assert snapshot(engine) == before


def test_changed_deadline_moves_the_assignment_and_records_an_event(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    imported(engine, clock)
    text = REGISTER.read_text(encoding="utf-8")
    changed = text.replace(
        "    deadline: hoàn thành trong tháng 4/2022\n    due: 2022-04-30\n    lead: [cong-doan]\n"
        "    coordinating: [ubnd]\n  - code: Q2-05",
        "    deadline: hoàn thành trong tháng 5/2022\n    due: 2022-05-31\n    lead: [cong-doan]\n"
        "    coordinating: [ubnd]\n  - code: Q2-05",
    )
    assert changed != text
    path = tmp_path / "register.yaml"
    path.write_text(changed, encoding="utf-8")
    report = import_register(engine, load_register(path), clock)
    assert report.deadlines_moved == 1
    row = assignments_of(engine, "Q2-04")["cong-doan"]
    assert (row["due"], row["original_due"]) == (date(2022, 5, 31), date(2022, 5, 31))
    with engine.connect() as conn:
        events = conn.execute(select(EVENTS).where(EVENTS.c.assignment_id == row["id"])).mappings().all()
    assert [(e["kind"], e["old_due"], e["new_due"]) for e in events] == [
        ("deadline_changed", date(2022, 4, 30), date(2022, 5, 31))
    ]


def test_unit_dropped_from_a_group_has_its_assignments_cancelled_not_deleted(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    imported(engine, clock)
    text = REGISTER.read_text(encoding="utf-8")
    path = tmp_path / "register.yaml"
    path.write_text(
        text.replace(
            "    name: Chi bộ Quân sự thị trấn\n    kind: chi-bo\n    groups: [cac-chi-bo]\n",
            "    name: Chi bộ Quân sự thị trấn\n    kind: chi-bo\n",
        ),
        encoding="utf-8",
    )
    report = import_register(engine, load_register(path), clock)
    assert report.assignments_cancelled == 2  # the congress (Q2-02) and party recruitment (Q2-08)
    said = "Giao việc: thêm 0, dời hạn 0, hủy 2 (Q2-02 · Chi bộ Quân sự thị trấn, Q2-08 · Chi bộ Quân sự thị trấn)"
    assert said in report.summary()  # which ones: a row deleted by mistake shows
    assert assignments_of(engine, "Q2-02")["cb-quan-su"]["status"] == "cancelled"
    path.write_text(text, encoding="utf-8")  # put it back: the unit gets its task again
    import_register(engine, load_register(path), clock)
    assert assignments_of(engine, "Q2-02")["cb-quan-su"]["status"] == "open"


# --- export round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["yaml", "xlsx", "csv"])
def test_export_then_import_gives_the_same_register(
    db_url: str, fmt: str, clock: FixedClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = imported(make_engine(db_url), clock)
    out = tmp_path / {"yaml": "register.yaml", "xlsx": "register.xlsx", "csv": "csv"}[fmt]
    assert main(["--database", db_url, "export", "--format", fmt, "-o", str(out)]) == 0
    again = load_register(out)
    assert again == read_register(source)
    assert not import_register(source, again, clock).changed  # re-importing the export changes nothing
    fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    import_register(fresh, again, clock)
    assert read_register(fresh) == read_register(source)


def test_export_yaml_goes_to_stdout_by_default(
    sqlite_engine: Engine, clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    imported(sqlite_engine, clock)
    assert main(["--database", str(sqlite_engine.url), "export"]) == 0
    out = capsys.readouterr().out
    assert "Tổ chức Đại hội chi bộ" in out  # Vietnamese is written as it is, not escaped
    assert "deadline: hoàn thành trong tháng 5/2022" in out


def test_excel_export_has_vietnamese_sheets_and_headings(
    sqlite_engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    imported(sqlite_engine, clock)
    path = tmp_path / "so.xlsx"
    assert main(["--database", str(sqlite_engine.url), "export", "--format", "xlsx", "-o", str(path)]) == 0
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Thông tin", "Nhóm", "Đơn vị", "Cán bộ", "Nhiệm vụ"]
    tasks = book["Nhiệm vụ"]
    assert [c.value for c in tasks[1]][:6] == ["Mã", "Nhiệm vụ", "Trích văn bản", "Văn bản", "Ngày văn bản", "Thời hạn"]
    assert tasks.freeze_panes == "A2"


# --- bad input: a clear message with its place, exit code 2, nothing written ------------------------


def _edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


ORIGINAL = REGISTER.read_text(encoding="utf-8")

BAD_YAML = [
    # (what is wrong, the edit, the text the message must hold, the line it must name or None)
    ("YAML syntax error", ("  - code: Q2-03\n", "  - code: [Q2-03\n"), "lỗi cú pháp YAML", None),
    (
        "missing field",
        ("    title: Kiện toàn Ban Thanh tra nhân dân theo điều lệ Công đoàn\n", ""),
        "tasks[5].title: thiếu trường bắt buộc 'title'",
        "  - code: Q2-06",
    ),
    (
        "unknown unit in a task",
        ("    lead: [to-ra-soat-dat]\n", "    lead: [to-ra-soat-dat-dai]\n"),
        "tasks[12].lead: đơn vị hoặc nhóm 'to-ra-soat-dat-dai' chưa có trong sổ; có phải: to-ra-soat-dat?",
        "    lead: [to-ra-soat-dat-dai]",
    ),
    (
        "duplicate code",
        ("  - code: kp-xuan-minh\n", "  - code: kp-tien-son-1\n"),
        "units[22].code: mã 'kp-tien-son-1' trùng với mục units[21]",
        "  - code: kp-tien-son-1\n    name: Khu phố Xuân",
    ),
    (
        "impossible date",
        ("    deadline: 30/4/2022\n    due: 2022-04-30\n", "    deadline: 31/4/2022\n"),
        "ngày 31/4/2022 không có thật",
        "    deadline: 31/4/2022",
    ),
    (
        "impossible due",
        ("    due: 2022-05-19\n", "    due: 2022-04-31\n"),
        "tasks[19].due: ngày '2022-04-31' không có thật",
        "    due: 2022-04-31",
    ),
    (
        "unknown deadline phrase",
        ("    deadline: giữa năm 2022\n    due: 2022-06-30\n", "    deadline: sớm nhất có thể\n"),
        "tasks[6].deadline: thời hạn 'sớm nhất có thể': không nhận ra",
        "    deadline: sớm nhất có thể",
    ),
    (
        "due that contradicts its phrase",
        ("    deadline: trong năm 2022\n    due: 2022-12-31\n", "    deadline: trong năm 2022\n    due: 2022-12-30\n"),
        "ngày 30/12/2022 không khớp thời hạn 'trong năm 2022' (= 31/12/2022)",
        "    due: 2022-12-30",
    ),
    (
        "key written twice",
        ("  - code: Q2-03\n", "  - code: Q2-03\n    title: Đại hội Đoàn\n"),
        "khóa 'title' được viết hai lần",
        "    title: Tổ chức Đại hội đại biểu Đoàn",
    ),
    (
        "misspelt field",
        ("    coordinating: [doan-tn]\n", "    cordinating: [doan-tn]\n"),
        "tasks[14].cordinating: trường lạ; có phải: coordinating?",
        "    cordinating: [doan-tn]",
    ),
]


@pytest.mark.parametrize(("case", "edit", "message", "line_of"), BAD_YAML, ids=[c[0] for c in BAD_YAML])
def test_bad_yaml_is_refused_with_its_place_and_nothing_is_written(
    db_url: str,
    clock: FixedClock,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: str,
    edit: tuple[str, str],
    message: str,
    line_of: str | None,
) -> None:
    engine = imported(make_engine(db_url), clock)
    before = snapshot(engine)
    text = _edit(ORIGINAL, *edit)
    path = tmp_path / "register.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["--database", db_url, "import", str(path)]) == 2
    err = capsys.readouterr().err
    assert "không có gì được ghi" in err
    assert message in err
    if line_of is not None:
        assert f"register.yaml:{_line_of(text, line_of)}:" in err
    else:
        assert f"register.yaml:{_line_of(text, '  - code: [Q2-03')}" in err or "register.yaml:" in err
    assert snapshot(engine) == before


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = _edit(ORIGINAL, "    lead: [to-ra-soat-dat]\n", "    lead: [khong-co]\n")
    text = _edit(text, "    deadline: giữa năm 2022\n    due: 2022-06-30\n", "    deadline: sớm\n")
    path = tmp_path / "register.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["import", "--check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "2 chỗ cần sửa" in err
    assert "'khong-co'" in err and "'sớm'" in err


def test_non_utf8_file_is_refused_with_its_line(
    db_url: str, clock: FixedClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = imported(make_engine(db_url), clock)
    before = snapshot(engine)
    data = ORIGINAL.encode("utf-8").replace(
        "Khu phố Tiến Sơn 1".encode(), "Khu phố Tiến Sơn 1".encode("cp1252", "replace").replace(b"?", b"\xea"), 1
    )
    path = tmp_path / "register.yaml"
    path.write_bytes(data)
    assert main(["--database", db_url, "import", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"register.yaml:{_line_of(ORIGINAL, 'Khu phố Tiến Sơn 1')}: tệp không phải UTF-8" in err
    assert "lưu lại với bảng mã UTF-8" in err
    assert snapshot(engine) == before


def test_excel_with_a_renamed_sheet_is_refused(
    db_url: str, clock: FixedClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = imported(make_engine(db_url), clock)
    path = tmp_path / "so.xlsx"
    assert main(["--database", db_url, "export", "--format", "xlsx", "-o", str(path)]) == 0
    book = openpyxl.load_workbook(path)
    book["Nhiệm vụ"].title = "Nhiem vu"
    book.save(path)
    before = snapshot(engine)
    assert main(["--database", db_url, "import", str(path)]) == 2
    err = capsys.readouterr().err
    assert "trang tính lạ 'Nhiem vu'; có phải 'Nhiệm vụ'?" in err
    assert snapshot(engine) == before


def test_excel_cell_errors_name_the_cell(
    sqlite_engine: Engine, clock: FixedClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    imported(sqlite_engine, clock)
    path = tmp_path / "so.xlsx"
    assert main(["--database", str(sqlite_engine.url), "export", "--format", "xlsx", "-o", str(path)]) == 0
    book = openpyxl.load_workbook(path)
    sheet = book["Nhiệm vụ"]
    headings = [c.value for c in sheet[1]]
    deadline_col = headings.index("Thời hạn") + 1
    sheet.cell(row=7, column=deadline_col, value="bao giờ xong thì thôi")
    sheet.cell(row=7, column=headings.index("Hạn (ngày)") + 1).value = None
    book.save(path)
    assert main(["import", "--check", str(path)]) == 2
    err = capsys.readouterr().err
    letter = openpyxl.utils.get_column_letter(deadline_col)
    assert f"so.xlsx: Nhiệm vụ!{letter}7 (Thời hạn): thời hạn 'bao giờ xong thì thôi'" in err  # file, cell, field


def test_meta_is_stored_once(sqlite_engine: Engine, clock: FixedClock) -> None:
    imported(sqlite_engine, clock)
    with sqlite_engine.connect() as conn:
        meta = dict(conn.execute(select(META.c.key, META.c.value)).all())
    assert meta["source_date"] == "2022-04-07"
    assert meta["title"].startswith("Nhiệm vụ trọng tâm quý 2/2022")


def test_the_import_names_units_with_work_and_nobody_to_remind(engine: Engine, clock: FixedClock) -> None:
    """The sample register has no official for the Women's Union or the Veterans' Association: their tasks
    would never be chased, so the keeper is told which units need someone in «Cán bộ»."""
    report = import_register(engine, load_register(REGISTER), clock)
    assert report.units_without_people == ["Hội Liên hiệp Phụ nữ thị trấn", "Hội Cựu chiến binh thị trấn"]
    assert any(line.startswith("2 đơn vị có việc nhưng chưa có cán bộ nào để nhắc:") for line in report.summary())
    reg = load_register(REGISTER)
    staffed = next(o for o in reg.officials if "ubnd" in o.units)
    staffed.units = [*staffed.units, "hoi-phu-nu", "hoi-ccb"]
    assert import_register(engine, reg, clock).units_without_people == []


def test_roles_are_taken_in_the_words_the_office_uses(tmp_path: Path) -> None:
    text = REGISTER.read_text(encoding="utf-8")
    assert "role: leader" in text and "role: admin" in text
    path = tmp_path / "so.yaml"
    path.write_text(text.replace("role: leader", "role: Lãnh đạo").replace("role: admin", "role: quản trị sổ"), "utf-8")
    assert load_register(path) == load_register(REGISTER)
    path.write_text(text.replace("role: leader", "role: sếp", 1), encoding="utf-8")
    with pytest.raises(RegisterError) as refused:
        load_register(path)
    assert "vai trò 'sếp' không có; chọn một trong: cán bộ (member), phụ trách đơn vị (head), lãnh đạo (leader)" in str(
        refused.value
    )


def test_a_lead_typed_by_its_name_in_the_workbook_reads_as_the_units_code(tmp_path: Path) -> None:
    """A clerk writes «Chủ trì» the way the office says it; the unit's name or alias is as good as its code."""
    from scheduler.register.tables import write_xlsx

    register = load_register(REGISTER)
    write_xlsx(register, tmp_path / "so.xlsx")
    workbook = openpyxl.load_workbook(tmp_path / "so.xlsx")
    sheet = workbook["Nhiệm vụ"]
    heading = [c.value for c in sheet[1]].index("Chủ trì") + 1
    rows = [r for r in range(2, sheet.max_row + 1) if sheet.cell(r, heading).value == "cong-doan"]
    sheet.cell(rows[0], heading).value = "Công đoàn cơ quan thị trấn"  # its name
    sheet.cell(rows[1], heading).value = "bch công đoàn cơ quan, Đảng ủy thị trấn"  # an alias, another name
    workbook.save(tmp_path / "so.xlsx")
    read = load_register(tmp_path / "so.xlsx")
    changed = {t.code: t.lead for t in read.tasks}
    original = {t.code: t.lead for t in register.tasks}
    assert [changed[c] for c in original if changed[c] != original[c]] == [["cong-doan", "dang-uy"]]
    assert sum(1 for c in original if changed[c] == original[c]) == len(original) - 1


@pytest.mark.parametrize(("name", "kind"), [("so.xlsx", "xlsx"), ("so.yaml", "yaml"), ("csv-so", "csv")])
def test_export_writes_what_the_output_name_asks_for(
    sqlite_engine: Engine, clock: FixedClock, tmp_path: Path, name: str, kind: str
) -> None:
    """`export -o so.xlsx` without --format used to write YAML into a file Excel calls broken."""
    import_register(sqlite_engine, load_register(REGISTER), clock)
    out = tmp_path / name
    assert main(["--database", str(sqlite_engine.url), "export", "-o", str(out)]) == 0
    if kind == "xlsx":
        assert "Nhiệm vụ" in openpyxl.load_workbook(out).sheetnames
    if kind == "csv":
        assert (out / "nhiem-vu.csv").is_file()
    assert load_register(out) == read_register(sqlite_engine)
