"""The real `nhacviec run` process for the benchmarks: a generated morning in a database, the installed console
script started against a fake Bot API on 127.0.0.1, and the outbox read back while it runs.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from bench.timeline import MORNING
from scheduler.clock import FixedClock
from scheduler.db import make_engine
from scheduler.outbox.planner import plan
from scheduler.register.importer import import_register, load_register
from scheduler.register.models import CHATS, OFFICIALS, REMINDERS

ROOT = Path(__file__).resolve().parent.parent
__all__ = ["MORNING", "Morning", "prepare", "tally", "wait_for"]

FIRST_CHAT = 100_000
TASK_ID = re.compile(r"#(\d+)")


def nhacviec_command() -> str:
    installed = ROOT / ".venv" / "bin" / "nhacviec"
    found = str(installed) if installed.exists() else shutil.which("nhacviec")
    if not found:
        raise SystemExit("nhacviec is not installed: make .venv/.installed")
    return found


def write_morning(path: Path, people: int, rng: random.Random, tasks: tuple[int, int] = (1, 3)) -> None:
    """`people` officials, each alone in a unit with 1–3 tasks (or `tasks`) due on the bench's morning."""
    due = MORNING.date()
    lines = ["title: Buổi sáng để thử tiến trình bị dừng", "source_doc: Kế hoạch", "source_date: 2022-04-07", "units:"]
    lines += [f"  - {{code: u{i:05d}, name: {json.dumps(f'Đơn vị {i}', ensure_ascii=False)}}}" for i in range(people)]
    lines.append("officials:")
    lines += [
        f"  - {{code: o{i:05d}, name: {json.dumps(f'Cán bộ {i}', ensure_ascii=False)}, units: [u{i:05d}]}}"
        for i in range(people)
    ]
    lines.append("tasks:")
    number = 0
    deadline = f"'ngày {due.day}/{due.month}/{due.year}'"
    for i in range(people):
        for _ in range(rng.randint(*tasks)):
            title = json.dumps(f"Nhiệm vụ {number}: báo cáo kết quả", ensure_ascii=False)
            lines.append(f"  - {{code: t{number:06d}, title: {title}, deadline: {deadline}, lead: [u{i:05d}]}}")
            number += 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def prepare(
    url: str, folder: Path, people: int, rng: random.Random, at: datetime, tasks: tuple[int, int] = (1, 3)
) -> set[tuple[str, int]]:
    """The morning in the database, planned; returns every (chat, task) that must arrive."""
    path = folder / "morning.yaml"
    write_morning(path, people, rng, tasks)
    engine = make_engine(url)
    clock = FixedClock(at)
    import_register(engine, load_register(path), clock)
    with engine.begin() as conn:  # every official a chat of their own
        ids = conn.execute(select(OFFICIALS.c.id)).scalars().all()
        links = [
            {"official_id": i, "channel": "telegram", "chat_id": str(FIRST_CHAT + i), "is_group": False} for i in ids
        ]
        conn.execute(insert(CHATS), [{**link, "active": True, "linked_at": clock.now()} for link in links])
    plan(engine, clock)
    with engine.connect() as conn:
        pairs = conn.execute(
            select(CHATS.c.chat_id, REMINDERS.c.assignment_id).join(
                CHATS, (CHATS.c.official_id == REMINDERS.c.official_id) & (CHATS.c.channel == REMINDERS.c.channel)
            )
        ).all()
    engine.dispose()
    return {(str(chat), int(task)) for chat, task in pairs}


class Morning:
    """One database, the process that serves it, and the timeline it runs on."""

    def __init__(self, url: str, api: Any, folder: Path, epoch: float, level: str = "WARNING") -> None:
        self.level = level
        self.url = url
        self.api = api
        self.folder = folder
        self.epoch = epoch
        self.engine = make_engine(url, migrate=False)
        self.starts = 0

    def spawn(self) -> subprocess.Popen[bytes]:
        from tests.fake_telegram import TOKEN

        now = MORNING + timedelta(seconds=time.time() - self.epoch)
        env = {
            **os.environ,
            "NHACVIEC_DATABASE_URL": self.url,
            "NHACVIEC_TELEGRAM_TOKEN": TOKEN,
            "NHACVIEC_TELEGRAM_API_URL": self.api.base_url,
            "NHACVIEC_NOW": now.isoformat(),
            "NHACVIEC_LOG_LEVEL": self.level,
        }
        self.starts += 1
        log = open(self.folder / f"run-{self.starts}.log", "wb")  # noqa: SIM115 (kept open for the child)
        return subprocess.Popen(
            [nhacviec_command(), "run", "--channel", "telegram"], env=env, stdout=log, stderr=subprocess.STDOUT
        )

    def count(self, *states: str) -> int:
        with self.engine.connect() as conn:
            query = select(func.count()).select_from(REMINDERS).where(REMINDERS.c.state.in_(states))
            return int(conn.execute(query).scalar_one())

    def ids_in(self, state: str) -> set[int]:
        with self.engine.connect() as conn:
            return set(conn.execute(select(REMINDERS.c.id).where(REMINDERS.c.state == state)).scalars())

    def messages_in_sending(self) -> int:
        with self.engine.connect() as conn:
            query = select(func.count(func.distinct(REMINDERS.c.official_id))).where(REMINDERS.c.state == "sending")
            return int(conn.execute(query).scalar_one())

    def senders(self) -> list[int]:
        """Messages sent by each process (by the worker that held the rows), largest first."""
        with self.engine.connect() as conn:
            query = (
                select(func.count(func.distinct(REMINDERS.c.official_id)))
                .where(REMINDERS.c.state == "sent")
                .group_by(REMINDERS.c.claimed_by)
            )
            return sorted(conn.execute(query).scalars(), reverse=True)

    def settled(self, ids: set[int]) -> bool:
        with self.engine.connect() as conn:
            query = select(func.count()).where(REMINDERS.c.id.in_(ids), REMINDERS.c.state.in_(("planned", "sending")))
            return not conn.execute(query).scalar_one()


def wait_for(condition: Callable[[], bool], timeout: float, step: float = 0.05) -> float | None:
    """Seconds until `condition` held, or None after `timeout`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if condition():
            return time.monotonic() - start
        time.sleep(step)
    return None


def tally(sent: list[dict[str, Any]], expected: set[tuple[str, int]]) -> tuple[int, int]:
    """(lost, repeated) per (chat, task) among the messages the server received."""
    got = Counter((str(m["chat_id"]), int(t)) for m in sent for t in TASK_ID.findall(str(m.get("text", ""))))
    lost = len(expected - set(got))
    repeated = sum(c - 1 for key, c in got.items() if key in expected)
    return lost, repeated
