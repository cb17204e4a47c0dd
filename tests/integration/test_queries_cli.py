"""Asking the register what is overdue and what is coming, from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.cli import main
from scheduler.clock import LOCAL_TZ, FixedClock
from scheduler.register.changes import Actor, change_status
from scheduler.register.importer import import_register, load_register
from scheduler.register.models import Status
from tests.conftest import REGISTER, ROOT, assignment_id

# Hand-checked from the conclusion: on Monday 2 May 2022 these April deadlines have passed.
APRIL_OPEN_ON_2_MAY = {
    ("Q2-04", "cong-doan"),  # báo cáo tổng kết năm 2021 của Công đoàn — tháng 4/2022
    ("Q2-05", "cong-doan"),  # Hội nghị CBCC — tháng 4/2022
    ("Q2-06", "cong-doan"),  # kiện toàn Ban thanh tra nhân dân — tháng 4/2022
    ("Q2-12", "kp-tien-son-1"),  # tiêm phòng đợt 1 — 30/4, a recurring deadline moved to Friday 29/4
    ("Q2-12", "kp-xuan-minh"),
    ("Q2-13", "to-ra-soat-dat"),  # báo cáo rà soát đất đai — tháng 4/2022
    ("Q2-16", "vp-ubnd"),  # báo cáo Công đoàn, Hội nghị CBCC (văn phòng UBND) — tháng 4/2022
    ("Q2-19", "mttq"),  # tuyên truyền 30/4, each body of the MTTQ group
    ("Q2-19", "doan-tn"),
    ("Q2-19", "cong-doan"),
    ("Q2-19", "hoi-nong-dan"),
    ("Q2-19", "hoi-phu-nu"),
    ("Q2-19", "hoi-ccb"),
}
# The Monday flag ceremony (Q2-17) is an event: its unconfirmed 18/4 is "not reported", never overdue.


@pytest.fixture
def register_db(engine: Engine, clock: FixedClock) -> str:
    import_register(engine, load_register(REGISTER), clock)
    return str(engine.url.render_as_string(hide_password=False))


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> list[dict[str, object]]:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_overdue_on_2_may_lists_exactly_the_april_tasks_still_open(
    register_db: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _json(capsys, ["--database", register_db, "overdue", "--today", "2022-05-02", "--json"])
    assert {(r["task"], r["unit"]) for r in rows} == APRIL_OPEN_ON_2_MAY
    assert all(r["state"] == "overdue" and int(str(r["days_left"])) < 0 for r in rows)


def test_a_task_closed_in_april_is_no_longer_overdue(
    register_db: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    closing = FixedClock(datetime(2022, 4, 28, 15, 0, tzinfo=LOCAL_TZ))
    change_status(engine, assignment_id(engine, "Q2-13", "to-ra-soat-dat"), Status.done, Actor("Vũ Thị G"), closing)
    rows = _json(capsys, ["--database", register_db, "overdue", "--today", "2022-05-02", "--json"])
    assert {(r["task"], r["unit"]) for r in rows} == APRIL_OPEN_ON_2_MAY - {("Q2-13", "to-ra-soat-dat")}
    done = _json(
        capsys, ["--database", register_db, "tasks", "--status", "done_on_time", "--today", "2022-05-02", "--json"]
    )
    assert [(r["task"], r["unit"]) for r in done] == [("Q2-13", "to-ra-soat-dat")]


def test_done_after_the_deadline_is_done_late(
    register_db: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    late = FixedClock(datetime(2022, 5, 4, 9, 0, tzinfo=LOCAL_TZ))
    change_status(engine, assignment_id(engine, "Q2-05", "cong-doan"), Status.done, Actor("Bùi Thị K"), late)
    rows = _json(
        capsys, ["--database", register_db, "tasks", "--status", "done_late", "--today", "2022-05-05", "--json"]
    )
    assert [(r["task"], r["unit"]) for r in rows] == [("Q2-05", "cong-doan")]


def test_overdue_for_one_unit_by_its_vietnamese_name(register_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    rows = _json(
        capsys,
        [
            "--database",
            register_db,
            "overdue",
            "--unit",
            "Công đoàn cơ quan thị trấn",
            "--today",
            "2022-05-02",
            "--json",
        ],
    )
    assert sorted(r["task"] for r in rows) == ["Q2-04", "Q2-05", "Q2-06", "Q2-19"]


def test_unknown_unit_gets_suggestions_and_exit_2(register_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--database", register_db, "overdue", "--unit", "cong-doan-x", "--today", "2022-05-02"]) == 2
    assert "Công đoàn cơ quan thị trấn?" in capsys.readouterr().err  # its name, not a folded label
    assert main(["--database", register_db, "overdue", "--unit", "khongco", "--today", "2022-05-02"]) == 2
    assert "có phải" not in capsys.readouterr().err  # nothing alike: no far-fetched suggestion
    with pytest.raises(SystemExit):  # a typo in an option: argparse's exit 2, in our words
        main(["--database", register_db, "tasks", "--today", "2022-02-30"])
    assert "'2022-02-30': không có ngày giờ này trên lịch" in capsys.readouterr().err


def test_overdue_summary_counts_per_unit(register_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    rows = _json(capsys, ["--database", register_db, "overdue", "--summary", "--today", "2022-05-02", "--json"])
    counts = {r["unit"]: r["overdue"] for r in rows}
    assert counts["cong-doan"] == 4
    assert sum(int(str(c)) for c in counts.values()) == len(APRIL_OPEN_ON_2_MAY)
    assert rows[0]["unit"] == "cong-doan"  # the most behind first


def test_upcoming_shows_the_next_days_only(register_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    rows = _json(capsys, ["--database", register_db, "upcoming", "--days", "7", "--today", "2022-05-25", "--json"])
    assert {r["task"] for r in rows} == {"Q2-02"}  # the chi bộ congresses, due 31/5
    assert len(rows) == 7 and {r["days_left"] for r in rows} == {6}


def test_table_has_vietnamese_headings_red_overdue_and_yellow_soon(
    register_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--database", register_db, "tasks", "--today", "2022-04-28", "--color", "always"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == [
        "ID",
        "Mã",
        "NV",
        "Nhiệm",
        "vụ",
        "Đơn",
        "vị",
        "Hạn",
        "Còn",
        "lại",
        "Tình",
        "trạng",
    ]
    lines = out.splitlines()
    red = [line for line in lines if line.startswith("\033[31m")]
    yellow = [line for line in lines if line.startswith("\033[33m")]
    assert red == []  # nothing overdue on 28/4: the 18/4 flag ceremony is not reported, not overdue
    assert any("Q2-17" in line and "chưa báo cáo" in line for line in lines)
    assert yellow and all("30/04/2022" in line or "29/04/2022" in line for line in yellow)  # due within 2 days
    assert any("còn 2 ngày" in line for line in yellow)


def test_nhacviec_now_sets_the_day_like_today(
    register_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NHACVIEC_NOW", "2022-05-02")
    rows = _json(capsys, ["--database", register_db, "overdue", "--json"])
    assert {(r["task"], r["unit"]) for r in rows} == APRIL_OPEN_ON_2_MAY


def test_console_script_runs_as_installed(tmp_path: Path) -> None:
    env_db = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    run = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--database", env_db, "import", str(REGISTER)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "Nhiệm vụ: thêm 20" in run.stdout
