"""A generated province-scale register (3,000 units, 15,000 officials, 100,000 tasks, 300,000 assignments).

Shared by the benchmarks. Written as YAML text directly (strings quoted as JSON, which YAML accepts),
because dumping 100,000 tasks through a YAML emitter would measure the generator, not nhacviec.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path

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
import asyncio, json, sys, time
from datetime import datetime, timedelta
from sqlalchemy import func, select
from bot.channels.telegram import TelegramChannel, build_application
from bot.conversation.core import Conversation
from scheduler.clock import LOCAL_TZ
from scheduler.db import make_engine
from scheduler.outbox.dispatcher import Dispatcher
from scheduler.outbox.planner import plan_all
from scheduler.register.models import REMINDERS

url, base_url, token, hour, minute, sample = sys.argv[1], sys.argv[2], sys.argv[3], *map(int, sys.argv[4:7])

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
    app = build_application(token, base_url)
    await app.initialize()
    channel = TelegramChannel(app, Conversation(engine, clock))
    dispatcher = Dispatcher(engine, {"telegram": channel}, clock)
    try:
        await asyncio.wait_for(dispatcher.run_once(), sample or None)
    except TimeoutError:
        pass
    with engine.connect() as conn:
        sent = conn.execute(select(func.count()).where(REMINDERS.c.state == "sent")).scalar_one()
    await app.shutdown()
    print(json.dumps({"started": started, "planned_in": planned_in, "rows": planned.planned, "sent_rows": sent}))

asyncio.run(main())
"""


def _morning(url: str, base_url: str, token: str, start: tuple[int, int], sample: int) -> dict[str, float]:
    import json
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    command = [sys.executable, "-c", MORNING_CHILD, url, base_url, token, str(start[0]), str(start[1]), str(sample)]
    done = subprocess.run(command, cwd=root, check=True, capture_output=True, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    """10,000 units, 50,000 officials, one digest each, answers delayed 50 ms."""
    import os
    import shutil
    import sys
    import tempfile
    import time

    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    from bench.dispatch import FakeApiProcess, delivery_figures, link_everyone
    from scheduler.clock import LOCAL_TZ, FixedClock
    from scheduler.db import make_engine
    from scheduler.register.importer import import_register, load_register
    from tests.fake_telegram import TOKEN

    units, people, sample = 10_000, 50_000, int(os.environ.get("NHACVIEC_BENCH_SAMPLE", "90"))
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
        with FakeApiProcess(delay=0.05) as api:
            shutil.copy(base, Path(folder) / "midnight.sqlite3")
            night = _morning(f"sqlite:///{Path(folder) / 'midnight.sqlite3'}", api.base_url, TOKEN, (0, 1), 1)
            print(f"  morning planned after midnight (00:01): {night['rows']:,} rows in {night['planned_in']:.1f} s")
            late = _morning(f"sqlite:///{base}", api.base_url, TOKEN, (7, 31), sample)
            stats = api.stats()[TOKEN]
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
        print("  4 tokens: not measured — several bot tokens (issue 17, item 4) are not built yet")


if __name__ == "__main__":
    main()
