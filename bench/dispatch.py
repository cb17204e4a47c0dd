"""Benchmark the reminders (issue 3).

    python bench/dispatch.py rate     10,000 reminders to 10,000 chats through a fake Bot API that enforces
                                      Telegram's limits (429 when broken): messages/s sustained, 429 count
    python bench/dispatch.py plan     a planning tick over 100,000 open assignments on SQLite: time, memory
    python bench/dispatch.py pg-two   two dispatcher processes on PostgreSQL deliver 10,000 reminders:
                                      duplicates (needs NHACVIEC_BENCH_PG_URL or NHACVIEC_TEST_DATABASE_URL)
    python bench/dispatch.py zalo     10,000 reminders through a fake Zalo server answering 429 to one call in
                                      three: all delivered once, time per delivered message
    python bench/dispatch.py storm    3,000 reminders, one answer in ten a 429 at random (Telegram's limits enforced
                                      too): ours side by side with PTB's AIORateLimiter (max_retries 0 and 3)
    python bench/dispatch.py claims   the cost of one claim with 10,000, 50,000 and 100,000 rows waiting, on SQLite
                                      and PostgreSQL (when configured), and the plan each database chose
    python bench/dispatch.py wave-replies
                                      the installed `nhacviec run`: 2,000 reminders, 20 % of officials reply
                                      "xong" 3 s after theirs: 429 count, answers delivered, answer p95
    python bench/dispatch.py pg-four  four `nhacviec run` processes on one PostgreSQL, one token, 10,000
                                      reminders: duplicates, missing, deadlocks, busiest second, msg/s, and
                                      where the shared limiter's time goes (`pg-four 3000`: a shorter run)
    python bench/dispatch.py slow     the installed `nhacviec run`, 1,000 reminders, 5 % of answers after 8 s:
                                      duplicates
    python bench/dispatch.py          all of them

Everything runs on 127.0.0.1; the fake server is the one the tests use.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, create_engine, insert, make_url, select, text  # noqa: E402

from bench.province import write_province_register  # noqa: E402
from scheduler.clock import LOCAL_TZ, FixedClock  # noqa: E402
from scheduler.db import make_engine  # noqa: E402
from scheduler.outbox.planner import plan  # noqa: E402
from scheduler.register.importer import import_register, load_register  # noqa: E402
from scheduler.register.models import CHATS, OFFICIALS  # noqa: E402

MORNING = datetime(2022, 4, 22, 7, 31, tzinfo=LOCAL_TZ)


def link_everyone(engine: Engine, clock: FixedClock, channel: str, first_chat: int) -> None:
    """Every official gets a chat of their own on `channel`."""
    with engine.begin() as conn:
        ids = conn.execute(select(OFFICIALS.c.id)).scalars().all()
        conn.execute(
            insert(CHATS),
            [
                {
                    "official_id": i,
                    "channel": channel,
                    "chat_id": str(first_chat + i),
                    "is_group": False,
                    "active": True,
                    "linked_at": clock.now(),
                }
                for i in ids
            ],
        )


def prepare(url: str, folder: Path, people: int, channel: str = "telegram") -> None:
    """`people` officials, each alone in a unit with one task due that day, each linked to a chat."""
    path = folder / "register.yaml"
    write_province_register(path, units=people, officials=people, tasks=people, units_per_task=1, due=MORNING.date())
    engine = make_engine(url)
    clock = FixedClock(MORNING)
    import_register(engine, load_register(path), clock)
    link_everyone(engine, clock, channel, 100_000)
    report = plan(engine, clock)
    engine.dispose()
    print(f"  prepared {people:,} officials, {report.planned:,} reminders planned")


DISPATCH_CHILD = """
import asyncio, sys, time
from sqlalchemy import select
from bench.timeline import Timeline
from bot.conversation.core import Conversation
from scheduler.db import make_engine
from scheduler.outbox.dispatcher import Dispatcher
from scheduler.register.models import REMINDERS
from scheduler.outbox.ratelimit import RateLimiter

