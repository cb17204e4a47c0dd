"""Crash safety (issue 3): dispatch 1,000 reminders through a fake Bot API on 127.0.0.1 and SIGKILL the
dispatcher process 20 times at random moments, restarting it each time.

    python bench/crash.py [--reminders 1000] [--kills 20] [--seed 7]

Prints reminders lost (must be 0) and repeated (at most one per kill: only a message in flight may repeat).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from bench.dispatch import prepare  # noqa: E402
from scheduler.db import make_engine  # noqa: E402
from scheduler.register.models import REMINDERS  # noqa: E402

CHILD = """
import asyncio, sys
from datetime import timedelta
from bench.timeline import Timeline
from bot.channels.telegram import TelegramChannel, build_application
from bot.conversation.core import Conversation
from scheduler.db import make_engine
from scheduler.outbox.dispatcher import Dispatcher
from tests.fake_telegram import TOKEN

async def main(url, base_url, epoch):
    clock = Timeline(epoch)
    engine = make_engine(url)
    app = build_application(TOKEN, base_url)
    await app.initialize()
    channel = TelegramChannel(app, Conversation(engine, clock))
    dispatcher = Dispatcher(engine, {"telegram": channel}, clock, sending_timeout=timedelta(seconds=3))
    while True:
        report = await dispatcher.run_once()
        if report.messages == 0:
            await asyncio.sleep(0.2)

asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
"""


def remaining(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        count = conn.execute(
            select(func.count()).select_from(REMINDERS).where(REMINDERS.c.state.in_(("planned", "sending")))
        ).scalar_one()
    engine.dispose()
    return int(count)


def main() -> None:
    from tests.fake_telegram import FakeBotApi

    parser = argparse.ArgumentParser()
    parser.add_argument("--reminders", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as folder, FakeBotApi() as api:
        url = f"sqlite:///{Path(folder) / 'crash.sqlite3'}"
        prepare(url, Path(folder), args.reminders)
        epoch = time.time()
        start = time.perf_counter()
        kills = 0
        while True:
            child = subprocess.Popen(
                [sys.executable, "-c", CHILD, url, api.base_url, str(epoch)],
                cwd=ROOT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
            if kills < args.kills:
                time.sleep(rng.uniform(0.8, 2.5))  # start-up takes ~0.7 s; kill somewhere in the sending
                os.kill(child.pid, signal.SIGKILL)
                child.wait()
                kills += 1
                continue
            deadline = time.monotonic() + 600
            while remaining(url) and time.monotonic() < deadline:
                time.sleep(0.5)
            child.terminate()
            child.wait()
            break
        elapsed = time.perf_counter() - start
        per_chat = Counter(str(m["chat_id"]) for m in api.sent)
        lost = args.reminders - len(per_chat)
        repeated = sum(c - 1 for c in per_chat.values())
        print(f"crash: {args.reminders:,} reminders, {kills} SIGKILLs at random moments, {elapsed:.0f} s in all")
        print(
            f"  delivered to {len(per_chat):,} chats; lost {lost}; repeated {repeated} "
            f"(target: 0 lost, at most {kills} repeated); still waiting in the outbox: {remaining(url)}"
        )


if __name__ == "__main__":
    main()
