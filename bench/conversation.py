"""Benchmark the conversation (issue 4) on the province-scale register (3,000 units, 300,000 assignments).

    python bench/conversation.py

A reply in the usual words ("xong 123", "vc 123 dc 60% r", "xin gia han viec 123 them 10 ngay vi …")
handled end to end — python-telegram-bot's Application receives the update, the core
closes the task in the database, the confirmation goes back over HTTP to a fake Bot API on 127.0.0.1 —
target < 50 ms at p95; a leader's /quahan over 3,000 units, summarised for a phone — target < 300 ms.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, func, select  # noqa: E402
from telegram import Update  # noqa: E402

from bench.dispatch import link_everyone  # noqa: E402
from bench.province import write_province_register  # noqa: E402
from bot.channels.telegram import TelegramChannel, build_application  # noqa: E402
from bot.conversation.core import Conversation  # noqa: E402
from scheduler.clock import LOCAL_TZ, FixedClock  # noqa: E402
from scheduler.db import make_engine  # noqa: E402
from scheduler.outbox.queue import EXTENSION_REQUEST  # noqa: E402
from scheduler.register.importer import import_register, load_register  # noqa: E402
from scheduler.register.models import ASSIGNMENTS, MEMBERS, MESSAGES, OFFICIALS  # noqa: E402
from tests.fake_telegram import TOKEN, FakeBotApi  # noqa: E402

FORMS = [  # replies as officials write them (tests/data/replies), each about one task
    "xong {n}",
    "Dạ việc số {n} đã xong rồi ạ",
    "vc {n} dc 60% r",
    "viec {n} dang lam",
    "Kính gửi anh,\nNhiệm vụ {n} hiện đạt 85% khối lượng.\nTrân trọng.",
    "xin gia han viec {n} them 10 ngay vi chua co kinh phi",
    "#{n} ✅",
    "Việc {n} chưa xong, mới được 40%",
]


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def requests_enqueued(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(MESSAGES.c.kind == EXTENSION_REQUEST)).scalar_one())


async def run(folder: Path) -> None:
    path = folder / "province.yaml"
    counts = write_province_register(path)
    engine = make_engine(f"sqlite:///{folder / 'province.sqlite3'}")
    clock = FixedClock(datetime(2022, 6, 1, 9, 0, tzinfo=LOCAL_TZ))
    import_register(engine, load_register(path), clock)
    print(f"province register loaded: {counts}")
    link_everyone(engine, clock, "telegram", 500_000)
    with engine.connect() as conn:
        officials = conn.execute(select(OFFICIALS.c.id, OFFICIALS.c.role)).all()
        open_by_official = conn.execute(
            select(MEMBERS.c.official_id, ASSIGNMENTS.c.id)
            .join(ASSIGNMENTS, ASSIGNMENTS.c.unit_id == MEMBERS.c.unit_id)
            .where(ASSIGNMENTS.c.status == "open")
        ).all()
    leader = next(i for i, role in officials if role == "leader")
    rng = random.Random(3)
    picks: dict[int, int] = {}
    for official_id, assignment_id in rng.sample(open_by_official, 2000):
        picks.setdefault(assignment_id, official_id)
    with FakeBotApi() as api:
        application = build_application(TOKEN, api.base_url)
        await application.initialize()
        TelegramChannel(application, Conversation(engine, clock))  # registers its handlers
        replies: list[float] = []
        extensions: list[float] = []
        enqueued: list[int] = []
        for number, (assignment_id, official_id) in enumerate(list(picks.items())[:400]):
            chat = 500_000 + official_id
            form = FORMS[number % len(FORMS)]
            text = form.format(n=assignment_id)
            update = Update.de_json(api.text_update(chat, text), application.bot)
            before = len(api.sent)
            asked = requests_enqueued(engine) if "gia han" in form else 0
            start = time.perf_counter()
            await application.process_update(update)
            took = (time.perf_counter() - start) * 1000
            answers = " ".join(str(m.get("text", "")) for m in api.sent[before:])
            assert "Đã ghi nhận" in answers or "Đã gửi đề nghị" in answers, (text, answers)
            if "gia han" in form:
                extensions.append(took)
                enqueued.append(requests_enqueued(engine) - asked)
            else:
                replies.append(took)
        print(
            f"status reply in the usual words ({len(FORMS) - 1} forms: 'xong <số>', 'Dạ việc số <số> đã xong rồi ạ', "
            f"'vc <số> dc 60% r', 'Việc <số> chưa xong, mới được 40%' …) end to end over HTTP: "
            f"p50 {statistics.median(replies):.1f} ms, p95 {p95(replies):.1f} ms over {len(replies)} replies "
            "(target < 50 ms p95)"
        )
        print(
            f"extension request 'xin gia han viec <số> them 10 ngay vi …': p50 {statistics.median(extensions):.1f} ms, "
            f"p95 {p95(extensions):.1f} ms over {len(extensions)}, each also enqueued for "
            f"{statistics.median(enqueued):.0f} leaders in the request's transaction (the outbox sends them)"
        )
        overdue: list[float] = []
        for _ in range(20):
            update = Update.de_json(api.text_update(500_000 + leader, "/quahan"), application.bot)
            start = time.perf_counter()
            await application.process_update(update)
            overdue.append((time.perf_counter() - start) * 1000)
        answer = api.sent[-1]["text"]
        print(
            f"leader /quahan over 3,000 units: p50 {statistics.median(overdue):.0f} ms, "
            f"p95 {p95(overdue):.0f} ms; answer {len(answer)} characters, {answer.count(chr(10)) + 1} lines "
            "(target < 300 ms)"
        )
        print("  " + answer.splitlines()[0])
        await application.shutdown()
    engine.dispose()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(Path(folder)))
