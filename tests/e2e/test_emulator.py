"""One exchange with a Telegram Bot API implementation we did not write: telegram-test-api (npm), installed
from tests/e2e/emulator/package.json + package-lock.json by `make test` (`npm ci`), started on 127.0.0.1.

The installed `nhacviec run` is pointed at it with NHACVIEC_TELEGRAM_API_URL, as the README says. The
emulator differs from Telegram where a real deployment can differ too, and the bot must survive that:
it has no setMyCommands (HTTP 500: the command menu is skipped), its getMe has no `is_bot`, and its
message dates are in milliseconds. Checked: start-up succeeds, the morning reminder is delivered, and
a person who writes gets the bot's answer.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from scheduler.clock import SystemClock, local_today
from scheduler.db import make_engine
from scheduler.register.importer import import_register, load_register
from scheduler.register.links import find_official_id, link_chat
from scheduler.register.models import REMINDERS
from tests.conftest import ROOT
from tests.e2e.test_run_process import NHACVIEC, Bot, free_port

EMULATOR = ROOT / "tests" / "e2e" / "emulator"
TOKEN = "4242:emulator-token-not-a-real-one"
CHAT = 1  # the emulator's default client chat


def emulator_or_skip() -> str:
    node = shutil.which("node")
    installed = (EMULATOR / "node_modules" / "telegram-test-api").is_dir()
    if node and installed:
        return node
    reason = "telegram-test-api not installed: run `make test` (npm ci in tests/e2e/emulator) with Node 20"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def post(url: str, data: dict[str, Any]) -> Any:
    request = urllib.request.Request(url, json.dumps(data).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def bot_messages(base: str, seen: list[dict[str, Any]], timeout: float = 30.0, want: str = "") -> list[dict]:
    """What the bot sent to our chat (the emulator's client API), until one contains `want`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen += [u["message"] for u in post(f"{base}/getUpdates", {"token": TOKEN, "chatId": CHAT})["result"]]
        if any(want in (m.get("text") or "") for m in seen):
            return seen
        time.sleep(0.2)
    pytest.fail(f"the bot never sent {want!r} through the emulator; it sent {[m.get('text') for m in seen]}")


def register_file(folder: Path) -> Path:
    """A one-task register overdue by a month, reminders at any hour (the test may run at night)."""
    due = local_today(SystemClock()) - timedelta(days=30)
    path = folder / "register.yaml"
    path.write_text(
        f"""title: Thử với trình giả lập
reminders: {{send_at: "00:00", quiet_hours: "00:00-00:00", overdue_every: 1, escalate_after: 0}}
units:
  - {{code: vp, name: Văn phòng}}
officials:
  - {{code: can-bo, name: Nguyễn Văn A, title: Chuyên viên, role: member, units: [vp]}}
tasks:
  - {{code: T-01, title: Nộp báo cáo thử, deadline: ngày {due:%d/%m/%Y}, due: {due.isoformat()}, lead: [vp]}}
""",
        encoding="utf-8",
    )
    return path


def test_a_real_exchange_with_a_bot_api_emulator_we_did_not_write(tmp_path: Path) -> None:
    node = emulator_or_skip()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    emulator = subprocess.Popen([node, "start.js", str(port)], cwd=EMULATOR, stdout=subprocess.PIPE, text=True)
    try:
        assert emulator.stdout is not None and emulator.stdout.readline().startswith("listening")
        url = f"sqlite:///{tmp_path / 'nhacviec.sqlite3'}"
        engine = make_engine(url)
        import_register(engine, load_register(register_file(tmp_path)), SystemClock())
        link_chat(engine, find_official_id(engine, "can-bo"), "telegram", str(CHAT), SystemClock())
        env = {k: v for k, v in os.environ.items() if not k.startswith("NHACVIEC_")}
        env.update(
            NHACVIEC_DATABASE_URL=url,
            NHACVIEC_TELEGRAM_TOKEN=TOKEN,
            NHACVIEC_TELEGRAM_API_URL=base,
            NHACVIEC_STARTUP_BACKOFF="0.05",
        )
        process = subprocess.Popen(
            [str(NHACVIEC), "run", "--channel", "telegram"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        bot = Bot(process, [TOKEN])
        try:
            bot.wait_for("ready:", timeout=60)
            assert "setMyCommands (command menu) failed 3 times" in bot.output  # the emulator has no such method
            assert "Telegram long polling as @TestNameBot" in bot.output

            seen: list[dict[str, Any]] = []
            bot_messages(base, seen, want="Nộp báo cáo thử")  # the morning reminder, from the first tick
            # the emulator holds the message before the bot has read its answer and marked the row: wait for that
            until = time.monotonic() + 15
            while True:
                with engine.connect() as conn:
                    states = conn.execute(select(REMINDERS.c.state)).scalars().all()
                if states == ["sent"] or time.monotonic() > until:
                    break
                time.sleep(0.1)
            assert states == ["sent"]

            post(
                f"{base}/sendMessage",
                {
                    "botToken": TOKEN,
                    "text": "/viec",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
                    "from": {"id": CHAT, "first_name": "A", "is_bot": False},
                    "chat": {"id": CHAT, "type": "private", "first_name": "A"},
                    "date": int(time.time()),
                },
            )
            answers = bot_messages(base, seen, want="Việc của đơn vị")
            assert sum("Nộp báo cáo thử" in (m.get("text") or "") for m in answers) >= 2  # reminder + /viec
            assert "Traceback" not in bot.output
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
            bot.assert_no_secret()
            engine.dispose()
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
