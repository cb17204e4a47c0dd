"""Drafting a register from a document: quality against hand-labelled registers, formats, and bad input.

The references are `data/register.yaml` for the Thường Xuân conclusion, and two short documents of our own
with their hand-written registers in `tests/data/extract/` (a commune plan with exact dates, a monthly
briefing conclusion with recurring deadlines).
"""

from __future__ import annotations

import io
import textwrap
from datetime import date, datetime
from pathlib import Path

import pytest
import yaml
from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from sqlalchemy import Engine, func, select

from bot.cli import main
from scheduler.clock import LOCAL_TZ, FixedClock
from scheduler.deadlines import find_deadlines
from scheduler.drafting.documents import DocumentError, read_document
from scheduler.drafting.drafts import compare, draft_yaml, read_items
from scheduler.drafting.extraction import extract
from scheduler.drafting.organisations import organisations
from scheduler.register.file import RegisterError
from scheduler.register.importer import import_register, load_register
from scheduler.register.models import ASSIGNMENTS, TASKS
from tests.conftest import REGISTER, ROOT

CONCLUSION = ROOT / "data" / "ket-luan-so-ket-quy-1-2022-thi-tran-thuong-xuan.txt"
SAMPLES = ROOT / "tests" / "data" / "extract"
DOCUMENTS = [
    (CONCLUSION, REGISTER),
    (SAMPLES / "ke-hoach-xa-xuan-cao-attp-2023.txt", SAMPLES / "ke-hoach-xa-xuan-cao-attp-2023.yaml"),
    (SAMPLES / "ket-luan-giao-ban-thang-3-2023.txt", SAMPLES / "ket-luan-giao-ban-thang-3-2023.yaml"),
]


def drafted(document: Path, units: Path, tmp_path: Path, doc_date: date | None = None) -> Path:
    register = load_register(units)
    draft = extract(read_document(document), register, doc_date, source=document.name)
    out = tmp_path / f"{document.stem}.draft.yaml"
    out.write_text(draft_yaml(draft, register, out.name), encoding="utf-8")
    return out


@pytest.mark.parametrize(("document", "reference"), DOCUMENTS, ids=lambda p: p.stem)
def test_draft_finds_the_dated_tasks_with_their_due_dates_and_leads(
    document: Path, reference: Path, tmp_path: Path
) -> None:
    result = compare(read_items(drafted(document, reference, tmp_path)), read_items(reference))
    figures = result.figures()
    assert figures["recall"] >= 0.90, result.missed
    assert figures["precision"] >= 0.90, [d.title for d in result.extra if d.dated]
    assert figures["due_accuracy"] >= 0.95
    assert figures["lead_accuracy"] >= 0.95


def test_conclusion_tasks_read_as_the_keeper_reads_them(tmp_path: Path) -> None:
    draft = {i.title: i for i in read_items(drafted(CONCLUSION, REGISTER, tmp_path))}
    chi_bo = next(i for t, i in draft.items() if t.startswith("Chỉ đạo các chi bộ trực thuộc tổ chức Đại hội"))
    assert chi_bo.due == date(2022, 5, 31) and chi_bo.lead == {"cac-chi-bo"}  # "hoàn thành trong tháng 5/2022"
    youth = next(i for t, i in draft.items() if t.startswith("Chỉ đạo BCH Đoàn TN"))
    assert youth.due == date(2022, 6, 30) and youth.lead == {"doan-tn"}  # "trong quý 2 năm 2022"
    flag = next(i for i in draft.values() if i.rrule)
    assert flag.rrule == "FREQ=WEEKLY;BYDAY=MO" and flag.lead == {"ubnd"}  # "sáng thứ 2 hằng tuần"
    # the anniversaries: two tasks, the 1975 and 1890 dates are history, not deadlines
    assert {i.due for i in draft.values() if i.lead == {"mttq-doan-the"} and i.dated} >= {
        date(2022, 4, 30),
        date(2022, 5, 19),
    }
    # the chi bộ congress is said twice (party section, chi bộ section): drafted once
    assert sum(1 for i in draft.values() if i.due == date(2022, 5, 31) and i.lead == {"cac-chi-bo"}) == 1


def test_every_drafted_task_keeps_its_quote_a_confidence_and_what_to_review(tmp_path: Path) -> None:
    data = yaml.safe_load(drafted(CONCLUSION, REGISTER, tmp_path).read_text(encoding="utf-8"))
    text = " ".join(CONCLUSION.read_text(encoding="utf-8").split())
    tasks = data["tasks"]
    # read from "Ngày 07/4/2022 …", not the 2023 web timestamp; on each task, so that the register keeps its own
    assert "source_date" not in data and {t["source_date"] for t in tasks} == {date(2022, 4, 7)}
    for task in tasks:
        assert task["quote"].split(" ")[0] in text and 0 < task["confidence"] <= 1
        assert task.get("deadline") or task.get("ongoing") is True
    ongoing = [t for t in tasks if t.get("ongoing")]
    assert ongoing and all(any("thời hạn" in r for r in t["review"]) for t in ongoing)
    two = next(t for t in tasks if "ANTT - ATXH" in t["title"])  # "trong quý 2 và cả năm 2022"
    assert any("2 thời hạn" in r for r in two["review"])


def test_unknown_units_are_named_with_the_closest_known_ones(tmp_path: Path) -> None:
    doc = tmp_path / "giao-viec.txt"
    doc.write_text(
        "ĐẢNG ỦY THỊ TRẤN THƯỜNG XUÂN\nNgày 10/5/2022\n1. Đối với UBND thị trấn\n"
        "Giao Phòng Văn hóa thị trấn tổ chức Hội thi văn nghệ trước ngày 30/6/2022.\n",
        encoding="utf-8",
    )
    data = yaml.safe_load(drafted(doc, REGISTER, tmp_path).read_text(encoding="utf-8"))
    [task] = data["tasks"]
    # kept as written, never silently mapped to the section's unit; the closest register units are offered
    assert task["lead"] == ["Phòng Văn hóa thị trấn"] and task["deadline"] == "trước ngày 30/6/2022"
    [note] = [r for r in task["review"] if "chưa có trong sổ" in r]
    assert "Phòng Văn hóa thị trấn" in note and "gần nhất trong sổ:" in note