async def main(url, base_url, per_second, kind):
    clock = Timeline(time.time())  # time passes, so that retries come due
    engine = make_engine(url)
    if kind == "telegram":
        from bot.channels.telegram import TelegramChannel, build_application
        from tests.fake_telegram import TOKEN
        app = build_application(TOKEN, base_url)
        await app.initialize()
        channel, close = TelegramChannel(app, Conversation(engine, clock)), app.shutdown
    else:
        from bot.channels.zalo import ZaloChannel, ZaloClient
        from tests.fake_zalo import TOKEN
        client = ZaloClient(TOKEN, base_url)
        channel, close = ZaloChannel(client, Conversation(engine, clock)), client.close
    limiter = RateLimiter(per_second=per_second, per_chat_second=1)
    dispatcher = Dispatcher(engine, {kind: channel}, clock, limiter=limiter)
    waiting = select(REMINDERS.c.id).where(REMINDERS.c.state.in_(("planned", "sending"))).limit(1)
    while True:
        report = await dispatcher.run_once()
        if report.messages == 0:
            with engine.connect() as conn:
                if conn.execute(waiting).first() is None:
                    break
            await asyncio.sleep(0.2)  # rows waiting for their retry time
    await close()

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]))
"""


def run_dispatchers(url: str, base_url: str, processes: int, per_second: int, kind: str = "telegram") -> float:
    start = time.perf_counter()
    children = [
        subprocess.Popen([sys.executable, "-c", DISPATCH_CHILD, url, base_url, str(per_second), kind], cwd=ROOT)
        for _ in range(processes)
    ]
    for child in children:
        if child.wait() != 0:
            raise SystemExit("a dispatcher process failed")
    return time.perf_counter() - start


def bench_rate(people: int = 10_000) -> None:
    from tests.fake_telegram import FakeBotApi

    print(f"rate: {people:,} reminders to {people:,} chats, the fake server enforcing 30/s and 1/s per chat")
    with tempfile.TemporaryDirectory() as folder, FakeBotApi(enforce_limits=True) as api:
        url = f"sqlite:///{Path(folder) / 'rate.sqlite3'}"
        prepare(url, Path(folder), people)
        elapsed = run_dispatchers(url, api.base_url, 1, per_second=30)
        chats = Counter(str(m["chat_id"]) for m in api.sent)
        arrivals = sorted(m["at"] for m in api.sent)
        per_second = Counter(int(t - arrivals[0]) for t in arrivals)
        print(f"  delivered {len(api.sent):,} messages to {len(chats):,} chats; {elapsed:.1f} s with start-up")
        print(
            f"  sustained: {(len(arrivals) - 1) / (arrivals[-1] - arrivals[0]):.2f} messages/s from first to last "
            f"arrival; busiest second {max(per_second.values())} messages"
        )
        if api.too_many_at:
            print(
                "  429 answers at (s after the first arrival): "
                + ", ".join(f"{t - arrivals[0]:.2f}" for t in api.too_many_at)
            )
        print(
            f"  429 answers from the server: {api.too_many}; repeated chats: "
            f"{sum(1 for c in chats.values() if c > 1)}  (targets: ≥ 28/s, zero 429)"
        )


def bench_plan(assignments: int = 100_000) -> None:
    print(f"plan: one planning tick over {assignments:,} open assignments on SQLite")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'plan.sqlite3'}"
        path = Path(folder) / "register.yaml"
        write_province_register(path, units=3_000, officials=15_000, tasks=assignments // 2, units_per_task=2)
        engine = make_engine(url)
        clock = FixedClock(MORNING)
        import_register(engine, load_register(path), clock)
        link_everyone(engine, clock, "telegram", 0)
        engine.dispose()
        child = """
import resource, shutil, sys, time
from datetime import datetime
from scheduler.clock import LOCAL_TZ, FixedClock
from scheduler.db import make_engine
from scheduler.outbox.planner import ROWS_PER_TICK, plan
base = sys.argv[1]
for label, hour, minute in (("after midnight", 0, 1), ("bot started late, at 07:31", 7, 31)):
    copy = base.replace("plan.sqlite3", f"plan-{hour}.sqlite3")
    shutil.copy(base.removeprefix("sqlite:///"), copy.removeprefix("sqlite:///"))
    engine = make_engine(copy)
    clock = FixedClock(datetime(2022, 4, 22, hour, minute, tzinfo=LOCAL_TZ))
    ticks, rows = [], 0
    while True:
        start = time.perf_counter()
        report = plan(engine, clock)
        ticks.append(time.perf_counter() - start)
        rows += report.planned
        if not report.deferred:
            break
    start = time.perf_counter()
    steady = plan(engine, clock)
    took = time.perf_counter() - start
    print(f"  {label}: the morning's {rows:,} rows in {len(ticks)} ticks of at most {ROWS_PER_TICK:,}: "
          f"slowest tick {max(ticks):.2f} s, first {ticks[0]:.2f} s; then a steady tick {took:.2f} s "
          f"({steady.planned} rows)")
    engine.dispose()
