"""A generated province-scale register (3,000 units, 15,000 officials, 100,000 tasks, 300,000 assignments).

Shared by the benchmarks. Written as YAML text directly (strings quoted as JSON, which YAML accepts),
because dumping 100,000 tasks through a YAML emitter would measure the generator, not nhacviec.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

UNITS = 3_000
OFFICIALS = 15_000
TASKS = 100_000
UNITS_PER_TASK = 3
DOC_DATE = date(2022, 4, 7)

PHRASES = [
    lambda d: f"trong tháng {d.month}/{d.year}",
    lambda d: f"chậm nhất ngày {d.day}/{d.month}/{d.year}",
    lambda d: f"ngày {d.day} tháng {d.month} năm {d.year}",
    lambda d: f"trước ngày {d.day}/{d.month}/{d.year}",
    lambda d: f"quý {(d.month - 1) // 3 + 1}/{d.year}",
    lambda d: f"{d.day:02d}-{d.month:02d}-{d.year}",
]


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def write_province_register(
    path: Path,
    seed: int = 2022,
    units: int = UNITS,
    officials: int = OFFICIALS,
    tasks: int = TASKS,
    units_per_task: int = UNITS_PER_TASK,
    due: date | None = None,
) -> dict[str, int]:
    """Write the register and return its counts; `due` gives every task that one deadline."""
    rng = random.Random(seed)
    lines = [
        "title: Sổ nhắc việc cấp tỉnh (sinh tự động để đo hiệu năng)",
        "source_doc: Chương trình công tác năm 2022",
        f"source_date: {DOC_DATE.isoformat()}",
        "groups:",
        "  - {code: cac-chi-bo, name: Các chi bộ}",
        "units:",
    ]
    for i in range(units):
        group = ", groups: [cac-chi-bo]" if i % 10 == 0 else ""
        lines.append(f"  - {{code: u{i:05d}, name: {_q(f'Đơn vị số {i} của tỉnh')}, kind: xa{group}}}")
    lines.append("officials:")
    for i in range(officials):
        role = "leader" if i % 500 == 0 else ("head" if i % 5 == 0 else "member")
        lines.append(f"  - {{code: o{i:05d}, name: {_q(f'Cán bộ {i}')}, role: {role}, units: [u{i % units:05d}]}}")
    lines.append("tasks:")
    for i in range(tasks):
        day = due or DOC_DATE + timedelta(days=rng.randint(-30, 240))
        phrase = rng.choice(PHRASES)(day) if due is None else f"ngày {day.day}/{day.month}/{day.year}"
        leads = ", ".join(f"u{(i * 7 + k * 1009) % units:05d}" for k in range(units_per_task))
        lines.append(
            f"  - {{code: t{i:06d}, title: {_q(f'Nhiệm vụ số {i}: tổ chức hội nghị, báo cáo kết quả')}, "
            f"deadline: {_q(phrase)}, lead: [{leads}]}}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"units": units, "officials": officials, "tasks": tasks, "assignments": tasks * units_per_task}


def phrases(count: int, seed: int = 7) -> list[str]:
    """A mix of deadline phrases as officials write them."""
    rng = random.Random(seed)
    extra = [
        "sáng thứ 2 hằng tuần",
        "trước ngày 20 hằng tháng",
        "6 tháng đầu năm",
        "quý II năm 2022",
        "dịp nghỉ hè",
        "cuối năm 2022",
        "trong 15 ngày kể từ ngày 10/4/2022",
        "giữa năm",
    ]
    out = []
    for _ in range(count):
        if rng.random() < 0.3:
            out.append(rng.choice(extra))
        else:
            out.append(rng.choice(PHRASES)(DOC_DATE + timedelta(days=rng.randint(0, 365))))
    return out


# --- the province's morning (issue 17) ---------------------------------------------------------------------

MORNING_CHILD = """
import asyncio, json, os, sys, time
from datetime import datetime, timedelta
from sqlalchemy import func, select
from bot.channels.telegram import TelegramChannel, build_application
from bot.conversation.core import Conversation
from scheduler.clock import LOCAL_TZ
from scheduler.db import make_engine
from scheduler.outbox.dispatcher import Dispatcher
from scheduler.outbox.planner import plan_all
from scheduler.outbox.ratelimit import RateLimiter
from scheduler.register.bots import channel_of_bot
from scheduler.register.models import REMINDERS

url, base_url, tokens, hour, minute, sample = sys.argv[1], sys.argv[2], sys.argv[3].split(","), *map(int, sys.argv[4:7])

class Started:  # real seconds laid onto 22/04/2022 at the start time
    def __init__(self):
        self.epoch, self.at = time.time(), datetime(2022, 4, 22, hour, minute, tzinfo=LOCAL_TZ)
    def now(self):
        return self.at + timedelta(seconds=time.time() - self.epoch)

