"""Whole-process start-up: `nhacviec deadline`, `tasks`, `overdue` as a person runs them, and the idle bot's memory.

    python bench/startup.py

Each command is the installed console script in a fresh process (median of 7 runs, wall and CPU); the
database is the Thường Xuân register, already migrated. The idle bot is `nhacviec run --channel log`
after its first tick, and `nhacviec run --channel telegram` long-polling npm's telegram-test-api (the
emulator of tests/e2e, once `make test` has installed it). Targets: `deadline` under 0.2 s, idle bot at
most 90 MB. Wall times stretch with the machine's load (printed), CPU times much less.
"""

from __future__ import annotations

import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(sys.executable).parent / "nhacviec"


def timed(args: list[str], env: dict[str, str], runs: int = 7) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([str(SCRIPT), *args], env=env, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


EMULATOR = ROOT / "tests" / "e2e" / "emulator"


def idle_rss(env: dict[str, str], channel: str = "log", settle: float = 15.0) -> float:
    quiet = subprocess.DEVNULL
    bot = subprocess.Popen([str(SCRIPT), "run", "--channel", channel], env=env, cwd=ROOT, stdout=quiet, stderr=quiet)
    try:
        time.sleep(settle)  # start-up and the first tick
        status = Path(f"/proc/{bot.pid}/status").read_text()
        return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))) / 1024
    finally:
        bot.terminate()
        bot.wait(30)


def telegram_idle_rss(env: dict[str, str]) -> float | None:
    """The idle Telegram bot, polling the emulator; None when node or the emulator is not installed."""
    node = shutil.which("node")
    if node is None or not (EMULATOR / "node_modules" / ".installed").exists():
        return None
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    emulator = subprocess.Popen([node, "start.js", str(port)], cwd=EMULATOR, stdout=subprocess.PIPE, text=True)
    try:
        assert emulator.stdout is not None and emulator.stdout.readline().startswith("listening")
        api = {"NHACVIEC_TELEGRAM_TOKEN": "4242:bench-token-not-real"}
        return idle_rss({**env, **api, "NHACVIEC_TELEGRAM_API_URL": f"http://127.0.0.1:{port}"}, "telegram")
    finally:
        emulator.terminate()
        emulator.wait(30)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "NHACVIEC_DATA_DIR": folder, "NHACVIEC_NOW": "2022-04-22T08:00"}
        env.pop("NHACVIEC_DATABASE_URL", None)
        register = ["import", "data/register.yaml"]
        subprocess.run([str(SCRIPT), *register], env=env, check=True, cwd=ROOT, capture_output=True)
        print(f"start-up of whole processes (median of 7; load average {os.getloadavg()[0]:.1f})")
        for args in (["deadline", "trong tháng 5/2022"], ["tasks"], ["overdue"]):
            wall, cpu = timed(args, env)
            print(f"  nhacviec {args[0]:9} {wall:5.2f} s wall, {cpu:5.2f} s CPU")
        rss = idle_rss(env)
        print(f"  nhacviec run (idle, log channel): {rss:.0f} MB resident  (targets: deadline < 0.2 s, ≤ 90 MB)")
        telegram = telegram_idle_rss(env)
        if telegram is None:
            print("  nhacviec run --channel telegram: not measured (no node, or no emulator: run `make test` once)")
        else:
            print(f"  nhacviec run (idle, Telegram long polling the emulator): {telegram:.0f} MB resident")


if __name__ == "__main__":
    main()