print(f"  planner process peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
      "  (targets: every tick < 1 s, < 300 MB)")
"""
        subprocess.run([sys.executable, "-c", child, url], cwd=ROOT, check=True)


def bench_pg_two(people: int = 10_000) -> None:
    from tests.fake_telegram import FakeBotApi

    pg = os.environ.get("NHACVIEC_BENCH_PG_URL") or os.environ.get("NHACVIEC_TEST_DATABASE_URL")
    if not pg:
        print("pg-two: skipped (set NHACVIEC_BENCH_PG_URL=postgresql+psycopg://…)")
        return
    print(f"pg-two: two dispatcher processes on PostgreSQL, {people:,} reminders")
    name = f"nv_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg).set(database=name).render_as_string(hide_password=False)
    try:
        with tempfile.TemporaryDirectory() as folder, FakeBotApi() as api:
            prepare(url, Path(folder), people)
            elapsed = run_dispatchers(url, api.base_url, 2, per_second=200)
            chats = Counter(str(m["chat_id"]) for m in api.sent)
            print(
                f"  delivered {len(api.sent):,} messages to {len(chats):,} chats in {elapsed:.1f} s; "
                f"duplicates: {sum(c - 1 for c in chats.values())}; missing: {people - len(chats)}"
                "  (target: zero duplicates)"
            )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def bench_zalo(people: int = 10_000) -> None:
    from tests.fake_zalo import FakeZaloApi

    print(f"zalo: {people:,} reminders through the fake Zalo server, one answer in three a 429")
    with tempfile.TemporaryDirectory() as folder, FakeZaloApi(one_in_three_429=True) as api:
        url = f"sqlite:///{Path(folder) / 'zalo.sqlite3'}"
        prepare(url, Path(folder), people, channel="zalo")
        elapsed = run_dispatchers(url, api.base_url, 1, per_second=30, kind="zalo")
        chats = Counter(m["chat_id"] for m in api.sent)
        arrivals = sorted(m["at"] for m in api.sent)
        span = arrivals[-1] - arrivals[0]
        print(
            f"  delivered {len(api.sent):,} messages to {len(chats):,} chats ({people - len(chats)} missing, "
            f"{sum(c - 1 for c in chats.values())} repeated) after {api.too_many:,} answers 429; "
            f"{elapsed:.1f} s with start-up"
        )
        print(
            f"  time per delivered message: {span / (len(arrivals) - 1) * 1000:.1f} ms "
            "(compare with 1000 / the sustained rate printed by `rate`)"
        )


def fill_outbox(engine: Engine, waiting: int, now: datetime) -> None:
    """`waiting` due rows, one per official, behind a few thousand rows already sent (a morning under way)."""
    from scheduler.register.models import ASSIGNMENTS, REMINDERS, TASKS, UNITS

    with engine.begin() as conn:
        unit = conn.execute(
            insert(UNITS).values(code="u", name="Đơn vị", kind="", aliases=[], groups=[])
        ).inserted_primary_key[0]
        task = conn.execute(
            insert(TASKS).values(code="t", title="Việc", lead=[], coordinating=[])
        ).inserted_primary_key[0]
        day = now.astimezone(LOCAL_TZ).date()
        assignment = conn.execute(
            insert(ASSIGNMENTS).values(
                task_id=task, unit_id=unit, status="open", percent=0, note="", due=day, original_due=day
            )
        ).inserted_primary_key[0]
        total = waiting + 5_000
        for start in range(0, total, 20_000):
            ids = range(start, min(total, start + 20_000))
            conn.execute(
                insert(OFFICIALS),
                [{"id": i + 1, "code": f"o{i}", "name": f"Cán bộ {i}", "title": "", "role": "member"} for i in ids],
            )
            conn.execute(
                insert(REMINDERS),
                [
                    {
                        "assignment_id": assignment,
                        "official_id": i + 1,
                        "channel": "telegram",
                        "kind": "due_today",
                        "planned_for": day,
                        "send_after": now.replace(minute=30) if i >= 5_000 else now.replace(minute=29),
                        "state": "planned" if i >= 5_000 else "sent",
                        "attempts": 0,
                        "last_error": "",
                        "note": "",
                    }
                    for i in ids
                ],
            )
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))


def bench_claims(sizes: tuple[int, ...] = (10_000, 50_000, 100_000), claims: int = 300) -> None:
    """Claim cost at growing outbox sizes: flat when the index matches the claim's filter and order."""
    from scheduler.outbox.dispatcher import Dispatcher
    from scheduler.outbox.explain import query_plan
    from scheduler.outbox.notify import LoggingNotifier

    pg = os.environ.get("NHACVIEC_BENCH_PG_URL") or os.environ.get("NHACVIEC_TEST_DATABASE_URL")
    print(f"claims: the cost of one claim (mean of {claims}) as the outbox fills  (target: ≤ 2 ms, flat within 2×)")
    print(f"  load average now: {os.getloadavg()[0]:.1f} (wall times stretch with the machine's load)")
    now = MORNING.replace(minute=31)
    for kind in ("sqlite", "postgresql"):
        if kind == "postgresql" and not pg:
            print("  postgresql: skipped (set NHACVIEC_BENCH_PG_URL=postgresql+psycopg://…)")
            continue
        costs = []
        for size in sizes:
            with tempfile.TemporaryDirectory() as folder, _database(kind, folder, pg) as url:
                engine = make_engine(url)
                fill_outbox(engine, size, now)
                dispatcher = Dispatcher(engine, {"telegram": LoggingNotifier("telegram")}, FixedClock(now))
                for _ in range(20):  # warm the caches and the statement cache
                    dispatcher.claim_next()
                start, cpu = time.perf_counter(), time.process_time()
                for _ in range(claims):
                    assert dispatcher.claim_next() is not None
                cost = (time.perf_counter() - start) / claims * 1000
                cpu_cost = (time.process_time() - cpu) / claims * 1000
                costs.append(cost)
                with engine.connect() as conn:
                    steps = query_plan(conn, dispatcher.pick(now))
                plan_text = " → ".join(step.strip().removeprefix("->").split("  (")[0].strip() for step in steps[:4])
                engine.dispose()
            print(
                f"  {kind:10} {size:>7,} waiting: {cost:5.2f} ms per claim ({cpu_cost:.2f} ms of it this process's CPU)"
            )
        print(f"  {kind:10} largest / smallest: {max(costs) / min(costs):.2f}×; the pick's plan: {plan_text}")


