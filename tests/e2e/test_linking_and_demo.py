"""Invites, the dry run, the ticking clock and the console demo, as a keeper and a newcomer meet them."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from bot.cli import main
from scheduler.clock import LOCAL_TZ, FixedClock
from scheduler.outbox.dispatcher import Dispatcher
from scheduler.outbox.notify import LoggingNotifier
from scheduler.outbox.ratelimit import RateLimiter
from scheduler.outbox.ticker import Ticker
from scheduler.register.importer import import_register, load_register
from scheduler.register.invites import InviteError, redeem_invite
from scheduler.register.links import find_official_id, link_chat
from scheduler.register.models import INVITES, REMINDERS
from tests.conftest import REGISTER, ROOT


@pytest.fixture
def loaded(engine: Engine, clock: FixedClock) -> Engine:
    import_register(engine, load_register(REGISTER), clock)
    return engine


def test_invite_prints_a_single_use_code_and_its_link_stored_only_hashed(
    loaded: Engine, clock: FixedClock, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NHACVIEC_TELEGRAM_BOT", "nhacviec_thuongxuan_bot")
    url = loaded.url.render_as_string(hide_password=False)
    assert main(["--database", url, "invite", "--official", "Bùi Thị K"]) == 0
    out = capsys.readouterr().out
    code = re.search(r"start=(\S+)", out)
    assert code and f"https://t.me/nhacviec_thuongxuan_bot?start={code[1]}" in out
    with loaded.connect() as conn:
        stored = conn.execute(select(INVITES.c.code_hash)).scalar_one()
    assert code[1] not in stored and len(stored) == 64  # a SHA-256, never the code
    official = redeem_invite(loaded, code[1], "telegram", "555", clock)
    assert official == find_official_id(loaded, "ct-cong-doan")
    with pytest.raises(InviteError, match="đã được dùng"):
        redeem_invite(loaded, code[1], "telegram", "666", clock)


def test_invite_expires_after_seven_days(
    loaded: Engine, clock: FixedClock, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NHACVIEC_NOW", "2022-04-08T08:00")
    url = loaded.url.render_as_string(hide_password=False)
    assert main(["--database", url, "invite", "--official", "ct-cong-doan", "--role", "head"]) == 0
    code = re.search(r"/start (\S+)", capsys.readouterr().out)  # no bot username set: the message to send
    assert code
    late = FixedClock(clock.now() + timedelta(days=7, minutes=1))
    with pytest.raises(InviteError, match="hết hạn"):
        redeem_invite(loaded, code[1], "telegram", "555", late)
    assert redeem_invite(loaded, code[1], "telegram", "555", clock) == find_official_id(loaded, "ct-cong-doan")


def test_invite_for_an_unknown_official_is_a_clear_error(loaded: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    url = loaded.url.render_as_string(hide_password=False)
    assert main(["--database", url, "invite", "--official", "Không Có Ai"]) == 2
    assert "không có cán bộ 'Không Có Ai'" in capsys.readouterr().err


def test_remind_dry_run_prints_by_person_and_writes_nothing(loaded: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    url = loaded.url.render_as_string(hide_password=False)
    assert main(["--database", url, "remind", "--dry-run", "--today", "2022-04-29"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Lời nhắc ngày 29/04/2022")
    block = out.split("Bùi Thị K (chưa liên kết):")[1].split("\n\n")[0]
    assert block.count("[đến hạn]") == 4  # Công đoàn's four April tasks, due Saturday 30/4, a holiday
    with loaded.connect() as conn:
        assert conn.execute(select(REMINDERS.c.id)).first() is None


def test_the_ticker_ticks_at_start_up_and_stops_after_the_current_tick(loaded: Engine, clock: FixedClock) -> None:
    link_chat(loaded, find_official_id(loaded, "chanh-vp-ubnd"), "console", "e", clock)
    clock.set(datetime(2022, 4, 15, 7, 31, tzinfo=LOCAL_TZ))
    notifier = LoggingNotifier()
    limiter = RateLimiter(per_second=1000, per_chat_second=1000)
    ticker = Ticker(loaded, Dispatcher(loaded, {"console": notifier}, clock, limiter=limiter), clock, 3600)

    async def run() -> None:
        ticker.start()
        for _ in range(100):
            if notifier.delivered:
                break
            await asyncio.sleep(0.05)
        await ticker.stop()

    asyncio.run(run())
    assert [d.official_name for d in notifier.delivered] == ["Hoàng Văn E"]  # Monday's flag ceremony (18/4)


def test_demo_shows_the_mornings_reminder_and_takes_an_answer(tmp_path: Path) -> None:
    typed = "xong\n/viec\n/as ct-cong-doan\n/day +7\n1\n/day +1\n/as bi-thu\n/baocao 2022-Q2\n/quit\n"
    run = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo"],
        input=typed,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
        env={**os.environ, "NHACVIEC_DATA_DIR": str(tmp_path)},
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "Chào đồng chí Hoàng Văn E. Việc cần chú ý ngày 15/04/2022" in out  # Friday: Monday's ceremony
    assert "[1] ✅ Xong" in out
    assert "✅ Đã ghi nhận: #" in out and "Giao ban, chào cờ" in out
    assert "Đang xem điện thoại của đồng chí Bùi Thị K" in out
    assert "═══ 22/04/2022, 07:31 ═══" in out and "còn 8 ngày" in out  # 7 mornings later, Friday 22/4
    assert "═══ 23/04/2022, 07:31 (ngày nghỉ: không gửi lời nhắc) ═══" in out
    pressed = out.split("═══ 22/04/2022")[1].split("═══ 23/04/2022")[0]
    assert "✅ Đã ghi nhận: #10 Hoàn thiện báo cáo tổng kết năm 2021" in pressed  # "1" pressed the first ✅ Xong
    # the leader got the Monday digest of 18/4, and the chart asked for is on disk
    assert "tuần 18/04–24/04/2022" in out
    charts = sorted((tmp_path / "demo-files").glob("*bao-cao-2022-Q2.png"))
    assert len(charts) == 1 and charts[0].read_bytes().startswith(b"\x89PNG")


def test_the_readme_demo_day_plus_4_brings_the_leaders_monday_digest_on_tuesday(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "`/day +4` brings the Monday digest" in readme  # the line this test keeps true
    run = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", "--today", "2022-04-08"],
        input="/as bi-thu\n/day +4\n/quit\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
        env={**os.environ, "NHACVIEC_DATA_DIR": str(tmp_path)},
    )
    assert run.returncode == 0, run.stderr
    tuesday = run.stdout.split("═══ 12/04/2022")[1]
    assert "tuần 11/04–17/04/2022" in tuesday  # Monday 11/4 is a holiday: the digest comes on Tuesday
    assert "tuần 11/04–17/04/2022" not in run.stdout.split("═══ 12/04/2022")[0]


def test_demo_day_and_as_without_an_argument_explain_themselves(tmp_path: Path) -> None:
    from datetime import date

    from bot.demo import Demo

    shown: list[str] = []
    demo = Demo.create(tmp_path, date(2022, 4, 8), "chanh-vp-ubnd", shown.append)
    demo.handle_line("/day")
    demo.handle_line("/as")
    said = "\n".join(shown)
    assert "Hôm nay trong bản chạy thử là 08/04/2022. Gõ /day +N" in said
    assert "Gõ /as <tên hoặc mã cán bộ> để đổi" in said


def test_the_console_shows_each_row_of_buttons_on_its_own_line() -> None:
    """A digest of two tasks has a row of four buttons per task: two lines, as a phone shows them, numbered on."""
    from bot.channels.console import ConsoleChannel
    from bot.conversation.texts import Message, task_buttons

    screen: list[str] = []
    console = ConsoleChannel(write=screen.append)
    console.watching = "k"
    console.show("k", Message("Việc hôm nay", [task_buttons(7, numbered=True), task_buttons(9, numbered=True)]))
    rows = [line for line in screen[0].splitlines() if line.startswith("│ [")]
    assert rows == [
        "│ [1] ✅ Xong #7  [2] ⏳ Đang làm  [3] 📅 Xin gia hạn  [4] ⏰ Nhắc lại sau",
        "│ [5] ✅ Xong #9  [6] ⏳ Đang làm  [7] 📅 Xin gia hạn  [8] ⏰ Nhắc lại sau",
    ]


def test_the_demo_runs_on_another_register_and_opens_on_its_keepers_phone(tmp_path: Path) -> None:
    other = tmp_path / "an-binh.yaml"
    other.write_text(
        "title: Sổ thử của xã An Bình\nunits:\n- code: ubnd-xa\n  name: UBND xã An Bình\nofficials:\n"
        "- code: a1\n  name: Lê Văn A\n  units: [ubnd-xa]\n- code: vp\n  name: Trần Thị B\n  role: admin\n"
        "  units: [ubnd-xa]\ntasks:\n- code: t1\n  title: Nộp báo cáo quý\n  lead: ubnd-xa\n"
        "  deadline: chậm nhất ngày 15/4/2022\n",
        encoding="utf-8",
    )
    env = {**os.environ, "NHACVIEC_DATA_DIR": str(tmp_path), "NHACVIEC_REGISTER": str(other)}
    run = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo"], input="/quit\n", capture_output=True, text=True, env=env, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert "bản chạy thử trên sổ «Sổ thử của xã An Bình»" in run.stdout and "Thường Xuân" not in run.stdout
    assert "đang xem điện thoại của đồng chí Trần Thị B" in run.stdout  # the keeper


def test_an_invite_takes_a_name_typed_without_tones_and_lists_the_people_a_part_of_a_name_fits(
    loaded: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    url = loaded.url.render_as_string(hide_password=False)
    assert main(["--database", url, "invite", "--official", "bui thi k"]) == 0  # Bùi Thị K
    capsys.readouterr()
    assert main(["--database", url, "invite", "--official", "Thị"]) == 2  # a part of many names: never a guess
    err = capsys.readouterr().err
    assert "có 9 cán bộ ứng với 'Thị': Trần Thị B (" in err and "dùng mã người cần" in err
    assert main(["--database", url, "invite", "--official", "Bùi Thị Kh"]) == 2
    assert "Có phải Bùi Thị K (ct-cong-doan)?" in capsys.readouterr().err