def test_a_reviewed_draft_imports_as_it_is_and_an_unreviewed_one_is_refused(engine: Engine, tmp_path: Path) -> None:
    path = drafted(
        SAMPLES / "ket-luan-giao-ban-thang-3-2023.txt", SAMPLES / "ket-luan-giao-ban-thang-3-2023.yaml", tmp_path
    )
    clock = FixedClock(datetime(2023, 3, 6, 8, 0, tzinfo=LOCAL_TZ))
    with pytest.raises(RegisterError) as refused:
        import_register(engine, load_register(path), clock)
    assert all("review" in str(p) for p in refused.value.problems)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(TASKS)).scalar() == 0  # nothing half-written
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for task in data["tasks"]:  # the keeper has looked at every item
        task.pop("review", None)
    reviewed = tmp_path / "reviewed.yaml"
    reviewed.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    report = import_register(engine, load_register(reviewed), clock)
    assert report.tasks_added == len(data["tasks"])
    with engine.connect() as conn:
        without_due = conn.execute(select(func.count()).select_from(TASKS).where(TASKS.c.due.is_(None))).scalar()
        assignments = conn.execute(select(func.count()).select_from(ASSIGNMENTS)).scalar()
        undated_assignments = conn.execute(
            select(func.count())
            .select_from(ASSIGNMENTS)
            .join(TASKS, TASKS.c.id == ASSIGNMENTS.c.task_id)
            .where(TASKS.c.due.is_(None), TASKS.c.rrule.is_(None))
        ).scalar()
    items = read_items(reviewed)
    assert without_due == sum(1 for i in items if i.due is None)  # ongoing and recurring tasks
    assert assignments and assignments >= sum(1 for i in items if i.dated)  # a group gets one per unit
    assert undated_assignments == 0  # ongoing tasks are kept, and nobody is reminded of them


def test_document_date_from_the_text_and_the_option_overrides_it(tmp_path: Path) -> None:
    doc = tmp_path / "van-ban.txt"
    doc.write_text("UBND THỊ TRẤN\nNgày 02/3/2022\n1. Đối với UBND thị trấn\nHoàn thành báo cáo trước ngày 15/4.\n")
    out = tmp_path / "draft.yaml"
    assert main(["extract", str(doc), "--units", str(REGISTER), "-o", str(out)]) == 0
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["tasks"][0]["deadline"] == "trước ngày 15/4"
    assert read_items(out)[0].due == date(2022, 4, 14)  # the year of the document
    assert main(["extract", str(doc), "--units", str(REGISTER), "--doc-date", "2023-03-02", "-o", str(out)]) == 0
    assert read_items(out)[0].due == date(2023, 4, 14)


def test_windows_line_endings_and_stray_spaces_change_nothing(tmp_path: Path) -> None:
    messy = tmp_path / "messy.txt"
    text = CONCLUSION.read_text(encoding="utf-8").replace("\n", "\r\n").replace(" ", "  ").replace("Đối", "\tĐối")
    messy.write_bytes(("\ufeff" + text).encode("utf-8"))
    clean = read_items(drafted(CONCLUSION, REGISTER, tmp_path))
    again = read_items(drafted(messy, REGISTER, tmp_path))
    assert [(i.due, i.rrule, i.lead) for i in again] == [(i.due, i.rrule, i.lead) for i in clean]


def test_docx_and_text_pdf_give_the_same_dated_tasks(tmp_path: Path) -> None:
    paragraphs = [p for p in CONCLUSION.read_text(encoding="utf-8").split("\n") if p.strip()]
    document = Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    docx = tmp_path / "ket-luan.docx"
    document.save(str(docx))
    pdf = tmp_path / "ket-luan.pdf"
    write_text_pdf(pdf, paragraphs)

    def dated(path: Path) -> list[tuple[object, ...]]:
        items = read_items(drafted(path, REGISTER, tmp_path))
        return sorted((i.due or date.min, i.rrule or "", tuple(sorted(i.lead))) for i in items if i.dated)

    expected = dated(CONCLUSION)
    assert dated(docx) == expected
    assert dated(pdf) == expected


def write_text_pdf(path: Path, paragraphs: list[str], width: int = 95) -> None:
    """A real PDF with a text layer (matplotlib's PDF backend), paragraphs wrapped as a word processor would."""
    lines = [line for p in paragraphs for line in textwrap.wrap(p, width) or [""]]
    with PdfPages(path) as pdf:
        for start in range(0, len(lines), 60):
            figure = Figure(figsize=(8.27, 11.69))
            for row, line in enumerate(lines[start : start + 60]):
                figure.text(0.04, 0.97 - row * 0.016, line, fontsize=7)
            pdf.savefig(figure)


# --- bad input -----------------------------------------------------------------------------------


def run_extract(capsys: pytest.CaptureFixture[str], path: Path, out: Path) -> tuple[int, str]:
    code = main(["extract", str(path), "--units", str(REGISTER), "-o", str(out)])
    return code, capsys.readouterr().err