class _database:
    """A fresh database of one kind for the duration of a `with` block."""

    def __init__(self, kind: str, folder: str, pg: str | None) -> None:
        self.kind, self.folder, self.pg, self.name = kind, folder, pg, f"nv_bench_{uuid.uuid4().hex[:8]}"

    def __enter__(self) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{Path(self.folder) / 'claims.sqlite3'}"
        assert self.pg is not None
        self.admin = create_engine(self.pg, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        return make_url(self.pg).set(database=self.name).render_as_string(hide_password=False)

    def __exit__(self, *_exc: object) -> None:
        if self.kind == "postgresql":
            with self.admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            self.admin.dispose()


class FakeApiProcess:
    """bench/fake_api.py in a process of its own: Telegram's limits per token, answers delayed, a storm of 429s."""

    def __init__(self, delay: float = 0.0, refuse: float = 0.0) -> None:
        command = [sys.executable, str(ROOT / "bench" / "fake_api.py"), f"--delay={delay}", f"--refuse={refuse}"]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.base_url = f"http://127.0.0.1:{int(self.process.stdout.readline())}"

    def stats(self) -> dict[str, dict[str, Any]]:
        from urllib.request import urlopen

        with urlopen(f"{self.base_url}/stats") as answer:
            return dict(json.load(answer))

    def __enter__(self) -> FakeApiProcess:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.process.terminate()
        self.process.wait()


def delivery_figures(token_stats: list[dict[str, Any]], expected: int) -> str:
    """Arrivals over the tokens: rate from first to last, 429s, people missing and repeated."""
    arrivals = sorted(t for s in token_stats for t in s["arrivals"])
    chats: Counter[str] = Counter()
    for s in token_stats:
        chats.update(s["chats"])
    span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else 0.0
    rate = (len(arrivals) - 1) / span if span else 0.0
    over = sum(s["over_limit"] for s in token_stats)
    storm = sum(s["refused_at_random"] for s in token_stats)
    repeated = sum(c - 1 for c in chats.values())
    return (
        f"{len(arrivals):,} delivered in {span:.1f} s = {rate:.1f} msg/s; 429: {over} for a broken limit, "
        f"{storm} at random; lost {expected - len(chats)}, repeated {repeated}"
    )


async def _ptb_storm(base_url: str, token: str, people: int, max_retries: int) -> None:
    from telegram.error import TelegramError
    from telegram.ext import AIORateLimiter, ApplicationBuilder

    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{base_url}/bot")
        .rate_limiter(AIORateLimiter(max_retries=max_retries))
        .build()
    )
    await app.initialize()
    room = asyncio.Semaphore(32)  # as many in flight as our dispatcher allows

    async def one(chat: int) -> None:
        async with room:
            with contextlib.suppress(TelegramError):  # a 429 past max_retries: the message is lost
                await app.bot.send_message(chat_id=chat, text=f"Nhắc việc cho {chat}")

    await asyncio.gather(*(one(100_000 + i) for i in range(people)))
    await app.shutdown()


