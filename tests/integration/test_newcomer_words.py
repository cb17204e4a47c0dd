"""What a newcomer and an office notice first: hints on an empty register, unlinked people, words and numbers."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.cli import main
from bot.conversation.core import Conversation, Incoming
from bot.conversation.texts import file_size, reason_text
from scheduler.clock import LOCAL_TZ, FixedClock
from scheduler.db import make_engine
from scheduler.register.changes import ExtensionError, decide_extension, request_extension
from scheduler.register.importer import import_register, load_register
from scheduler.register.links import find_official_id, link_chat
from tests.conftest import REGISTER, ROOT, assignment_id


@pytest.fixture
def register_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'nv.sqlite3'}"
    assert main(["--database", url, "import", str(REGISTER)]) == 0
    return url


def test_an_empty_register_says_how_to_fill_it(tmp_path: Path) -> None:
    # its own process: a first use creates the schema, as it does for a newcomer
    run = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--database", f"sqlite:///{tmp_path / 'empty.sqlite3'}", "tasks"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "Không có nhiệm vụ nào." in run.stdout
    assert "nhacviec import data/register.yaml" in run.stderr


def test_an_invite_without_the_bot_name_warns_which_variable_to_set(
    register_db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NHACVIEC_TELEGRAM_BOT", raising=False)
    assert main(["--database", register_db, "invite", "--official", "bi-thu"]) == 0
    out = capsys.readouterr()
    assert "NHACVIEC_TELEGRAM_BOT" in out.err and "t.me/" not in out.out  # no link to a bot that may be anyone's
    assert "Telegram: mở bot của đơn vị và gửi tin nhắn: /start " in out.out
    monkeypatch.setenv("NHACVIEC_TELEGRAM_BOT", "thuongxuan_bot")
    assert main(["--database", register_db, "invite", "--official", "bi-thu"]) == 0
    out = capsys.readouterr()
    assert out.err == "" and "t.me/thuongxuan_bot?start=" in out.out


def test_remind_says_why_nothing_was_sent_when_nobody_is_linked(
    register_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--database", register_db, "remind", "--today", "2022-04-22"]) == 0
    out = capsys.readouterr().out
    assert "gửi 0 tin" in out
    assert "chưa ai liên kết" in out and "nhacviec invite" in out


def test_a_mistyped_command_gets_the_closest_one(tmp_path: Path) -> None:
    engine: Engine = make_engine(f"sqlite:///{tmp_path / 'nv.sqlite3'}")
    clock = FixedClock(datetime(2022, 4, 8, 8, 0, tzinfo=LOCAL_TZ))
    import_register(engine, load_register(REGISTER), clock)
    link_chat(engine, find_official_id(engine, "bi-thu"), "console", "b", clock)
    talk = Conversation(engine, clock)
    assert "Có phải đồng chí muốn gõ /viec?" in talk.handle(Incoming("console", "b", text="/viecc"))[0].text
    assert "/quahan" in talk.handle(Incoming("console", "b", text="/quahn"))[0].text
    nothing_close = talk.handle(Incoming("console", "b", text="/xyzabc"))[0].text
    assert "Có phải" not in nothing_close and "/help" in nothing_close
    # /kenh names the channels as people write them
    assert "Zalo" in talk.handle(Incoming("console", "b", text="/kenh zalo"))[0].text
    engine.dispose()


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (900, "900 byte"),  # small files in bytes
        (62_180, "60,7 KB"),  # a comma before decimals, the Vietnamese way
        (5 * 1024 * 1024 + 300_000, "5,3 MB"),
        (1_234 * 1024 * 1024, "1,2 GB"),
    ],
)
def test_file_sizes_are_written_the_vietnamese_way(size: int, shown: str) -> None:
    assert file_size(size) == shown


@pytest.mark.parametrize(
    ("reason", "shown"),
    [
        ("vì trùng lịch họp huyện", "trùng lịch họp huyện"),  # "lý do: vì …" would say "vì" twice
        ("Do chưa có kinh phí", "chưa có kinh phí"),
        ("lý do: mưa bão", "mưa bão"),
        ("bởi vì thiếu người", "thiếu người"),
        ("chưa có kinh phí", "chưa có kinh phí"),  # nothing to take away
        ("vi thieu nguoi", "thieu nguoi"),  # typed without diacritics
    ],
)
def test_a_reason_reads_once_after_ly_do(reason: str, shown: str) -> None:
    assert reason_text(reason) == shown


def test_a_leader_too_late_to_decide_learns_who_decided_what(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nv.sqlite3'}")
    clock = FixedClock(datetime(2022, 4, 20, 9, 0, tzinfo=LOCAL_TZ))
    import_register(engine, load_register(REGISTER), clock)
    union_task = assignment_id(engine, "Q2-05", "cong-doan")
    asked = request_extension(engine, union_task, find_official_id(engine, "ct-cong-doan"), date(2022, 5, 15),
                              "trùng lịch", clock)  # fmt: skip
    decide_extension(engine, asked, find_official_id(engine, "bi-thu"), True, clock)
    with pytest.raises(ExtensionError) as late:
        decide_extension(engine, asked, find_official_id(engine, "chu-tich-ubnd"), False, clock)
    said = str(late.value)
    assert "Nguyễn Văn A" in said and "đã đồng ý" in said and "15/05/2022" in said and "09:00 ngày 20/04/2022" in said
    engine.dispose()
