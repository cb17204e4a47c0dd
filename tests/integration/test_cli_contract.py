"""What the README promises of the command line: --today and --json on every query command, the user's
mistakes (exit 2, a message) told apart from our bugs (exit 1, one line, the traceback only at DEBUG)."""

from __future__ import annotations

import json
import logging
from datetime import datetime

import pytest
from sqlalchemy import Engine, select

import scheduler.register.queries
from bot.cli import main
from scheduler.clock import LOCAL_TZ, FixedClock
from scheduler.register.importer import import_register, load_register
from scheduler.register.links import link_chat
from scheduler.register.models import OFFICIALS
from tests.conftest import REGISTER


@pytest.fixture
def sqlite_db(sqlite_engine: Engine) -> str:
    clock = FixedClock(datetime(2022, 4, 8, 8, tzinfo=LOCAL_TZ))
    import_register(sqlite_engine, load_register(REGISTER), clock)
    with sqlite_engine.connect() as conn:
        officials = conn.execute(select(OFFICIALS.c.id, OFFICIALS.c.code)).all()
    for official_id, code in officials:
        link_chat(sqlite_engine, official_id, "console", f"chat-{code}", clock)
    return sqlite_engine.url.render_as_string(hide_password=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_remind_dry_run_json_lists_what_would_go_out_without_writing(sqlite_db: str, capsys) -> None:
    code, out, _ = run(capsys, "--database", sqlite_db, "remind", "--dry-run", "--today", "2022-04-22T07:31", "--json")
    rows = json.loads(out)
    assert code == 0 and rows and {"official_id", "assignment_id", "kind", "channel"} <= rows[0].keys()
    again = run(capsys, "--database", sqlite_db, "remind", "--dry-run", "--today", "2022-04-22T07:31", "--json")[1]
    assert json.loads(again) == rows  # nothing was written


def test_report_json_is_the_same_as_format_json(sqlite_db: str, capsys) -> None:
    a = run(capsys, "--database", sqlite_db, "report", "--period", "2022-Q2", "--today", "2022-05-02", "--json")[1]
    b = run(
        capsys, "--database", sqlite_db, "report", "--period", "2022-Q2", "--today", "2022-05-02", "--format", "json"
    )
    assert json.loads(a) == json.loads(b[1]) and json.loads(a)["today"] == "2022-05-02"


def test_ical_takes_today_and_json(sqlite_db: str, capsys) -> None:
    code, out, _ = run(
        capsys, "--database", sqlite_db, "ical", "--unit", "cong-doan", "--today", "2022-05-02", "--json"
    )
    rows = json.loads(out)
    assert code == 0 and rows and all("due" in r for r in rows)
    code, out, _ = run(capsys, "--database", sqlite_db, "ical", "--unit", "cong-doan", "--today", "2022-05-02")
    assert code == 0 and out.count("BEGIN:VEVENT") == len(rows)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["tasks", "--today", "2022-13-45"], "YYYY-MM-DD"),
        (["report", "--period", "2022-Q7"], "Q7"),
        (["tasks", "--unit", "khong-co-don-vi-nay"], "khong-co-don-vi-nay"),
        (["import", "khong-co-tep-nay.yaml"], "khong-co-tep-nay.yaml"),
        (["deadline", "một hôm nào đó"], "một hôm nào đó"),
    ],
    ids=["bad-date", "bad-period", "unknown-unit", "missing-file", "unknown-phrase"],
)
def test_the_users_mistakes_exit_2_with_a_message(sqlite_db: str, capsys, argv, expected) -> None:
    try:
        code, _, err = run(capsys, "--database", sqlite_db, *argv)
    except SystemExit as exc:  # argparse's own refusal (a --today that is no date) is exit 2 as well
        code, err = int(exc.code or 0), capsys.readouterr().err
    assert code == 2 and expected in err and "Traceback" not in err


def test_a_value_error_that_is_our_bug_exits_1_with_one_line(sqlite_db, capsys, monkeypatch, caplog) -> None:
    def broken(*args: object, **kwargs: object) -> list[object]:
        raise ValueError("a bug: list index confusion")

    monkeypatch.setattr(scheduler.register.queries, "tasks", broken)
    monkeypatch.delenv("NHACVIEC_LOG_LEVEL", raising=False)
    code, _, err = run(capsys, "--database", sqlite_db, "tasks")
    assert code == 1 and "Lỗi nội bộ" in err and "ValueError" in err
    assert "Traceback" not in err and "a bug" not in err and len(err.strip().splitlines()) == 1
    monkeypatch.setenv("NHACVIEC_LOG_LEVEL", "DEBUG")
    with caplog.at_level(logging.DEBUG, logger="nhacviec.cli"):
        assert run(capsys, "--database", sqlite_db, "tasks")[0] == 1
    assert any(r.exc_info and "a bug" in str(r.exc_info[1]) for r in caplog.records)


def test_a_reader_that_stops_early_is_no_error(sqlite_db: str) -> None:
    """`nhacviec export | head`: the pipe closes under the command, which stops quietly, as `cat` would."""
    import subprocess
    import sys

    probe = (
        "import os, sys\n"
        "read, write = os.pipe()\n"
        "os.close(read)\n"
        "os.dup2(write, 1)\n"
        "from bot.cli import main\n"
        f"sys.exit(main(['--database', {sqlite_db!r}, 'export']))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert (done.returncode, done.stderr) == (141, "")


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["tasks", "--frob"], "nhacviec: lỗi: không hiểu --frob"),
        (["tasks", "--status", "xong"], "nhacviec tasks: lỗi: --status: không có 'xong'; chọn: 'active'"),
        (["deadline"], "nhacviec deadline: lỗi: thiếu THỜI_HẠN"),
        (["tasks", "--today"], "nhacviec tasks: lỗi: --today cần một giá trị"),
    ],
)
def test_a_mistyped_command_line_is_answered_in_vietnamese(capsys, argv: list[str], said: str) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and said in err and err.startswith("cách dùng: nhacviec")
    assert "error:" not in err and "usage:" not in err


def test_the_help_reads_in_vietnamese(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["tasks", "-h"])
    out = capsys.readouterr().out
    assert "tùy chọn:" in out and "xem phần trợ giúp này rồi thoát" in out and "options:" not in out