def bench_storm(people: int = 3_000) -> None:
    print(
        f"storm: {people:,} reminders to {people:,} chats; the fake answers one in ten 429 (retry_after 1) at random "
        "and enforces 30/s and 1/s per chat  (target: ours ≥ 20 msg/s, 0 lost)"
    )
    print(f"  load average now: {os.getloadavg()[0]:.1f}")
    logging.getLogger("telegram").setLevel(logging.CRITICAL)  # PTB logs each message it gives up on
    with tempfile.TemporaryDirectory() as folder, FakeApiProcess(refuse=0.10) as api:
        url = f"sqlite:///{Path(folder) / 'storm.sqlite3'}"
        prepare(url, Path(folder), people)
        run_dispatchers(url, api.base_url, 1, per_second=30)
        from tests.fake_telegram import TOKEN

        print(f"  ours (dispatcher, 429 per chat): {delivery_figures([api.stats()[TOKEN]], people)}")
        for retries in (0, 3):
            token = f"7{retries}0000:storm-ptb-{retries}"
            asyncio.run(_ptb_storm(api.base_url, token, people, retries))
            label = f"PTB AIORateLimiter(max_retries={retries})"
            print(f"  {label:31}: {delivery_figures([api.stats()[token]], people)}")


def _busiest_second(arrivals: list[float]) -> int:
    """The most arrivals in any window of one second."""
    busiest, first = 0, 0
    for last, at in enumerate(arrivals):
        while at - arrivals[first] >= 1.0:
            first += 1
        busiest = max(busiest, last - first + 1)
    return busiest