async def main():
    started = time.monotonic()
    clock = Started()
    engine = make_engine(url)
    planned = await asyncio.to_thread(plan_all, engine, clock)
    planned_in = time.monotonic() - started
    apps, notifiers, limiters = [], {}, {}
    for number, token in enumerate(tokens):  # one token: the default bot; several: bots b0, b1 … of their own
        channel = channel_of_bot(f"b{number}" if len(tokens) > 1 else "")
        app = build_application(token, base_url)
        await app.initialize()
        apps.append(app)
        limiters[channel] = RateLimiter()
        conversation = Conversation(engine, clock)
        notifiers[channel] = TelegramChannel(app, conversation, limiter=limiters[channel], channel=channel)
    dispatcher = Dispatcher(engine, notifiers, clock, limiters=limiters)
    try:
        await asyncio.wait_for(dispatcher.run_once(), sample or None)
    except TimeoutError:
        pass
    with engine.connect() as conn:
        sent = conn.execute(select(func.count()).where(REMINDERS.c.state == "sent")).scalar_one()
    for app in apps:
        await app.shutdown()
    print(json.dumps({"started": started, "planned_in": planned_in, "rows": planned.planned, "sent_rows": sent}))

profile = os.environ.get("NHACVIEC_BENCH_PROFILE")  # a file: the bot process's cProfile stats go there
if profile:
    import cProfile
    cProfile.run("asyncio.run(main())", profile)
else:
    asyncio.run(main())
"""


def _morning(url: str, base_url: str, tokens: list[str], start: tuple[int, int], sample: int) -> dict[str, float]:
    import json
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    command = [sys.executable, "-c", MORNING_CHILD, url, base_url, ",".join(tokens), *map(str, (*start, sample))]
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, cwd=root, check=True, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "cpu": cpu}


def give_bots(url: str, bots: int) -> None:
    """Unit number k gets bot b{k % bots} (as a register's `bot` field would), and each official's chat is on
    their unit's bot, as if each had linked through it."""
    from sqlalchemy import select, update

    from scheduler.db import make_engine
    from scheduler.register.bots import channel_of_bot
    from scheduler.register.models import CHATS, MEMBERS, UNITS

    engine = make_engine(url)
    with engine.begin() as conn:
        for k in range(bots):
            conn.execute(update(UNITS).where(UNITS.c.id % bots == k).values(bot=f"b{k}"))
            ids = conn.execute(select(MEMBERS.c.official_id).where(MEMBERS.c.unit_id % bots == k)).scalars().all()
            for start in range(0, len(ids), 5_000):
                chunk = ids[start : start + 5_000]
                conn.execute(
                    update(CHATS).where(CHATS.c.official_id.in_(chunk)).values(channel=channel_of_bot(f"b{k}"))
                )
    engine.dispose()


def _wave(label: str, late: dict[str, float], stats: list[dict[str, Any]], people: int) -> None:
    """The figures of one wave: first and last message (clock times after the 07:31 start), pace, 429s, lost."""
    from datetime import datetime

    from bench.dispatch import delivery_figures
    from scheduler.clock import LOCAL_TZ

    arrivals = sorted(t for s in stats for t in s["arrivals"])
    delivered = sum(len(s["chats"]) for s in stats)
    first, last = arrivals[0] - late["started"], arrivals[-1] - late["started"]
    start = datetime(2022, 4, 22, 7, 31, tzinfo=LOCAL_TZ)
    print(
        f"  {label}, bot started at 07:31: morning planned in {late['planned_in']:.1f} s ({late['rows']:,} rows); "
        f"first message {first:.1f} s after the start ({start + timedelta(seconds=first):%H:%M:%S}), "
        f"last {last / 60:.1f} min after it ({start + timedelta(seconds=last):%H:%M:%S})"
    )
    print(f"  {label}: {delivery_figures(stats, delivered)}")
    if len(stats) > 1:  # fair turns: every token finishes at about the same time
        ends = ", ".join(f"{(max(s['arrivals']) - late['started']) / 60:.1f}" for s in stats if s["arrivals"])
        print(f"  {label}: each token's last message, min after the start: {ends}")
    print(
        f"  {label}: the bot process used {late['cpu']:.0f} s of CPU in {arrivals[-1] - late['started']:.0f} s "
        f"({1000 * late['cpu'] / max(1, delivered):.1f} ms a message, planning included): on a loaded machine the "
        "pace is the CPU share it gets"
    )
    print(
        f"  {label}: rows marked sent {late['sent_rows']:,}, people who got their message {delivered:,} of "
        f"{people:,}; lost {max(0, int(late['sent_rows']) - delivered)}"
    )


def main() -> None:
    """10,000 units, 50,000 officials, one digest each, answers delayed 50 ms."""
    import os
    import shutil
    import sys
    import tempfile
    import time

    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    from bench.dispatch import FakeApiProcess, link_everyone
    from scheduler.clock import LOCAL_TZ, FixedClock
    from scheduler.db import make_engine
    from scheduler.register.importer import import_register, load_register
    from tests.fake_telegram import TOKEN

    # NHACVIEC_BENCH_PEOPLE=5000 (units a fifth of it): a quick try of the bench itself, not the figures
    people = int(os.environ.get("NHACVIEC_BENCH_PEOPLE", "50000"))
    units, sample = people // 5, int(os.environ.get("NHACVIEC_BENCH_SAMPLE", "90"))
    sample_four = int(os.environ.get("NHACVIEC_BENCH_SAMPLE_FOUR", "0"))  # 0: the whole wave
    wanted = os.environ.get("NHACVIEC_BENCH_TOKENS", "1,4").split(",")  # which runs: 1 token, 4 tokens
    day = date(2022, 4, 22)
    print(f"province: {units:,} units, {people:,} officials, one digest each on {day:%d/%m/%Y}; answers delayed 50 ms")
    print(f"  load average at the start: {os.getloadavg()[0]:.1f} (2 cores shared: wall times stretch with it)")
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder) / "province.sqlite3"
        began = time.perf_counter()
        write_province_register(
            Path(folder) / "register.yaml", units=units, officials=people, tasks=units, units_per_task=1, due=day
        )
        engine = make_engine(f"sqlite:///{base}")
        from datetime import datetime

        clock = FixedClock(datetime(2022, 4, 21, 18, 0, tzinfo=LOCAL_TZ))
        import_register(engine, load_register(Path(folder) / "register.yaml"), clock)
        link_everyone(engine, clock, "telegram", 100_000)
        engine.dispose()
        print(f"  register imported and everyone linked in {time.perf_counter() - began:.0f} s")
        four = Path(folder) / "four.sqlite3"
        shutil.copy(base, four)
        give_bots(f"sqlite:///{four}", 4)
        if "1" in wanted:
            with FakeApiProcess(delay=0.05) as api:
                shutil.copy(base, Path(folder) / "midnight.sqlite3")
                night = _morning(f"sqlite:///{Path(folder) / 'midnight.sqlite3'}", api.base_url, [TOKEN], (0, 1), 1)
                print(
                    f"  morning planned after midnight (00:01): {night['rows']:,} rows in {night['planned_in']:.1f} s"
                )
                late = _morning(f"sqlite:///{base}", api.base_url, [TOKEN], (7, 31), sample)
                stats = api.stats()[TOKEN]
            _one_token(late, stats, people, sample)
        if "4" in wanted:
            tokens = [TOKEN, *(f"20000{k}:bench-token-of-bot-b{k}" for k in range(1, 4))]
            print(f"  4 tokens: units given bots b0–b3 in turn; the whole wave (sample {sample_four or 'none'})")
            with FakeApiProcess(delay=0.05) as api:
                late = _morning(f"sqlite:///{four}", api.base_url, tokens, (7, 31), sample_four)
                by_token = api.stats()
            _wave("4 tokens", late, [by_token[t] for t in tokens if t in by_token], people)