def test_a_draft_written_to_another_kind_of_file_is_refused_before_anything_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`-o ket-luan.docx` would have written YAML into a file Word cannot open, and replaced the document."""
    document = tmp_path / "ket-luan.docx"
    document.write_bytes(b"not read")
    code, err = run_extract(capsys, tmp_path / "van-ban.txt", document)
    assert code == 2 and "bản nháp ghi ra tệp .yaml hoặc .xlsx" in err
    assert document.read_bytes() == b"not read"


def test_empty_binary_and_non_utf8_files_get_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "draft.yaml"
    empty = tmp_path / "rong.txt"
    empty.write_bytes(b"")
    assert run_extract(capsys, empty, out) == (2, f"Lỗi: {empty}: tệp rỗng, không có gì để đọc\n")
    binary = tmp_path / "anh.txt"
    binary.write_bytes(bytes(range(256)) * 10)
    code, err = run_extract(capsys, binary, out)
    assert code == 2 and "tệp nhị phân" in err
    legacy = tmp_path / "cp1258.txt"
    legacy.write_bytes("UBND\n\nNgày 07/4/2022\n".encode("cp1258"))
    code, err = run_extract(capsys, legacy, out)
    assert code == 2 and "UTF-8" in err and f"{legacy}:3" in err
    assert not out.exists()


def test_a_scanned_pdf_without_text_says_it_needs_ocr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scanned = tmp_path / "ban-quet.pdf"
    figure = Figure(figsize=(8.27, 11.69))
    figure.figimage([[0.2, 0.8], [0.6, 0.4]] * 50, resize=False)  # an image only, no text layer
    buffer = io.BytesIO()
    figure.savefig(buffer, format="pdf")
    scanned.write_bytes(buffer.getvalue())
    code, err = run_extract(capsys, scanned, tmp_path / "draft.yaml")
    assert code == 2 and "bản quét" in err and "OCR" in err


def test_a_document_with_no_directives_gives_an_empty_draft_that_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    letter = tmp_path / "thu-moi.txt"
    letter.write_text("Kính gửi các đồng chí.\nHội nghị đã diễn ra tốt đẹp, không khí vui tươi.\n", encoding="utf-8")
    out = tmp_path / "draft.yaml"
    code, err = run_extract(capsys, letter, out)
    assert code == 0 and "0 nhiệm vụ" in err and "không tìm thấy câu giao việc" in err
    text = out.read_text(encoding="utf-8")
    assert "không tìm thấy câu giao việc" in text and yaml.safe_load(text)["tasks"] == []


def test_a_long_document_is_read_without_trouble(tmp_path: Path) -> None:
    """Many pages of conclusions in a row: the draft grows with them (the 5 MB timing is in bench/extract.py)."""
    body = CONCLUSION.read_text(encoding="utf-8")
    long = tmp_path / "tong-hop.txt"
    long.write_text("\n\n".join([body] * 12), encoding="utf-8")
    once = read_items(drafted(CONCLUSION, REGISTER, tmp_path))
    many = read_items(drafted(long, REGISTER, tmp_path))
    assert len(many) > len(once) and all(i.lead for i in many if i.dated)


@given(st.text(max_size=400))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_text_gives_a_draft_never_an_error(text: str) -> None:
    register = REGISTER_LOADED
    draft = extract(text, register, date(2022, 4, 7))
    for task in draft.tasks:
        assert task.lead or any("chủ trì" in r for r in task.review)
        assert task.deadline is not None or any("thời hạn" in r for r in task.review)
    loaded = yaml.safe_load(draft_yaml(draft, register))
    assert len(loaded["tasks"]) == len(draft.tasks)


@given(st.lists(st.sampled_from(["Chỉ đạo ", "UBND thị trấn ", "trước ngày ", "15/6", "/2022", " hằng tuần", ", ", ". ",
                                 "trong tháng ", "quý ", "tổ chức ", "từ ", "đến ", "năm 2022", "\n", "Đối với "]),
                max_size=40).map("".join))  # fmt: skip
@settings(max_examples=200, deadline=None)
def test_directive_like_noise_never_breaks_the_extractor(text: str) -> None:
    draft = extract(text, REGISTER_LOADED, date(2022, 4, 7))
    for task in draft.tasks:
        assert task.due is None or task.due >= date(2022, 4, 7)  # nothing before the document is a deadline


REGISTER_LOADED = load_register(REGISTER)


def test_deadlines_found_in_running_text() -> None:
    text = "kiểm tra từ ngày 02/5/2023 đến ngày 25/5/2023 cho trẻ em từ 05 - 12 tuổi, vào ngày 06/5/2023"
    found = [(text[f.start : f.end], f.deadline.due) for f in find_deadlines(text, date(2023, 4, 20))]
    assert found == [
        ("ngày 02/5/2023 đến ngày 25/5/2023", date(2023, 5, 25)),  # the period, read whole: its last day
        ("vào ngày 06/5/2023", date(2023, 5, 6)),
    ]
    weak = find_deadlines("kế hoạch thu năm 2022, hoàn thành năm 2022", date(2022, 4, 7))
    assert [f.weak for f in weak] == [True, False]


def test_diff_shows_task_by_task_what_the_machine_missed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    draft = drafted(CONCLUSION, REGISTER, tmp_path)
    data = yaml.safe_load(draft.read_text(encoding="utf-8"))
    data["tasks"] = [t for t in data["tasks"] if not t["title"].startswith("Chỉ đạo BCH Đoàn TN")]  # "missed"
    draft.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert main(["extract", "--diff", str(draft), str(REGISTER)]) == 0
    out = capsys.readouterr().out
    assert "− Q2-03 không có trong nháp: Tổ chức Đại hội đại biểu Đoàn TNCS Hồ Chí Minh thị trấn" in out
    assert "✓ Q2-02 ↔ ket-luan-so-ket-quy-1-" in out and "+ ket-luan-so-ket-quy-1-" in out
    assert "Tìm thấy 94% việc có hạn của sổ (17 việc)" in out


def test_bad_file_to_read_raises_document_error(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="không có tệp này"):
        read_document(tmp_path / "missing.txt")


def test_an_excel_draft_has_the_register_sheets_a_review_column_and_imports_once_reviewed(
    engine: Engine, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    from scheduler.register.tables import SHEETS

    document = SAMPLES / "ket-luan-giao-ban-thang-3-2023.txt"
    units = SAMPLES / "ket-luan-giao-ban-thang-3-2023.yaml"
    out = tmp_path / "draft.xlsx"
    assert main(["extract", str(document), "--units", str(units), "-o", str(out)]) == 0
    workbook = load_workbook(out)
    assert set(SHEETS.values()) <= set(workbook.sheetnames)  # the sheets of `export --format xlsx`
    sheet = workbook["Nhiệm vụ"]
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["Mã", "Cần xem lại", "Nhiệm vụ", "Trích văn bản"]  # the quote beside the task
    rows = [dict(zip(header, (c.value for c in row), strict=False)) for row in sheet.iter_rows(min_row=2)]
    assert any(r["Cần xem lại"] for r in rows) and all(r["Trích văn bản"] for r in rows)
    yaml_draft = read_items(drafted(document, units, tmp_path))
    assert [r["Thời hạn"] or None for r in rows] == [i.deadline or None for i in yaml_draft]
    clock = FixedClock(datetime(2023, 3, 6, 8, 0, tzinfo=LOCAL_TZ))
    with pytest.raises(RegisterError) as refused:
        import_register(engine, load_register(out), clock)
    problems = [str(p) for p in refused.value.problems]
    assert all("(Cần xem lại)" in p and "xóa chữ trong ô «Cần xem lại»" in p for p in problems)
    words = " ".join(problems) + " ".join(str(r["Cần xem lại"] or "") for r in rows)  # the workbook's own words
    assert "ongoing" not in words and "trường review" not in words and "ghi deadline" not in words
    review = header.index("Cần xem lại") + 1
    for row in range(2, sheet.max_row + 1):  # the keeper has decided every item
        sheet.cell(row=row, column=review).value = None
    workbook.save(out)
    report = import_register(engine, load_register(out), clock)
    assert report.tasks_added == len(rows)


NEWS = """Tỉnh yêu cầu hoàn thành sắp xếp trước tháng 6

Cập nhật 06:26 25/05/2021
Lượt xem: 123