def bench_wave_replies(people: int = 2_000, share: float = 0.2, after: float = 3.0) -> None:
    """Answers and reminders on one budget: people reply "xong" while the wave still runs."""
    import random
    import threading

    from bench.process import MORNING as TIMELINE_MORNING
    from bench.process import Morning, wait_for
    from bench.process import prepare as prepare_morning
    from tests.fake_telegram import FakeBotApi

    print(f"wave-replies: {people:,} reminders, {share:.0%} of officials reply 'xong' {after:.0f} s after theirs")
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as folder, FakeBotApi(enforce_limits=True, long_poll=1.0) as api:
        url = f"sqlite:///{Path(folder) / 'wave.sqlite3'}"
        expected = prepare_morning(url, Path(folder), people, rng, TIMELINE_MORNING, tasks=(1, 1))
        chats = sorted({chat for chat, _task in expected})
        repliers = set(rng.sample(chats, int(len(chats) * share)))
        asked: dict[str, float] = {}
        answered: dict[str, float] = {}
        done = threading.Event()

        def reply() -> None:  # the officials: each replier answers their reminder `after` seconds later
            seen, due = 0, []
            while not done.is_set():
                with api.lock:
                    fresh = api.sent[seen:]
                    seen += len(fresh)
                now = time.monotonic()
                for message in fresh:
                    chat = str(message["chat_id"])
                    if chat in repliers and chat not in asked and message.get("reply_markup"):
                        due.append((message["at"] + after, chat, message["message_id"]))
                        asked[chat] = math.inf
                    elif chat in asked and chat not in answered and message["at"] >= asked[chat]:
                        answered[chat] = message["at"]
                for item in [d for d in due if d[0] <= now]:
                    due.remove(item)
                    with api.lock:
                        api.updates.append(api.text_update(int(item[1]), "xong", reply_to=item[2]))
                    asked[item[1]] = time.monotonic()
                time.sleep(0.01)

        watcher = threading.Thread(target=reply, daemon=True)
        watcher.start()
        morning = Morning(url, api, Path(folder), time.time())
        child = morning.spawn()
        wait_for(lambda: morning.count("planned", "sending") == 0, 900, step=0.5)
        wait_for(lambda: len(answered) >= len(repliers), 60, step=0.2)
        done.set()
        child.terminate()
        child.wait()
        waits = sorted(answered[c] - asked[c] for c in answered)
        arrivals = sorted(m["at"] for m in api.sent)
        reminders = len({str(m["chat_id"]) for m in api.sent})  # each chat's first message
        p95 = waits[int(len(waits) * 0.95) - 1] if waits else math.nan
        p50 = waits[len(waits) // 2] if waits else math.nan
        print(
            f"  {reminders:,} reminders and {len(api.sent) - reminders:,} answers received; 429 answers from the "
            f"server: {api.too_many}; busiest second {_busiest_second(arrivals)} messages"
        )
        print(
            f"  answers delivered: {len(answered)} of {len(repliers)}; answer time (reply → answer at the server): "
            f"p50 {p50:.2f} s, p95 {p95:.2f} s, max {max(waits, default=0):.2f} s"
        )
        print("  targets: 0 × 429, every answer delivered, answer p95 < 2 s")


def bench_slow(people: int = 1_000) -> None:
    """Slow answers are waited for: 5 % of answers take 8 s; no message goes out twice."""
    import random

    from bench.process import MORNING as TIMELINE_MORNING
    from bench.process import Morning, tally, wait_for
    from bench.process import prepare as prepare_morning
    from tests.fake_telegram import FakeBotApi

    print(f"slow: {people:,} reminders, answers in 100–400 ms, 5 % of them after 8 s")
    with tempfile.TemporaryDirectory() as folder, FakeBotApi(delay=(0.1, 0.4), slow=(0.05, 8.0), long_poll=1.0) as api:
        url = f"sqlite:///{Path(folder) / 'slow.sqlite3'}"
        expected = prepare_morning(url, Path(folder), people, random.Random(5), TIMELINE_MORNING, tasks=(1, 1))
        morning = Morning(url, api, Path(folder), time.time())
        start = time.monotonic()
        child = morning.spawn()
        wait_for(lambda: morning.count("planned", "sending") == 0, 900, step=0.5)
        elapsed = time.monotonic() - start
        child.terminate()
        child.wait()
        lost, repeated = tally(api.sent, expected)
        print(f"  {len(api.sent):,} messages in {elapsed:.0f} s; lost {lost}; repeated {repeated}  (target: 0 and 0)")


def _slot_figures(engine: Engine, per_second: int = 30, window: float = 1.005) -> str:
    """Where the shared limiter's time goes: how long each send held its place (start → answer recorded), and how
    late a start came after the moment the table first had room for it (the 30th-latest window end before it,
    or the even pacing after the previous start)."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT started_at, done_at FROM send_slot ORDER BY started_at")).all()
    if len(rows) <= per_second:
        return "send_slot: too few rows to say"
    base = rows[0].started_at
    starts = [(r.started_at - base).total_seconds() for r in rows]
    ends = [(r.done_at - base).total_seconds() + window if r.done_at else math.inf for r in rows]
    held = sorted(e - window - s for s, e in zip(starts, ends, strict=True) if e < math.inf)
    lags = []
    for k in range(per_second, len(rows)):
        room = sorted(ends[k - 4 * per_second if k > 4 * per_second else 0 : k])[-per_second]
        lags.append(starts[k] - max(room, starts[k - 1] + 0.9 / per_second))
    lags.sort()

    def q(values: list[float], share: float) -> float:
        return values[min(len(values) - 1, int(len(values) * share))] * 1000

    return (
        f"send_slot: {len(rows):,} starts at {(len(rows) - 1) / starts[-1]:.2f}/s; each send held its place "
        f"{q(held, 0.5):.0f} ms p50, {q(held, 0.9):.0f} ms p90, {sum(held) / len(held) * 1000:.1f} ms mean (start → "
        f"answer recorded);\n  a start came {q(lags, 0.5):.0f} ms p50, {q(lags, 0.9):.0f} ms p90, {q(lags, 0.99):.0f} "
        f"ms p99, {sum(lags) / len(lags) * 1000:.1f} ms mean after the table had room for it"
    )


def bench_pg_four(people: int = 10_000, processes: int = 4) -> None:
    """Four real processes on one PostgreSQL and one token: one outbox, one budget."""
    import random

    from bench.process import MORNING as TIMELINE_MORNING
    from bench.process import Morning, tally, wait_for
    from bench.process import prepare as prepare_morning
    from tests.fake_telegram import FakeBotApi

    pg = os.environ.get("NHACVIEC_BENCH_PG_URL") or os.environ.get("NHACVIEC_TEST_DATABASE_URL")
    if not pg:
        print("pg-four: skipped (set NHACVIEC_BENCH_PG_URL=postgresql+psycopg://…)")
        return
    print(f"pg-four: {processes} `nhacviec run` processes on one PostgreSQL, one token, {people:,} reminders")
    name = f"nv_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg).set(database=name).render_as_string(hide_password=False)
    try:
        with tempfile.TemporaryDirectory() as folder, FakeBotApi(enforce_limits=True, long_poll=1.0) as api:
            expected = prepare_morning(url, Path(folder), people, random.Random(3), TIMELINE_MORNING, tasks=(1, 1))
            morning = Morning(url, api, Path(folder), time.time())
            children = [morning.spawn() for _ in range(processes)]
            wait_for(lambda: morning.count("planned", "sending") == 0, 1800, step=1.0)
            for child in children:
                child.terminate()
            codes = [child.wait() for child in children]
            lost, repeated = tally(api.sent, expected)
            arrivals = sorted(m["at"] for m in api.sent)
            logs = "".join(p.read_text(errors="replace") for p in Path(folder).glob("run-*.log"))
            rate = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]) if len(arrivals) > 1 else 0.0
            senders = morning.senders()
            print(
                f"  {len(api.sent):,} messages; duplicates {repeated}; missing {lost}; deadlocks in the logs: "
                f"{logs.count('DeadlockDetected') + logs.count('deadlock detected')}; exit codes {codes}"
            )
            print(
                f"  busiest second at the server: {_busiest_second(arrivals)}; 429 answers: {api.too_many}; "
                f"sustained {rate:.2f} msg/s from first to last arrival; messages per process: {senders}"
            )
            print("  targets: 0 duplicates, 0 missing, no deadlock, never > 30 in a second, ≥ 28 msg/s")
            print(f"  {_slot_figures(morning.engine)}")
            morning.engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main() -> None:
    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    if which in ("storm", "all"):
        bench_storm()
    if which in ("claims", "all"):
        bench_claims()
    if which == "wave-replies":
        bench_wave_replies()
    if which == "pg-four":  # an optional size: `pg-four 3000` for a shorter run
        bench_pg_four(int(sys.argv[2]) if len(sys.argv) > 2 else 10_000)
    if which == "slow":
        bench_slow()
    if which in ("plan", "all"):
        bench_plan()
    if which in ("pg-two", "all"):
        bench_pg_two()
    if which in ("rate", "all"):
        bench_rate()
    if which in ("zalo", "all"):
        bench_zalo()
    print(f"bench process peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
