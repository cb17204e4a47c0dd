"""The installed console script, as the README says to start it: `nhacviec run …` in its own process,
against our fake Bot APIs with faults at start-up — 500 on setMyCommands (or on Zalo's getMe), the API
unreachable for 10 seconds, a refused token — in each channel mode (Telegram polling, Zalo, all, Telegram
webhook). We look at what a person running it sees: the exit code, the log lines, a bot that answers,
and never a token or a webhook secret in the output. NHACVIEC_STARTUP_BACKOFF=0.05 keeps it fast.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests import fake_telegram, fake_zalo

NHACVIEC = Path(sys.executable).with_name("nhacviec")
MODES = ["telegram", "zalo", "all", "webhook"]
WRONG_TELEGRAM = "999999:wrong-token-that-must-never-be-printed"
WRONG_ZALO = "zalo-wrong-token-never-printed"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Bot:
    """A running `nhacviec run` process and everything it printed."""

    process: subprocess.Popen[str]
    secrets: list[str]
    lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        assert self.process.stdout is not None
        stream = self.process.stdout
        threading.Thread(target=lambda: self.lines.extend(iter(stream.readline, "")), daemon=True).start()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output:
                return
            if self.process.poll() is not None:
                time.sleep(0.2)  # the reader thread may still be catching up
                if text in self.output:
                    return
                pytest.fail(f"nhacviec run exited ({self.process.returncode}) before {text!r}:\n{self.output}")
            time.sleep(0.05)
        pytest.fail(f"no {text!r} within {timeout} s:\n{self.output}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        finally:
            self.assert_no_secret()

    def assert_no_secret(self) -> None:
        for secret in self.secrets:
            assert secret not in self.output, "a token or secret reached the output"


@dataclass
class Apis:
    telegram: fake_telegram.FakeBotApi | None
    zalo: fake_zalo.FakeZaloApi | None


def start(tmp_path: Path, mode: str, apis_at: dict[str, str], extra_env: dict[str, str] | None = None) -> Bot:
    """`nhacviec run` in `mode`, its Bot API servers at `apis_at` (channel → base URL)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NHACVIEC_")}
    env.update(
        NHACVIEC_DATABASE_URL=f"sqlite:///{tmp_path / 'nhacviec.sqlite3'}",
        NHACVIEC_STARTUP_BACKOFF="0.05",
        NHACVIEC_LOG_LEVEL="INFO",
    )
    args = ["run"]
    if mode in ("telegram", "all", "webhook"):
        env.update(NHACVIEC_TELEGRAM_TOKEN=fake_telegram.TOKEN, NHACVIEC_TELEGRAM_API_URL=apis_at["telegram"])
    if mode in ("zalo", "all"):
        env.update(NHACVIEC_ZALO_TOKEN=fake_zalo.TOKEN, NHACVIEC_ZALO_API_URL=apis_at["zalo"])
    args += ["--channel", {"webhook": "telegram"}.get(mode, mode)]
    if mode == "webhook":
        port = free_port()
        args += ["--webhook", "https://bot.example.vn/telegram", "--listen", f"127.0.0.1:{port}"]
        env["NHACVIEC_TEST_WEBHOOK_PORT"] = str(port)  # for the test only; the app does not read it
    env.update(extra_env or {})
    process = subprocess.Popen(
        [str(NHACVIEC), *args], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    secrets = [s for s in (env.get("NHACVIEC_TELEGRAM_TOKEN"), env.get("NHACVIEC_ZALO_TOKEN")) if s]
    bot = Bot(process, secrets)
    bot.webhook_port = int(env.get("NHACVIEC_TEST_WEBHOOK_PORT", 0))  # type: ignore[attr-defined]
    return bot


@contextmanager
def fakes(mode: str, ports: dict[str, int] | None = None) -> Iterator[Apis]:
    ports = ports or {}
    with ExitStack() as stack:
        telegram = zalo = None
        if mode in ("telegram", "all", "webhook"):
            telegram = stack.enter_context(fake_telegram.FakeBotApi(port=ports.get("telegram", 0)))
        if mode in ("zalo", "all"):
            zalo = stack.enter_context(fake_zalo.FakeZaloApi(port=ports.get("zalo", 0)))
        yield Apis(telegram, zalo)


def urls(apis: Apis) -> dict[str, str]:
    return {name: api.base_url for name, api in (("telegram", apis.telegram), ("zalo", apis.zalo)) if api}


def eventually(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail("the bot did not answer in time")


def assert_serves(bot: Bot, mode: str, apis: Apis) -> None:
    """The bot answers a person who writes /help, on each of its channels."""
    if apis.telegram is not None:
        update = apis.telegram.text_update(4242, "/help")
        if mode == "webhook":
            secret = eventually(lambda: apis.telegram.webhook.get("secret_token"))  # type: ignore[union-attr]
            bot.secrets.append(secret)
            request = urllib.request.Request(
                f"http://127.0.0.1:{bot.webhook_port}/telegram",  # type: ignore[attr-defined]
                data=json.dumps(update).encode(),
                headers={"Content-Type": "application/json", fake_telegram_secret_header(): secret},
            )
            with urllib.request.urlopen(request, timeout=10) as answer:
                assert answer.status == 200
        else:
            apis.telegram.updates.append(update)
        assert "mã mời" in eventually(lambda: apis.telegram.messages_to(4242))[-1]["text"]  # type: ignore[union-attr]
    if apis.zalo is not None:
        apis.zalo.updates.append(apis.zalo.text_event("zalo-user-1", "/help"))
        assert "mã mời" in eventually(lambda: apis.zalo.messages_to("zalo-user-1"))[-1]["text"]  # type: ignore[union-attr]


def fake_telegram_secret_header() -> str:
    from bot.channels.telegram import SECRET_HEADER

    return SECRET_HEADER


def test_the_console_script_is_installed() -> None:
    assert NHACVIEC.exists(), f"{NHACVIEC}: run `make .venv/.installed`"


@pytest.mark.parametrize("mode", MODES)
def test_a_failing_non_essential_call_at_start_up_is_retried_then_the_bot_serves(tmp_path, mode) -> None:
    with fakes(mode) as apis:
        if apis.telegram is not None:
            apis.telegram.fail_method("setMyCommands", 100, 500, "Internal Server Error")  # never works
        if apis.zalo is not None:
            apis.zalo.fail_method("getMe", 2, 500, "Internal error")  # works on the third try
        bot = start(tmp_path, mode, urls(apis))
        bot.wait_for("ready:")
        if apis.telegram is not None:
            assert "start-up: Telegram setMyCommands (command menu) failed 3 times" in bot.output
            assert "skipped, the bot runs without it" in bot.output
            assert apis.telegram.calls.count("setMyCommands") == 3
        if apis.zalo is not None:
            assert bot.output.count("start-up: Zalo getMe failed") == 2
        assert_serves(bot, mode, apis)
        assert "Traceback" not in bot.output
        assert bot.stop() == 0


def test_an_api_unreachable_for_10_seconds_at_start_up_is_waited_for_in_every_mode(tmp_path) -> None:
    """All four modes at once (to keep the suite fast): nothing listens for 10 s, then the APIs come up."""
    ports = {mode: {"telegram": free_port(), "zalo": free_port()} for mode in MODES}
    bots = {}
    for mode in MODES:
        at = {name: f"http://127.0.0.1:{port}" for name, port in ports[mode].items()}
        (tmp_path / mode).mkdir()
        bots[mode] = start(tmp_path / mode, mode, at)
    try:
        for bot in bots.values():  # each one has reached the API and found nobody there …
            bot.wait_for("getMe failed", timeout=60)
        time.sleep(10)  # … and nobody comes for 10 seconds
        for mode, bot in bots.items():
            assert bot.process.poll() is None, f"{mode}: gave up while the API was unreachable:\n{bot.output}"
            assert "start-up:" in bot.output and "getMe failed" in bot.output and "try 2 again" in bot.output
            assert "ready:" not in bot.output
        with ExitStack() as stack:
            apis = {mode: stack.enter_context(fakes(mode, ports[mode])) for mode in MODES}
            for mode, bot in bots.items():
                bot.wait_for("ready:", timeout=20)
                assert_serves(bot, mode, apis[mode])
                assert "Traceback" not in bot.output
            for bot in bots.values():
                assert bot.stop() == 0
    finally:
        for bot in bots.values():
            if bot.process.poll() is None:
                bot.process.kill()
                bot.process.wait()


@pytest.mark.parametrize("mode", MODES)
def test_a_refused_token_is_one_clear_line_exit_code_3_and_no_token(tmp_path, mode) -> None:
    with fakes(mode) as apis:
        wrong = {}
        if mode == "zalo":
            wrong["NHACVIEC_ZALO_TOKEN"] = WRONG_ZALO
        else:
            wrong["NHACVIEC_TELEGRAM_TOKEN"] = WRONG_TELEGRAM
        bot = start(tmp_path, mode, urls(apis), wrong)
        bot.secrets += [WRONG_TELEGRAM, WRONG_ZALO]
        assert bot.process.wait(timeout=60) == 3
        time.sleep(0.2)
        bot.assert_no_secret()
        variable = "NHACVIEC_ZALO_TOKEN" if mode == "zalo" else "NHACVIEC_TELEGRAM_TOKEN"
        last = bot.output.strip().splitlines()[-1]
        assert variable in last and "từ chối token" in last
        assert "Traceback" not in bot.output and "ready:" not in bot.output


def test_a_missing_token_is_exit_code_3_naming_the_variable(tmp_path) -> None:
    with fakes("zalo") as apis:
        bot = start(tmp_path, "zalo", urls(apis), {"NHACVIEC_ZALO_TOKEN": ""})
        assert bot.process.wait(timeout=60) == 3
        time.sleep(0.2)
        assert "Thiếu NHACVIEC_ZALO_TOKEN" in bot.output and "Traceback" not in bot.output


def test_sigterm_during_start_up_retries_stops_cleanly(tmp_path) -> None:
    bot = start(tmp_path, "telegram", {"telegram": f"http://127.0.0.1:{free_port()}"})
    bot.wait_for("getMe failed")
    assert bot.stop() == 0
    assert "stopped during start-up" in bot.output and "Traceback" not in bot.output


def test_the_webhook_secret_never_reaches_the_debug_log(tmp_path) -> None:
    with fakes("webhook") as apis:
        bot = start(tmp_path, "webhook", urls(apis), {"NHACVIEC_LOG_LEVEL": "DEBUG"})
        bot.wait_for("ready:")
        secret = apis.telegram.webhook["secret_token"]  # type: ignore[union-attr]
        assert len(secret) >= 32
        bot.secrets.append(secret)
        assert "setWebhook" in bot.output  # DEBUG shows the call, not its secret
        assert bot.stop() == 0


def test_run_with_no_token_at_all_stops_and_says_what_to_set(tmp_path) -> None:
    """A forgotten `export` (or a compose file without the variable) must not give a bot that looks healthy
    and reminds nobody: the default channel choice stops with exit code 3, naming both variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NHACVIEC_")}
    env["NHACVIEC_DATABASE_URL"] = f"sqlite:///{tmp_path / 'nhacviec.sqlite3'}"
    done = subprocess.run([str(NHACVIEC), "run"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 3
    assert "NHACVIEC_TELEGRAM_TOKEN" in done.stderr and "NHACVIEC_ZALO_TOKEN" in done.stderr
    assert "--channel log" in done.stderr and "Traceback" not in done.stderr + done.stdout


def test_a_mistyped_listen_address_is_the_users_mistake_before_any_call(tmp_path) -> None:
    with fake_telegram.FakeBotApi() as api:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NHACVIEC_")}
        env.update(NHACVIEC_TELEGRAM_TOKEN=fake_telegram.TOKEN, NHACVIEC_TELEGRAM_API_URL=api.base_url)
        args = ["run", "--webhook", "https://bot.example.vn/telegram", "--listen", "127.0.0.1:notaport"]
        done = subprocess.run([str(NHACVIEC), *args], env=env, cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 2 and "'127.0.0.1:notaport' không phải host:cổng" in done.stderr
        assert api.calls == []