Sáng ngày 20/5/2021, UBND tỉnh họp bàn công tác bầu cử. Chính phủ giao Bộ Nội vụ hoàn tất hồ sơ trước ngày 30-6.
Trước ngày 31/7/2021, Sở Nội vụ công bố kết quả rà soát. Kết quả kiểm tra sẽ được công bố vào quý IV-2021.
Cấp xã tổng hợp danh sách trước ngày 10/6/2021; cấp huyện gửi báo cáo trước ngày 14/6/2021.
"""


def test_news_report_tasks_are_found_by_their_deadlines_whatever_the_verb(tmp_path: Path) -> None:
    doc = tmp_path / "tin-bai.txt"
    doc.write_text(NEWS, encoding="utf-8")
    draft = extract(read_document(doc), REGISTER_LOADED)
    assert draft.doc_date == date(2021, 5, 20)  # the report's opening, not the page's "Cập nhật" stamp
    dated = {(t.due, tuple(t.lead)) for t in draft.tasks if t.due}
    assert dated >= {
        (date(2021, 6, 29), ("Bộ Nội vụ",)),  # after the directive "giao", though "hoàn tất" is on no verb list
        (date(2021, 7, 30), ("Sở Nội vụ",)),  # the deadline first, then the subject
        (date(2021, 6, 9), ("Cấp xã",)),  # two deadlines, two bodies, two tasks
        (date(2021, 6, 13), ("cấp huyện",)),
    }
    assert date(2021, 12, 31) in {d for d, _lead in dated}  # a passive subject: "sẽ được công bố vào quý IV-2021"
    assert not any("06:26" in t.quote or "Lượt xem" in t.quote for t in draft.tasks)  # page furniture
    unknown = next(t for t in draft.tasks if t.lead == ["Sở Nội vụ"])
    assert any("“Sở Nội vụ” chưa có trong sổ" in r for r in unknown.review)  # kept as written, flagged


def test_plan_tables_in_docx_and_text_rows_become_tasks(tmp_path: Path) -> None:
    rows = [
        ("Nội dung công việc", "Đơn vị thực hiện", "Thời gian hoàn thành"),
        ("Rà soát danh sách cử tri", "Công an thị trấn", "trước ngày 15/5/2022"),
        ("Niêm yết danh sách", "Phòng Tư pháp huyện", "ngày 20/5/2022"),
    ]
    document = Document()
    document.add_paragraph("UBND THỊ TRẤN THƯỜNG XUÂN")
    document.add_paragraph("Thường Xuân, ngày 02 tháng 5 năm 2022")
    table = document.add_table(rows=len(rows), cols=3)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    docx = tmp_path / "ke-hoach.docx"
    document.save(str(docx))
    text = tmp_path / "ke-hoach.txt"
    text.write_text("UBND THỊ TRẤN THƯỜNG XUÂN\nThường Xuân, ngày 02 tháng 5 năm 2022\n"
                    + "\n".join(" | ".join(r) for r in rows) + "\n", encoding="utf-8")  # fmt: skip
    for path in (docx, text):
        draft = extract(read_document(path), REGISTER_LOADED)
        assert draft.doc_date == date(2022, 5, 2)
        assert [(t.due, t.lead) for t in draft.tasks if t.due] == [
            (date(2022, 5, 14), ["cong-an"]),  # a unit of the register
            (date(2022, 5, 20), ["Phòng Tư pháp huyện"]),  # kept as written
        ], path.suffix


def test_deadlines_in_running_text_keep_their_brackets_and_end_marks_apart() -> None:
    text = "Nộp báo cáo chậm nhất ngày 06 (sáu) tháng 06 (sáu) năm 2019; hoàn thành trước ngày 10/12/2023./."
    found = [(text[f.start : f.end], f.deadline.due) for f in find_deadlines(text, date(2019, 5, 1))]
    assert found == [
        ("chậm nhất ngày 06 (sáu) tháng 06 (sáu) năm 2019", date(2019, 6, 6)),  # not read as 30/6
        ("hoàn thành trước ngày 10/12/2023", date(2023, 12, 9)),
    ]


def test_a_yearly_framework_without_a_year_gives_yearly_deadlines() -> None:
    text = (
        "Khung thời gian năm học\n"
        "Theo đó, ngày tựu trường sớm nhất là ngày 1-8 hàng năm; lễ khai giảng tổ chức vào ngày 5-9 hàng năm. "
        "Năm học phải kết thúc trước ngày 31-5.\n"
    )
    draft = extract(text, REGISTER_LOADED)
    assert [t.rrule for t in draft.tasks] == [
        "FREQ=YEARLY;BYMONTH=9;BYMONTHDAY=5",  # "sớm nhất là ngày 1-8" is the earliest start, no deadline
        "FREQ=YEARLY;BYMONTH=5;BYMONTHDAY=30",
    ]
    assert any("hằng năm" in r for r in draft.tasks[1].review)


def test_a_schedule_gives_each_item_the_day_it_stands_under() -> None:
    text = (
        "LỊCH LÀM VIỆC CỦA THƯỜNG TRỰC HUYỆN ỦY\n(Từ ngày 12/6 đến ngày 16/6/2023)\n\n"
        "THỨ HAI (ngày 12/6/2023)\n- 7 giờ 30: Thường trực Huyện ủy dự chào cờ đầu tuần tại Hội trường.\n"
        "THỨ BA, 13/6/2023\n- Cả ngày: Ban Tổ chức Huyện ủy thẩm định hồ sơ nhân sự.\n"
        "Ngày 07/8/2017: xã Vĩnh Phú tổ chức Đại hội điểm.\n"
    )
    draft = extract(text, REGISTER_LOADED)
    assert [(t.due, t.lead) for t in draft.tasks] == [
        (date(2023, 6, 12), ["Thường trực Huyện ủy"]),
        (date(2023, 6, 13), ["Ban Tổ chức Huyện ủy"]),  # "THỨ BA, 13/6/2023" is a day, not a page stamp
        (date(2017, 8, 7), ["xã Vĩnh Phú"]),  # the date first, then the body
    ]  # the period line "(Từ ngày 12/6 đến ngày 16/6/2023)" holds no work


def test_two_bodies_with_their_own_verbs_share_a_deadline_and_each_has_its_task() -> None:
    text = (
        "THÔNG BÁO\nHà Nội, ngày 07 tháng 4 năm 2025\n"
        "Theo dự kiến, Ủy ban Pháp luật và Tư pháp thẩm tra và Quốc hội quyết định đề án trước ngày 20/6.\n"
        "Sở Nội vụ chủ trì và Sở Tài chính phối hợp hoàn thành đề án trước ngày 30/6.\n"
        "Chính phủ chỉ đạo hoàn chỉnh hồ sơ đơn vị hành chính cấp tỉnh và cấp xã trước ngày 1/5.\n"
    )
    draft = extract(text, REGISTER_LOADED)
    assert [(t.due, t.lead) for t in draft.tasks] == [
        (date(2025, 6, 19), ["Ủy ban Pháp luật và Tư pháp"]),
        (date(2025, 6, 19), ["Quốc hội"]),
        (date(2025, 6, 29), ["Sở Nội vụ"]),  # the body that helps has no task of its own
        (date(2025, 4, 30), ["Chính phủ"]),  # "cấp tỉnh và cấp xã" is a list, not a second doer
    ]


def test_a_schedule_title_with_its_period_in_brackets_is_no_task() -> None:
    text = (
        "Lịch làm việc tuần 21 của Thường trực, các Ban và Văn phòng (từ ngày 21/5/2018 đến ngày 28/5/2018)\n\n"
        "Thứ Hai, ngày 21/5/2018:\n- 8 giờ: Thường trực HĐND huyện họp giao ban.\n"
    )
    draft = extract(text, REGISTER_LOADED)
    assert [(t.due, t.lead) for t in draft.tasks] == [(date(2018, 5, 21), ["Thường trực HĐND huyện"])]


def test_a_register_unit_after_an_opening_deadline_is_the_lead() -> None:
    text = (
        "KẾ HOẠCH\nThường Xuân, ngày 07 tháng 4 năm 2022\n"
        "Ngày 14 và 15/8/2022: các chi bộ tổ chức đại hội.\n"
        "Trước ngày 31/10/2022, UBND thị trấn tổng hợp kết quả.\n"
    )
    draft = extract(text, REGISTER_LOADED)
    assert [(t.due, t.lead, t.explicit) for t in draft.tasks] == [
        (date(2022, 8, 15), ["cac-chi-bo"], True),
        (date(2022, 10, 30), ["ubnd"], True),
    ]


def test_a_list_of_bodies_under_one_cac_is_one_lead_kept_as_written() -> None:
    text = (
        "KẾ HOẠCH\nThường Xuân, ngày 07 tháng 4 năm 2022\n"
        "Các phòng, ban chuyên môn báo cáo kết quả chậm nhất vào ngày 25-4-2022.\n"
        "Các cơ quan, đơn vị gửi danh sách trước ngày 30/4/2022.\n"
        "UBND huyện, Ban Tổ chức Huyện ủy hoàn thành trước ngày 15/5/2022.\n"
    )
    draft = extract(text, REGISTER_LOADED)
    assert [(t.due, t.lead) for t in draft.tasks] == [
        (date(2022, 4, 25), ["Các phòng, ban chuyên môn"]),
        (date(2022, 4, 29), ["Các cơ quan, đơn vị"]),
        (date(2022, 5, 14), ["UBND huyện"]),  # two bodies named with their capitals stay two names
    ]


def test_a_bare_recurrence_says_how_often_not_by_when() -> None:
    text = (
        "KẾ HOẠCH\nThường Xuân, ngày 07 tháng 4 năm 2022\n"
        "Xây dựng kế hoạch phòng chống thiên tai hằng năm của thị trấn.\n"
        "Các thôn gửi báo cáo về UBND thị trấn định kỳ hằng quý.\n"
    )
    draft = extract(text, REGISTER_LOADED)
    assert [(t.due, t.rrule) for t in draft.dated] == [(None, "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1")]
    undated = [t for t in draft.tasks if t.ongoing]
    assert undated and any("hằng năm" in r and "lặp lại" in r for r in undated[0].review)  # asked, not guessed


def test_next_year_in_a_rule_of_every_year_recurs_yearly() -> None:
    text = (
        "HƯỚNG DẪN\nThường Xuân, ngày 07 tháng 4 năm 2022\n"
        "Đối với giải thưởng hằng năm, hồ sơ gửi về UBND thị trấn chậm nhất ngày 20/2 năm sau.\n"
        "Hồ sơ dự thi gửi trước ngày 10/1 năm sau.\n"
    )
    draft = extract(text, REGISTER_LOADED)
    assert [(t.due, t.rrule) for t in draft.dated] == [
        (None, "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=20"),  # every year, the first one in 2023
        (date(2023, 1, 9), None),  # once: nothing here recurs
    ]


def test_a_page_clock_with_weekday_and_time_is_furniture_and_the_article_stamp_dates_it() -> None:
    text = (
        "Thứ Hai, ngày 03/02/2025 09:10 AM (GMT+7)\n\n"
        "Huyện Quan Sơn: hoàn thiện hồ sơ xã điểm\n\n"
        "author Thứ Sáu, ngày 14 tháng 3 năm 2014 | 7:5:12\n\n"
        "Theo kế hoạch, các xã gửi hồ sơ về huyện trước ngày 30/4.\n"
    )
    draft = extract(text, REGISTER_LOADED)
    assert draft.doc_date == date(2014, 3, 14)  # the article's stamp, not the site's clock above the headline
    assert [t.due for t in draft.dated] == [date(2014, 4, 29)]  # neither clock line is a task


def test_the_headline_day_of_publication_is_no_deadline() -> None:
    text = "Tin nhanh 3/3: các xã nộp hồ sơ trước 20/3\n\n03/03/2024\n\nCác xã nộp hồ sơ khen thưởng trước ngày 20/3.\n"
    draft = extract(text, REGISTER_LOADED)
    assert draft.doc_date == date(2024, 3, 3)
    assert date(2024, 3, 3) not in [t.due for t in draft.dated]
    assert date(2024, 3, 19) in [t.due for t in draft.dated]


def test_an_opening_deadline_keeps_the_body_after_it_and_a_second_deadline_its_own_part() -> None:
    text = (
        "KẾ HOẠCH\nThường Xuân, ngày 07 tháng 4 năm 2022\n"
        "Trước ngày 10-5, UBND các xã, thị trấn phải nộp danh sách, và trước ngày 20-5 phải gửi báo cáo về huyện.\n"
    )
    draft = extract(text, REGISTER_LOADED)
    assert [(t.due, t.lead, t.explicit) for t in draft.dated] == [
        (date(2022, 5, 9), ["UBND các xã, thị trấn"], True),
        (date(2022, 5, 19), ["UBND các xã, thị trấn"], False),  # carried from the part before
    ]
    assert draft.dated[1].title.startswith("Phải gửi")


def test_each_period_of_a_sentence_has_the_body_named_after_it() -> None:
    text = (
        "KẾ HOẠCH\nThường Xuân, ngày 07 tháng 4 năm 2022\n"
        "Theo dự kiến của Huyện ủy: từ tháng 5 đến tháng 6-2022 các chi bộ thôn tiến hành đại hội, "
        "từ tháng 7 đến tháng 8-2022 tiến hành đại hội Đảng bộ huyện.\n"
        "Theo thông báo của Văn phòng điều phối nông thôn mới huyện, từ nay đến ngày 15/12/2022 "
        "Văn phòng nông thôn mới tỉnh sẽ về kiểm tra.\n"
    )
    draft = extract(text, REGISTER_LOADED)
    assert [(t.due, t.lead) for t in draft.dated] == [
        (date(2022, 6, 30), ["cac-chi-bo"]),  # the register's own unit, after the period that opens the part
        (date(2022, 8, 31), ["Đảng bộ huyện"]),  # a body holds its own congress
        (date(2022, 12, 15), ["Văn phòng nông thôn mới tỉnh"]),  # a body of a level, named by it
    ]


def test_the_lead_is_the_body_that_does_the_work_not_who_asks_or_receives() -> None:
    text = (
        "THÔNG BÁO\nThường Xuân, ngày 07 tháng 4 năm 2022\n"
        "Chủ tịch tỉnh đề nghị Sở Nội vụ chỉ đạo khẩn trương hướng dẫn các xã hoàn thành trước ngày 20/5/2022.\n"
        "Nếu đủ điều kiện thì UBND huyện lập hồ sơ trình tỉnh trước ngày 30/5/2022.\n"
        "Trước ngày 10 tháng 6 hằng năm, Chủ tịch UBND cấp xã gửi báo cáo về huyện.\n"
        "Đối với giải thưởng do Sở Văn hóa quyết định, hồ sơ gửi về Sở Văn hóa (qua Phòng Tổng hợp) "
        "chậm nhất ngày 15/6/2022.\n"
        "Với danh hiệu “Gia đình văn hóa cấp huyện”, hồ sơ gửi trước ngày 20/6/2022.\n"
        "Hội thao cấp xã phải hoàn thành xong trước ngày 30/6/2022.\n"
    )
    draft = extract(text, REGISTER_LOADED)
    assert [(t.due, t.lead if t.explicit else None) for t in draft.dated] == [
        (date(2022, 5, 19), ["Sở Nội vụ"]),  # the directive that names a body, not the one who asks
        (date(2022, 5, 29), ["UBND huyện"]),  # "… thì UBND huyện": the subject after the condition
        (None, ["UBND cấp xã"]),  # the body whose chairman does it
        (date(2022, 6, 15), None),  # the topic's body and the receivers are no leads: left to the keeper
        (date(2022, 6, 19), None),  # the words of a title in quotes are no body
        (date(2022, 6, 29), ["cấp xã"]),  # "Hội thao" is an event, not an association
    ]


def test_bullets_below_a_lead_in_take_the_body_it_names() -> None:
    text = (
        "CÔNG VĂN\nThường Xuân, ngày 07 tháng 4 năm 2022\n"
        "Công văn ấn định thời hạn để các trường học, cơ sở giáo dục gửi báo cáo như sau:\n"
        "• Báo cáo học kỳ được gửi trước ngày 15/6/2022\n"
        "• Báo cáo năm học được gửi trước ngày 20/8/2022\n"
        "Ông Chủ tịch đề nghị Phòng Nội vụ chỉ đạo các tổ; kiểm tra xong trước ngày 30/8/2022.\n"
    )
    draft = extract(text, REGISTER_LOADED)
    assert [(t.due, t.lead) for t in draft.dated] == [
        (date(2022, 6, 14), ["các trường học, cơ sở giáo dục"]),
        (date(2022, 8, 19), ["các trường học, cơ sở giáo dục"]),
        (date(2022, 8, 29), ["Phòng Nội vụ"]),  # the last directive names the body; carried past ";"
    ]


def test_bodies_listed_with_semicolons_before_their_verb_are_the_subject_of_what_follows() -> None:
    text = (
        "CÔNG VĂN\nThường Xuân, ngày 07 tháng 4 năm 2022\n"
        "Ban Chỉ đạo giảm nghèo huyện vừa ban hành công văn về việc rà soát hộ nghèo trên địa bàn năm 2022.\n"
        "Các phòng, ban huyện; Ủy ban nhân dân các xã, thị trấn được giao lập danh sách hộ nghèo; "
        "danh sách gửi về Phòng Lao động trước ngày 20/4/2022.\n"
    )
    draft = extract(text, REGISTER_LOADED)
    assert [(t.due, t.lead) for t in draft.dated] == [(date(2022, 4, 19), ["Các phòng, ban huyện"])]


def test_a_month_heading_a_line_is_its_scope_and_the_day_inside_it_the_deadline() -> None:
    text = (
        "KẾ HOẠCH\nThường Xuân, ngày 07 tháng 4 năm 2022\n"
        "- Tháng 5/2022: Các thôn và tổ dân phố gửi danh sách về thị trấn, trước ngày 12/5/2022.\n"
    )
    draft = extract(text, REGISTER_LOADED)
    assert [t.due for t in draft.dated] == [date(2022, 5, 11)]  # one task, not one for the month and one for the day


def test_a_preamble_keeps_only_what_it_says_is_still_to_come() -> None:
    text = (
        "Hướng dẫn tổ chức hội thi năm 2022\n\n"
        "Ngày 07/4/2022, UBND huyện đã ban hành Văn bản số 12/UBND-VX hướng dẫn hội thi.\n"
        "Theo văn bản, hội thi sẽ diễn ra vào các ngày 20, 21/5/2022; các xã đã nộp danh sách ngày 01/4/2022.\n"
        "I. NỘI DUNG\n"
        "Các xã nộp bài dự thi trước ngày 30/4/2022.\n"
    )
    draft = extract(text, REGISTER_LOADED)
    assert sorted(t.due for t in draft.dated if t.due) == [date(2022, 4, 29), date(2022, 5, 21)]


def test_each_congress_of_a_sentence_has_its_own_deadline() -> None:
    text = (
        "KẾ HOẠCH\nThường Xuân, ngày 07 tháng 4 năm 2022\n"
        "Đại hội các chi bộ hoàn thành từ tháng 5 - 6 và Đại hội đại biểu Đảng bộ huyện hoàn thành trong tháng "
        "8.2022; đại hội phụ nữ huyện dự kiến được tổ chức vào đầu quý IV năm 2022.\n"
    )
    draft = extract(text, REGISTER_LOADED)
    assert [t.due for t in draft.dated] == [date(2022, 6, 30), date(2022, 8, 31), date(2022, 10, 31)]
    assert draft.dated[1].lead == ["Đảng bộ huyện"]


def test_a_source_opening_names_no_doer_and_the_clause_after_it_does() -> None:
    text = (
        "THÔNG BÁO\nThường Xuân, ngày 07 tháng 4 năm 2022\n"
        "Theo kế hoạch tổ chức đại hội Hội Nông dân các cấp, đại hội Hội Nông dân cấp xã phải hoàn thành trước "
        "tháng 6.2022. Đại hội Mặt trận cấp huyện sẽ xong trước tháng 8.2022, còn Đại hội Hội Cựu chiến binh "
        "huyện hoàn thành trước tháng 10.2022.\n"
        "Theo lộ trình của Ban Thường vụ, Ban Tuyên giáo về đề án, đề án được báo cáo trước ngày 20/5/2022.\n"
    )
    draft = extract(text, REGISTER_LOADED)
    assert [(t.due, t.lead if t.explicit else None) for t in draft.dated] == [
        (date(2022, 5, 31), ["Hội Nông dân cấp xã"]),
        (date(2022, 7, 31), ["Mặt trận cấp huyện"]),
        (date(2022, 9, 30), ["Hội Cựu chiến binh huyện"]),  # "…, còn Đại hội …": its own part
        (date(2022, 5, 19), None),  # the bodies of the source are no doers
    ]


def test_a_day_heading_its_line_dates_every_sentence_on_it() -> None:
    text = (
        "KẾ HOẠCH\nThường Xuân, ngày 07 tháng 4 năm 2022\n"
        "- Ngày 20/5/2022: Công bố danh sách khen thưởng. Các trường học trao giấy khen cho học sinh.\n"
        "- Ngày 25/5/2022: Tổng kết; ĐVBC số 1, TP. Thanh Hóa.\n"
    )
    draft = extract(text, REGISTER_LOADED)
    assert [(t.due, t.lead if t.explicit else None) for t in draft.dated] == [
        (date(2022, 5, 20), None),
        (date(2022, 5, 20), ["cac-truong"]),  # the second sentence on the line has the line's day
        (date(2022, 5, 25), None),  # a list's tail after ";" borrows nothing
    ]
    assert any("đầu dòng" in r for r in draft.dated[1].review)


def test_a_body_holds_its_own_session_and_an_events_level_is_no_body() -> None:
    text = (
        "THÔNG BÁO\nThường Xuân, ngày 07 tháng 4 năm 2022\n"
        "Theo đó, kỳ họp HĐND huyện thường lệ giữa năm 2022 dự kiến được tổ chức từ ngày 18 đến ngày 20/7/2022.\n"
        "Giải bóng đá Hữu Nghị cấp huyện dự kiến kết thúc trước ngày 30/7/2022.\n"
    )
    draft = extract(text, REGISTER_LOADED)
    assert [(t.due, t.lead if t.explicit else None) for t in draft.dated] == [
        (date(2022, 7, 20), ["HĐND huyện"]),
        (date(2022, 7, 29), None),  # "cấp huyện" is the level of the tournament, left to the keeper
    ]


def test_the_bases_a_body_directs_are_the_lead() -> None:
    text = (
        "KẾ HOẠCH\nThường Xuân, ngày 07 tháng 4 năm 2022\n"
        "Theo kế hoạch, Hội Nông dân huyện chỉ đạo các cơ sở Hội tổng kết chi hội xong trong tháng 12/2022.\n"
    )
    draft = extract(text, REGISTER_LOADED)
    assert [(t.due, t.lead) for t in draft.dated] == [(date(2022, 12, 31), ["các cơ sở Hội"])]


def test_two_yearly_deadlines_in_a_sentence_are_two_tasks() -> None:
    text = (
        "HƯỚNG DẪN\nThường Xuân, ngày 07 tháng 4 năm 2022\n"
        "Hồ sơ khen thưởng gửi trước ngày 20/2 hằng năm và trước ngày 10/7 hằng năm (đối với các trường học).\n"
    )
    draft = extract(text, REGISTER_LOADED)
    assert [t.rrule for t in draft.dated] == [
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=19",
        "FREQ=YEARLY;BYMONTH=7;BYMONTHDAY=9",
    ]


def test_dates_of_papers_cited_and_of_events_already_held_are_no_deadlines() -> None:
    text = (
        "BẢN TIN\n\n"  # no date of its own: nothing is dropped for being before it
        "Thực hiện Quyết định 15/2021/QĐ-UBND ngày 02-6-2021 của UBND tỉnh, các xã báo cáo trước ngày 30/9/2021.\n"
        "Căn cứ Nghị quyết 07-NQ/HU ngày 12 tháng 3 năm 2021 của Huyện ủy, các xã hoàn thành trước ngày 30/10/2021.\n"
        "Hội nghị sơ kết đã được tổ chức vào ngày 10/5/2021; các thôn gửi báo cáo trước ngày 30/11/2021.\n"
    )
    draft = extract(text, REGISTER_LOADED)
    assert [t.due for t in draft.dated] == [date(2021, 9, 29), date(2021, 10, 29), date(2021, 11, 29)]


def test_a_section_for_a_group_gives_the_group_as_written() -> None:
    text = (
        "KẾ HOẠCH\nThường Xuân, ngày 07 tháng 4 năm 2022\n"
        "1. Đối với các lớp mới thành lập (khóa 2022):\n"
        "• Thời gian tổ chức: từ ngày 15/5/2022 đến 30/5/2022\n"
    )
    draft = extract(text, REGISTER_LOADED)
    assert [(t.due, t.lead) for t in draft.dated] == [(date(2022, 5, 30), ["các lớp mới thành lập (khóa 2022)"])]
    assert any("chưa có trong sổ" in r for r in draft.dated[0].review)  # not in the register: flagged, not mapped


def test_a_plan_table_posted_later_keeps_its_earlier_rows_and_its_year_cells() -> None:
    text = (
        "Kế hoạch điều tra nông nghiệp\n\n"
        "15/4/2024 08:30:00 AM | 12\n\n"  # the post's clock and views: the page's date, not the plan's
        "Nội dung | Thời gian\n"
        "1. Xây dựng phương án điều tra | Tháng 10-12/2023\n"
        "2.1. In phiếu điều tra | Tháng 02/2024\n"
        "3. Công bố kết quả | Năm 2025\n"
    )
    draft = extract(text, REGISTER_LOADED)
    assert draft.doc_date == date(2024, 4, 15)
    assert [t.due for t in draft.dated] == [date(2023, 12, 31), date(2024, 2, 29), date(2025, 12, 31)]


def test_a_reception_line_with_its_clock_names_the_body_whose_secretary_receives() -> None:
    text = (
        "LỊCH TIẾP CÔNG DÂN\nThường Xuân, ngày 07 tháng 4 năm 2022\n"
        "Văn phòng UBND huyện thông báo lịch tiếp công dân như sau:\n"
        "08 giờ 00 ngày 12/5/2022 Bí thư Huyện ủy.\n"
        "Chủ tịch UBND xã Lương Sơn trực tiếp tiếp công dân ngày 19/5/2022.\n"
    )
    draft = extract(text, REGISTER_LOADED)
    assert [(t.due, t.lead) for t in draft.dated] == [
        (date(2022, 5, 12), ["Huyện ủy"]),
        (date(2022, 5, 19), ["UBND xã Lương Sơn"]),  # "trực tiếp" is how, not part of the name
    ]


def test_a_name_stops_at_the_gap_of_a_two_column_letterhead() -> None:
    line = "BAN CHẤP HÀNH HỘI NÔNG DÂN          CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert [o.name for o in organisations(line)][:1] == ["BAN CHẤP HÀNH HỘI NÔNG DÂN"]


def test_a_calendar_row_with_its_day_cell_blank_is_on_the_day_above() -> None:
    text = (
        "LỊCH CÔNG TÁC\nThường Xuân, ngày 07 tháng 4 năm 2022\n"
        "Ngày | Buổi | Nội dung | Địa điểm\n"
        "Thứ 3 12/4 | Sáng | Họp bàn kế hoạch trồng rừng | Hội trường\n"
        " | Chiều | Kiểm tra tiến độ làm đường giao thông nông thôn | Thôn 3\n"
        "Rà soát hồ sơ đất đai, gồm: | \n"  # a group's heading with no day of its own: not on the day above
    )
    draft = extract(text, REGISTER_LOADED)
    assert [(t.due, t.title.split()[0]) for t in draft.dated] == [
        (date(2022, 4, 12), "Họp"),
        (date(2022, 4, 12), "Kiểm"),
    ]
    assert any("dòng trên" in r for r in draft.dated[1].review)


def test_two_deadlines_joined_by_va_and_a_new_verb_are_two_tasks() -> None:
    text = (
        "KẾ HOẠCH\nThường Xuân, ngày 07 tháng 4 năm 2022\n"
        "Các thôn họp dân vào ngày 20/4/2022 và hoàn thành việc lấy ý kiến về quy hoạch trước ngày 15/5/2022.\n"
    )
    draft = extract(text, REGISTER_LOADED)
    assert [t.due for t in draft.dated] == [date(2022, 4, 20), date(2022, 5, 14)]


def test_the_period_a_reports_figures_cover_is_no_deadline() -> None:
    text = (
        "CÔNG VĂN\nThường Xuân, ngày 07 tháng 4 năm 2022\n"
        "Số liệu báo cáo tính từ tháng 01/2021 đến hết tháng 3/2022; các xã gửi báo cáo trước ngày 20/4/2022.\n"
        "Báo cáo quý lấy số liệu 3 tháng đến hết tháng 6/2022.\n"
        "Các thôn gửi số liệu đến hết ngày 30/4/2022.\n"  # sending the figures by a day is a deadline
    )
    draft = extract(text, REGISTER_LOADED)
    assert [t.due for t in draft.dated] == [date(2022, 4, 19), date(2022, 4, 30)]


def test_a_two_column_letterhead_gives_its_dateline_not_the_pages_stamp(tmp_path: Path) -> None:
    path = tmp_path / "cong-van.txt"
    path.write_text(
        "Ngày đăng: 09:10 02/05/2022 Lượt xem: 310\n"
        "HỘI NÔNG DÂN HUYỆN          CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "Số: 12/HND          Thường Xuân, ngày 07 tháng 4 năm 2022\n"
        "Các cơ sở Hội gửi báo cáo trước ngày 20/4/2022.\n",
        encoding="utf-8",
    )
    draft = extract(read_document(path), REGISTER_LOADED)
    assert draft.doc_date == date(2022, 4, 7)


@pytest.mark.parametrize(
    ("sentence", "name"),
    [
        ("Ban Thi đua - Khen thưởng huyện tổng hợp hồ sơ.", "Ban Thi đua - Khen thưởng huyện"),
        ("Đảng bộ Ban Chỉ huy Quân sự huyện tổ chức đại hội.", "Đảng bộ Ban Chỉ huy Quân sự huyện"),
    ],
)
def test_names_of_emulation_and_command_bodies_are_read_whole(sentence: str, name: str) -> None:
    assert [o.name for o in organisations(sentence)][:1] == [name]


def test_a_past_deadline_a_letter_asked_for_is_kept_in_a_later_report() -> None:
    text = (
        "TIN TỨC\nThường Xuân, ngày 07 tháng 4 năm 2022\n"
        "Trước đó, Phòng Nội vụ đã có văn bản đề nghị các xã chậm nhất ngày 30.3.2022 phải gửi báo cáo biên chế.\n"
        "Hội nghị đã thống nhất danh sách, các xã đã gửi hồ sơ trước ngày 25/3/2022.\n"  # said to be done: history
    )
    draft = extract(text, REGISTER_LOADED)
    assert [t.due for t in draft.dated] == [date(2022, 3, 30)]


def test_a_day_off_in_a_calendar_is_no_task() -> None:
    text = (
        "LỊCH TIẾP CÔNG DÂN\nThường Xuân, ngày 07 tháng 4 năm 2022\n"
        "08 giờ 00 ngày 14/4/2022 Chủ tịch UBND thị trấn;\n"
        "* Ngày 11/4/2022 Nghỉ lễ Giỗ Tổ Hùng Vương;\n"
    )
    draft = extract(text, REGISTER_LOADED)
    assert [t.due for t in draft.dated] == [date(2022, 4, 14)]


def test_drafts_of_two_documents_import_one_after_the_other_and_keep_each_others_tasks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A keeper drafts from several documents a quarter: each import adds its document's tasks, replaces
    none of the other's, and leaves the register's own name; `--check` says beforehand what will change."""
    database = ["--database", f"sqlite:///{tmp_path / 'nhacviec.sqlite3'}"]
    assert main([*database, "import", str(REGISTER)]) == 0
    plan = tmp_path / "ke-hoach-phong-chong-bao.txt"
    plan.write_text(
        "ĐẢNG ỦY THỊ TRẤN THƯỜNG XUÂN\nSố: 61-KH/ĐU\nThường Xuân, ngày 10 tháng 5 năm 2022\nKẾ HOẠCH\n"
        "Phòng chống lụt bão năm 2022\n1. UBND thị trấn hoàn thành phương án sơ tán dân trước ngày 30/5/2022.\n"
        "2. Đoàn TN thị trấn ra quân tình nguyện hè chậm nhất ngày 15/6/2022.\n",
        encoding="utf-8",
    )
    letter = tmp_path / "cong-van-bao-cao.txt"
    letter.write_text(
        "Thường Xuân, ngày 12 tháng 5 năm 2022\nCÔNG VĂN\n"
        "Đề nghị Công đoàn cơ quan thị trấn báo cáo kết quả thi đua trước ngày 20/5/2022.\n",
        encoding="utf-8",
    )
    for document in (plan, letter):
        assert main([*database, "extract", str(document), "--units", str(REGISTER), "-o", f"{document}.yaml"]) == 0
        _review(Path(f"{document}.yaml"))
    capsys.readouterr()

    assert main([*database, "import", "--check", f"{letter}.yaml"]) == 0
    preview = capsys.readouterr().out
    assert "Nhập vào cơ sở dữ liệu hiện có sẽ:" in preview and "Nhiệm vụ: thêm 1, sửa 0" in preview
    assert main([*database, "import", f"{plan}.yaml"]) == 0
    assert "Nhiệm vụ: thêm 2, sửa 0" in capsys.readouterr().out
    assert main([*database, "import", f"{letter}.yaml"]) == 0
    assert "Nhiệm vụ: thêm 1, sửa 0" in capsys.readouterr().out

    assert main([*database, "export"]) == 0
    register = yaml.safe_load(capsys.readouterr().out)
    assert register["title"] == yaml.safe_load(REGISTER.read_text(encoding="utf-8"))["title"]
    drafted = {t["code"]: t for t in register["tasks"] if not t["code"].startswith("Q")}
    assert sorted(drafted) == ["cong-van-bao-cao-01", "ke-hoach-phong-chong-bao-02", "ke-hoach-phong-chong-bao-03"]
    assert drafted["ke-hoach-phong-chong-bao-02"]["source_doc"] == "KẾ HOẠCH Phòng chống lụt bão năm 2022 số 61-KH/ĐU"
    assert len(register["tasks"]) == 20 + 3

    assert main([*database, "import", "--check", f"{plan}.yaml"]) == 0  # drafted again: the same tasks, nothing new
    assert "không có gì thay đổi" in capsys.readouterr().out


def _review(draft: Path) -> None:
    """The keeper's review: the headline read as an ongoing task is deleted, every review list cleared."""
    data = yaml.safe_load(draft.read_text(encoding="utf-8"))
    data["tasks"] = [{k: v for k, v in t.items() if k != "review"} for t in data["tasks"] if not t.get("ongoing")]
    draft.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
