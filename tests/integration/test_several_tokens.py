"""Several bot tokens in the dispatcher and the limiter: each channel ("telegram:<bot>") keeps its own limits,
the dispatcher takes turns between channels so that one token's backlog never starves another, and on
PostgreSQL each token's budget is shared by every process of that token and by no other; a code sent to the
wrong bot points to the unit's own."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select

from bot.conversation.core import Conversation
from bot.conversation.incoming import Incoming
from scheduler.clock import LOCAL_TZ, FixedClock
from scheduler.outbox.dispatcher import Dispatcher
from scheduler.outbox.notify import Delivery
from scheduler.outbox.ratelimit import RateLimiter
from scheduler.outbox.shared_limit import SharedRateLimiter, bucket_for
from scheduler.register.importer import import_register, load_register
from scheduler.register.invites import create_invite
from scheduler.register.links import find_official_id
from scheduler.register.models import ASSIGNMENTS, CHATS, OFFICIALS, REMINDERS, TASKS, UNITS
from tests.e2e.test_answers_share_the_budget import counted_at_once

MORNING = datetime(2022, 4, 22, 7, 31, tzinfo=LOCAL_TZ)


class Recording:
    """A channel that answers at once and notes when each message went out."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.at: list[float] = []

    async def deliver(self, delivery: Delivery) -> str:
        self.at.append(time.monotonic())
        return f"{self.channel}-{len(self.at)}"


def waiting_morning(engine: Engine, people: int) -> None:
    """`people` officials due a reminder now, the first half linked on bot A, the rest on bot B: every row of
    bot A comes before every row of bot B in the claim's order (a register's districts in blocks)."""
    day = MORNING.date()
    with engine.begin() as conn:
        unit = conn.execute(insert(UNITS).values(code="u", name="Xã", kind="", aliases=[], groups=[]))
        task = conn.execute(insert(TASKS).values(code="t", title="Báo cáo", lead=[], coordinating=[]))
        assignment = conn.execute(
            insert(ASSIGNMENTS).values(
                task_id=task.inserted_primary_key[0],
                unit_id=unit.inserted_primary_key[0],
                status="open",
                percent=0,
                note="",
                due=day,
                original_due=day,
            )
        ).inserted_primary_key[0]
        for i in range(1, people + 1):
            channel = "telegram:a" if i <= people // 2 else "telegram:b"
            conn.execute(insert(OFFICIALS).values(id=i, code=f"o{i}", name=f"Cán bộ {i}", title="", role="member"))
            conn.execute(insert(CHATS).values(official_id=i, channel=channel, chat_id=str(i), is_group=False))
            conn.execute(
                insert(REMINDERS).values(
                    assignment_id=assignment,
                    official_id=i,
                    channel=channel,
                    kind="due_today",
                    planned_for=day,
                    send_after=MORNING.replace(minute=30),
                    state="planned",
                    attempts=0,
                    last_error="",
                    note="",
                )
            )


def test_a_tokens_backlog_does_not_starve_the_other_token(sqlite_engine: Engine) -> None:
    waiting_morning(sqlite_engine, 24)
    clock = FixedClock(MORNING)
    notifiers = {c: Recording(c) for c in ("telegram:a", "telegram:b")}
    limiters = {c: RateLimiter(per_second=6) for c in notifiers}  # slow tokens: a backlog builds at once
    dispatcher = Dispatcher(sqlite_engine, dict(notifiers), clock, limiters=limiters, concurrency=4)
    report = asyncio.run(dispatcher.run_once())
    a, b = notifiers["telegram:a"].at, notifiers["telegram:b"].at
    assert report.messages == 24 and len(a) == len(b) == 12
    first, last = min(a + b), max(a + b)
    assert b[0] - first < 1.0, "bot B's first message did not wait for bot A's backlog"
    assert last - first < 12 / 6 + 1.0, "the two tokens went side by side, each at its own pace"


def test_on_postgresql_each_token_has_its_own_budget_shared_by_its_processes(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the shared limiter is for several processes, which only PostgreSQL serves")
    token_a, token_b = "111111:token-a", "222222:token-b"
    a_first, a_second = (SharedRateLimiter(engine, bucket_for("telegram", token_a), per_second=5) for _ in range(2))
    b_only = SharedRateLimiter(engine, bucket_for("telegram", token_b), per_second=5)
    sends: dict[str, list[tuple[float, float]]] = {"a": [], "b": []}

    async def one(limiter: RateLimiter, token: str, chat: int) -> None:
        async with limiter.sending(f"chat-{chat}"):
            start = time.monotonic()
            await asyncio.sleep(0.02)
            answered = time.monotonic()
        sends[token].append((start, answered))

    async def run() -> None:
        a = [one(a_first if i % 2 else a_second, "a", i) for i in range(10)]
        await asyncio.gather(*a, *(one(b_only, "b", 100 + i) for i in range(5)))

    asyncio.run(run())
    assert counted_at_once(sends["a"]) <= 5  # token A's two processes share A's 5 a second
    a_span = max(s for s, _ in sends["a"]) - min(s for s, _ in sends["a"])
    b_span = max(s for s, _ in sends["b"]) - min(s for s, _ in sends["b"])
    assert a_span >= 1.0  # 10 sends at 5 a second
    assert b_span < 1.0  # token B's 5 fit its own second: A's sends took none of B's budget


REGISTER_TWO_BOTS = """\
title: Hai bot
source_date: 2022-04-07
units:
  - {code: xa-a1, name: Xã A1, bot: huyen_a}
  - {code: van-phong, name: Văn phòng}
officials:
  - {code: a1, name: Nguyễn Văn A, units: [xa-a1]}
  - {code: vp, name: Lê Văn C, units: [van-phong]}
"""


def test_a_code_sent_to_another_bot_points_to_the_units_own_bot_and_stays_unused(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    clock = FixedClock(MORNING)
    (tmp_path / "register.yaml").write_text(REGISTER_TWO_BOTS, encoding="utf-8")
    import_register(sqlite_engine, load_register(tmp_path / "register.yaml"), clock)
    usernames = {"": "bot_tinh", "huyen_a": "bot_huyen_a"}
    default, own = Conversation(sqlite_engine, clock, "bot_tinh"), Conversation(sqlite_engine, clock, "bot_huyen_a")
    default.bot_usernames = own.bot_usernames = usernames
    code = create_invite(sqlite_engine, find_official_id(sqlite_engine, "a1"), clock)
    [answer] = default.handle(Incoming("telegram", "501", text=f"/start {code}"))
    assert f"https://t.me/bot_huyen_a?start={code}" in answer.text  # where to send it instead
    [answer] = own.handle(Incoming("telegram:huyen_a", "501", text=f"/start {code}"))
    assert "Đã liên kết" in answer.text  # the same code, still unused, through the unit's bot
    vp = create_invite(sqlite_engine, find_official_id(sqlite_engine, "vp"), clock)
    [answer] = default.handle(Incoming("telegram", "502", text=f"/start {vp}"))
    assert "Đã liên kết" in answer.text  # no bot of their own: the default bot
    with sqlite_engine.connect() as conn:
        linked = dict(conn.execute(select(CHATS.c.chat_id, CHATS.c.channel)).all())
    assert linked == {"501": "telegram:huyen_a", "502": "telegram"}