def _one_token(late: dict[str, float], stats: dict[str, Any], people: int, sample: int) -> None:
    """One token: a sample of the wave (the whole would take half an hour) and the last message extrapolated."""
    from datetime import datetime

    from bench.dispatch import delivery_figures
    from scheduler.clock import LOCAL_TZ

    arrivals = sorted(stats["arrivals"])
    first = arrivals[0] - late["started"]
    rate = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
    print(
        f"  1 token, bot started at 07:31: morning planned in {late['planned_in']:.1f} s ({late['rows']:,} rows); "
        f"first message {first:.1f} s after the start (07:31:{first:04.1f})"
    )
    print(f"  1 token, the first {sample} s of the wave: {delivery_figures([stats], len(stats['chats']))}")
    lost = max(0, late["sent_rows"] - len(stats["chats"]))
    in_flight = max(0, len(stats["chats"]) - late["sent_rows"])
    print(
        f"  rows marked sent {late['sent_rows']:,}, chats that got them {len(stats['chats']):,}: lost {lost}; "
        f"{in_flight} delivered but still in flight when the sample stopped"
    )
    last = first + people / rate
    at = (datetime(2022, 4, 22, 7, 31, tzinfo=LOCAL_TZ) + timedelta(seconds=last)).strftime("%H:%M")
    print(
        f"  1 token, last message EXTRAPOLATED from the sample at {rate:.1f} msg/s: {last / 60:.1f} min after "
        f"the start (about {at}) — the whole {people:,}-message wave was not run"
    )


if __name__ == "__main__":
    main()
