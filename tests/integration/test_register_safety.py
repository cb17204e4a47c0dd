"""Exports that no spreadsheet runs as formulas and that round-trip exactly; imports that never wipe settings."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.cli import main
from scheduler.clock import FixedClock
from scheduler.db import make_engine
from scheduler.register.importer import import_register, load_register, read_register
from scheduler.register.models import META
from scheduler.register.tables import write_csv_folder, write_xlsx
from scheduler.register.yaml_format import dump_yaml
from scheduler.reporting.excel import write_report
from scheduler.reporting.stats import parse_period, report_lines, statistics
from tests.conftest import REGISTER

# titles a spreadsheet would run, or that look like our own escape
RISKY = [
    '=HYPERLINK("http://evil.example", "Bấm vào đây")',  # a live link
    "=1+2",
    "+84 912 345 678",  # a phone number
    "-Giảm 10% hồ sơ tồn",
    "@Ban Tuyên giáo",
    "'Trích' nghị quyết",  # our escape character itself
    "'=vẫn là chữ",
    "''hai dấu nháy",
]


def _register_with(tmp_path: Path, titles: list[str]) -> Path:
    text = REGISTER.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    out, replaced, in_tasks = [], 0, False
    for line in lines:
        in_tasks = in_tasks or line.startswith("tasks:")
        if in_tasks and line.startswith("    title: ") and replaced < len(titles):
            out.append(f"    title: {_yaml_quoted(titles[replaced])}\n")
            replaced += 1
        else:
            out.append(line)
    path = tmp_path / "register.yaml"
    path.write_text("".join(out), encoding="utf-8")
    return path


def _yaml_quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def test_formula_titles_are_text_in_xlsx_and_csv_and_round_trip_exactly(
    db_url: str, clock: FixedClock, tmp_path: Path
) -> None:
    engine = make_engine(db_url)
    import_register(engine, load_register(_register_with(tmp_path, RISKY)), clock)
    source = read_register(engine)
    assert [t.title for t in source.tasks[: len(RISKY)]] == RISKY
    write_xlsx(source, tmp_path / "so.xlsx")
    book = openpyxl.load_workbook(tmp_path / "so.xlsx")
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # no formula anywhere
    titles = {c.value: c for c in cells if c.value in RISKY}
    assert set(titles) == set(RISKY) and all(c.quotePrefix for v, c in titles.items() if v[0] in "=+-@")
    write_csv_folder(source, tmp_path / "csv")
    with (tmp_path / "csv" / "nhiem-vu.csv").open(encoding="utf-8-sig", newline="") as handle:
        written = [row[1] for row in csv.reader(handle)][1 : len(RISKY) + 1]
    assert all(cell.startswith("'") for cell in written)  # what a spreadsheet opens as text
    for exported in (tmp_path / "so.xlsx", tmp_path / "csv"):
        again = load_register(exported)
        assert again == source
        assert not import_register(engine, again, clock).changed


def test_the_report_workbook_writes_formula_titles_as_text(sqlite_engine, clock: FixedClock, tmp_path: Path) -> None:
    import_register(sqlite_engine, load_register(_register_with(tmp_path, RISKY)), clock)
    period = parse_period("2022-Q2")
    today = clock.now().date()
    out = tmp_path / "bao-cao.xlsx"
    write_report(out, statistics(sqlite_engine, period, today), report_lines(sqlite_engine, period, today))
    book = openpyxl.load_workbook(out)
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = [c.value for c in cells if c.data_type == "s"]
    shown = [t for t in RISKY if any(str(v).startswith(t) for v in texts)]  # "title (code)", as string cells
    assert {"-Giảm 10% hồ sơ tồn", "@Ban Tuyên giáo"} <= set(shown)  # the tasks of this report


TEXT = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029\x85"),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(bool)
)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(titles=st.lists(TEXT, min_size=1, max_size=4), prefix=st.sampled_from(["", "=", "+", "-", "@", "'", "''"]))
def test_any_title_round_trips_through_yaml_xlsx_and_csv(
    titles: list[str], prefix: str, tmp_path_factory: pytest.TempPathFactory, clock: FixedClock
) -> None:
    folder = tmp_path_factory.mktemp("roundtrip")
    titles = [prefix + t for t in titles]
    engine = make_engine(f"sqlite:///{folder / 'db.sqlite3'}")
    import_register(engine, load_register(_register_with(folder, titles)), clock)
    source = read_register(engine)
    (folder / "so.yaml").write_text(dump_yaml(source), encoding="utf-8")
    write_xlsx(source, folder / "so.xlsx")
    write_csv_folder(source, folder / "csv")
    for exported in ("so.yaml", "so.xlsx", "csv"):
        assert load_register(folder / exported) == source, exported
    engine.dispose()


def _meta(db_url: str) -> dict[str, object]:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        return dict(conn.execute(select(META.c.key, META.c.value)).all())


@pytest.mark.parametrize(
    "content",
    [
        "",  # an empty file
        "# chỉ có chú thích\n",
        "groups: []\nunits: []\nofficials: []\ntasks: []\n",
    ],
)
def test_an_empty_file_is_refused_and_the_settings_stay(
    db_url: str, clock: FixedClock, tmp_path: Path, content: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import_register(make_engine(db_url), load_register(REGISTER), clock)
    before = _meta(db_url)
    path = tmp_path / "trong.yaml"
    path.write_text(content, encoding="utf-8")
    assert main(["--database", db_url, "import", str(path)]) == 2
    assert "sổ trống" in capsys.readouterr().err
    assert _meta(db_url) == before


def test_with_allow_empty_a_file_without_settings_keeps_them(
    db_url: str, clock: FixedClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = REGISTER.read_text(encoding="utf-8").replace(
        "source_date: 2022-04-07\n",
        'source_date: 2022-04-07\nreminders: {send_at: "08:15", quiet_hours: "20:00-07:30"}\n',
        1,
    )
    custom = tmp_path / "register.yaml"
    custom.write_text(text, encoding="utf-8")
    import_register(make_engine(db_url), load_register(custom), clock)
    before = _meta(db_url)
    empty = tmp_path / "trong.yaml"
    empty.write_text("# chỉ có chú thích\n", encoding="utf-8")
    assert main(["--database", db_url, "import", "--allow-empty", str(empty)]) == 0
    assert "không có gì thay đổi" in capsys.readouterr().out
    assert before["reminders"] == {"send_at": "08:15", "quiet_hours": "20:00-07:30"}
    assert _meta(db_url) == before  # title, source and the reminders policy are all still there


def test_a_changed_setting_is_reported(db_url: str, clock: FixedClock, tmp_path: Path) -> None:
    import_register(make_engine(db_url), load_register(REGISTER), clock)
    path = tmp_path / "register.yaml"
    text = REGISTER.read_text(encoding="utf-8")
    first_title = next(line for line in text.splitlines() if line.startswith("title: "))
    path.write_text(text.replace(first_title, "title: Sổ đã đổi tên", 1), encoding="utf-8")
    report = import_register(make_engine(db_url), load_register(path), clock)
    assert report.changed and report.settings_updated == ["title"]
    assert "Thông tin sổ: sửa tên sổ" in report.summary()


def test_csv_files_saved_by_excel_with_semicolons_read_as_the_same_register(tmp_path: Path) -> None:
    """Excel in a Vietnamese locale saves "CSV" with ';' between cells: the folder is the same register."""
    register = load_register(REGISTER)
    write_csv_folder(register, tmp_path / "csv")
    for path in (tmp_path / "csv").glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        with path.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f, delimiter=";").writerows(rows)
    assert ";" in (tmp_path / "csv" / "can-bo.csv").read_text(encoding="utf-8").splitlines()[0]
    assert load_register(tmp_path / "csv") == register
